"""The one assembler: a validated config becomes the parts of a run.

    from lru_rtrl import experiment

    task = experiment.task_of(config)                      # data (nothing is read yet)
    model = experiment.model_of(config, task.spec)         # look-ups, options, compat check
    run = experiment.assemble(config, model=model, total_updates=plan.total_updates)
    run.params, run.optimizer, run.labels, run.schedules   # initial parameters, optax
    fns = experiment.step_functions(run)                   # train / eval / alignment steps

Every caller builds through these functions — `launch/main.py`, `launch/stream.py`, the
online learner (`OnlineLearner.from_config`), the bench and the tests — so a setting cannot
be applied in one place and forgotten in another: the rule always gets its options
(`rule.configure(config)`, e.g. tbptt's window), the model always gets
`config.train.loss_average`, and lru_rtrl.compat is always asked, with everything it needs,
before anything is compiled or read.

The built-in cores, rules, engines and tasks are registered here (`plugins.load_builtins`);
`config.plugins` is loaded by the entry points (launchers), which may name plugin parts.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Dict, Optional

import haiku as hk
import jax
import ml_collections
import optax

from lru_rtrl import compat, plugins
from lru_rtrl.data.base import Task, TaskSpec
from lru_rtrl.model import Model, build_model, dummy_batch
from lru_rtrl.registry import ENGINES, RULES, TASKS
from lru_rtrl.rules.base import describe
from lru_rtrl.training import alignment, optim
from lru_rtrl.training import steps as steps_lib

# A stream's optimizer schedule needs a length; a stream without one (num_steps -1) decays
# over this many updates.
ENDLESS_STREAM_UPDATES = 1_000_000


@dataclasses.dataclass(frozen=True)
class Assembly:
    """What a run is made of. `params` are the initial parameters (from config.seed)."""
    config: ml_collections.ConfigDict
    spec: TaskSpec
    model: Model
    params: hk.Params
    optimizer: optax.GradientTransformation
    labels: Dict[str, Dict[str, str]]
    schedules: Dict[str, optax.Schedule]


def task_of(config: ml_collections.ConfigDict) -> Task:
    """The task of config.data (constructing it reads no data)."""
    plugins.load_builtins()
    return TASKS.get(config.data.task)(config.data)


def rule_of(config: ml_collections.ConfigDict):
    """config.rule with its options (`rule.configure(config)`, e.g. config.tbptt.window)."""
    plugins.load_builtins()
    return RULES.get(config.rule).configure(config)


def model_of(config: ml_collections.ConfigDict, spec: TaskSpec, *,
             batch_size: Optional[int] = None, learner: bool = False) -> Model:
    """The model of `config` for `spec`, after lru_rtrl.compat has accepted the combination.

    `learner` asks for a model that an online learner runs on a stream; `batch_size` (per
    device) sizes the memory warnings. Raises UnknownNameError, ConfigError or
    UnsupportedCombinationError, before anything is compiled.
    """
    plugins.load_builtins()
    rule = rule_of(config)
    engine = ENGINES.get(config.engine)
    model = build_model(config.model, spec, rule, engine,
                        loss_average=config.train.loss_average)
    structure = model.cells[0].structure
    compat.check(structure=structure, rule=rule, engine=engine, spec=spec,
                 pooling=model.arch.pooling, learner=learner,
                 optimizer_groups=config.train.optimizer_groups,
                 update_every=int(config.streaming.update_every))
    logging.info("Model: %d x %s (d_model %d, d_hidden %d); %s", config.model.n_layers,
                 config.model.core, config.model.d_model, config.model.d_hidden,
                 describe(rule, structure))
    for warning in rule.warnings(model.cells[0], engine, batch_size or 1):
        logging.warning("%s", warning)
    return model


def init_params(model: Model, rng: jax.Array) -> hk.Params:
    """Initial parameters (they do not depend on the sequence length: a 2-step dummy)."""
    return model.init(rng, dummy_batch(model.spec, 1, seq_len=2))


def stream_updates(config: ml_collections.ConfigDict, model: Model) -> int:
    """Optimizer updates over a stream of config.train.num_steps steps: one every
    `learner_period` steps (the schedule's length)."""
    if config.train.num_steps <= 0:
        return ENDLESS_STREAM_UPDATES
    return max(2, int(config.train.num_steps) // learner_period(config, model))


def learner_period(config: ml_collections.ConfigDict, model: Model) -> int:
    """Steps between a learner's updates: tbptt's window, else config.streaming.update_every
    (0 meaning every step)."""
    return model.rule.window or max(1, int(config.streaming.update_every))


def assemble(config: ml_collections.ConfigDict, *, spec: Optional[TaskSpec] = None,
             model: Optional[Model] = None, total_updates: Optional[int] = None,
             warmup_updates: int = 0, batch_size: Optional[int] = None,
             learner: bool = False, params: Optional[hk.Params] = None,
             rng: Optional[jax.Array] = None) -> Assembly:
    """Model (unless given), initial parameters (from `rng`, default the first half of
    PRNGKey(config.seed)), optimizer groups and schedules.

    `total_updates` is the schedule's length; a learner (`learner=True`) derives it from the
    stream length when not given. `spec` defaults to the task's.
    """
    if model is None:
        spec = spec or task_of(config).spec
        model = model_of(config, spec, batch_size=batch_size, learner=learner)
    if params is None:
        init_rng = rng if rng is not None else jax.random.split(
            jax.random.PRNGKey(config.seed))[0]
        params = init_params(model, init_rng)
    if total_updates is None:
        total_updates = stream_updates(config, model) if learner else 1
    optimizer, labels, schedules = optim.make_optimizer(config.train, model, params,
                                                        total_updates, warmup_updates)
    return Assembly(config=config, spec=model.spec, model=model, params=params,
                    optimizer=optimizer, labels=labels, schedules=schedules)


def step_functions(run: Assembly) -> steps_lib.StepFunctions:
    """The per-device train / eval / alignment steps of a run (pmap them)."""
    return steps_lib.make_steps(
        run.model, run.optimizer, micro_batches=run.config.train.grad_accum_steps,
        update_every=run.config.streaming.update_every,
        alignment_groups=alignment.groups(run.model, run.params))


def describe_groups(labels: Dict[str, Dict[str, str]]) -> str:
    """'rec 5, regular 12, ...': how many parameters each optimizer group holds."""
    counts: Dict[str, int] = {}
    for names in labels.values():
        for label in names.values():
            counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} {count}" for label, count in sorted(counts.items()))
