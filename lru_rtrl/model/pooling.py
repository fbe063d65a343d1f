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
[B, D] (pool, last).
"""

from __future__ import annotations

from typing import Dict, Tuple

import jax
import jax.numpy as jnp

from lru_rtrl.config.choices import Pooling

POOLINGS = Pooling.values()
SEQUENCE_POOLINGS = tuple(p.value for p in Pooling if not p.per_step)
STREAMABLE_POOLINGS = tuple(p.value for p in Pooling if p.streamable)


def last_step_mask(mask: jax.Array) -> jax.Array:
    """[B, T] one-hot of the last valid step of each sequence (all zero for an empty one)."""
    mask = mask.astype(jnp.float32)
    following = jnp.concatenate([mask[:, 1:], jnp.zeros_like(mask[:, :1])], axis=1)
    return mask * (1.0 - following)


def pool_sequence(y: jax.Array, mask: jax.Array, pooling: str) -> jax.Array:
    """Pools y [B, T, D] with mask [B, T]."""
    if pooling == "none":
        return y
    m = mask[..., None].astype(y.dtype)
    if pooling == "pool_st":
        total = jnp.cumsum(m * y, axis=1)
        count = jnp.maximum(jnp.cumsum(m, axis=1), 1.0)
        past = jax.lax.stop_gradient(total - m * y)
        return (past + y) / count
    if pooling == "pool":
        return jnp.sum(m * y, axis=1) / jnp.maximum(jnp.sum(m, axis=1), 1.0)
    if pooling == "last":
        return jnp.einsum("bt,btd->bd", last_step_mask(mask).astype(y.dtype), y)
    raise ValueError(f"Unknown pooling {pooling!r}; choose one of {POOLINGS}.")


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
    raise ValueError(
        f"Pooling {pooling!r} cannot run step by step: its loss is known only at the end of the "
        f"sequence. Use one of {STREAMABLE_POOLINGS} with the streaming engine, or the parallel "
        "engine.")
