"""Where metrics go: CLU's default writer (TensorBoard + log) and `metrics.jsonl`.

Every write has a step, a split ("train", "validation", "test", "align", "best_test", ...)
and scalars. TensorBoard sees `<split>/<name>`; `<workdir>/metrics.jsonl` gets one JSON object
per write, `{"step": ..., "split": ..., "<name>": value, ...}`, so that runs can be read
without TensorBoard:

    import json
    rows = [json.loads(line) for line in open("runs/copy-online_full/metrics.jsonl")]

Only the chief process (process 0) writes files; the others just log (CLU `just_logging`).
"""

from __future__ import annotations

import json
import math
import os
from typing import Dict, Mapping

import numpy as np
from clu import metric_writers

JSONL = "metrics.jsonl"


def _plain(value):
    value = float(value)
    return value if math.isfinite(value) else str(value)  # JSON has no NaN / Infinity


class MetricsLogger:
    """Writes scalars (and histograms) to CLU's writer and to `metrics.jsonl`."""

    def __init__(self, workdir: str, *, is_chief: bool = True):
        self.is_chief = is_chief
        self.writer = metric_writers.create_default_writer(workdir, just_logging=not is_chief)
        self.path = os.path.join(workdir, JSONL) if is_chief else None

    def write(self, step: int, split: str, scalars: Mapping[str, float]) -> None:
        scalars = {k: float(v) for k, v in scalars.items()}
        self.writer.write_scalars(step, {f"{split}/{k}": v for k, v in scalars.items()})
        if self.path:
            row = {"step": int(step), "split": split}
            row.update({k: _plain(v) for k, v in scalars.items()})
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")

    def histograms(self, step: int, values: Dict[str, np.ndarray]) -> None:
        if values:
            self.writer.write_histograms(step, {k: np.asarray(v) for k, v in values.items()})

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def read_jsonl(workdir: str):
    """All rows of `<workdir>/metrics.jsonl` (for tests, notebooks and scripts)."""
    path = os.path.join(workdir, JSONL)
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
