"""The `Model`: pure functions of one architecture, built from already-resolved parts.

`build_model(config.model, spec, rule, engine)` makes the cells and the `Architecture` and
returns a `Model` holding pure functions:

  model.init(rng, batch) -> params
  model.apply(params, rng, batch, is_training, rule=None, remat=False) -> logits
      (whole sequence)
  model.step(params, rng, carry, inputs_t, mask_t, is_training, perturbations=None,
             reset_t=None) -> (carry, logits_t, aux) (one step; see SequenceModel.step)
  model.initial_carry(batch_size, dtype) -> carry for `step`

`apply` takes any rule (default: the model's own), which is how the BPTT gradient for the
alignment diagnostic is computed on the same parameters.

The rule and the engine come as objects: looking names up in the registries, giving the rule
its options and asking lru_rtrl.compat whether the parts can run together is the job of the
one assembler, lru_rtrl.experiment, which every launcher, the learner, the bench and the
tests build through.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Dict, List, Optional, Tuple

import haiku as hk
import jax
import jax.numpy as jnp
import ml_collections

from lru_rtrl.cores.base import Cell
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import ConfigError
from lru_rtrl import paths
from lru_rtrl.model.network import Architecture, SequenceModel, initial_carry
from lru_rtrl.registry import CORES


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Pure functions of one model architecture, plus what the engines need to know of it."""
    spec: TaskSpec
    cells: Tuple[Cell, ...]
    rule: Any       # a lru_rtrl.rules LearningRule
    engine: Any     # a lru_rtrl.engines Engine
    arch: Architecture
    loss_average: str = "token"   # choices.LossAverage (config.train.loss_average)

    def module(self) -> SequenceModel:
        return SequenceModel(self.cells, self.arch, name=paths.ROOT)

    # --- Haiku transforms (cached per rule and mode) ------------------------------------
    @functools.lru_cache(maxsize=None)
    def _sequence_transform(self, rule, is_training: bool, remat: bool):
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
              is_training: bool, rule=None, remat: bool = False) -> jax.Array:
        """Whole-sequence logits; `remat` recomputes each block in the backward pass."""
        return self._sequence_transform(rule or self.rule, is_training, remat).apply(
            params, rng, batch)

    def step(self, params, rng, carry, inputs_t, mask_t, is_training: bool,
             perturbations=None, reset_t=None):
        return self._step_transform(is_training).apply(
            params, rng, carry, inputs_t, mask_t, perturbations, reset_t)

    def initial_carry(self, batch_size: int, dtype=jnp.float32) -> Dict[str, Any]:
        return initial_carry(self.cells, self.arch.d_model, batch_size, dtype)

    # --- parameter bookkeeping (names: lru_rtrl.paths) -----------------------------
    def roles(self, params: hk.Params) -> Dict[str, Dict[str, str]]:
        return paths.roles(params, [cell.structure.recurrent for cell in self.cells])

    def core_modules(self, params: hk.Params) -> List[str]:
        """The module path of each layer's core, in layer order."""
        return paths.core_modules(params, len(self.cells))

    def trained_mask(self, params: hk.Params, rule=None):
        """{module: {name: bool}}: False for parameters the rule keeps frozen."""
        rule = rule or self.rule
        roles = self.roles(params)
        return {m: {n: role in rule.trained_roles for n, role in names.items()}
                for m, names in roles.items()}


def build_model(model_config: ml_collections.ConfigDict, spec: TaskSpec, rule, engine, *,
                loss_average: str = "token") -> Model:
    """The `Model` of `config.model` for `spec`, trained by the `rule` object on the `engine`
    object (whether they fit is lru_rtrl.compat's question, asked by lru_rtrl.experiment).

    Raises UnknownNameError for an unknown core and ConfigError for bad option values.
    """
    core_cls = CORES.get(model_config.core)
    if model_config.n_layers < 1:
        raise ConfigError(f"config.model.n_layers must be >= 1, got {model_config.n_layers}.")
    arch = Architecture.from_config(model_config, spec)
    options = model_config.get(model_config.core, ml_collections.ConfigDict())
    cells: Tuple[Cell, ...] = tuple(
        core_cls.from_config(model_config.d_model, model_config.d_hidden, model_config.d_model,
                             options, scan=model_config.scan)
        for _ in range(model_config.n_layers))
    return Model(spec=spec, cells=cells, rule=rule, engine=engine, arch=arch,
                 loss_average=loss_average)


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
