"""Fixtures of the sweep tests: fake runs (metrics.jsonl, summary.json written by hand).

Helpers are fixtures, not an importable module, so that the tests also run under Bazel
(whose py_test targets carry conftest.py files but no other support modules).
"""

import json
import os

import pytest

from lru_rtrl.sweeps.expand import Run
from repo_helpers import repo_path

COPY = repo_path("configs", "copy.py")


def make_run(name, row=(("rule", "bptt"),), overrides=(("train.lr", 0.001),), seed=0,
             arg=None, configuration=None):
    return Run(name=name, arg=arg, overrides=tuple(overrides), seed=seed, row=tuple(row),
               configuration=configuration or name.rsplit(",seed=", 1)[0])


def write_run(root, run, val_losses, test_acc, done=True, failed=False, align=None,
              best_rows=False, extra_rows=()):
    """Evaluations at steps 10, 20, ...: validation loss `val_losses[i]`, test accuracy
    `test_acc[i]` (and test loss 2x the validation loss)."""
    workdir = run.workdir(root)
    os.makedirs(workdir, exist_ok=True)
    rows = []
    for i, (loss, acc) in enumerate(zip(val_losses, test_acc)):
        step = 10 * (i + 1)
        rows.append({"step": step, "split": "validation", "loss": loss, "accuracy": acc})
        rows.append({"step": step, "split": "test", "loss": 2 * loss, "accuracy": acc})
    for step, values in (align or {}).items():
        rows.append(dict({"step": step, "split": "align"}, **values))
    rows.extend(extra_rows)
    if best_rows:
        best = min(range(len(val_losses)), key=lambda i: val_losses[i])
        rows.append({"step": 10 * (best + 1), "split": "best_validation",
                     "loss": val_losses[best], "accuracy": test_acc[best]})
        rows.append({"step": 10 * (best + 1), "split": "best_test",
                     "loss": 2 * val_losses[best], "accuracy": test_acc[best]})
    with open(os.path.join(workdir, "metrics.jsonl"), "w") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    if done:
        with open(os.path.join(workdir, "summary.json"), "w") as handle:
            json.dump({"step": 10 * len(val_losses)}, handle)
    if failed:
        with open(os.path.join(workdir, "FAILED"), "w") as handle:
            handle.write("exit status 1\n")
    return workdir


@pytest.fixture(name="make_run")
def _make_run_fixture():
    return make_run


@pytest.fixture(name="write_run")
def _write_run_fixture():
    return write_run
