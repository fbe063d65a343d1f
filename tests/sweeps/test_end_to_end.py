"""The sweep commands end to end: the copy task's "smoke" sweep, 2 tiny launcher runs.

`python -m lru_rtrl.sweeps` expands, runs and tabulates; running it again skips finished
runs; `--print_only` prints the launcher commands; `python -m lru_rtrl.sweeps.collect`
rebuilds the table elsewhere from the finished runs.
"""

import json
import os
import subprocess
import sys

import pytest

from lru_rtrl.sweeps import expand, runner
from repo_helpers import REPO, repo_path

# Sweep runs in subprocesses.
pytestmark = pytest.mark.slow



def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env["XLA_FLAGS"] = ""   # one CPU device is enough (and compiles fastest) for 4 steps
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _sweeps(*args, module="lru_rtrl.sweeps"):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=600, check=False)


def test_print_only(tmp_path):
    done = _sweeps("--config=configs/copy.py", "--sweep=smoke", f"--root={tmp_path}",
                   "--print_only")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines == [
        f"python launch/main.py --config=configs/copy.py:smoke --config.rule=online_full "
        f"--config.train.lr={lr} --config.seed=0 --workdir={tmp_path}/lr={lr},seed=0"
        for lr in ("0.001", "0.002")]
    assert os.path.isfile(tmp_path / "sweep.json")
    assert not os.path.exists(tmp_path / "lr=0.001,seed=0")  # nothing ran


def test_unknown_sweep_fails_with_names(tmp_path):
    done = _sweeps("--config=configs/copy.py", "--sweep=nope", f"--root={tmp_path}")
    assert done.returncode != 0
    assert "known: fig2_ab" in done.stderr


@pytest.mark.slow
def test_run_resume_and_collect(tmp_path):
    root, out = tmp_path / "runs", tmp_path / "out"
    done = _sweeps("--config=configs/copy.py", "--sweep=smoke", f"--root={root}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Runs: 2 done." in done.stdout
    for name in ("lr=0.001,seed=0", "lr=0.002,seed=0"):
        assert os.path.isfile(root / name / "summary.json")
        assert os.path.isfile(root / name / "launch.log")
    with open(root / "results.json") as handle:
        results = json.load(handle)
    assert results["status"]["done"] == 2
    (row,) = results["rows"]
    assert row["row"] == {"rule": "online_full"}
    scores = {c["configuration"]: c["score"] for c in row["candidates"]}
    assert row["selected"] == min(scores, key=scores.get)
    assert row["at_best"]["bit_accuracy"]["n"] == 1
    assert 0.0 <= row["at_best"]["bit_accuracy"]["mean"] <= 1.0
    for png in ("learning_curves.png", "alignment_cos.png"):
        assert os.path.getsize(root / png) > 0

    # The same sweep again: everything is finished, nothing is launched.
    _, config_path, runs = expand.read_manifest(str(root))
    outcomes = runner.run_all(runs, config_path, str(root), echo=lambda _: None)
    assert [o.status for o in outcomes] == ["skipped", "skipped"]

    collected = _sweeps(f"--root={root}", f"--out={out}", "--noplots",
                        module="lru_rtrl.sweeps.collect")
    assert collected.returncode == 0, collected.stderr
    with open(out / "results.json") as handle:
        assert json.load(handle)["rows"] == results["rows"]
    assert "| online_full |" in (out / "results.md").read_text()
    assert not os.path.exists(out / "learning_curves.png")


def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    # A launcher that cannot start: the runner writes FAILED and reports the run, no raise.
    run = expand.Run(name="bad,seed=0", arg="smoke", overrides=(("rule", "no_such_rule"),),
                     seed=0, row=(("rule", "no_such_rule"),), configuration="bad")
    outcome = runner.run_one(run, repo_path("configs", "copy.py"), str(tmp_path),
                             env=_env())
    assert outcome.status == "failed"
    assert os.path.isfile(tmp_path / "bad,seed=0" / "FAILED")
    assert "no_such_rule" in (tmp_path / "bad,seed=0" / "FAILED").read_text()
