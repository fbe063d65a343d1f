"""Trains a model: `python launch/main.py --config=configs/<task>.py[:arg] --workdir=DIR`.

    python launch/main.py                                   # the copy task, quick setting
    python launch/main.py --config=configs/copy.py:paper --config.rule=bptt
    python launch/main.py --config=configs/digits.py --config.train.lr=1e-3 --workdir=/tmp/d

Flags:
  --config            an ml_collections config file and its argument (default: the offline
                      copy task, configs/copy.py); override any field with --config.a.b=value.
                      Unknown keys and invalid values stop the run with a message naming them.
  --workdir           where checkpoints, TensorBoard events and metrics.jsonl go (default
                      ./runs/<task>-<rule>). Running again with the same workdir resumes from
                      its last good checkpoint and continues exactly as an uninterrupted run.
  --distributed, --coordinator_address, --num_processes, --process_id
                      multi-host training with jax.distributed (the environment variables
                      JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID work too);
                      each host reads its own shard of every batch.

The console shows a few set-up lines, one progress line per log point and one line per
evaluation; every metric goes to TensorBoard and metrics.jsonl. A mistake (a bad config file,
variant, key or value, a missing dataset, an unusable workdir, a broken plugin) stops the run
with one line saying what to do and a non-zero exit code (`--verbosity=1` also prints the
traceback); a run that fails before training leaves no workdir behind. Those mistakes are
lru_rtrl.errors.UserError; any other exception is a bug and keeps its traceback.

The script reads top to bottom: config → plugins → model → devices → data → restore → loop
→ final checkpoint, every part built by lru_rtrl.experiment (the config file is executed
once, by lru_rtrl.cli, and validated once). `run(config, workdir)` is the whole of it, for
tests and notebooks.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, Optional

# Runnable from a checkout without installing the package.
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from absl import app, flags, logging  # noqa: E402

from lru_rtrl import cli  # noqa: E402  (light: absl, ml_collections, the config loader)
from lru_rtrl.errors import UserError  # noqa: E402

DEFAULT_CONFIG = os.path.join(_REPO, "configs", "copy.py")

_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Output directory; default ./runs/<task>-<rule>. An existing one is "
    "resumed from its last good checkpoint.")
_DISTRIBUTED = flags.DEFINE_bool(
    "distributed", False, "Initialise jax.distributed with cluster auto-detection.")
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None, "jax.distributed coordinator HOST:PORT (multi-host runs).")
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "jax.distributed process count.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "jax.distributed index of this process.")


def default_workdir(config) -> str:
    return os.path.join("runs", f"{config.data.task}-{config.rule}")


class WorkdirError(UserError, RuntimeError):
    """A --workdir that cannot hold a run."""


def check_workdir(workdir: str) -> bool:
    """Raises WorkdirError unless `workdir` is, or can be made, a writable directory.

    Returns whether it exists already (a run to resume). Nothing is created here: the launcher
    creates the workdir only once the model is built, so a run that fails before training
    leaves nothing behind.
    """
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise WorkdirError(f"--workdir={workdir} is a file, not a directory: give a directory "
                           "(a new one starts a run, an existing one resumes it).")
    existing = workdir
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise WorkdirError(f"--workdir={workdir} cannot be created: {existing} is a file.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WorkdirError(
            f"--workdir={workdir} cannot be written: {existing} is not writable (a read-only "
            "file system, or no permission). Choose a --workdir you can write to.")
    return os.path.isdir(workdir)


def run(config, workdir: Optional[str] = None) -> Dict[str, Any]:
    """Trains `config` in `workdir`; returns {"final": {split: metrics}, "best": ...}."""
    # ================================= config ==================================
    from lru_rtrl.config import validate  # light: bad keys and values fail before JAX starts
    data_checked = validate.check_config(config)

    from lru_rtrl.training import console
    console.quiet_tensorflow_import()
    import jax  # Imported here so that jax.distributed can be initialised before it starts.
    import numpy as np

    from lru_rtrl import experiment, plugins
    from lru_rtrl.model import count_params
    from lru_rtrl.training import checkpoints, devices, loop, optim, steps
    from lru_rtrl.training.writers import MetricsLogger

    workdir = os.path.abspath(workdir or default_workdir(config))
    resuming = check_workdir(workdir)

    # ============================= plugins and model ============================
    # Before any look-up: a plugin may register the core, rule, engine or task named. The
    # model is built before the devices start or any data is read: a combination that
    # cannot work stops the run here (lru_rtrl.compat).
    plugins.load_plugins(config.plugins)
    validate.check_names(config, data_checked=data_checked)
    train = config.train
    micro = train.grad_accum_steps
    task = experiment.task_of(config)
    spec = task.spec
    model = experiment.model_of(config, spec, batch_size=train.batch_size // micro)

    # ================================= devices =================================
    topo = devices.topology()
    logging.info("Devices: %s", topo.describe())
    devices.check_divisible(train.batch_size, topo, micro_batches=micro)
    devices.check_divisible(train.eval_batch_size if train.eval_batch_size > 0
                            else train.batch_size, topo, key="config.train.eval_batch_size")

    # ================================== data ===================================
    plan = loop.plan_run(config, task)
    logging.info("Task %s: %s; %d training examples, %d steps per epoch, %d steps.",
                 spec.name, spec.description, task.num_examples("train"),
                 plan.steps_per_epoch, plan.num_steps)
    train_rng = jax.random.split(jax.random.PRNGKey(config.seed))[1]
    parts = experiment.assemble(config, model=model, total_updates=plan.total_updates,
                                warmup_updates=plan.warmup_updates)
    state = steps.init_state(parts.optimizer, parts.params)
    logging.info("Parameters: %s (optimizer groups: %s)", f"{count_params(parts.params):,}",
                 experiment.describe_groups(parts.labels))
    logging.debug("Optimizer groups:\n%s", optim.describe_labels(parts.labels))
    fns = experiment.step_functions(parts)
    p_train = devices.pmap(fns.train_step, in_axes=(0, 0, None))
    p_eval = devices.pmap(fns.eval_step, in_axes=(0, 0))
    p_align = devices.pmap(fns.alignment_step, in_axes=(0, 0, None))

    # ================================= restore =================================
    # Everything above can fail on a mistake; only now is the workdir made.
    if topo.is_chief:
        try:
            os.makedirs(workdir, exist_ok=True)
            with open(os.path.join(workdir, "config.json"), "w", encoding="utf-8") as handle:
                json.dump(config.to_dict(), handle, indent=2, sort_keys=True, default=str)
        except OSError as error:
            raise WorkdirError(
                f"--workdir={workdir} cannot be written: {error.strerror} ({error.filename}). "
                "Choose a --workdir you can write to.") from None
    logging.info("Workdir: %s%s", workdir, " (resuming)" if resuming else "")
    checkpointer = checkpoints.Checkpointer(workdir, keep=train.keep_checkpoints)
    logger = MetricsLogger(workdir, is_chief=topo.is_chief)
    progress = loop.Progress()
    host_state = jax.tree_util.tree_map(np.asarray, state)
    restored = checkpointer.restore(checkpoints.LATEST, host_state)
    if restored is not None:
        host_state, meta = restored
        progress = loop.Progress.from_json(meta.get("progress"))
        logging.info("Resuming from step %d (%s).", int(host_state.step), checkpointer.root)
        if meta.get("num_steps") not in (None, plan.num_steps):
            logging.warning("num_steps changed from %s to %d since the checkpoint: the learning "
                            "rate schedule is now computed for %d steps.", meta.get("num_steps"),
                            plan.num_steps, plan.num_steps)
    elif checkpointer.set_aside:
        logging.warning(
            "No usable checkpoint in %s: all %d were unusable and have been moved to %s. "
            "Training starts again from step 0.", checkpointer.root, len(checkpointer.set_aside),
            ", ".join(checkpointer.set_aside))
    # Rows that the interrupted run wrote after the restored step are written again.
    dropped = logger.truncate_after(int(host_state.step))
    if dropped:
        logging.info("Dropped %d rows of metrics.jsonl written after step %d by the "
                     "interrupted run (they are recomputed).", dropped, int(host_state.step))
    state = devices.replicate(host_state, topo.local_devices)

    # ================================== loop ===================================
    trainer = loop.Trainer(
        config=config, task=task, model=model, topo=topo, plan=plan, p_train=p_train,
        p_eval=p_eval, p_align=p_align, rng=train_rng, checkpointer=checkpointer,
        logger=logger, schedules=parts.schedules, progress=progress)
    try:
        state = trainer.run(state)

        # ============================ final checkpoint =============================
        trainer.save(checkpoints.LATEST, state)
        step = int(devices.unreplicate(state.step))
        final = trainer.last_results
        if final is None:  # Nothing was trained in this run (already done, or stopped early).
            final = trainer.evaluate_all(state, step)
        # The metrics of the best validation evaluation (the paper reports test at that
        # point), logged at the step they were measured.
        for split, scalars in trainer.progress.best_metrics.items():
            logger.write(trainer.progress.best_step, f"best_{split}", scalars)
        summary = {"step": step, "final": final, "best_step": trainer.progress.best_step,
                   "best": trainer.progress.best_metrics,
                   "stopped_early": trainer.progress.stopped_early}
        if topo.is_chief:
            with open(os.path.join(workdir, "summary.json"), "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
        best = trainer.progress.best_step
        logging.info("Done at step %d | %s%s", step, " | ".join(
            f"{split} loss {m['loss']:.4f} acc {m['accuracy']:.4f}" for split, m in final.items()),
            f" | best validation at step {best}" if best >= 0 else "")
        return summary
    finally:
        logger.close()
        checkpointer.close()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from lru_rtrl.training import console
    console.setup()
    from lru_rtrl.training import devices
    config = cli.config()

    def body():
        devices.initialize_distributed(_COORDINATOR.value, _NUM_PROCESSES.value,
                                       _PROCESS_ID.value, auto=_DISTRIBUTED.value)
        return run(config, _WORKDIR.value)

    cli.run_or_exit(body)


if __name__ == "__main__":
    app.run(main, flags_parser=cli.flags_parser(DEFAULT_CONFIG))
