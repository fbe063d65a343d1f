"""Pooling of the top-layer outputs, for whole sequences and step by step.

  none     per-step outputs; the loss is per step.
  pool_st  running mean over the valid steps so far, with a stop-gradient on the past:
           p_t = (sg(Σ_{s<t} m_s y_s) + y_t) / Σ_{s≤t} m_s, so ℓ_t reaches the network only
           through time t (an online-compatible per-step loss).
  pool     mean over the valid steps; one loss per sequence, known only at the end
           (cannot be streamed).
  last     the output at the last valid step; one loss per sequence (streamable: the loss sits
           at the last step).

Masks are [B, T] (1 on real steps). Shapes: y [B, T, D] -> [B, T, D] (none, pool_st) or
[B, D] (pool, last). Segment starts inside a row (`resets` [B, T], a stream of several
sequences) restart pool_st's running mean; the sequence poolings make one prediction per
row and refuse them.
"""

from __future__ import annotations

from typing import Dict, Tuple

import jax
import jax.numpy as jnp

from typing import Optional

from lru_rtrl.choices import Pooling
from lru_rtrl.cores.scan import linear_recurrence
from lru_rtrl.errors import ConfigError, UnsupportedCombinationError

POOLINGS = Pooling.values()
SEQUENCE_POOLINGS = tuple(p.value for p in Pooling if not p.per_step)
STREAMABLE_POOLINGS = tuple(p.value for p in Pooling if p.streamable)


def last_step_mask(mask: jax.Array) -> jax.Array:
    """[B, T] one-hot of the last valid step of each sequence (all zero for an empty one)."""
    mask = mask.astype(jnp.float32)
    following = jnp.concatenate([mask[:, 1:], jnp.zeros_like(mask[:, :1])], axis=1)
    return mask * (1.0 - following)


def _running_sum(v: jax.Array, resets: Optional[jax.Array]) -> jax.Array:
    """Σ_{s ≤ t} v_s along time, restarted where resets [B, T] is 1: v [B, T, D]."""
    if resets is None:
        return jnp.cumsum(v, axis=1)
    keep = (1.0 - resets)[..., None].astype(v.dtype)
    return linear_recurrence(keep, v, jnp.zeros_like(v[:, 0]))


def pool_sequence(y: jax.Array, mask: jax.Array, pooling: str,
                  resets: Optional[jax.Array] = None) -> jax.Array:
    """Pools y [B, T, D] with mask [B, T] (and segment starts resets [B, T] or None)."""
    if pooling == "none":
        return y
    m = mask[..., None].astype(y.dtype)
    if resets is not None and pooling not in ("none", "pool_st"):
        raise UnsupportedCombinationError(
            f"Pooling {pooling!r} makes one prediction per row, but the batch marks segment "
            "starts (resets) inside rows; use a per-step pooling ('none' or 'pool_st') for "
            "rows that hold several sequences.")
    if pooling == "pool_st":
        total = _running_sum(m * y, resets)
        count = jnp.maximum(_running_sum(m, resets), 1.0)
        past = jax.lax.stop_gradient(total - m * y)
        return (past + y) / count
    if pooling == "pool":
        return jnp.sum(m * y, axis=1) / jnp.maximum(jnp.sum(m, axis=1), 1.0)
    if pooling == "last":
        return jnp.einsum("bt,btd->bd", last_step_mask(mask).astype(y.dtype), y)
    raise ConfigError(f"Unknown pooling {pooling!r}; choose one of {POOLINGS}.")


def initial_pool_carry(batch_size: int, width: int, dtype=jnp.float32) -> Dict[str, jax.Array]:
    return {"sum": jnp.zeros((batch_size, width), dtype), "count": jnp.zeros((batch_size,), dtype)}


def pool_step(y_t: jax.Array, mask_t: jax.Array, carry: Dict[str, jax.Array],
              pooling: str) -> Tuple[jax.Array, Dict[str, jax.Array]]:
    """One step of pooling: y_t [B, D], mask_t [B] -> (pooled [B, D], carry).

    `last` returns y_t itself: the loss is placed at the last valid step by its weights.
    """
    if pooling in ("none", "last"):
        return y_t, carry
    if pooling == "pool_st":
        m = mask_t[:, None].astype(y_t.dtype)
        count = carry["count"] + mask_t
        pooled = (jax.lax.stop_gradient(carry["sum"]) + y_t) / jnp.maximum(count, 1.0)[:, None]
        new_carry = {"sum": jax.lax.stop_gradient(carry["sum"] + m * y_t), "count": count}
        return pooled, new_carry
    raise UnsupportedCombinationError(
        f"Pooling {pooling!r} cannot run step by step: its loss is known only at the end of the "
        f"sequence. Use one of {STREAMABLE_POOLINGS} with the streaming engine, or the parallel "
        "engine.")
