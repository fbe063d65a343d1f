"""Masked losses, written once for both engines.

The loss is L = Σ w ℓ / normalizer, with ℓ the cross-entropy of each prediction and w its
weight. Per-step pooling (none, pool_st) has a prediction at every step: ℓ_{b,t} with
w_{b,t} = loss mask (or the padding mask, for a sequence label repeated at every step) ×
example weight. Sequence pooling (pool, last) has one prediction per sequence: w_b = example
weight; step by step, `last` puts that weight on the last valid step. Outputs with several
independent predictions (the copy task's 7 bits, logits [..., 7, 2]) average ℓ over them.

`normalizer` defaults to Σ w of the local batch; the multi-device training step passes the
global Σ w (a psum over devices) so that every device's loss adds up to the loss of the whole
batch, whatever its split.

Averaging (`config.train.loss_average`, per-step pooling only):
  token     every weighted prediction counts once: the loss is the mean over all of them
            (a 4,096-step sequence weighs 14x a 300-step one)
  sequence  each sequence's per-step losses are averaged over its own weighted steps, then the
            sequences are averaged (the paper's released code): w_{b,t} is divided by
            Σ_t w_{b,t}, so Σ w counts sequences
"""

from __future__ import annotations

from typing import Dict, Optional

import jax
import jax.numpy as jnp

from lru_rtrl.choices import LossAverage
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import ConfigError, UnsupportedCombinationError
from lru_rtrl.model import pooling as pooling_lib

AVERAGES = LossAverage.values()


def cross_entropy(logits: jax.Array, targets: jax.Array, spec: TaskSpec) -> jax.Array:
    """ℓ per prediction: logits [..., *output_shape], integer targets [..., *output_shape[:-1]].

    Returns [...]: the cross-entropy, averaged over the independent outputs if there are
    several (output_shape of rank 2).
    """
    log_probs = jax.nn.log_softmax(logits.astype(jnp.promote_types(logits.dtype, jnp.float32)))
    picked = jnp.take_along_axis(log_probs, targets[..., None].astype(jnp.int32), axis=-1)
    nll = -picked[..., 0]
    extra_axes = len(spec.output_shape) - 1
    if extra_axes:
        nll = jnp.mean(nll, axis=tuple(range(-extra_axes, 0)))
    return nll


