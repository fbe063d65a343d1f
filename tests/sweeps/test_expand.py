"""Sweep definitions and their expansion into launcher invocations (no run is launched)."""

import shlex

import pytest

from lru_rtrl.sweeps import expand
from lru_rtrl.sweeps.loading import SweepConfigError, load_config_module, load_sweep
from lru_rtrl.sweeps.spec import Sweep, UnknownSweepError, grid
from repo_helpers import repo_path


def config(name):
    return repo_path("configs", name)


@pytest.mark.parametrize("path, name, runs, rows", [
    ("copy.py", "fig2_ab", 50, 5),
    ("copy.py", "fig2_cd", 40, 4),
    ("copy.py", "fig2_ef", 140, 4),
    ("copy.py", "table1", 288, 16),
    ("copy.py", "repro", 18, 6),
    ("copy.py", "paper_rules", 8, 4),
    ("copy.py", "paper_depth", 3, 3),
    ("copy.py", "smoke", 2, 1),
    ("scifar.py", "table2", 48, 4),
    ("scifar.py", "table3", 48, 4),
    ("imdb.py", "table2", 48, 4),
    ("listops.py", "table2", 48, 4),
])
def test_shipped_sweeps_expand(path, name, runs, rows):
    sweep = load_sweep(config(path), name)
    expanded = expand.expand(sweep, config(path))
    assert len(expanded) == runs == sweep.num_configurations * len(sweep.seeds)
    assert len({r.row for r in expanded}) == rows
    assert len({r.name for r in expanded}) == runs  # names are unique


def test_table1_rows_resolve_defaults_and_args():
    sweep = load_sweep(config("copy.py"), "table1")
    rows = {dict(r.row)["model.core"] + str(dict(r.row)["model.n_layers"])
            for r in expand.expand(sweep, config("copy.py"))}
    # The LRU block sets no core or depth: the rows read them from get_config("paper").
    assert rows == {"lru4", "linear_rnn4", "gru4", "gru1"}


def test_names_and_commands():
    sweep = load_sweep(config("copy.py"), "fig2_ef")
    runs = expand.expand(sweep, config("copy.py"))
    first = runs[0]
    assert first.name == "rule=bptt,lr=0.000125,seed=0"
    assert [r.seed for r in runs[:5]] == [0, 1, 2, 3, 4]  # seeds innermost
    argv = shlex.split(first.command("configs/copy.py", "/tmp/root"))
    assert argv == ["python", "launch/main.py", "--config=configs/copy.py:paper",
                    "--config.rule=bptt", "--config.train.lr=0.000125", "--config.seed=0",
                    "--workdir=/tmp/root/rule=bptt,lr=0.000125,seed=0"]
    assert dict(first.row) == {"rule": "bptt"}
    # One configuration per (rule, lr), shared by its seeds.
    assert len({r.configuration for r in runs}) == 28


def test_a_sweep_names_its_launcher():
    sweep = load_sweep(config("recall_stream.py"), "delays")
    runs = expand.expand(sweep, config("recall_stream.py"))
    assert len(runs) == 30 * 3 and all(r.launcher == "launch/stream.py" for r in runs)
    argv = shlex.split(runs[0].command("configs/recall_stream.py", "/tmp/root"))
    assert argv[:2] == ["python", "launch/stream.py"]
    assert expand.Run.from_json(runs[0].to_json()) == runs[0]
    # The BPTT reference of the stream study: one long tbptt window at four delays.
    reference = expand.expand(load_sweep(config("recall_stream.py"), "reference"),
                              config("recall_stream.py"))
    assert [r.launcher for r in reference] == ["launch/stream.py"] * 4 * 3
    assert all("--config.tbptt.window=256" in r.command("c.py", "/r") for r in reference)
    # The default, and manifests written before the field existed: launch/main.py.
    copy_run = expand.expand(load_sweep(config("copy.py"), "smoke"), config("copy.py"))[0]
    assert copy_run.launcher == "launch/main.py"
    legacy = copy_run.to_json()
    del legacy["launcher"]
    assert expand.Run.from_json(legacy).launcher == "launch/main.py"


def test_name_shows_config_argument_when_it_varies():
    sweep = load_sweep(config("copy.py"), "table1")
    names = [r.name for r in expand.expand(sweep, config("copy.py"))]
    assert "cfg=table1_gru1,rule=online_snap,lr=0.032,seed=2" in names


def test_format_value_round_trips():
    assert expand.format_value(True) == "true"
    assert expand.format_value(1.25e-4) == "0.000125"
    assert float(expand.format_value(3e-2)) == 3e-2
    assert expand.format_value(4) == "4"


