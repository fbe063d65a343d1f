"""launch/stream.py end to end, through the sweep runner (configs/recall_stream.py's smoke
sweep: online_full and tbptt, 40 stream steps each, in subprocesses)."""

import json
import os
import subprocess
import sys

import pytest

from lru_rtrl.training.writers import read_jsonl
from repo_helpers import REPO

pytestmark = pytest.mark.slow


def test_stream_sweep_runs_the_stream_launcher(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               XLA_FLAGS="", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, "-m", "lru_rtrl.sweeps", "--config=configs/recall_stream.py",
         "--sweep=smoke", f"--root={tmp_path}", f"--out={tmp_path / 'out'}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for name in ("rule=online_full,seed=0", "rule=tbptt,window=4,seed=0"):
        workdir = tmp_path / name
        with open(workdir / "summary.json") as handle:
            summary = json.load(handle)
        assert summary["step"] == 40 and summary["memory"]["carried"] > 0
        rows = read_jsonl(str(workdir))
        assert [r["step"] for r in rows if r["split"] == "stream"] == [20, 40]
        test = [r for r in rows if r["split"] == "test"][-1]
        assert 0.0 <= test["accuracy"] <= 1.0 and test["carried_bytes"] > 0
    assert "tbptt" in (tmp_path / "out" / "results.md").read_text()


def _fake_run(root, name, rule, delay, seed, accuracy, carried, window=32):
    workdir = root / name
    workdir.mkdir(parents=True)
    config = {"rule": rule, "tbptt": {"window": window}, "seed": seed,
              "data": {"delay": delay, "num_symbols": 8}}
    (workdir / "config.json").write_text(json.dumps(config))
    summary = {"final": {"test": {"accuracy": accuracy}}, "memory": {"carried": carried}}
    (workdir / "summary.json").write_text(json.dumps(summary))


def test_stream_report_puts_several_sweeps_in_one_table_with_mean_and_std(tmp_path):
    for seed, accuracy in ((0, 0.9), (1, 0.7), (2, 0.8)):
        _fake_run(tmp_path / "a", f"full{seed}", "online_full", 4, seed, accuracy, 1000)
    _fake_run(tmp_path / "b", "tb", "tbptt", 4, 0, 0.5, 200, window=1683)
    done = subprocess.run(
        [sys.executable, "launch/stream_report.py", f"--root={tmp_path / 'a'}",
         f"--root={tmp_path / 'b'}", f"--out={tmp_path / 'out'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    text = (tmp_path / "out" / "delays.md").read_text()
    assert "| online_full | 1,000 | 0.800 ± 0.100 |" in text
    assert "| tbptt K=1683 | 200 | 0.500 |" in text
    assert (tmp_path / "out" / "delays.png").exists()
