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
traceback); a run that fails before training leaves no workdir behind.

The script reads top to bottom: config → plugins → devices → data → model → restore → loop
→ final checkpoint. `run(config, workdir)` is the whole of it, for tests and notebooks.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Dict, Optional

# Runnable from a checkout without installing the package.
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

DEFAULT_CONFIG = os.path.join(_REPO, "configs", "copy.py")


def _unknown_key(error: BaseException, argv) -> str:
    """One line for a misspelt --config.* override (ml_collections raises the bare key,
    wrapped in a KeyError inside an AttributeError)."""
    while error.args and isinstance(error.args[0], BaseException):
        error = error.args[0]
    bad = [a for a in argv[1:] if a.startswith("--config.")]
    message = str(error.args[0] if error.args else error).replace("\n", " ")
    return (f"Unknown config key in {' '.join(bad) or 'the overrides'}: {message}. Check the "
            "spelling against the config file (the schema is in lru_rtrl/config/schema.py).")


try:
    # With the default file, the overrides in sys.argv are applied right here.
    _CONFIG = config_flags.DEFINE_config_file(
        "config", DEFAULT_CONFIG, "Config file (path[:arg]); fields can be overridden with "
        "--config.a.b=value.", lock_config=True)
except (AttributeError, KeyError) as _error:
    sys.exit(_unknown_key(_error, sys.argv))
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


class WorkdirError(RuntimeError):
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


def _group_counts(labels) -> str:
    counts: Dict[str, int] = {}
    for names in labels.values():
        for label in names.values():
            counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} {count}" for label, count in sorted(counts.items()))


def run(config, workdir: Optional[str] = None) -> Dict[str, Any]:
    """Trains `config` in `workdir`; returns {"final": {split: metrics}, "best": ...}."""
    # ================================= config ==================================
    from lru_rtrl.config import validate  # light: bad keys and values fail before JAX starts
    validate.check_config(config)

    from lru_rtrl.training import console
    console.quiet_tensorflow_import()
    import jax  # Imported here so that jax.distributed can be initialised before it starts.
    import numpy as np

    from lru_rtrl import plugins
    from lru_rtrl.model import build_model, count_params, dummy_batch
    from lru_rtrl.registry import TASKS
    from lru_rtrl.training import alignment, checkpoints, devices, loop, optim, steps
    from lru_rtrl.training.writers import MetricsLogger

    workdir = os.path.abspath(workdir or default_workdir(config))
    resuming = check_workdir(workdir)
    topo = devices.topology()

    # ================================= plugins =================================
    # Before any look-up: a plugin may register the core, rule, engine or task named.
    plugins.load_plugins(config.plugins)
    validate.check_names(config)

    # ================================= devices =================================
    logging.info("Devices: %s", topo.describe())
    train = config.train
    micro = train.grad_accum_steps
    per_device = devices.check_divisible(train.batch_size, topo, micro_batches=micro)
    devices.check_divisible(train.eval_batch_size if train.eval_batch_size > 0
                            else train.batch_size, topo, key="config.train.eval_batch_size")

    # ================================== data ===================================
    task = TASKS.get(config.data.task)(config.data)
    spec = task.spec
    plan = loop.plan_run(config, task)
    logging.info("Task %s: %s; %d training examples, %d steps per epoch, %d steps.",
                 spec.name, spec.description, task.num_examples("train"),
                 plan.steps_per_epoch, plan.num_steps)

    # ================================== model ==================================
    model = build_model(config.model, spec, config.rule, config.engine,
                        batch_size=per_device // micro, config=config)
    init_rng, train_rng = jax.random.split(jax.random.PRNGKey(config.seed))
    params = model.init(init_rng, dummy_batch(spec, 1))
    optimizer, labels, schedules = optim.make_optimizer(
        train, model, params, plan.total_updates, plan.warmup_updates)
    state = steps.init_state(optimizer, params)
    logging.info("Parameters: %s (optimizer groups: %s)", f"{count_params(params):,}",
                 _group_counts(labels))
    logging.debug("Optimizer groups:\n%s", optim.describe_labels(labels))
    fns = steps.make_steps(
        model, optimizer, micro_batches=micro,
        update_every=config.streaming.update_every,
        alignment_groups=alignment.groups(model, params))
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
        logger=logger, schedules=schedules, progress=progress)
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


def _config_spec(argv) -> str:
    """The --config value on the command line (the default file when absent)."""
    for i, arg in enumerate(argv[1:], 1):
        if arg.startswith("--config="):
            return arg[len("--config="):]
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
    return DEFAULT_CONFIG


def _config_file_problem(argv) -> Optional[str]:
    """One line if the config file or its variant cannot be loaded (checked before absl
    parses the flags, which would bury it under two tracebacks)."""
    from lru_rtrl.config.files import ConfigFileError, load_config_file, split_spec
    path, arg = split_spec(_config_spec(argv))
    try:
        load_config_file(path).get_config(arg)
    except ConfigFileError as error:
        return f"Error: {error}"
    except ValueError as error:  # e.g. an unknown variant (UnknownVariantError)
        return f"Error: {error}"
    return None


def parse_flags(argv):
    """absl flag parsing, with config-file and unknown-key problems reported as one line."""
    problem = _config_file_problem(argv)
    if problem:
        sys.exit(problem)
    try:
        return flags.FLAGS(argv)
    except (AttributeError, KeyError) as error:
        sys.exit(_unknown_key(error, argv))
    except flags.Error as error:
        sys.exit(f"Bad flag: {error}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    from lru_rtrl.config import validate
    from lru_rtrl.training import console
    console.setup()
    try:  # Bad keys and values are told in a second, before JAX and TensorFlow start.
        validate.check_config(_CONFIG.value)
    except validate.ConfigError as error:
        sys.exit(f"Error: {error}")
    console.quiet_tensorflow_import()  # before CLU or tensorflow-datasets import it
    from lru_rtrl.config.files import ConfigFileError
    from lru_rtrl.data.base import DataError
    from lru_rtrl.plugins import PluginError
    from lru_rtrl.training import checkpoints, devices, loop
    # Mistakes a user can make end the run with their message only: config errors
    # (ConfigError, UnsupportedCombinationError, UnknownNameError are ValueErrors), missing or
    # malformed data, a broken plugin, an unusable workdir or checkpoint, divergence.
    expected = (ValueError, ConfigFileError, DataError, PluginError, WorkdirError,
                loop.TrainingDiverged, checkpoints.CheckpointError)
    try:
        devices.initialize_distributed(_COORDINATOR.value, _NUM_PROCESSES.value,
                                       _PROCESS_ID.value, auto=_DISTRIBUTED.value)
        run(_CONFIG.value, _WORKDIR.value)
    except expected as error:
        if logging.vlog_is_on(1):
            traceback.print_exc()
        sys.exit(f"Error: {error}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
