"""Plugins through both routes (config.plugins and installed entry points), broken plugins,
and the example `reservoir` rule actually training only what lies above the stack."""

import os
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

from lru_rtrl import plugins
from lru_rtrl.registry import ENGINES, RULES
from lru_rtrl.testing.toy import PER_STEP_SPEC, toy_batch, toy_model
from repo_helpers import repo_path

EXAMPLE_DIR = repo_path("examples", "plugins")
EXAMPLE_FILE = os.path.join(EXAMPLE_DIR, "lru_rtrl_reservoir.py")


@pytest.fixture
def clean_reservoir():
    """Each test starts and ends with the example plugin neither imported nor registered."""
    def clean():
        RULES.unregister("reservoir")
        sys.modules.pop("lru_rtrl_reservoir", None)
    clean()
    yield
    clean()


def _fake_distribution(tmp_path, name, entry_points):
    """An installed distribution as importlib.metadata sees one: a dist-info on sys.path."""
    info = tmp_path / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "\n".join(f"{key} = {value}" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\n{lines}\n")
    return str(tmp_path)


def test_config_route_by_file_path(clean_reservoir):
    plugins.load_plugins([EXAMPLE_FILE], entry_points=False)
    assert "reservoir" in RULES
    # Loading again (a second run in the same process) is harmless.
    plugins.load_plugins([EXAMPLE_FILE], entry_points=False)


def test_config_route_by_module_name(clean_reservoir, monkeypatch):
    monkeypatch.syspath_prepend(EXAMPLE_DIR)
    plugins.load_plugins(["lru_rtrl_reservoir"], entry_points=False)
    assert "reservoir" in RULES


def test_entry_point_route(clean_reservoir, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(EXAMPLE_DIR)
    monkeypatch.syspath_prepend(_fake_distribution(tmp_path, "lru_rtrl_reservoir",
                                                   {"reservoir": "lru_rtrl_reservoir"}))
    names = [e.name for e in plugins.entry_point_plugins()]
    assert "reservoir" in names
    plugins.load_plugins()
    assert "reservoir" in RULES
    # Both routes at once import (and register) the plugin once.
    plugins.load_plugins([EXAMPLE_FILE])


def test_broken_config_plugin_is_named(tmp_path):
    broken = tmp_path / "broken_rules_plugin.py"
    broken.write_text("raise RuntimeError('boom at import')\n")
    with pytest.raises(plugins.PluginError) as info:
        plugins.load_plugins([str(broken)], entry_points=False)
    assert str(broken) in str(info.value) and "boom at import" in str(info.value)
    assert "config.plugins" in str(info.value)
    with pytest.raises(plugins.PluginError, match="'no_such_plugin_module'.*ModuleNotFoundError"):
        plugins.load_plugins(["no_such_plugin_module"], entry_points=False)
    with pytest.raises(plugins.PluginError, match="does not exist"):
        plugins.load_plugins([str(tmp_path / "missing.py")], entry_points=False)


def test_broken_entry_point_is_named(monkeypatch, tmp_path):
    module_dir = tmp_path / "modules"
    module_dir.mkdir()
    (module_dir / "broken_entry_plugin.py").write_text(textwrap.dedent("""
        raise ImportError('missing dependency xyz')
    """))
    monkeypatch.syspath_prepend(str(module_dir))
    monkeypatch.syspath_prepend(_fake_distribution(tmp_path, "broken_dist",
                                                   {"broken": "broken_entry_plugin"}))
    with pytest.raises(plugins.PluginError) as info:
        plugins.load_plugins()
    message = str(info.value)
    assert "'broken'" in message and "broken_dist" in message and "missing dependency xyz" in message
    sys.modules.pop("broken_entry_plugin", None)


def test_reservoir_rule_trains_only_above_the_stack(clean_reservoir):
    from lru_rtrl.config import base_config
    config = base_config("copy")
    config.plugins = (EXAMPLE_FILE,)
    plugins.load_plugins(config.plugins, entry_points=False)
    config.rule = "reservoir"
    for engine in ("parallel", "streaming"):
        model, params = toy_model("lru", config.rule, engine=engine, dtype=jnp.float32,
                                  n_layers=2)
        _, _, grads = ENGINES.get(engine).gradient(
            model, params, None, toy_batch(PER_STEP_SPEC, dtype="float32"), is_training=False)
        roles = model.roles(params)
        for module, names in grads.items():
            for name, g in names.items():
                trained = roles[module][name] == "decoder"
                assert bool(np.any(np.asarray(g))) == trained, (engine, module, name)
    # The decoder's gradient is exactly BPTT's: nothing above it is recurrent.
    model, params = toy_model("lru", "reservoir", dtype=jnp.float32)
    batch = toy_batch(PER_STEP_SPEC, dtype="float32")
    _, _, ours = ENGINES.get("parallel").gradient(model, params, None, batch, is_training=False)
    _, _, exact = ENGINES.get("parallel").gradient(model, params, None, batch,
                                                   is_training=False, rule=RULES.get("bptt"))
    np.testing.assert_allclose(ours["model/~/decoder"]["w"], exact["model/~/decoder"]["w"],
                               rtol=1e-6)


REMAT_FILE = os.path.join(EXAMPLE_DIR, "lru_rtrl_remat.py")


@pytest.fixture
def clean_remat():
    """The example engine plugin is neither imported nor registered outside its tests."""
    def clean():
        ENGINES.unregister("parallel_remat")
        sys.modules.pop("lru_rtrl_remat", None)
    clean()
    yield
    clean()


@pytest.mark.parametrize("core,rule", [
    pytest.param("lru", "online_full", marks=pytest.mark.slow), ("lru", "bptt"),
    pytest.param("gru", "online_snap", marks=pytest.mark.slow)])
def test_remat_engine_gives_the_parallel_engines_gradient(core, rule, clean_remat):
    # The example engine plugin recomputes each block in the backward pass; with dropout (the
    # recomputation must draw the very same masks) its gradient is the parallel engine's.
    import jax
    plugins.load_plugins([REMAT_FILE], entry_points=False)
    remat = ENGINES.get("parallel_remat")
    assert not remat.streams and not remat.in_stream_updates
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, engine="parallel_remat", dropout=0.25,
                                  pooling="pool_st")
        assert model.engine is remat
        batch = toy_batch(PER_STEP_SPEC)
        rng = jax.random.PRNGKey(3)
        loss_r, _, got = remat.gradient(model, params, rng, batch)
        loss_p, _, want = ENGINES.get("parallel").gradient(model, params, rng, batch)
    np.testing.assert_allclose(loss_r, loss_p, rtol=1e-12)
    for (path, g), w in zip(jax.tree_util.tree_flatten_with_path(got)[0],
                            jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-14,
                                   err_msg=jax.tree_util.keystr(path))


def test_installed_and_listed_by_path_is_one_plugin(clean_reservoir, monkeypatch, tmp_path):
    # `pip install ./examples/plugins` puts a copy in site-packages (its entry point imports
    # that copy); config.plugins naming examples/plugins/lru_rtrl_reservoir.py is the same
    # plugin, not a clash.
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "lru_rtrl_reservoir.py").write_bytes(open(EXAMPLE_FILE, "rb").read())
    monkeypatch.syspath_prepend(str(site))
    plugins.load_plugins(["lru_rtrl_reservoir"], entry_points=False)
    assert sys.modules["lru_rtrl_reservoir"].__file__ == str(site / "lru_rtrl_reservoir.py")
    plugins.load_plugins([EXAMPLE_FILE], entry_points=False)
    assert "reservoir" in RULES


def test_two_different_plugins_with_one_module_name_are_an_error(clean_reservoir, tmp_path):
    plugins.load_plugins([EXAMPLE_FILE], entry_points=False)
    other = tmp_path / "lru_rtrl_reservoir.py"
    other.write_text("# another plugin that happens to have the same file name\n")
    with pytest.raises(plugins.PluginError, match="with different contents. Rename one"):
        plugins.load_plugins([str(other)], entry_points=False)
