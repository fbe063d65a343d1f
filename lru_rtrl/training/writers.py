"""Where metrics go: TensorBoard (a CLU summary writer) and `metrics.jsonl`, not the console.

Every write has a step, a split ("train", "validation", "test", "align", "best_test", ...)
and scalars. TensorBoard sees `<split>/<name>`; `<workdir>/metrics.jsonl` gets one JSON object
per write, `{"step": ..., "split": ..., "<name>": value, ...}`, so that runs can be read
without TensorBoard:

    import json
    rows = [json.loads(line) for line in open("runs/copy-online_full/metrics.jsonl")]

The console gets a short progress line per log point from the training loop instead (CLU's
logging writer would print every scalar). Only the chief process (process 0) writes files.

A run resumed from the checkpoint of step S repeats what came after S, so `truncate_after(S)`
first drops the rows the interrupted run wrote after that checkpoint: readers of the file never
see a step twice.
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
        writers = [metric_writers.SummaryWriter(workdir)] if is_chief else []
        self.writer = metric_writers.AsyncMultiWriter(writers)
        self.path = os.path.join(workdir, JSONL) if is_chief else None

    def truncate_after(self, step: int) -> int:
        """Drops the rows a resumed run will write again; returns how many were dropped.

        The checkpoint of step S holds the state after S training steps and the evaluation at
        S; everything logged later — rows of steps > S, the alignment row of step S (measured
        before training step S + 1) and the `best_*` summary rows written at the end of a
        run — is written again by the resumed run.
        """
        if not self.path or not os.path.isfile(self.path):
            return 0
        with open(self.path, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
        kept = []
        for line in lines:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short when the interrupted run was killed
            if row["split"].startswith("best_"):
                continue
            if row["step"] < step or (row["step"] == step and row["split"] != "align"):
                kept.append(line)
        if len(kept) != len(lines):
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.writelines(kept)
            os.replace(tmp, self.path)
        return len(lines) - len(kept)

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
