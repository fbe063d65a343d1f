"""Builds a `Model` from a config: registry look-ups, combination checks, Haiku transforms.

`build_model(config.model, spec, rule, engine)` looks up the core, the rule and the engine by
name (or takes the objects), checks that the combination can work — the rule's and the
engine's own checks fail here, before anything is compiled, with a message that says why —
and returns a `Model` holding pure functions:

  model.init(rng, batch) -> params
  model.apply(params, rng, batch, is_training, rule=None, remat=False) -> logits
      (whole sequence)
  model.step(params, rng, carry, inputs_t, mask_t, is_training, perturbations=None,
             reset_t=None) -> (carry, logits_t, aux) (one step; see SequenceModel.step)
  model.initial_carry(batch_size, dtype) -> carry for `step`

`apply` takes any registered rule (default: the model's own), which is how the BPTT gradient
for the alignment diagnostic is computed on the same parameters.

Importing this module registers the built-in cores, rules and engines (it imports their
packages): whoever builds a model can look them up by name.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any, Dict, List, Optional, Tuple, Union

import haiku as hk
import jax
import jax.numpy as jnp
import ml_collections

import lru_rtrl.cores  # noqa: F401  (registers the built-in cores)
import lru_rtrl.engines  # noqa: F401  (registers the built-in engines)
import lru_rtrl.rules  # noqa: F401  (registers the built-in rules)
from lru_rtrl.cores.base import Cell
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.engines.base import Engine
from lru_rtrl.model.network import Architecture, SequenceModel, initial_carry, param_roles
from lru_rtrl.registry import CORES, ENGINES, RULES
from lru_rtrl.rules.base import LearningRule, describe


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Pure functions of one model architecture, plus what the engines need to know of it."""
    spec: TaskSpec
    cells: Tuple[Cell, ...]
    rule: LearningRule
    engine: Engine
    arch: Architecture
    loss_average: str = "token"   # choices.LossAverage (config.train.loss_average)

    def module(self) -> SequenceModel:
        return SequenceModel(self.cells, self.arch, name="model")

    # --- Haiku transforms (cached per rule and mode) ------------------------------------
    @functools.lru_cache(maxsize=None)
    def _sequence_transform(self, rule: LearningRule, is_training: bool, remat: bool):
        return hk.transform(lambda batch: self.module()(batch, rule, is_training, remat))

    @functools.lru_cache(maxsize=None)
    def _step_transform(self, is_training: bool):
        def step(carry, inputs_t, mask_t, perturbations, reset_t):
            return self.module().step(carry, inputs_t, mask_t, is_training, perturbations,
                                      reset_t)
        return hk.transform(step)

    def init(self, rng: jax.Array, batch: Dict[str, jax.Array]) -> hk.Params:
        return self._sequence_transform(self.rule, False, False).init(rng, batch)

    def apply(self, params: hk.Params, rng: Optional[jax.Array], batch: Dict[str, jax.Array],
              is_training: bool, rule: Optional[LearningRule] = None,
              remat: bool = False) -> jax.Array:
        """Whole-sequence logits; `remat` recomputes each block in the backward pass."""
        return self._sequence_transform(rule or self.rule, is_training, remat).apply(
            params, rng, batch)

    def step(self, params, rng, carry, inputs_t, mask_t, is_training: bool,
             perturbations=None, reset_t=None):
        return self._step_transform(is_training).apply(
            params, rng, carry, inputs_t, mask_t, perturbations, reset_t)

    def initial_carry(self, batch_size: int, dtype=jnp.float32) -> Dict[str, Any]:
        return initial_carry(self.cells, self.arch.d_model, batch_size, dtype)

    # --- parameter bookkeeping -------------------------------------------------------------
    def roles(self, params: hk.Params) -> Dict[str, Dict[str, str]]:
        return param_roles(params, self.cells)

    def core_modules(self, params: hk.Params) -> List[str]:
        """The module path of each layer's core, in layer order."""
        paths = sorted((m for m in params if m.split("/")[-1] == "core"),
                       key=lambda m: int(m.split("block_")[1].split("/")[0]))
        if len(paths) != len(self.cells):
            raise ValueError(f"Expected {len(self.cells)} core modules, found {paths}")
        return paths

    def trained_mask(self, params: hk.Params, rule: Optional[LearningRule] = None):
        """{module: {name: bool}}: False for parameters the rule keeps frozen."""
        rule = rule or self.rule
        roles = self.roles(params)
        return {m: {n: role in rule.trained_roles for n, role in names.items()}
                for m, names in roles.items()}


def build_model(model_config: ml_collections.ConfigDict, spec: TaskSpec,
                rule: Union[str, LearningRule], engine: Union[str, Engine] = "parallel",
                batch_size: Optional[int] = None,
                config: Optional[ml_collections.ConfigDict] = None) -> Model:
    """Looks up core, rule and engine, checks the combination and returns the `Model`.

    `config`, the whole experiment config, gives the rule its options (`rule.configure`,
    e.g. the window of `tbptt` from config.tbptt) and the loss averaging
    (config.train.loss_average); without it both keep their defaults.

    Raises UnknownNameError for unknown names and UnsupportedCombinationError (or ValueError
    for bad option values) for combinations that cannot work.
    """
    rule_obj = RULES.get(rule) if isinstance(rule, str) else rule
    if config is not None:
        rule_obj = rule_obj.configure(config)
    engine_obj = ENGINES.get(engine) if isinstance(engine, str) else engine
    core_cls = CORES.get(model_config.core)
    if model_config.n_layers < 1:
        raise ValueError(f"config.model.n_layers must be >= 1, got {model_config.n_layers}.")
    arch = Architecture.from_config(model_config, spec)
    options = model_config.get(model_config.core, ml_collections.ConfigDict())
    cells = tuple(core_cls.from_config(model_config.d_model, model_config.d_hidden,
                                       model_config.d_model, options, scan=model_config.scan)
                  for _ in range(model_config.n_layers))
    structure = cells[0].structure
    rule_obj.check(structure, engine_obj)
    engine_obj.check(rule=rule_obj, structure=structure, spec=spec, pooling=arch.pooling)
    loss_average = config.train.loss_average if config is not None else "token"
    model = Model(spec=spec, cells=cells, rule=rule_obj, engine=engine_obj, arch=arch,
                  loss_average=loss_average)
    logging.info("Model: %d x %s (d_model %d, d_hidden %d); %s", model_config.n_layers,
                 model_config.core, model_config.d_model, model_config.d_hidden,
                 describe(rule_obj, structure))
    for warning in rule_obj.warnings(cells[0], engine_obj, batch_size or 1):
        logging.warning("%s", warning)
    return model


def count_params(params: hk.Params) -> int:
    return sum(int(p.size) for p in jax.tree_util.tree_leaves(params))


def dummy_batch(spec: TaskSpec, batch_size: int = 1, seq_len: Optional[int] = None,
                dtype=jnp.float32) -> Dict[str, jax.Array]:
    """A zero batch with the task's shapes, for `init` and shape inference."""
    t = seq_len or spec.seq_len
    if spec.input_kind == "tokens":
        inputs = jnp.zeros((batch_size, t), jnp.int32)
    else:
        inputs = jnp.zeros((batch_size, t, spec.input_dim), dtype)
    batch = {"inputs": inputs, "mask": jnp.ones((batch_size, t), dtype)}
    if spec.two_tower:
        batch["inputs2"], batch["mask2"] = inputs, batch["mask"]
    return batch
