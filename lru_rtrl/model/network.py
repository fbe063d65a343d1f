"""The sequence model: encoder → residual blocks → pooling → (ReLU readout) → decoder.

One Haiku module, two modes that share every parameter:

  `__call__(batch, rule, is_training)` — the whole sequence at once (parallel engine,
      evaluation). Returns logits [B, T, *out] for per-step pooling (none, pool_st) or
      [B, *out] for sequence pooling (pool, last).
  `step(carry, inputs_t, mask_t, is_training, perturbations)` — one time step of the whole
      stack (streaming engine, the oracle, online inference). Returns the new carry, logits
      [B, *out] for this step, and per layer the previous state and the core's input.

Module names (and so parameter paths) are fixed: `encoder`, `block_{l}/~/norm`,
`block_{l}/~/core`, `block_{l}/~/glu_w1|glu_w2`, `readout_mlp`, `decoder`;
lru_rtrl.paths is the one place that knows them (roles, layer indices, short names).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional, Sequence, Tuple

import haiku as hk
import jax
import jax.numpy as jnp
import ml_collections

from lru_rtrl.choices import DenseInit, Pooling
from lru_rtrl.cores.base import Cell
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import ConfigError, UnsupportedCombinationError
from lru_rtrl import paths
from lru_rtrl.model import pooling as pooling_lib
from lru_rtrl.model.blocks import ResidualBlock


@dataclasses.dataclass(frozen=True)
class Architecture:
    """Everything about the network besides its cores: widths, blocks, pooling, head.

    Built from `config.model` and the task's spec by `from_config`; the cores' own settings
    (including the scan implementation) live in their cells.
    """
    d_model: int                      # width of the residual stream
    input_kind: str                   # "real" or "tokens" (one-hot of input_dim)
    input_dim: int
    output_shape: Tuple[int, ...]     # logits per prediction
    block: str = "full_glu"           # choices.Block
    norm: str = "pre"                 # choices.Norm
    dropout: float = 0.0
    pooling: str = "none"             # choices.Pooling
    readout_units: int = 0            # > 0: a ReLU layer of this width before the decoder
    two_tower: bool = False           # two texts compared by their pooled features
    dense_init: str = "lecun_normal"  # choices.DenseInit: encoder, GLU, readout, decoder

    def __post_init__(self):
        if self.pooling not in Pooling.values():
            raise ConfigError(f"Unknown config.model.pooling {self.pooling!r}; choose one of "
                             f"{Pooling.values()}.")
        if self.dense_init not in DenseInit.values():
            raise ConfigError(f"Unknown config.model.dense_init {self.dense_init!r}; choose one "
                             f"of {DenseInit.values()}.")
        if self.two_tower and Pooling(self.pooling).per_step:
            sequence = [p.value for p in Pooling if not p.per_step]
            raise ConfigError(
                f"Two-tower tasks compare pooled sequence features, so config.model.pooling "
                f"must be one of {sequence}, not {self.pooling!r}.")

    @classmethod
    def from_config(cls, model_config: ml_collections.ConfigDict,
                    spec: TaskSpec) -> "Architecture":
        return cls(d_model=model_config.d_model, input_kind=spec.input_kind,
                   input_dim=spec.input_dim, output_shape=tuple(spec.output_shape),
                   block=model_config.block, norm=model_config.norm,
                   dropout=model_config.dropout, pooling=model_config.pooling,
                   readout_units=model_config.readout_units, two_tower=spec.two_tower,
                   dense_init=model_config.dense_init)

    def dense_w_init(self) -> Optional[hk.initializers.Initializer]:
        """The weight initialiser of the dense layers (None: Haiku's default)."""
        if self.dense_init == DenseInit.LECUN_NORMAL:
            # Truncated normal whose std after truncation is 1/sqrt(fan in) (Flax's
            # lecun_normal, the paper's code); Haiku's default lacks the truncation
            # correction and draws 0.88x that std.
            return hk.initializers.VarianceScaling(1.0, "fan_in", "truncated_normal")
        return None


class SequenceModel(hk.Module):
    """Encoder, one residual block per cell, pooling and decoder."""

    def __init__(self, cells: Sequence[Cell], arch: Architecture, *,
                 name: Optional[str] = None):
        super().__init__(name=name)
        self.cells = tuple(cells)
        self.arch = arch
        self.d_model = arch.d_model
        self.input_kind = arch.input_kind
        self.input_dim = arch.input_dim
        self.output_shape = tuple(arch.output_shape)
        self.pooling = arch.pooling
        self.two_tower = arch.two_tower
        # Submodules are created once here, so both modes share them under short names.
        w_init = arch.dense_w_init()
        self.encoder = hk.Linear(arch.d_model, w_init=w_init, name=paths.ENCODER)
        self.blocks = [ResidualBlock(cell, block=arch.block, norm=arch.norm,
                                     dropout=arch.dropout, w_init=w_init,
                                     name=paths.block_name(l))
                       for l, cell in enumerate(self.cells)]
        units = arch.readout_units or (arch.d_model if arch.two_tower else 0)
        self.readout_mlp = (hk.Linear(units, w_init=w_init, name=paths.READOUT_MLP)
                            if units else None)
        size = 1
        for n in self.output_shape:
            size *= n
        self.decoder = hk.Linear(size, w_init=w_init, name=paths.DECODER)

    # --- pieces shared by both modes -------------------------------------------------
    def _encode(self, inputs: jax.Array) -> jax.Array:
        if self.input_kind == "tokens":
            inputs = jax.nn.one_hot(inputs, self.input_dim)
        return self.encoder(inputs)

    def _head(self, features: jax.Array) -> jax.Array:
        """Features [..., D] (or [..., 4D] for two towers) -> logits [..., *output_shape]."""
        if self.readout_mlp is not None:
            features = jax.nn.relu(self.readout_mlp(features))
        logits = self.decoder(features)
        return logits.reshape(logits.shape[:-1] + self.output_shape)

    # --- whole sequence ------------------------------------------------------------------
    def __call__(self, batch: Dict[str, jax.Array], rule, is_training: bool,
                 remat: bool = False) -> jax.Array:
        """batch: inputs [B, T, F] or [B, T], mask [B, T] (and inputs2 / mask2 for two towers;
        resets [B, T] where a row holds several sequences: 1 where one starts).

        Every row starts fresh at t = 0 (zero states: a segment start). With `remat`, each
        residual block's activations are recomputed in the backward pass (`hk.remat`)
        instead of being stored: only each block's input [B, T, D] is kept.
        """
        inputs, mask = batch["inputs"], batch["mask"]
        resets = batch.get("resets")
        if self.two_tower:
            if resets is not None:
                raise UnsupportedCombinationError("Two-tower tasks compare two whole texts; their batches cannot "
                                 "mark segment starts (resets) inside rows.")
            # Both texts run through the same network as one batch of 2B sequences.
            inputs = jnp.concatenate([inputs, batch["inputs2"]], axis=0)
            mask = jnp.concatenate([mask, batch["mask2"]], axis=0)
        u = self._encode(inputs)
        for block, cell in zip(self.blocks, self.cells):
            starts = segment_starts(resets, mask.shape, cell, u.dtype)
            run = lambda v, block=block, r=starts: block(v, rule, is_training, r)  # noqa: E731
            u = hk.remat(run)(u) if remat else run(u)
        pooled = pooling_lib.pool_sequence(u, mask.astype(u.dtype), self.pooling,
                                           None if resets is None else resets.astype(u.dtype))
        if self.two_tower:
            a, b = jnp.split(pooled, 2, axis=0)
            pooled = jnp.concatenate([a, b, a * b, a - b], axis=-1)
        return self._head(pooled)

    # --- one step ------------------------------------------------------------------------
    def step(self, carry: Dict[str, Any], inputs_t: jax.Array, mask_t: jax.Array,
             is_training: bool, perturbations: Optional[Sequence[jax.Array]] = None,
             reset_t: Optional[jax.Array] = None
             ) -> Tuple[Dict[str, Any], jax.Array, Dict[str, Any]]:
        """One step: inputs_t [B, F] or [B], mask_t [B], reset_t [B] or None (1 where a new
        sequence starts: the state and the pooling carry are forgotten; callers mark the first
        step of a fresh stream so, which matters for cores with a distinct segment start).

        Returns (carry, logits_t [B, *out], aux) with aux["h_prev"][l] [B, N] and
        aux["x"][l] [B, D], the state before this step and the core input of layer l.
        """
        if self.two_tower:
            raise UnsupportedCombinationError("Two-tower tasks need both whole texts before their features can be "
                             "compared; they cannot be run step by step.")
        pool_carry = carry["pool"]
        if reset_t is not None:
            keep = 1.0 - reset_t
            pool_carry = jax.tree_util.tree_map(
                lambda a: a * keep.reshape(keep.shape + (1,) * (a.ndim - 1)).astype(a.dtype),
                pool_carry)
        u = self._encode(inputs_t)
        new_h, xs = [], []
        for l, block in enumerate(self.blocks):
            eps = None if perturbations is None else perturbations[l]
            u, h_t, x_t = block.step(u, carry["h"][l], is_training, eps, reset_t)
            new_h.append(h_t)
            xs.append(x_t)
        pooled, pool_carry = pooling_lib.pool_step(u, mask_t.astype(u.dtype), pool_carry,
                                                   self.pooling)
        logits = self._head(pooled)
        return {"h": new_h, "pool": pool_carry}, logits, {"h_prev": list(carry["h"]), "x": xs}


def segment_starts(resets: Optional[jax.Array], shape, cell: Cell,
                   dtype) -> Optional[jax.Array]:
    """The segment starts [B, T] a layer's core gets (None: none to apply).

    The batch's `resets`, with t = 0 marked: every row starts fresh. For a cell whose segment
    start is the step from a zero state, a row without resets needs none (h0 is zero).
    """
    if resets is None:
        if not cell.distinct_segment_start:
            return None
        resets = jnp.zeros(shape, dtype)
    return resets.astype(dtype).at[:, 0].set(1.0)


def initial_carry(cells: Sequence[Cell], d_model: int, batch_size: int,
                  dtype=jnp.float32) -> Dict[str, Any]:
    """The carry of `SequenceModel.step` before the first step: zero states and pooling."""
    return {
        "h": [cell.initial_state((batch_size,), dtype) for cell in cells],
        "pool": pooling_lib.initial_pool_carry(batch_size, d_model, dtype),
    }


def fresh_start(resets_t: jax.Array, position: jax.Array) -> jax.Array:
    """resets_t [B] with every row marked at position 0: the first step of a stream starts a
    segment (position counts the steps a stream has taken)."""
    return jnp.maximum(resets_t, (position == 0).astype(resets_t.dtype))
