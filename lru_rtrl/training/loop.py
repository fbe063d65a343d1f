"""The training loop: steps, logging, evaluation, checkpoints, early stopping, divergence.

`plan_run` turns the config into step counts; `Trainer.run` trains from `state.step` to
`plan.num_steps`:

  every step            the pmapped train step on the next batch (data order fixed by
                        (config.seed, epoch) and the position in the epoch)
  grad_alignment_every  before that step's update: the alignment of the rule's gradient with
                        BPTT's on the same batch and dropout masks (split "align")
  log_every_steps       train metrics averaged since the last log, one progress line on the
                        console (step, epoch, loss, accuracy, steps/s, ETA, and the latest
                        per-layer cosine to BPTT), and a check that every update so far was
                        finite
  eval_every_steps      evaluation of config.train.eval_splits; a better validation loss saves
                        the best checkpoint; `patience` evaluations without one stop the run
  checkpoint_every      a periodic checkpoint (only of a state whose updates were all finite)

A non-finite loss or gradient raises `TrainingDiverged` at the next check; no checkpoint is
written after the divergence, so the last one on disk is the last good state.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Any, Dict, Iterator, List, Optional

import jax
import ml_collections
import numpy as np

from lru_rtrl.data.base import Task
from lru_rtrl.errors import ConfigError, UserError
from lru_rtrl import paths
from lru_rtrl.model import losses
from lru_rtrl.progress import duration
from lru_rtrl.training import checkpoints as ckpt_lib
from lru_rtrl.training import devices
from lru_rtrl.training import metrics as metrics_lib
from lru_rtrl.training.writers import MetricsLogger


class TrainingDiverged(UserError, RuntimeError):
    """A loss or gradient became NaN / Inf; the message says where the last good state is."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """Step counts of a run (steps = batches; updates = optimizer updates)."""
    steps_per_epoch: int
    num_steps: int
    eval_every: int
    checkpoint_every: int        # 0: at every evaluation
    updates_per_step: int        # 1, or the in-stream updates of one batch
    warmup_updates: int

    @property
    def total_updates(self) -> int:
        return self.num_steps * self.updates_per_step


def in_stream_updates(task: Task, config: ml_collections.ConfigDict) -> int:
    """Optimizer updates per batch with streaming.update_every = K: the windows of K steps that
    carry loss weight, counted on the first training batch (the schedule's length is derived
    from it; tasks whose loss layout varies between batches get an approximate length)."""
    batches = task.batches("train", config.train.batch_size, seed=config.seed, epoch=0)
    try:
        batch = next(iter(batches))
    finally:
        if hasattr(batches, "close"):
            batches.close()  # stops the prefetch thread
    weights = np.asarray(losses.step_weights(batch, task.spec, config.model.pooling))
    per_step = weights.sum(axis=0)
    every = config.streaming.update_every
    windows = [per_step[i:i + every].sum() > 0 for i in range(0, len(per_step), every)]
    return max(1, int(sum(windows)))


def plan_run(config: ml_collections.ConfigDict, task: Task) -> Plan:
    train = config.train
    num_train = task.num_examples("train")
    steps_per_epoch = num_train // train.batch_size
    if steps_per_epoch < 1:
        raise ConfigError(f"config.train.batch_size={train.batch_size} is larger than the "
                         f"training split ({num_train} examples).")
    num_steps = train.num_steps if train.num_steps > 0 else int(
        math.ceil(train.num_epochs * steps_per_epoch))
    eval_every = train.eval_every_steps if train.eval_every_steps > 0 else steps_per_epoch
    checkpoint_every = max(train.checkpoint_every_steps, 0)
    per_step = (in_stream_updates(task, config) if config.streaming.update_every > 0 else 1)
    warmup = int(round(train.warmup_epochs * steps_per_epoch * per_step))
    return Plan(steps_per_epoch=steps_per_epoch, num_steps=num_steps,
                eval_every=min(eval_every, num_steps), checkpoint_every=checkpoint_every,
                updates_per_step=per_step, warmup_updates=warmup)


def train_batches(task: Task, config: ml_collections.ConfigDict, topo: devices.Topology,
                  start_step: int, steps_per_epoch: int) -> Iterator[Dict[str, np.ndarray]]:
    """This host's share of every training batch from `start_step` on, across epochs."""
    step = start_step
    while True:
        epoch, offset = divmod(step, steps_per_epoch)
        for batch in task.batches("train", config.train.batch_size, seed=config.seed,
                                  epoch=epoch, shuffle=True, drop_remainder=True,
                                  start_batch=offset, shard_index=topo.process_index,
                                  num_shards=topo.process_count):
            yield batch
            step += 1


