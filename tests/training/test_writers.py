"""metrics.jsonl after a resume: no step written twice."""

import json
import os

from lru_rtrl.training.writers import JSONL, MetricsLogger, read_jsonl


def _write_rows(workdir, rows, tail=""):
    with open(os.path.join(workdir, JSONL), "w", encoding="utf-8") as handle:
        for step, split in rows:
            handle.write(json.dumps({"step": step, "split": split, "loss": 1.0}) + "\n")
        handle.write(tail)


def test_resuming_from_step_s_drops_what_comes_after_s(tmp_path):
    workdir = str(tmp_path)
    # The interrupted run: checkpoint at step 4, then alignment at 4, train/eval up to 6 and a
    # line cut in half by the kill.
    _write_rows(workdir, [(2, "train"), (2, "align"), (4, "train"), (4, "validation"),
                          (4, "align"), (6, "train"), (6, "validation"), (6, "best_test")],
                tail='{"step": 7, "spl')
    logger = MetricsLogger(workdir)
    try:
        assert logger.truncate_after(4) == 5
        assert [(r["step"], r["split"]) for r in read_jsonl(workdir)] == [
            (2, "train"), (2, "align"), (4, "train"), (4, "validation")]
        assert logger.truncate_after(4) == 0  # nothing more to drop
    finally:
        logger.close()


def test_a_fresh_run_with_no_file_drops_nothing(tmp_path):
    logger = MetricsLogger(str(tmp_path))
    try:
        assert logger.truncate_after(0) == 0
    finally:
        logger.close()
