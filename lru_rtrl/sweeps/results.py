"""One run's results, read from its workdir (`metrics.jsonl`, `summary.json`, `FAILED`).

  status        done (summary.json written) | failed (the runner left FAILED) |
                incomplete (metrics but no summary: running, interrupted) | missing
  best_step     the evaluation with the lowest `select_split` loss (the first of equals,
                as the launcher's early stopping counts it)
  select_value  that loss; the sweep's selection averages it over seeds
  at_best       `report_split` metrics at best_step (the paper's reported number)
  final         `report_split` metrics at the last evaluation
  curves        {"<split>/<metric>": [(step, value), ...]} for the plots: the curve metrics of
                the selection split, and per-layer / overall alignment to BPTT ("align")

A resumed run may log a step twice (the steps after its last checkpoint are redone); the
later row wins.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lru_rtrl import paths
from lru_rtrl.sweeps.expand import Run
from lru_rtrl.sweeps.runner import FAILED, SUMMARY

JSONL = "metrics.jsonl"

Curve = List[Tuple[int, float]]


@dataclasses.dataclass
class RunResult:
    run: Run
    status: str
    best_step: Optional[int] = None
    select_value: Optional[float] = None
    at_best: Dict[str, float] = dataclasses.field(default_factory=dict)
    final_step: Optional[int] = None
    final: Dict[str, float] = dataclasses.field(default_factory=dict)
    curves: Dict[str, Curve] = dataclasses.field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.run.name, "seed": self.run.seed, "status": self.status,
                "best_step": self.best_step, "select_value": _json_float(self.select_value),
                "at_best": {k: _json_float(v) for k, v in self.at_best.items()},
                "final_step": self.final_step,
                "final": {k: _json_float(v) for k, v in self.final.items()}}


def _json_float(value):
    if value is None:
        return None
    return value if math.isfinite(value) else str(value)


def _float(value) -> float:
    try:
        return float(value)  # the launcher writes NaN / Inf as strings
    except (TypeError, ValueError):
        return math.nan


def read_rows(workdir: str) -> List[Dict[str, Any]]:
    """The rows of `metrics.jsonl`, one per (split, step), the last write winning."""
    path = os.path.join(workdir, JSONL)
    if not os.path.isfile(path):
        return []
    latest: Dict[Tuple[str, int], Dict[str, Any]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a run that is still writing or was killed
            latest[(row["split"], int(row["step"]))] = row
    return sorted(latest.values(), key=lambda r: (int(r["step"]), r["split"]))


def _scalars(row: Dict[str, Any]) -> Dict[str, float]:
    return {k: _float(v) for k, v in row.items() if k not in ("step", "split")}


def status_of(workdir: str) -> str:
    if os.path.isfile(os.path.join(workdir, SUMMARY)):
        return "done"
    if os.path.isfile(os.path.join(workdir, FAILED)):
        return "failed"
    if os.path.isfile(os.path.join(workdir, JSONL)):
        return "incomplete"
    return "missing"


def read_run(run: Run, root: str, select_split: str = "validation",
             select_metric: str = "loss", report_split: str = "test",
             curve_metrics: Sequence[str] = ("loss", "accuracy")) -> RunResult:
    workdir = run.workdir(root)
    result = RunResult(run=run, status=status_of(workdir))
    rows = read_rows(workdir)
    by_split: Dict[str, List[Dict[str, Any]]] = {}
    for row in rows:
        by_split.setdefault(row["split"], []).append(row)

    selects = [r for r in by_split.get(select_split, [])
               if math.isfinite(_float(r.get(select_metric)))]
    reports = {int(r["step"]): r for r in by_split.get(report_split, [])}
    best_rows = by_split.get(f"best_{select_split}")
    if best_rows:  # Written by the launcher at the end of a run: authoritative.
        best = best_rows[-1]
        result.best_step = int(best["step"])
        result.select_value = _float(best.get(select_metric))
        report = (by_split.get(f"best_{report_split}") or [None])[-1] or reports.get(
            result.best_step)
        result.at_best = _scalars(report) if report else {}
    elif selects:
        best = min(selects, key=lambda r: _float(r[select_metric]))  # min keeps the first
        result.best_step = int(best["step"])
        result.select_value = _float(best[select_metric])
        report = reports.get(result.best_step)
        result.at_best = _scalars(report) if report else {}
    if reports:
        result.final_step = max(reports)
        result.final = _scalars(reports[result.final_step])

    for metric in curve_metrics:
        result.curves[f"{select_split}/{metric}"] = [
            (int(r["step"]), _float(r[metric])) for r in by_split.get(select_split, [])
            if metric in r]
    for row in by_split.get("align", []):
        for key, value in row.items():
            if paths.alignment_group(key):
                result.curves.setdefault(f"align/{key}", []).append(
                    (int(row["step"]), _float(value)))
    return result