def _write_config(tmp_path, body):
    path = tmp_path / "task.py"
    path.write_text(
        "from lru_rtrl.config import base_config\n"
        "from lru_rtrl.sweeps.spec import Sweep, choose, grid\n\n"
        "def get_config(arg=None):\n"
        "    return base_config('copy')\n\n" + body)
    return str(path)


def test_unknown_override_key_names_it(tmp_path):
    path = _write_config(tmp_path, (
        "def get_sweep(name):\n"
        "    return Sweep(name=name, grids=(grid(None, {'train.lr_facter': [1.0]}),))\n"))
    with pytest.raises(SweepConfigError, match="train.lr_facter"):
        expand.expand(load_sweep(path, "x"), path)


def test_wrong_type_names_key(tmp_path):
    path = _write_config(tmp_path, (
        "def get_sweep(name):\n"
        "    return Sweep(name=name, grids=(grid(None, {'train.lr': ['fast']}),))\n"))
    with pytest.raises(SweepConfigError, match="train.lr"):
        expand.expand(load_sweep(path, "x"), path)


def test_unknown_row_key(tmp_path):
    path = _write_config(tmp_path, (
        "def get_sweep(name):\n"
        "    return Sweep(name=name, grids=(grid(None, {'rule': ['bptt']}),), rows=('ruel',))\n"))
    with pytest.raises(SweepConfigError, match="ruel"):
        expand.expand(load_sweep(path, "x"), path)


def test_duplicate_configurations_rejected(tmp_path):
    path = _write_config(tmp_path, (
        "def get_sweep(name):\n"
        "    return Sweep(name=name, grids=(grid(None, {'rule': ['bptt', 'online_full']}),\n"
        "                                   grid(None, {'rule': 'bptt'})))\n"))
    with pytest.raises(SweepConfigError, match="same configuration"):
        expand.expand(load_sweep(path, "x"), path)


def test_unknown_sweep_lists_known_names():
    with pytest.raises(UnknownSweepError, match="fig2_ab, fig2_cd, fig2_ef, paper_depth, paper_rules, repro"):
        load_sweep(config("copy.py"), "fig2")


def test_config_without_get_sweep_says_so():
    with pytest.raises(SweepConfigError, match="defines no get_sweep.*configs/copy.py"):
        load_sweep(config("digits.py"), "table2")


def test_missing_config_file():
    with pytest.raises(SweepConfigError, match="No config file"):
        load_sweep(config("nope.py"), "x")


def test_get_sweep_must_return_a_sweep_with_that_name(tmp_path):
    path = _write_config(tmp_path, "def get_sweep(name):\n    return {'name': name}\n")
    with pytest.raises(SweepConfigError, match="not a lru_rtrl.sweeps.spec.Sweep"):
        load_sweep(path, "x")


def test_grid_validation():
    with pytest.raises(TypeError, match="not a scalar"):
        grid(None, {"train.eval_splits": [("test",)]})
    with pytest.raises(ValueError, match="Seeds are not a grid axis"):
        grid(None, {"seed": [0, 1]})
    with pytest.raises(ValueError, match="no values"):
        grid(None, {"rule": []})
    with pytest.raises(ValueError, match="repeats a seed"):
        Sweep(name="x", grids=(grid(None, {}),), seeds=(0, 0))


def test_manifest_round_trip(tmp_path):
    sweep = load_sweep(config("copy.py"), "repro")
    runs = expand.expand(sweep, config("copy.py"))
    expand.write_manifest(str(tmp_path), sweep, "configs/copy.py", runs)
    sweep2, path, runs2 = expand.read_manifest(str(tmp_path))
    assert sweep2 == sweep
    assert path == "configs/copy.py"
    assert runs2 == runs


def test_missing_manifest_says_how_to_make_it(tmp_path):
    with pytest.raises(SweepConfigError, match="print_only"):
        expand.read_manifest(str(tmp_path))


def test_shipped_get_config_unchanged_for_existing_arguments():
    # get_sweep and the new arguments must leave the existing settings alone.
    module = load_config_module(config("copy.py"))
    quick, paper = module.get_config(), module.get_config("paper")
    assert (quick.model.n_layers, quick.model.d_model, quick.train.num_steps) == (2, 64, 6000)
    assert (paper.model.n_layers, paper.model.d_model, paper.model.d_hidden) == (4, 128, 64)
    repro = module.get_config("repro")
    assert (repro.model.n_layers, repro.model.d_model, repro.model.d_hidden) == (4, 64, 32)
