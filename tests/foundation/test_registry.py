"""The generic registry: registration, look-up, listing, duplicates and unknown names."""

import pytest

from lru_rtrl.plugins import load_builtins
from lru_rtrl.registry import (CORES, ENGINES, RULES, TASKS, DuplicateNameError, Registry,
                               RegistryError, UnknownNameError)


def test_register_by_decorator_and_look_up():
    things = Registry("widget")

    @things.register("round")
    class Round:
        pass

    things.register("square", object())
    assert things.get("round") is Round
    assert things.names() == ["round", "square"]
    assert "round" in things and len(things) == 2 and list(things) == ["round", "square"]


def test_duplicate_names_are_an_error_unless_replacing():
    things = Registry("widget")
    things.register("a", 1)
    with pytest.raises(DuplicateNameError, match="widget named 'a' is already registered"):
        things.register("a", 2)
    things.register("a", 3, replace=True)
    assert things.get("a") == 3


def test_unknown_name_lists_known_names_and_suggests_the_closest():
    things = Registry("widget")
    for name in ("online_full", "online_snap", "bptt"):
        things.register(name, name)
    with pytest.raises(UnknownNameError) as info:
        things.get("onlin_full")
    message = str(info.value)
    assert "Unknown widget 'onlin_full'" in message
    assert "Did you mean 'online_full'?" in message
    assert "Known widgets: bptt, online_full, online_snap." in message
    assert "config.plugins" in message  # says how plugins get registered
    # An unknown name is also a KeyError, so `except KeyError` code keeps working.
    assert isinstance(info.value, KeyError)


def test_bad_names_are_rejected():
    with pytest.raises(RegistryError, match="non-empty string"):
        Registry("widget").register("", 1)


def test_builtins_are_registered():
    load_builtins()
    assert CORES.names() == ["gru", "linear_rnn", "lru"]
    assert {"bptt", "online_full", "online_snap", "online_truncated", "online_spat"} <= set(
        RULES.names())
    assert ENGINES.names() == ["parallel", "streaming"]
    assert {"copy", "smnist", "psmnist", "scifar", "scifar_gray", "imdb", "listops", "aan",
            "pathfinder", "pathx", "digits", "fashion_mnist"} <= set(TASKS.names())
