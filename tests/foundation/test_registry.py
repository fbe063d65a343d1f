"""The generic registry: registration, look-up, listing, duplicates and unknown names; a
registry that only stores (importing it loads nothing, answers do not depend on import order)."""

import json
import subprocess
import sys

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
    assert CORES.names() == ["gru", "linear_rnn", "lru", "mingru", "rglru"]
    assert {"bptt", "online_full", "online_snap", "online_truncated", "online_spat",
            "tbptt"} <= set(RULES.names())
    assert ENGINES.names() == ["parallel", "streaming"]
    assert {"copy", "smnist", "psmnist", "scifar", "scifar_gray", "imdb", "listops", "aan",
            "pathfinder", "pathx", "digits", "fashion_mnist"} <= set(TASKS.names())


def _in_fresh_process(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_registry_loads_nothing_and_a_miss_loads_nothing():
    result = _in_fresh_process(
        "import json, sys\n"
        "import lru_rtrl.registry as r\n"
        "before = sorted(m for m in sys.modules if m.startswith('lru_rtrl'))\n"
        "try:\n    r.ENGINES.get('parallel')\nexcept KeyError:\n    missed = True\n"
        "after = sorted(m for m in sys.modules if m.startswith('lru_rtrl'))\n"
        "print(json.dumps([before, missed, after, r.CORES.names(), len(r.RULES)]))")
    before, missed, after, cores, rules = result
    # Only its error base class comes with it (lru_rtrl.errors imports nothing).
    assert before == after == ["lru_rtrl", "lru_rtrl.errors", "lru_rtrl.registry"]
    assert missed and cores == [] and rules == 0


@pytest.mark.parametrize("first", [
    "lru_rtrl.engines", "lru_rtrl.model", "lru_rtrl.learner",
    *[pytest.param(name, marks=pytest.mark.slow)  # a fresh process each: the rest are slow
      for name in ("lru_rtrl.rules", "lru_rtrl.cores", "lru_rtrl.training.steps",
                   "lru_rtrl.config", "lru_rtrl.plugins", "lru_rtrl.experiment")]])
def test_the_same_entries_whatever_is_imported_first(first):
    # Whichever module a user imports first, once the built-ins are loaded (the assembler,
    # lru_rtrl.experiment, does it) the registries hold the same entries (and no import
    # cycle breaks on the way).
    names = _in_fresh_process(
        f"import json, importlib\nimportlib.import_module({first!r})\n"
        "from lru_rtrl import plugins\nplugins.load_builtins()\n"
        "from lru_rtrl import registry as r\n"
        "print(json.dumps([r.CORES.names(), r.RULES.names(), r.ENGINES.names()]))")
    assert names == [["gru", "linear_rnn", "lru", "mingru", "rglru"],
                     ["bptt", "online_full", "online_snap", "online_spat", "online_truncated",
                      "tbptt"],
                     ["parallel", "streaming"]]
