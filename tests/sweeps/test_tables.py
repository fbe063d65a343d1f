"""The Markdown / JSON results tables, and the plots (PNG files, or a clear error)."""

import json
import sys

import pytest

from lru_rtrl.sweeps import plots, tables
from lru_rtrl.sweeps.results import read_run
from lru_rtrl.sweeps.select import RowResult, Stat, select_rows
from lru_rtrl.sweeps.spec import Sweep, grid

SWEEP = Sweep(name="demo", grids=(grid(None, {"rule": ["bptt", "online_full"],
                                             "train.lr": [0.001, 0.002]}),),
              seeds=(0, 1), rows=("rule",), metrics=("accuracy", "loss"), report_final=True)


def _rows(tmp_path, make_run, write_run):
    root, results = str(tmp_path), []
    for rule in ("bptt", "online_full"):
        for lr, base in ((0.001, 0.3), (0.002, 0.1)):
            for seed in (0, 1):
                run = make_run(f"rule={rule},lr={lr},seed={seed}", row=(("rule", rule),),
                               overrides=(("rule", rule), ("train.lr", lr)), seed=seed)
                cos = 1.0 if rule == "bptt" else 0.9
                write_run(root, run, [0.6, base + 0.01 * seed], [0.5, 0.9 + 0.02 * seed],
                          align={0: {"block_0/cos": cos, "block_1/cos": cos - 0.2,
                                     "block_0/norm_ratio": 1.0, "block_1/norm_ratio": 0.5},
                                 10: {"block_0/cos": cos, "block_1/cos": cos - 0.1,
                                      "block_0/norm_ratio": 1.0, "block_1/norm_ratio": 0.7}})
                results.append(read_run(run, root))
    return select_rows(results, SWEEP.metrics)


def test_fmt_stat():
    assert tables.fmt_stat(Stat.of([0.9, 0.92])) == "0.9100 ± 0.0141"
    assert tables.fmt_stat(Stat.of([0.5])) == "0.5000"
    assert tables.fmt_stat(Stat.of([])) == "–"
    assert tables.fmt_stat(Stat.of([2e-5, 4e-5])) == "3.00e-05 ± 1.41e-05"


def test_markdown_table(tmp_path, make_run, write_run):
    text = tables.markdown(SWEEP, _rows(tmp_path, make_run, write_run))
    lines = text.splitlines()
    assert lines[0] == ("| rule | selected | seeds | test accuracy | test loss | "
                        "test accuracy (final) | test loss (final) | validation loss |")
    assert lines[2] == ("| bptt | lr=0.002 | 2 | 0.9100 ± 0.0141 | 0.2100 ± 0.0141 | "
                        "0.9100 ± 0.0141 | 0.2100 ± 0.0141 | 0.1050 ± 0.0071 |")
    assert "| online_full | **lr=0.002** | 0.1050 | 2/2 |" in lines
    assert "| online_full | lr=0.001 | 0.3050 | 2/2 |" in lines


def test_alignment_summary(tmp_path, make_run, write_run):
    rows = _rows(tmp_path, make_run, write_run)
    (summary,) = tables.alignment_summary(rows)  # the bptt row is left out
    row, stats = summary
    assert dict(row.row) == {"rule": "online_full"}
    assert list(stats) == ["block_0", "block_1"]
    assert stats["block_0"].mean == pytest.approx(0.9)
    assert stats["block_1"].mean == pytest.approx(0.75)  # mean of 0.7 and 0.8 over steps
    text = tables.markdown(SWEEP, rows)
    assert "| row | layer 1 | layer 2 |" in text
    assert "| online_full | 0.900 ± 0.000 | 0.750 ± 0.000 |" in text


def test_alignment_columns_of_rows_of_different_depths(tmp_path, make_run, write_run):
    """A depth sweep: layers in order, then `all`, whatever row comes first."""
    sweep = Sweep(name="depth", grids=(grid(None, {"model.n_layers": [1, 2]}),), seeds=(0,),
                  rows=("model.n_layers",), metrics=("accuracy",))
    results = []
    for depth in (1, 2):
        run = make_run(f"n_layers={depth},seed=0", row=(("model.n_layers", depth),),
                       overrides=(("model.n_layers", depth),))
        align = {f"block_{layer}/cos": 0.9 - 0.1 * layer for layer in range(depth)}
        write_run(str(tmp_path), run, [0.5], [0.9], align={0: dict(align, **{"all/cos": 0.5})})
        results.append(read_run(run, str(tmp_path)))
    text = tables.markdown(sweep, select_rows(results, sweep.metrics))
    assert "| row | layer 1 | layer 2 | all |" in text
    assert "| 1 | 0.900 | – | 0.500 |" in text
    assert "| 2 | 0.900 | 0.800 | 0.500 |" in text


def test_json_table(tmp_path, make_run, write_run):
    data = tables.to_json(SWEEP, _rows(tmp_path, make_run, write_run), "configs/x.py")
    json.dumps(data)  # serialisable
    first = data["rows"][0]
    assert first["row"] == {"rule": "bptt"}
    assert first["selected_settings"] == {"train.lr": 0.002}
    assert first["at_best"]["accuracy"]["values"] == [0.9, 0.92]
    assert len(first["candidates"]) == 2 and len(first["candidates"][0]["runs"]) == 2


def test_plots_written(tmp_path, make_run, write_run):
    pytest.importorskip("matplotlib")
    rows = _rows(tmp_path / "runs", make_run, write_run)
    files = plots.plot_all(rows, str(tmp_path / "out"), "validation", ["loss", "accuracy"])
    names = sorted(p.rsplit("/", 1)[-1] for p in files)
    assert names == ["alignment_cos.png", "alignment_norm_ratio.png", "learning_curves.png"]
    for path in files:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_mean_band():
    steps, mean, std = plots.mean_band([[(0, 1.0), (10, 2.0)], [(0, 3.0)]])
    assert list(steps) == [0, 10] and list(mean) == [2.0, 2.0]
    assert std[1] == 0.0  # one curve at step 10


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(plots.PlotsUnavailable, match=r"pip install -e '.\[plots\]'"):
        plots.pyplot()


def test_every_row_of_a_plot_has_its_own_style():
    pytest.importorskip("matplotlib")

    def row(*pairs):
        return RowResult(row=tuple(pairs), candidates=[], chosen=None, varying=[],
                         at_best={}, final={}, select=None)

    cores, rules = ("lru", "rglru", "mingru", "gru"), ("bptt", "online_full", "online_truncated")
    grouped = [row(("model.core", c), ("rule", r)) for c in cores for r in rules]
    styles = plots.row_styles(grouped)
    assert len({(s["color"], s["ls"]) for s in styles}) == 12
    # Grouped: the color says the core, the line style says the rule.
    assert styles[0]["color"] == styles[2]["color"] != styles[3]["color"]
    assert styles[0]["ls"] == styles[3]["ls"] != styles[1]["ls"]
    single = [row(("seed_group", i)) for i in range(14)]
    assert len({(s["color"], s["ls"]) for s in plots.row_styles(single)}) == 14
