"""Reading runs and selecting per row by validation loss, on hand-written metrics files."""

import math

import pytest

from lru_rtrl.sweeps.results import read_run
from lru_rtrl.sweeps.select import Stat, select_rows


def _row(make_run, rule, lr, seed):
    return make_run(f"rule={rule},lr={lr},seed={seed}", row=(("rule", rule),),
                    overrides=(("rule", rule), ("train.lr", lr)), seed=seed)


def test_read_run_best_and_final(tmp_path, make_run, write_run):
    run = make_run("a,seed=0")
    write_run(str(tmp_path), run, val_losses=[0.5, 0.2, 0.3], test_acc=[0.6, 0.8, 0.9])
    result = read_run(run, str(tmp_path))
    assert result.status == "done"
    assert (result.best_step, result.select_value) == (20, 0.2)
    assert result.at_best["accuracy"] == 0.8          # test at the best validation step
    assert (result.final_step, result.final["accuracy"]) == (30, 0.9)
    assert result.curves["validation/loss"] == [(10, 0.5), (20, 0.2), (30, 0.3)]


def test_first_of_equal_losses_and_resumed_duplicates(tmp_path, make_run, write_run):
    run = make_run("a,seed=0")
    # A resumed run logs step 20 again; the later row wins (0.1, not 0.2).
    write_run(str(tmp_path), run, val_losses=[0.2, 0.2], test_acc=[0.6, 0.7],
              extra_rows=[{"step": 20, "split": "validation", "loss": 0.1, "accuracy": 0.9}])
    assert read_run(run, str(tmp_path)).best_step == 20
    write_run(str(tmp_path), run, val_losses=[0.2, 0.2], test_acc=[0.6, 0.7])
    assert read_run(run, str(tmp_path)).best_step == 10


def test_launcher_best_rows_win(tmp_path, make_run, write_run):
    run = make_run("a,seed=0")
    write_run(str(tmp_path), run, val_losses=[0.5, 0.2], test_acc=[0.6, 0.8], best_rows=True)
    result = read_run(run, str(tmp_path))
    assert (result.best_step, result.at_best["loss"]) == (20, 0.4)


def test_statuses_and_nan(tmp_path, make_run, write_run):
    root = str(tmp_path)
    assert read_run(make_run("x,seed=0"), root).status == "missing"
    running = make_run("r,seed=0")
    write_run(root, running, [0.5], [0.5], done=False)
    assert read_run(running, root).status == "incomplete"
    failed = make_run("f,seed=0")
    write_run(root, failed, [0.5, "NaN"], [0.5, 0.5], done=False, failed=True)
    result = read_run(failed, root)
    assert result.status == "failed" and result.select_value == 0.5


def test_selection_by_mean_best_validation_loss(tmp_path, make_run, write_run):
    root = str(tmp_path)
    runs = []
    # lr 0.001: best losses 0.30, 0.10 (mean 0.20); lr 0.002: 0.15, 0.16 (mean 0.155).
    for lr, losses, accs in ((0.001, (0.3, 0.1), (0.70, 0.99)),
                             (0.002, (0.15, 0.16), (0.90, 0.92))):
        for seed, (loss, acc) in enumerate(zip(losses, accs)):
            run = _row(make_run, "bptt", lr, seed)
            write_run(root, run, [0.6, loss], [0.5, acc])
            runs.append(read_run(run, root))
    (row,) = select_rows(runs, ["accuracy", "loss"])
    assert row.chosen_settings() == {"train.lr": 0.002}
    assert row.varying == ["train.lr"]
    assert row.at_best["accuracy"].mean == pytest.approx(0.91)
    assert row.at_best["accuracy"].std == pytest.approx(math.sqrt(2) * 0.01)
    assert row.at_best["accuracy"].n == 2
    assert row.select.mean == pytest.approx(0.155)


def test_failed_configuration_ranks_last_and_unfinished_runs_do_not_count(
        tmp_path, make_run, write_run):
    root = str(tmp_path)
    runs = []
    # lr 0.008 has the lowest loss on seed 0 but diverged on seed 1.
    for seed, failed in ((0, False), (1, True)):
        run = _row(make_run, "online_full", 0.008, seed)
        write_run(root, run, [0.01], [0.99], done=not failed, failed=failed)
        runs.append(read_run(run, root))
    for seed in (0, 1):
        run = _row(make_run, "online_full", 0.001, seed)
        write_run(root, run, [0.2], [0.9])
        runs.append(read_run(run, root))
    # A third seed still running: left out.
    run = _row(make_run, "online_full", 0.001, 2)
    write_run(root, run, [0.0001], [1.0], done=False)
    runs.append(read_run(run, root))
    (row,) = select_rows(runs, ["accuracy"])
    assert row.chosen_settings() == {"train.lr": 0.001}
    assert row.at_best["accuracy"].n == 2
    assert [len(c.failed) for c in row.candidates] == [1, 0]


def test_rows_kept_apart_and_in_order(tmp_path, make_run, write_run):
    root = str(tmp_path)
    runs = []
    for rule in ("online_spat", "bptt"):
        run = _row(make_run, rule, 0.001, 0)
        write_run(root, run, [0.4], [0.8])
        runs.append(read_run(run, root))
    rows = select_rows(runs, ["accuracy"])
    assert [dict(r.row)["rule"] for r in rows] == ["online_spat", "bptt"]
    assert all(r.varying == [] for r in rows)  # one configuration per row: nothing chosen
    assert math.isnan(rows[0].at_best["accuracy"].std)  # one seed: no std


def test_stat_ignores_missing_and_nonfinite():
    stat = Stat.of([1.0, None, float("nan"), 3.0])
    assert (stat.mean, stat.n) == (2.0, 2)
    assert Stat.of([]).n == 0
