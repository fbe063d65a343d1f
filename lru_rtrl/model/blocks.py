"""The residual block of the paper: norm → core → activation / GLU, with dropout shared in time.

Pre-norm:  u + Drop(GLU(Drop(GELU(core(LN(u))))))
Post-norm: LN(u + Drop(GLU(Drop(GELU(core(u))))))

Activations (`config.model.block`):
  full_glu   W1 a ⊙ σ(W2 a), a = Drop(GELU(y))
  half_glu1  a ⊙ σ(W a)
  half_glu2  y ⊙ σ(W a) (gate from the GELU'd input, applied to the raw core output)
  gelu       a
  none       y

The same module runs a whole sequence ([B, T, D], through the learning rule's surrogate) or
one step ([B, D]). Both draw their dropout masks ([B, D], one per sequence) from
`hk.next_rng_key()` in the same order, so a step-by-step pass with the same rng uses exactly
the masks of the sequence pass.
"""

from __future__ import annotations

from typing import Optional, Tuple

import haiku as hk
import jax

from lru_rtrl.choices import Block, Norm
from lru_rtrl.cores.base import Cell, RecurrentCore
from lru_rtrl.errors import ConfigError
from lru_rtrl import paths


def dropout_mask(rate: float, shape, dtype) -> Optional[jax.Array]:
    """A rescaled keep-mask [B, D] (None when rate is 0): one mask per sequence and unit."""
    if rate <= 0.0:
        return None
    keep = jax.random.bernoulli(hk.next_rng_key(), 1.0 - rate, shape)
    return keep.astype(dtype) / (1.0 - rate)


def _apply_mask(a: jax.Array, mask: Optional[jax.Array]) -> jax.Array:
    if mask is None:
        return a
    # Sequence inputs [B, T, D] share the mask [B, D] across time.
    return a * (mask[:, None, :] if a.ndim == 3 else mask)


class ResidualBlock(hk.Module):
    """One residual block around a recurrent core (module names: norm, core, glu_w1, glu_w2)."""

    def __init__(self, cell: Cell, *, block: str, norm: str, dropout: float,
                 w_init: Optional[hk.initializers.Initializer] = None,
                 name: Optional[str] = None):
        super().__init__(name=name)
        if block not in Block.values():
            raise ConfigError(f"Unknown config.model.block {block!r}; choose one of "
                             f"{Block.values()}.")
        if norm not in Norm.values():
            raise ConfigError(f"Unknown config.model.norm {norm!r}; choose one of {Norm.values()}.")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"config.model.dropout must be in [0, 1), got {dropout}.")
        self.cell = cell
        self.block = block
        self.norm = norm
        self.dropout = dropout
        # Submodules are created here, once, so that both modes share them and their names
        # stay short (block_0/~/core, block_0/~/norm, ...).
        width = cell.d_out
        self.core = RecurrentCore(cell, name=paths.CORE)
        self.layer_norm = (hk.LayerNorm(axis=-1, create_scale=True, create_offset=True,
                                        name=paths.NORM) if norm != Norm.NONE else None)
        self.glu_w1 = (hk.Linear(width, w_init=w_init, name="glu_w1")
                       if block == Block.FULL_GLU else None)
        self.glu_w2 = (hk.Linear(width, w_init=w_init, name="glu_w2")
                       if block in (Block.FULL_GLU, Block.HALF_GLU1, Block.HALF_GLU2) else None)

    def _masks(self, batch_size: int, is_training: bool, dtype):
        """The block's two dropout masks, drawn in a fixed order (sequence and step agree)."""
        if not is_training or self.block == Block.NONE:
            return None, None
        width = self.cell.d_out
        first = dropout_mask(self.dropout, (batch_size, width), dtype)
        second = dropout_mask(self.dropout, (batch_size, width), dtype)
        return first, second

    def _activation(self, y, masks):
        first, second = masks
        if self.block == Block.NONE:
            return y
        a = _apply_mask(jax.nn.gelu(y), first)
        if self.block == Block.FULL_GLU:
            out = self.glu_w1(a) * jax.nn.sigmoid(self.glu_w2(a))
        elif self.block == Block.HALF_GLU1:
            out = a * jax.nn.sigmoid(self.glu_w2(a))
        elif self.block == Block.HALF_GLU2:
            out = y * jax.nn.sigmoid(self.glu_w2(a))
        else:  # gelu
            return a
        return _apply_mask(out, second)

    def _wrap(self, u, run_core, is_training):
        masks = self._masks(u.shape[0], is_training, u.dtype)
        x = self.layer_norm(u) if self.norm == Norm.PRE else u
        y, extra = run_core(x)
        out = u + self._activation(y, masks)
        if self.norm == Norm.POST:
            out = self.layer_norm(out)
        return out, x, extra

    def __call__(self, u: jax.Array, rule, is_training: bool,
                 resets: Optional[jax.Array] = None, h0: Optional[jax.Array] = None
                 ) -> jax.Array:
        """u [B, T, D] -> [B, T, D] through the rule's whole-sequence surrogate, the core
        starting from h0 [B, N] (zeros when None) with segment starts `resets` [B, T]."""
        out, _, _ = self._wrap(u, lambda x: (self.core(x, rule, resets, h0), None),
                               is_training)
        return out

    def step(self, u_t: jax.Array, h_prev: jax.Array, is_training: bool,
             perturbation: Optional[jax.Array] = None, reset: Optional[jax.Array] = None
             ) -> Tuple[jax.Array, jax.Array, jax.Array]:
        """u_t [B, D], h_prev [B, N], reset [B] -> (block output [B, D], h_t [B, N], core
        input x_t [B, D])."""
        out, x_t, h_t = self._wrap(
            u_t, lambda x: self.core.step(x, h_prev, perturbation, reset), is_training)
        return out, h_t, x_t
