"""Config validation: unknown keys and invalid values fail before anything is built.

`check_config(config)` compares the config with the schema (`base_config`, plus the data
options of its task and the options section of its core) and checks every value the library
reads. It imports nothing heavy, so a bad value is reported before JAX starts. Each error
names the key, e.g.

    config.train.lr must be > 0, got -0.001.
    Unknown config key config.train.lr_facter. Known keys of config.train: batch_size, ...

`check_names(config)` looks up the registry names (task, rule, engine, core) and what the
engine must support; call it after the plugins are loaded, since a plugin may register them.
Checks that depend on the machine (the batch must split over the devices) are in
lru_rtrl.training.devices.check_divisible.
"""

from __future__ import annotations

import difflib
from typing import Any, List

import ml_collections

from lru_rtrl.choices import (Block, DenseInit, LossAverage, Norm, OptimizerGroups,
                                    Pooling, Scan)
from lru_rtrl import errors
from lru_rtrl.config.schema import base_config
from lru_rtrl.data.base import SPLITS
from lru_rtrl.registry import CORES, ENGINES, RULES, TASKS, UnknownNameError


# An invalid config; the message names the key (raised here, defined with the other user
# errors).
ConfigError = errors.ConfigError


def _unknown_keys(config: Any, schema: Any, prefix: str, allowed_extra=()) -> List[str]:
    problems = []
    for key in config.keys():
        path = f"{prefix}.{key}"
        if key not in schema:
            if path in allowed_extra:
                continue
            close = difflib.get_close_matches(key, list(schema.keys()), n=1)
            hint = f" Did you mean {prefix}.{close[0]}?" if close else ""
            problems.append(f"Unknown config key {path}.{hint} Known keys of {prefix}: "
                            f"{', '.join(sorted(schema.keys()))}.")
        elif isinstance(schema[key], ml_collections.ConfigDict):
            if not isinstance(config[key], (ml_collections.ConfigDict, dict)):
                problems.append(f"{path} must be a section (ConfigDict), got {config[key]!r}.")
            else:
                problems += _unknown_keys(config[key], schema[key], path, allowed_extra)
    return problems


def _lookup(registry, name: str, key: str) -> None:
    try:
        registry.get(name)
    except UnknownNameError as error:
        raise ConfigError(f"{key}: {error}") from None


def check_names(config: ml_collections.ConfigDict, *, data_checked: bool = True) -> None:
    """Registry look-ups of task, rule, engine and core (call after the plugins are loaded,
    since a plugin may register them). `data_checked` is what `check_config` returned: when
    the task was a plugin's, unknown then, its data section is checked here. Whether the
    parts can run together is lru_rtrl.compat's question, asked when the model is built."""
    _lookup(TASKS, config.data.task, "config.data.task")
    _lookup(RULES, config.rule, "config.rule")
    _lookup(ENGINES, config.engine, "config.engine")
    _lookup(CORES, config.model.core, "config.model.core")
    if not data_checked:
        _check_data_section(config, TASKS.get(config.data.task))


def _check_data_section(config: ml_collections.ConfigDict, task_cls) -> None:
    """config.data against the task's options: unknown keys, and settings without effect."""
    problems = _unknown_keys(config.data, task_cls.default_config(), "config.data")
    if problems:
        raise ConfigError("\n".join(problems))
    _check_no_ignored_setting(config, task_cls)


def _check_no_ignored_setting(config: ml_collections.ConfigDict, task_cls) -> None:
    """A data option that cannot take effect (the task says which) must keep its default."""
    defaults = task_cls.default_config()
    for key, why in task_cls.unused_options(config.data).items():
        value, default = config.data, defaults
        for part in key.split("."):
            value, default = value[part], default[part]
        if value != default:
            raise ConfigError(
                f"config.data.{key}={value!r} has no effect: {why}. Remove the setting (its "
                f"default is {default!r}) or change what makes it unused.")


