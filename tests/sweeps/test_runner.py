"""The sweep runner's console: what ran, what is left, and when it should end."""

from lru_rtrl.sweeps import runner
from lru_rtrl.sweeps.expand import Run


def _run(name):
    return Run(name=name, arg=None, overrides=(), seed=0, row=(), configuration=name)


def test_each_finished_run_says_how_many_are_left_and_the_eta(monkeypatch):
    runs = [_run(f"r{i}") for i in range(4)]
    monkeypatch.setattr(runner, "is_finished", lambda run, root: run.name == "r0")
    seconds = iter([60.0, 120.0, 90.0])
    monkeypatch.setattr(runner, "run_one", lambda run, *a, **k: runner.Outcome(
        run, "done" if run.name != "r2" else "failed", next(seconds), "exit status 1"))
    lines = []
    runner.run_all(runs, "configs/x.py", "/tmp/root", echo=lines.append)
    assert lines == [
        "[1/4] r0: finished before, skipped",
        "[2/4] r1: running",
        "[2/4] r1: done in 1m00s | 2 of 3 runs to go, ETA 2m00s",
        "[3/4] r2: running",
        "[3/4] r2: FAILED after 2m00s, exit status 1 | 1 of 3 runs to go, ETA 1m30s",
        "[4/4] r3: running",
        "[4/4] r3: done in 1m30s | 0 of 3 runs to go",
    ]
