"""The sequence model: encoder → residual blocks → pooling → (ReLU readout) → decoder.

One Haiku module, two modes that share every parameter:

  `__call__(batch, rule, is_training)` — the whole sequence at once (parallel engine,
      evaluation). Returns logits [B, T, *out] for per-step pooling (none, pool_st) or
      [B, *out] for sequence pooling (pool, last).
  `step(carry, inputs_t, mask_t, is_training, perturbations)` — one time step of the whole
      stack (streaming engine, the oracle, online inference). Returns the new carry, logits
      [B, *out] for this step, and per layer the previous state and the core's input.

Module names (and so parameter paths) are fixed: `encoder`, `block_{l}/~/norm`,
`block_{l}/~/core`, `block_{l}/~/glu_w1|glu_w2`, `readout_mlp`, `decoder`. `param_roles`
maps every parameter to its role (encoder, recurrent, core_readout, block, readout_mlp,
decoder), which the optimizer groups and rules (e.g. a reservoir rule) use.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import haiku as hk
import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import Cell
from lru_rtrl.model import pooling as pooling_lib
from lru_rtrl.model.blocks import ResidualBlock


class SequenceModel(hk.Module):
    """Encoder, `n_layers` residual blocks around `cells`, pooling and decoder."""

    def __init__(self, cells: Sequence[Cell], *, d_model: int, input_kind: str,
                 input_dim: int, output_shape: Tuple[int, ...], block: str, norm: str,
                 dropout: float, pooling: str, readout_units: int = 0, two_tower: bool = False,
                 scan: str = "auto", name: Optional[str] = None):
        super().__init__(name=name)
        if pooling not in pooling_lib.POOLINGS:
            raise ValueError(f"Unknown config.model.pooling {pooling!r}; choose one of "
                             f"{pooling_lib.POOLINGS}.")
        if two_tower and pooling not in pooling_lib.SEQUENCE_POOLINGS:
            raise ValueError(
                f"Two-tower tasks compare pooled sequence features, so config.model.pooling must "
                f"be one of {pooling_lib.SEQUENCE_POOLINGS}, not {pooling!r}.")
        self.cells = tuple(cells)
        self.d_model = d_model
        self.input_kind = input_kind
        self.input_dim = input_dim
        self.output_shape = tuple(output_shape)
        self.pooling = pooling
        self.readout_units = readout_units
        self.two_tower = two_tower
        # Submodules are created once here, so both modes share them under short names.
        self.encoder = hk.Linear(d_model, name="encoder")
        self.blocks = [ResidualBlock(cell, block=block, norm=norm, dropout=dropout, scan=scan,
                                     name=f"block_{l}") for l, cell in enumerate(self.cells)]
        units = readout_units or (d_model if two_tower else 0)
        self.readout_mlp = hk.Linear(units, name="readout_mlp") if units else None
        size = 1
        for n in self.output_shape:
            size *= n
        self.decoder = hk.Linear(size, name="decoder")

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
    def __call__(self, batch: Dict[str, jax.Array], rule, is_training: bool) -> jax.Array:
        """batch: inputs [B, T, F] or [B, T], mask [B, T] (and inputs2 / mask2 for two towers)."""
        inputs, mask = batch["inputs"], batch["mask"]
        if self.two_tower:
            # Both texts run through the same network as one batch of 2B sequences.
            inputs = jnp.concatenate([inputs, batch["inputs2"]], axis=0)
            mask = jnp.concatenate([mask, batch["mask2"]], axis=0)
        u = self._encode(inputs)
        for block in self.blocks:
            u = block(u, rule, is_training)
        pooled = pooling_lib.pool_sequence(u, mask.astype(u.dtype), self.pooling)
        if self.two_tower:
            a, b = jnp.split(pooled, 2, axis=0)
            pooled = jnp.concatenate([a, b, a * b, a - b], axis=-1)
        return self._head(pooled)

    # --- one step ------------------------------------------------------------------------
    def step(self, carry: Dict[str, Any], inputs_t: jax.Array, mask_t: jax.Array,
             is_training: bool, perturbations: Optional[Sequence[jax.Array]] = None
             ) -> Tuple[Dict[str, Any], jax.Array, Dict[str, List[jax.Array]]]:
        """One step: inputs_t [B, F] or [B], mask_t [B].

        Returns (carry, logits_t [B, *out], aux) with aux["h_prev"][l] [B, N] and
        aux["x"][l] [B, D], the state before this step and the core input of layer l.
        """
        if self.two_tower:
            raise ValueError("Two-tower tasks need both whole texts before their features can be "
                             "compared; they cannot be run step by step.")
        u = self._encode(inputs_t)
        new_h, xs = [], []
        for l, block in enumerate(self.blocks):
            eps = None if perturbations is None else perturbations[l]
            u, h_t, x_t = block.step(u, carry["h"][l], is_training, eps)
            new_h.append(h_t)
            xs.append(x_t)
        pooled, pool_carry = pooling_lib.pool_step(u, mask_t.astype(u.dtype), carry["pool"],
                                                   self.pooling)
        logits = self._head(pooled)
        return {"h": new_h, "pool": pool_carry}, logits, {"h_prev": list(carry["h"]), "x": xs}


def initial_carry(cells: Sequence[Cell], d_model: int, batch_size: int,
                  dtype=jnp.float32) -> Dict[str, Any]:
    """The carry of `SequenceModel.step` before the first step: zero states and pooling."""
    return {
        "h": [cell.initial_state((batch_size,), dtype) for cell in cells],
        "pool": pooling_lib.initial_pool_carry(batch_size, d_model, dtype),
    }


def param_roles(params: hk.Params, cells: Sequence[Cell]) -> Dict[str, Dict[str, str]]:
    """{module: {name: role}} for every parameter of a SequenceModel's params."""
    roles: Dict[str, Dict[str, str]] = {}
    for module, names in params.items():
        roles[module] = {}
        leaf = module.split("/")[-1]
        for name in names:
            if leaf == "encoder":
                role = "encoder"
            elif leaf in ("readout_mlp",):
                role = "readout_mlp"
            elif leaf == "decoder":
                role = "decoder"
            elif leaf == "core":
                layer = _layer_index(module)
                role = "recurrent" if name in cells[layer].structure.recurrent else "core_readout"
            elif "block_" in module:
                role = "block"
            else:
                raise ValueError(f"Parameter {module}/{name} has no role; update param_roles.")
            roles[module][name] = role
    return roles


def _layer_index(module: str) -> int:
    for part in module.split("/"):
        if part.startswith("block_"):
            return int(part[len("block_"):])
    raise ValueError(f"{module!r} is not inside a block")