def check_config(config: ml_collections.ConfigDict) -> bool:
    """Raises ConfigError naming the first bad keys or values (all unknown keys at once).

    Registry names are not looked up here (see `check_names`, after the plugins are
    loaded); the data section is checked against the task's options when the task is
    registered already (the built-in ones always are). Returns whether it was, which
    `check_names` needs to know.
    """
    schema = base_config("copy")
    schema.unlock()
    if config.data.task in TASKS:
        schema.data = TASKS.get(config.data.task).default_config()
    else:
        schema.data = config.data  # a plugin's task: checked once the plugins are loaded
    # A core may bring its own options section (config.model.<core name>).
    extra = (f"config.model.{config.model.core}",)
    problems = _unknown_keys(config, schema, "config", extra)
    if problems:
        raise ConfigError("\n".join(problems))
    data_checked = config.data.task in TASKS
    if data_checked:
        _check_no_ignored_setting(config, TASKS.get(config.data.task))
    model, train, streaming = config.model, config.train, config.streaming

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    if "download" in config.data:  # the tasks whose data can arrive by itself
        need(isinstance(config.data.download, bool),
             f"config.data.download must be True (fetch missing data on first use) or False "
             f"(never download), got {config.data.download!r}.")

    need(isinstance(config.seed, int), f"config.seed must be an integer, got {config.seed!r}.")
    need(model.n_layers >= 1, f"config.model.n_layers must be >= 1, got {model.n_layers}.")
    need(model.d_model >= 1, f"config.model.d_model must be >= 1, got {model.d_model}.")
    need(model.d_hidden >= 1, f"config.model.d_hidden must be >= 1, got {model.d_hidden}.")
    need(model.block in Block.values(),
         f"config.model.block must be one of {Block.values()}, got {model.block!r}.")
    need(model.norm in Norm.values(),
         f"config.model.norm must be one of {Norm.values()}, got {model.norm!r}.")
    need(0.0 <= model.dropout < 1.0, f"config.model.dropout must be in [0, 1), got "
         f"{model.dropout}.")
    need(model.pooling in Pooling.values(),
         f"config.model.pooling must be one of {Pooling.values()}, got {model.pooling!r}.")
    need(model.readout_units >= 0,
         f"config.model.readout_units must be >= 0, got {model.readout_units}.")
    need(model.scan in Scan.values(),
         f"config.model.scan must be one of {Scan.values()}, got {model.scan!r}.")
    need(model.dense_init in DenseInit.values(),
         f"config.model.dense_init must be one of {DenseInit.values()}, got "
         f"{model.dense_init!r}.")

    need(train.batch_size >= 1, f"config.train.batch_size must be >= 1, got {train.batch_size}.")
    need(train.eval_batch_size == -1 or train.eval_batch_size >= 1,
         f"config.train.eval_batch_size must be >= 1 (or -1: train.batch_size), got "
         f"{train.eval_batch_size}.")
    # -1 is the one "unset" value: 0 steps is a mistake, not a request for num_epochs.
    need(train.num_steps == -1 or train.num_steps > 0,
         f"config.train.num_steps must be > 0, or -1 to train for config.train.num_epochs "
         f"epochs; got {train.num_steps}.")
    need(train.num_steps > 0 or train.num_epochs > 0,
         f"config.train.num_epochs must be > 0 when config.train.num_steps is -1, got "
         f"num_epochs={train.num_epochs}.")
    need(train.lr > 0, f"config.train.lr must be > 0, got {train.lr}.")
    need(train.rec_lr_factor >= 0,
         f"config.train.rec_lr_factor must be >= 0, got {train.rec_lr_factor}.")
    need(train.weight_decay >= 0,
         f"config.train.weight_decay must be >= 0, got {train.weight_decay}.")
    need(train.optimizer_groups in OptimizerGroups.values(),
         f"Unknown config.train.optimizer_groups {train.optimizer_groups!r}; choose one of "
         f"{', '.join(OptimizerGroups.values())}.")
    need(train.warmup_epochs >= 0,
         f"config.train.warmup_epochs must be >= 0, got {train.warmup_epochs}.")
    need(0.0 <= train.min_lr_factor <= 1.0,
         f"config.train.min_lr_factor must be in [0, 1], got {train.min_lr_factor}.")
    need(train.grad_accum_steps >= 1,
         f"config.train.grad_accum_steps must be >= 1, got {train.grad_accum_steps}.")
    need(train.clip_norm >= 0,
         f"config.train.clip_norm must be >= 0 (0: no clipping), got {train.clip_norm}.")
    for key in ("eval_every_steps", "checkpoint_every_steps"):
        value = train[key]
        need(value == -1 or value >= 1,
             f"config.train.{key} must be >= 1 (or -1: once per epoch / at every evaluation), "
             f"got {value}.")
    need(train.log_every_steps >= 1,
         f"config.train.log_every_steps must be >= 1, got {train.log_every_steps}.")
    need(train.patience == -1 or train.patience >= 1,
         f"config.train.patience must be >= 1 (or -1: no early stopping), got {train.patience}.")
    need(train.grad_alignment_every >= 0,
         f"config.train.grad_alignment_every must be >= 0 (0: off), got "
         f"{train.grad_alignment_every}.")
    need(train.keep_checkpoints >= 1,
         f"config.train.keep_checkpoints must be >= 1, got {train.keep_checkpoints}.")
    need(train.loss_average in LossAverage.values(),
         f"config.train.loss_average must be one of {LossAverage.values()}, got "
         f"{train.loss_average!r}.")
    splits = tuple(train.eval_splits)
    need(all(s in SPLITS and s != "train" for s in splits),
         f"config.train.eval_splits must name splits among validation, test; got {splits}.")

    need(streaming.update_every >= 0,
         f"config.streaming.update_every must be >= 0, got {streaming.update_every}.")
    need(config.tbptt.window >= 1,
         f"config.tbptt.window must be >= 1, got {config.tbptt.window}.")
    if streaming.update_every > 0:
        need(train.grad_accum_steps == 1,
             "config.train.grad_accum_steps must be 1 when config.streaming.update_every > 0 "
             "(in-stream updates already set how often the optimizer runs).")
    return data_checked
