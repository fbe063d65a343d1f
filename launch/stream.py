"""Learns on an endless stream, prequentially: `python launch/stream.py
--config=configs/recall_stream.py[:arg] --workdir=DIR [--config.a.b=value ...]`.

An `OnlineLearner` (lru_rtrl.learner) reads config.train.batch_size independent streams of
the config's task (a task with a `stream(batch_size, seed)` method, e.g. recall_stream) for
config.train.num_steps steps, in chunks of config.data.chunk_len steps (one jitted scan
each). Every prediction is made before the learner sees its target, so the accuracy on the
stream is a test accuracy (prequential evaluation).

Metrics (CLU writer + metrics.jsonl, like launch/main.py):
  split "stream", every config.train.eval_every_steps steps: accuracy and loss over that
      trailing window, updates so far, steps per second
  split "validation" and "test" at the last step: loss / accuracy over the last
      --final_fraction of the stream (what sweeps select by and report), plus the bytes
      the learner carries between steps (carried_bytes = network state + traces or window)
summary.json at the end (the sweep runner's sign that the run finished). A run is short and
restarts from scratch: there is no checkpoint here (see lru_rtrl.learner.saving).
"""

from __future__ import annotations

import json
import os
import sys
import time

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from absl import app, flags, logging  # noqa: E402

from lru_rtrl import cli  # noqa: E402
from lru_rtrl.errors import ConfigError  # noqa: E402

DEFAULT_CONFIG = os.path.join(_REPO, "configs", "recall_stream.py")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory (default "
                               "./runs/<task>-<rule>-stream).")
_FINAL_FRACTION = flags.DEFINE_float("final_fraction", 0.25, "The last part of the stream "
                                     "whose accuracy is the run's result.")


def run(config, workdir: str, final_fraction: float = 0.25):
    """Learns config's stream in `workdir`; returns the summary dict."""
    from lru_rtrl.config import validate
    data_checked = validate.check_config(config)
    if not 0 < final_fraction <= 1:
        raise ConfigError(f"--final_fraction must be in (0, 1], got {final_fraction}.")
    import jax
    import numpy as np

    from lru_rtrl import experiment, plugins
    from lru_rtrl.learner import OnlineLearner
    from lru_rtrl.training.loop import TrainingDiverged
    from lru_rtrl.training.writers import MetricsLogger

    # ============================ config and plugins ============================
    plugins.load_plugins(config.plugins)
    validate.check_names(config, data_checked=data_checked)
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "config.json"), "w", encoding="utf-8") as handle:
        json.dump(config.to_dict(), handle, indent=2, sort_keys=True, default=str)

    # ================================== data ===================================
    task = experiment.task_of(config)
    if not hasattr(task, "stream"):
        raise ConfigError(f"Task {config.data.task!r} has no endless stream (a `stream` "
                          "method); launch/stream.py runs stream tasks such as recall_stream.")
    batch_size, total = int(config.train.batch_size), int(config.train.num_steps)
    chunk = int(config.data.chunk_len)
    if total < chunk or total % chunk:
        raise ConfigError(f"config.train.num_steps ({total}) must be a multiple of "
                          f"config.data.chunk_len ({chunk}).")
    window = max(int(config.train.eval_every_steps), chunk)
    chunks = task.stream(batch_size, seed=int(config.seed))

    # ================================= learner =================================
    learner = OnlineLearner.from_config(config, task.spec)
    state = learner.init(jax.random.PRNGKey(int(config.seed)), batch_size)
    memory = learner.memory_bytes(state)
    logging.info("%s; memory %s", learner.describe, memory)

    # ================================== loop ===================================
    logger = MetricsLogger(workdir)
    final_start = total - int(round(final_fraction * total))
    sums = {"window": np.zeros(3), "final": np.zeros(3)}   # weight, correct, loss_sum
    updates, started, step = 0, time.time(), 0
    try:
        while step < total:
            data = next(chunks)
            weights = data["loss_mask"] * data["mask"]
            _, state, info = learner.steps(state, data["inputs"], data["targets"], weights)
            per_step = np.stack([np.asarray(info[k]) for k in ("weight", "correct",
                                                               "loss_sum")], axis=1)
            updates += int(np.sum(np.asarray(info["updated"])))
            if not np.all(np.isfinite(per_step)):
                raise TrainingDiverged(f"The loss is not finite near step {step}.")
            positions = step + np.arange(chunk)
            sums["window"] += per_step.sum(0)
            sums["final"] += per_step[positions >= final_start].sum(0)
            step += chunk
            if step % window == 0 or step == total:
                w, c, l = sums["window"]
                logger.write(step, "stream", {
                    "accuracy": c / max(w, 1e-12), "loss": l / max(w, 1e-12),
                    "updates": updates, "steps_per_second": step / (time.time() - started)})
                sums["window"][:] = 0
        w, c, l = sums["final"]
        final = {"accuracy": c / max(w, 1e-12), "loss": l / max(w, 1e-12),
                 "carried_bytes": memory["carried"], "params_bytes": memory["params"],
                 "seconds": time.time() - started}
        for split in ("validation", "test"):
            logger.write(step, split, final)
    finally:
        logger.close()
    summary = {"step": step, "final": {"test": final}, "memory": memory, "updates": updates}
    with open(os.path.join(workdir, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
    logging.info("Done after %d steps: %s", step, json.dumps(final))
    return summary


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    logging.set_verbosity(logging.INFO)
    config = cli.config()
    workdir = _WORKDIR.value or os.path.join(
        "runs", f"{config.data.task}-{config.rule}-stream")
    cli.run_or_exit(lambda: run(config, workdir, _FINAL_FRACTION.value))


if __name__ == "__main__":
    app.run(main, flags_parser=cli.flags_parser(DEFAULT_CONFIG))