def correct(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """1.0 where argmax(logits) == targets, shaped like targets."""
    return (jnp.argmax(logits, axis=-1) == targets).astype(jnp.float32)


def example_weights(batch: Dict[str, jax.Array]) -> jax.Array:
    """[B]: 1 for real examples, 0 for filler (default all ones)."""
    if "weights" in batch:
        return batch["weights"].astype(jnp.float32)
    return jnp.ones(batch["mask"].shape[:1], jnp.float32)


def _base_step_weights(batch: Dict[str, jax.Array], spec: TaskSpec, pooling: str) -> jax.Array:
    """[B, T]: where a per-step prediction counts (before averaging and example weights)."""
    mask = batch["mask"].astype(jnp.float32)
    if pooling == "last":
        return pooling_lib.last_step_mask(mask)
    if spec.target_kind == "per_step":
        return batch["loss_mask"].astype(jnp.float32) * mask
    return mask


def row_scale(batch: Dict[str, jax.Array], spec: TaskSpec, pooling: str,
              average: str = "token") -> jax.Array:
    """[B]: the factor of each row's step weights: 1 for "token"; 1 / Σ_t w_{b,t} for
    "sequence" (0 for a row without a weighted step), which makes each sequence count once."""
    if average not in AVERAGES:
        raise ConfigError(f"config.train.loss_average must be one of {AVERAGES}, got "
                         f"{average!r}.")
    if average == "token" or pooling in pooling_lib.SEQUENCE_POOLINGS:
        return jnp.ones(batch["mask"].shape[:1], jnp.float32)
    total = jnp.sum(_base_step_weights(batch, spec, pooling), axis=1)
    return jnp.where(total > 0, 1.0 / jnp.maximum(total, 1e-12), 0.0)


def step_weights(batch: Dict[str, jax.Array], spec: TaskSpec, pooling: str,
                 average: str = "token") -> jax.Array:
    """w_{b,t} [B, T]: the weight of step t's prediction when predictions are made per step.

    For `last`, the weight sits on the last valid step (the streaming form of `last`).
    `average` is config.train.loss_average (module docstring).
    """
    scale = row_scale(batch, spec, pooling, average) * example_weights(batch)
    return _base_step_weights(batch, spec, pooling) * scale[:, None]


def step_weights_at(batch: Dict[str, jax.Array], spec: TaskSpec, pooling: str,
                    t: jax.Array, scale: Optional[jax.Array] = None) -> jax.Array:
    """w_{b,t} [B] of step t: `step_weights(...)[:, t]` without materialising [B, T]
    (the streaming engine reads one step at a time, with memory independent of T).
    `scale` [B] is `row_scale(...)` for averages other than "token", computed once."""
    mask = batch["mask"]
    mask_t = _at(mask, t).astype(jnp.float32)
    if pooling == "last":
        # The last valid step: valid now, and the next step (if any) is not.
        num_steps = mask.shape[1]
        following = jnp.where(t + 1 < num_steps, _at(mask, jnp.minimum(t + 1, num_steps - 1)),
                              0.0).astype(jnp.float32)
        base = mask_t * (1.0 - following)
    elif spec.target_kind == "per_step":
        base = _at(batch["loss_mask"], t).astype(jnp.float32) * mask_t
    else:
        base = mask_t
    weights = base * example_weights(batch)
    return weights if scale is None else weights * scale


def step_targets_at(batch: Dict[str, jax.Array], spec: TaskSpec, t: jax.Array) -> jax.Array:
    """The targets of step t, [B, ...]: `step_targets(...)[:, t]` without materialising them."""
    if spec.target_kind == "per_step":
        return _at(batch["targets"], t)
    return batch["targets"]


def _at(a: jax.Array, t: jax.Array) -> jax.Array:
    return jax.lax.dynamic_index_in_dim(a, t, axis=1, keepdims=False)


def step_targets(batch: Dict[str, jax.Array], spec: TaskSpec) -> jax.Array:
    """Targets per step [B, T, ...]: a sequence label is repeated at every step."""
    targets = batch["targets"]
    if spec.target_kind == "per_step":
        return targets
    return jnp.broadcast_to(targets[:, None], batch["mask"].shape)


def sequence_loss(logits: jax.Array, batch: Dict[str, jax.Array], spec: TaskSpec,
                  pooling: str, normalizer: Optional[jax.Array] = None,
                  average: str = "token"):
    """The batch loss of whole-sequence logits.

    Args:
      logits: [B, T, *out] for per-step pooling, [B, *out] for sequence pooling.
    Returns:
      (loss, stats) with stats["weight"] = Σ w and stats["correct"] = Σ w · accuracy.
    """
    if pooling in pooling_lib.SEQUENCE_POOLINGS:
        if spec.target_kind == "per_step":
            raise UnsupportedCombinationError(f"Task {spec.name!r} has a target at every step; pooling {pooling!r} "
                             "makes one prediction per sequence. Use pooling 'none'.")
        targets = batch["targets"]
        weights = example_weights(batch)
    else:
        targets = step_targets(batch, spec)
        weights = step_weights(batch, spec, pooling, average)
    ell = cross_entropy(logits, targets, spec)
    acc = correct(logits, targets)
    if acc.ndim > weights.ndim:  # several independent outputs: accuracy per output, averaged
        acc = jnp.mean(acc, axis=tuple(range(weights.ndim, acc.ndim)))
    total_weight = jnp.sum(weights)
    if normalizer is None:
        normalizer = total_weight
    loss = jnp.sum(weights * ell) / jnp.maximum(normalizer, 1e-12)
    return loss, {"weight": total_weight, "loss_sum": jnp.sum(weights * ell),
                  "correct": jnp.sum(weights * acc)}


def step_loss(logits_t: jax.Array, targets_t: jax.Array, weights_t: jax.Array,
              spec: TaskSpec, normalizer: jax.Array):
    """ℓ_t of one step for the streaming engine: logits_t [B, *out], targets_t [B, ...], w [B]."""
    ell = cross_entropy(logits_t, targets_t, spec)
    acc = correct(logits_t, targets_t)
    if acc.ndim > 1:
        acc = jnp.mean(acc, axis=tuple(range(1, acc.ndim)))
    loss = jnp.sum(weights_t * ell) / jnp.maximum(normalizer, 1e-12)
    return loss, {"weight": jnp.sum(weights_t), "loss_sum": jnp.sum(weights_t * ell),
                  "correct": jnp.sum(weights_t * acc)}