def evaluate(p_eval, params, task: Task, split: str, config: ml_collections.ConfigDict,
             topo: devices.Topology) -> Dict[str, float]:
    """Metrics of `split` (every example once; the last batch padded with weight-0 rows)."""
    batch_size = config.train.eval_batch_size
    if batch_size <= 0:
        batch_size = config.train.batch_size
    outputs = [p_eval(params, devices.shard_batch(batch, topo.local_devices))
               for batch in task.batches(split, batch_size, seed=config.seed, epoch=0,
                                         shuffle=False, drop_remainder=False,
                                         shard_index=topo.process_index,
                                         num_shards=topo.process_count)]
    totals: Dict[str, float] = {}
    for sums in devices.unreplicate(outputs):
        metrics_lib.add_sums(totals, sums)
    return metrics_lib.summarize(totals, task.spec)


@dataclasses.dataclass
class Progress:
    """Loop state saved with every checkpoint (early stopping, best validation)."""
    best_loss: float = math.inf
    best_step: int = -1
    evals_since_best: int = 0
    stopped_early: bool = False
    best_metrics: Dict[str, Dict[str, float]] = dataclasses.field(default_factory=dict)

    def to_json(self) -> Dict[str, Any]:
        out = dataclasses.asdict(self)
        out["best_loss"] = None if math.isinf(self.best_loss) else self.best_loss
        return out

    @classmethod
    def from_json(cls, data: Optional[Dict[str, Any]]) -> "Progress":
        if not data:
            return cls()
        data = dict(data)
        if data.get("best_loss") is None:
            data["best_loss"] = math.inf
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@dataclasses.dataclass
class Trainer:
    """Runs the loop of the module docstring; see launch/main.py for how it is assembled."""
    config: ml_collections.ConfigDict
    task: Task
    model: Any
    topo: devices.Topology
    plan: Plan
    p_train: Any                  # pmapped steps.train_step
    p_eval: Any                   # pmapped steps.eval_step
    p_align: Any                  # pmapped steps.alignment_step
    rng: jax.Array                # the training key (dropout); steps fold in their index
    checkpointer: ckpt_lib.Checkpointer
    logger: MetricsLogger
    schedules: Dict[str, Any]
    progress: Progress = dataclasses.field(default_factory=Progress)
    last_checkpoint: Optional[str] = None
    last_results: Optional[Dict[str, Dict[str, float]]] = None  # of the latest evaluation
    last_alignment: Optional[Dict[str, float]] = None  # since the last progress line

    # --- pieces ----------------------------------------------------------------------------
    def meta(self) -> Dict[str, Any]:
        return {"progress": self.progress.to_json(), "num_steps": self.plan.num_steps,
                "config": ckpt_lib.config_json(self.config)}

    def host_state(self, state):
        return devices.unreplicate(state)

    def check_finite(self, state, step: int) -> None:
        bad = int(devices.unreplicate(state.bad_step))
        if bad >= 0:
            where = (f"The last good checkpoint is {self.last_checkpoint}; a new run with the same "
                     "--workdir resumes from it." if self.last_checkpoint else
                     "No checkpoint was written before it.")
            raise TrainingDiverged(
                f"Training stopped: the loss or the gradient became NaN/Inf at step {bad} (checked "
                f"at step {step}); no update was applied from then on. {where} Try a lower "
                f"config.train.lr (now {self.config.train.lr}), config.train.clip_norm > 0, or "
                "check the data for NaN / Inf.")

    def save(self, kind: str, state) -> str:
        host = self.host_state(state)
        path = self.checkpointer.save(kind, host, self.meta())
        if kind == ckpt_lib.LATEST:
            self.last_checkpoint = path
        return path

    def log_train(self, step: int, pending: List[Dict[str, Any]], rate: float) -> None:
        rows = devices.unreplicate(pending)
        totals: Dict[str, float] = {}
        for row in rows:
            metrics_lib.add_sums(totals, {k: row[k] for k in ("loss_sum", "weight", "correct")})
        scalars = metrics_lib.summarize(totals, self.task.spec)
        if "grad_norm" in rows[0]:
            scalars["grad_norm"] = float(np.mean([r["grad_norm"] for r in rows]))
            scalars["update_norm"] = float(np.mean([r["update_norm"] for r in rows]))
        count = max(step * self.plan.updates_per_step - 1, 0)
        scalars["lr"] = float(self.schedules["lr"](count))
        scalars["rec_lr"] = float(self.schedules["rec_lr"](count))
        scalars["updates"] = float(sum(int(r["updates"]) for r in rows))
        scalars["steps_per_sec"] = rate
        self.logger.write(step, "train", scalars)
        remaining = (self.plan.num_steps - step) / max(rate, 1e-9)
        line = (f"step {step}/{self.plan.num_steps} (epoch "
                f"{step / self.plan.steps_per_epoch:.2f}) | loss {scalars['loss']:.4f} acc "
                f"{scalars['accuracy']:.4f} | {rate:.1f} steps/s | ETA {duration(remaining)}")
        if self.last_alignment:
            line += f" | {alignment_summary(self.last_alignment)}"
            self.last_alignment = None
        logging.info("%s", line)

    def evaluate_all(self, state, step: int) -> Dict[str, Dict[str, float]]:
        results = {}
        for split in self.config.train.eval_splits:
            results[split] = evaluate(self.p_eval, state.params, self.task, split, self.config,
                                      self.topo)
            self.logger.write(step, split, results[split])
        self.last_results = results
        scalars, histograms = metrics_lib.recurrence_stats(
            self.model, self.host_state(state.params))
        if scalars:
            self.logger.write(step, "params", scalars)
            self.logger.histograms(step, histograms)
        logging.info("step %d | %s", step, " | ".join(
            f"{split} loss {m['loss']:.4f} acc {m['accuracy']:.4f}"
            for split, m in results.items()))
        return results

    def early_stopping(self, state, step: int, results) -> None:
        """Updates the best checkpoint and the patience counter from this evaluation."""
        if not results:
            return
        split = "validation" if "validation" in results else next(iter(results))
        loss = results[split]["loss"]
        if loss < self.progress.best_loss:
            self.progress.best_loss, self.progress.best_step = loss, step
            self.progress.evals_since_best = 0
            self.progress.best_metrics = results
            self.save(ckpt_lib.BEST, state)
        else:
            self.progress.evals_since_best += 1
            patience = self.config.train.patience
            if patience > 0 and self.progress.evals_since_best >= patience:
                self.progress.stopped_early = True
                logging.info("Early stopping at step %d: %s loss has not improved for %d "
                             "evaluations (best %.4f at step %d).", step, split, patience,
                             self.progress.best_loss, self.progress.best_step)

    # --- the loop --------------------------------------------------------------------------
    def run(self, state):
        """Trains from the (replicated) `state` to plan.num_steps; returns the final state."""
        start = int(devices.unreplicate(state.step))
        plan, train = self.plan, self.config.train
        if self.progress.stopped_early:
            logging.info("This run stopped early at step %d (best step %d); nothing to do.",
                         start, self.progress.best_step)
            return state
        if start >= plan.num_steps:
            logging.info("Already trained for %d steps (config.train.num_steps=%d).", start,
                         plan.num_steps)
            return state
        batches = train_batches(self.task, self.config, self.topo, start, plan.steps_per_epoch)
        pending: List[Dict[str, Any]] = []
        window_start, window_steps = time.time(), 0
        try:
            for step in range(start, plan.num_steps):
                batch = devices.shard_batch(next(batches), self.topo.local_devices)
                if train.grad_alignment_every and step % train.grad_alignment_every == 0:
                    aligned = devices.unreplicate(self.p_align(state, batch, self.rng))
                    self.logger.write(step, "align", aligned)
                    self.last_alignment = {k: float(v) for k, v in aligned.items()}
                state, step_metrics = self.p_train(state, batch, self.rng)
                pending.append(step_metrics)
                done = step + 1
                window_steps += 1
                last = done == plan.num_steps
                if done % train.log_every_steps == 0 or last:
                    rate = window_steps / max(time.time() - window_start, 1e-9)
                    self.log_train(done, pending, rate)
                    pending, window_start, window_steps = [], time.time(), 0
                    self.check_finite(state, done)
                if done % plan.eval_every == 0 or last:
                    self.check_finite(state, done)
                    results = self.evaluate_all(state, done)
                    self.early_stopping(state, done, results)
                    if plan.checkpoint_every == 0 or self.progress.stopped_early:
                        self.save(ckpt_lib.LATEST, state)
                if plan.checkpoint_every and done % plan.checkpoint_every == 0:
                    self.check_finite(state, done)
                    self.save(ckpt_lib.LATEST, state)
                if self.progress.stopped_early:
                    break
        finally:
            batches.close()
            self.logger.flush()
        self.check_finite(state, int(devices.unreplicate(state.step)))
        return state


def alignment_summary(aligned: Dict[str, float]) -> str:
    """'cos to bptt by layer 0.94 0.97 ...' from the alignment scalars (per layer only; the
    per-parameter values are in metrics.jsonl and TensorBoard)."""
    layers = [(layer, aligned[key]) for layer, key in paths.layer_groups_in(aligned, "cos")]
    if not layers:
        return f"cos to bptt {aligned.get('all/cos', float('nan')):.2f}"
    return "cos to bptt by layer " + " ".join(f"{v:.2f}" for _, v in layers)
