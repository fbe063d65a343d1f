"""Builds a `Model` from a config: registry look-ups, combination checks, Haiku transforms.

`build_model(config, spec)` looks up the core and the rule by name, checks that the
(core, rule, engine, pooling) combination can work — failing here, before anything is
compiled, with a message that says why — and returns a `Model` holding pure functions:

  model.init(rng, batch) -> params
  model.apply(params, rng, batch, is_training, rule=None) -> logits (whole sequence)
  model.step(params, rng, carry, inputs_t, mask_t, is_training, perturbations=None)
      -> (carry, logits_t, aux) (one step; see SequenceModel.step)
  model.initial_carry(batch_size, dtype) -> carry for `step`

`apply` takes any registered rule (default: the model's own), which is how the BPTT gradient
for the alignment diagnostic is computed on the same parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any, Dict, List, Optional, Tuple

import haiku as hk
import jax
import jax.numpy as jnp
import ml_collections

from lru_rtrl.cores.base import Cell
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.model import pooling as pooling_lib
from lru_rtrl.model.network import SequenceModel, initial_carry, param_roles
from lru_rtrl.registry import CORES, RULES
from lru_rtrl.rules.base import LearningRule, UnsupportedCombinationError, describe

ENGINE_NAMES = ("parallel", "streaming")


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Pure functions of one model architecture, plus what the engines need to know of it."""
    spec: TaskSpec
    cells: Tuple[Cell, ...]
    rule: LearningRule
    engine: str
    options: Dict[str, Any]

    def module(self) -> SequenceModel:
        return SequenceModel(self.cells, name="model", **self.options)

    # --- Haiku transforms (cached per rule and mode) ------------------------------------
    @functools.lru_cache(maxsize=None)
    def _sequence_transform(self, rule: LearningRule, is_training: bool):
        return hk.transform(lambda batch: self.module()(batch, rule, is_training))

    @functools.lru_cache(maxsize=None)
    def _step_transform(self, is_training: bool):
        def step(carry, inputs_t, mask_t, perturbations):
            return self.module().step(carry, inputs_t, mask_t, is_training, perturbations)
        return hk.transform(step)

    def init(self, rng: jax.Array, batch: Dict[str, jax.Array]) -> hk.Params:
        return self._sequence_transform(self.rule, False).init(rng, batch)

    def apply(self, params: hk.Params, rng: Optional[jax.Array], batch: Dict[str, jax.Array],
              is_training: bool, rule: Optional[LearningRule] = None) -> jax.Array:
        return self._sequence_transform(rule or self.rule, is_training).apply(params, rng, batch)

    def step(self, params, rng, carry, inputs_t, mask_t, is_training: bool,
             perturbations=None):
        return self._step_transform(is_training).apply(
            params, rng, carry, inputs_t, mask_t, perturbations)

    def initial_carry(self, batch_size: int, dtype=jnp.float32) -> Dict[str, Any]:
        return initial_carry(self.cells, self.options["d_model"], batch_size, dtype)

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


def build_model(model_config: ml_collections.ConfigDict, spec: TaskSpec, rule: str,
                engine: str = "parallel", batch_size: Optional[int] = None) -> Model:
    """Looks up core and rule, checks the combination and returns the `Model`.

    Raises UnknownNameError for unknown core / rule names and UnsupportedCombinationError
    (or ValueError for bad option values) for combinations that cannot work.
    """
    if engine not in ENGINE_NAMES:
        raise ValueError(f"Unknown engine {engine!r}; choose one of {ENGINE_NAMES}.")
    core_cls = CORES.get(model_config.core)
    rule_obj = RULES.get(rule)
    if model_config.n_layers < 1:
        raise ValueError(f"config.model.n_layers must be >= 1, got {model_config.n_layers}.")
    options = model_config.get(model_config.core, ml_collections.ConfigDict())
    cells = tuple(core_cls.from_config(model_config.d_model, model_config.d_hidden,
                                       model_config.d_model, options)
                  for _ in range(model_config.n_layers))
    rule_obj.check(cells[0].structure, engine)
    if spec.two_tower and model_config.pooling not in pooling_lib.SEQUENCE_POOLINGS:
        raise UnsupportedCombinationError(
            f"Task {spec.name!r} is two-tower: it compares pooled features of two whole texts, "
            f"so config.model.pooling must be one of {pooling_lib.SEQUENCE_POOLINGS}, not "
            f"{model_config.pooling!r}.")
    if engine == "streaming":
        if model_config.pooling not in pooling_lib.STREAMABLE_POOLINGS:
            raise UnsupportedCombinationError(
                f"Pooling {model_config.pooling!r} gives a loss that is known only at the end of "
                "the sequence, so it cannot be streamed. Use pooling 'pool_st' (running mean with "
                "stop-gradient), 'last' or 'none' with engine='streaming', or engine='parallel'.")
        if spec.two_tower:
            raise UnsupportedCombinationError(
                f"Task {spec.name!r} is two-tower (it compares two whole texts), which the "
                "streaming engine cannot run; use engine='parallel'.")
    model = Model(
        spec=spec, cells=cells, rule=rule_obj, engine=engine,
        options=dict(d_model=model_config.d_model, input_kind=spec.input_kind,
                     input_dim=spec.input_dim, output_shape=tuple(spec.output_shape),
                     block=model_config.block, norm=model_config.norm,
                     dropout=model_config.dropout, pooling=model_config.pooling,
                     readout_units=model_config.readout_units, two_tower=spec.two_tower,
                     scan=model_config.scan))
    logging.info("Model: %d x %s (d_model %d, d_hidden %d); %s", model_config.n_layers,
                 model_config.core, model_config.d_model, model_config.d_hidden,
                 describe(rule_obj, cells[0].structure))
    for warning in rule_obj.warnings(cells[0], engine, batch_size or 1):
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
