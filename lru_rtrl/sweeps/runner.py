"""Runs the launcher for each run of a sweep, one after the other, in subprocesses.

A run whose `<workdir>/summary.json` exists is finished and skipped, so an interrupted sweep
resumes where it stopped (the launcher itself resumes a half-finished run from its last
checkpoint). Each run's output goes to `<workdir>/launch.log`; a run that fails (divergence,
bad config) leaves `<workdir>/FAILED` with its exit status and the end of its log, and the
sweep moves on to the next run.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence

from lru_rtrl.progress import duration
from lru_rtrl.sweeps.expand import LAUNCHER, Run

SUMMARY = "summary.json"
FAILED = "FAILED"
LOG = "launch.log"


@dataclasses.dataclass
class Outcome:
    """What happened to one run in this invocation."""
    run: Run
    status: str              # done | skipped | failed
    seconds: float = 0.0
    message: str = ""


def launcher_path(launcher: str = LAUNCHER) -> str:
    """`launcher` (launch/main.py, or the sweep's own) of this checkout, so the runner works
    from any directory; else the relative path the printed commands use."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(repo, launcher)
    return path if os.path.isfile(path) else launcher


def is_finished(run: Run, root: str) -> bool:
    return os.path.isfile(os.path.join(run.workdir(root), SUMMARY))


def _tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def run_one(run: Run, config_path: str, root: str, python: str = sys.executable,
            env: Optional[dict] = None) -> Outcome:
    """Launches `run` and waits for it; the outcome says done or failed (never raises)."""
    workdir = run.workdir(root)
    os.makedirs(workdir, exist_ok=True)
    failed = os.path.join(workdir, FAILED)
    if os.path.exists(failed):
        os.remove(failed)  # A new attempt; the launcher resumes from the last checkpoint.
    log = os.path.join(workdir, LOG)
    start = time.time()
    with open(log, "a", encoding="utf-8") as handle:
        argv = run.argv(config_path, root, python, launcher=launcher_path(run.launcher))
        handle.write(f"# {' '.join(argv)}\n")
        handle.flush()
        code = subprocess.call(argv, stdout=handle,
                               stderr=subprocess.STDOUT, env=env)
    seconds = time.time() - start
    if code == 0 and is_finished(run, root):
        return Outcome(run, "done", seconds)
    tail = _tail(log)
    with open(failed, "w", encoding="utf-8") as handle:
        handle.write(f"exit status {code}\n{tail}")
    last = [line for line in tail.splitlines() if line.strip()]
    return Outcome(run, "failed", seconds,
                   f"exit status {code}: {last[-1] if last else 'no output'} (log: {log})")


def run_all(runs: Sequence[Run], config_path: str, root: str, max_runs: int = 0,
            python: str = sys.executable, env: Optional[dict] = None,
            echo: Callable[[str], None] = print) -> List[Outcome]:
    """Runs every unfinished run in order (at most `max_runs` launches if > 0)."""
    outcomes: List[Outcome] = []
    launched = 0
    to_run = sum(not is_finished(run, root) for run in runs)
    if max_runs:
        to_run = min(to_run, max_runs)
    seconds_spent = 0.0
    for index, run in enumerate(runs, 1):
        prefix = f"[{index}/{len(runs)}] {run.name}"
        if is_finished(run, root):
            outcomes.append(Outcome(run, "skipped"))
            echo(f"{prefix}: finished before, skipped")
            continue
        if max_runs and launched >= max_runs:
            echo(f"Stopping after {launched} launched runs (--max_runs); run the same command "
                 "again to continue.")
            break
        echo(f"{prefix}: running")
        outcome = run_one(run, config_path, root, python=python, env=env)
        launched += 1
        outcomes.append(outcome)
        seconds_spent += outcome.seconds
        # The ETA assumes the runs still to go take as long as the ones launched so far.
        left = to_run - launched
        pace = (f" | {left} of {to_run} runs to go"
                + (f", ETA {duration(seconds_spent / launched * left)}" if left else ""))
        if outcome.status == "done":
            echo(f"{prefix}: done in {duration(outcome.seconds)}{pace}")
        else:
            echo(f"{prefix}: FAILED after {duration(outcome.seconds)}, {outcome.message}{pace}")
    return outcomes
