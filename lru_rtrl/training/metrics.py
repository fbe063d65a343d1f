"""Evaluation metrics, kept as sums so that they add up across devices, hosts and batches.

`eval_sums(logits, batch, spec, pooling)` returns weighted sums for one batch; `summarize`
turns summed sums into the scalars that are logged:

  loss                     masked cross-entropy per weighted prediction
  accuracy                 per-step ("dense") accuracy over weighted predictions; with several
                           independent outputs per step (copy task: 7 bits) it is per output,
                           also logged as `bit_accuracy` (the copy task's per-bit recall accuracy)
  last_accuracy            the prediction at the last weighted step of each sequence
  mean_logit_accuracy      sequence label from the logits averaged over the weighted steps
  vote_accuracy            sequence label by majority vote of the per-step argmaxes (any number
                           of classes; ties go to the lowest class index)
  step_exact_accuracy      several outputs per step: fraction of steps with every output right
  sequence_exact_accuracy  per-step targets (or several outputs per step): sequences with
                           every output of every weighted step right

Sequence pooling (`pool`, `last`) makes one prediction per sequence: only loss and accuracy.
`recurrence_stats` summarises the recurrence of each layer (|λ| of the LRU, the moduli of
the eigenvalues of a dense A) for the eval-time logs.
"""

from __future__ import annotations

from typing import Dict, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl.data.base import TaskSpec
from lru_rtrl.model import pooling as pooling_lib
from lru_rtrl import paths
from lru_rtrl.model import losses

Sums = Dict[str, jax.Array]


def batch_weight(batch: Dict[str, jax.Array], spec: TaskSpec, pooling: str,
                 average: str = "token") -> jax.Array:
    """Σ w of a batch: the denominator of its loss (see losses.sequence_loss)."""
    if pooling in pooling_lib.SEQUENCE_POOLINGS:
        return jnp.sum(losses.example_weights(batch))
    return jnp.sum(losses.step_weights(batch, spec, pooling, average))


def _last_weighted_step(weights: jax.Array) -> Tuple[jax.Array, jax.Array]:
    """(index [B] of the last step with weight > 0, whether there is one [B])."""
    positive = weights > 0
    steps = weights.shape[1]
    last = steps - 1 - jnp.argmax(positive[:, ::-1], axis=1)
    return last, jnp.any(positive, axis=1)


def _mean_over_outputs(x: jax.Array, batch_ndim: int) -> jax.Array:
    return jnp.mean(x, axis=tuple(range(batch_ndim, x.ndim))) if x.ndim > batch_ndim else x


def eval_sums(logits: jax.Array, batch: Dict[str, jax.Array], spec: TaskSpec,
              pooling: str, average: str = "token") -> Sums:
    """Weighted sums of one batch. logits: [B, T, *out] (per-step pooling) or [B, *out].
    `average` (config.train.loss_average) weighs loss and accuracy like the training loss."""
    _, sums = losses.sequence_loss(logits, batch, spec, pooling, average=average)
    example_w = losses.example_weights(batch)
    sums["examples"] = jnp.sum(example_w)
    if pooling in pooling_lib.SEQUENCE_POOLINGS:
        return sums
    weights = losses.step_weights(batch, spec, pooling, average)           # [B, T]
    targets = losses.step_targets(batch, spec)                             # [B, T, ...]
    right = (jnp.argmax(logits, axis=-1) == targets).astype(jnp.float32)   # [B, T, ...]
    per_step = _mean_over_outputs(right, 2)                                # [B, T]
    last, has_last = _last_weighted_step(weights)
    at_last = jnp.take_along_axis(per_step, last[:, None], axis=1)[:, 0]
    sums["last_correct"] = jnp.sum(example_w * has_last * at_last)
    if spec.target_kind == "sequence":
        w = weights.reshape(weights.shape + (1,) * (logits.ndim - 2))     # [B, T, 1...]
        mean_logits = jnp.sum(w * logits, axis=1) / jnp.maximum(jnp.sum(w, axis=1), 1e-12)
        labels = batch["targets"]
        mean_right = _mean_over_outputs(
            (jnp.argmax(mean_logits, axis=-1) == labels).astype(jnp.float32), 1)
        votes = jnp.sum(w * jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1]),
                        axis=1)                                            # [B, ..., C]
        vote_right = _mean_over_outputs(
            (jnp.argmax(votes, axis=-1) == labels).astype(jnp.float32), 1)
        sums["mean_logit_correct"] = jnp.sum(example_w * mean_right)
        sums["vote_correct"] = jnp.sum(example_w * vote_right)
    if len(spec.output_shape) > 1 or spec.target_kind == "per_step":
        # Whole-answer recall (the copy tasks): every output of every weighted step right.
        all_right = jnp.all(right > 0, axis=tuple(range(2, right.ndim))).astype(jnp.float32)
        if len(spec.output_shape) > 1:
            sums["step_exact"] = jnp.sum(weights * all_right)
        counted = weights > 0
        sequence_right = jnp.all(jnp.logical_or(~counted, all_right > 0), axis=1)
        sums["sequence_exact"] = jnp.sum(example_w * jnp.any(counted, axis=1) * sequence_right)
    return sums


def summarize(sums: Dict[str, float], spec: TaskSpec) -> Dict[str, float]:
    """Scalars from summed `eval_sums` (or from the engines' stats: loss_sum, weight, correct)."""
    sums = {k: float(v) for k, v in sums.items()}
    weight = max(sums["weight"], 1e-12)
    out = {"loss": sums["loss_sum"] / weight, "accuracy": sums["correct"] / weight}
    if len(spec.output_shape) > 1:
        out["bit_accuracy"] = out["accuracy"]
    examples = max(sums.get("examples", 0.0), 1e-12)
    for key, name in (("last_correct", "last_accuracy"),
                      ("mean_logit_correct", "mean_logit_accuracy"),
                      ("vote_correct", "vote_accuracy"),
                      ("sequence_exact", "sequence_exact_accuracy")):
        if key in sums:
            out[name] = sums[key] / examples
    if "step_exact" in sums:
        out["step_exact_accuracy"] = sums["step_exact"] / weight
    return out


def add_sums(total: Dict[str, float], sums: Dict[str, float]) -> Dict[str, float]:
    """total + sums, key by key (host side, in float64)."""
    for key, value in sums.items():
        total[key] = total.get(key, 0.0) + float(value)
    return total


def recurrence_stats(model, params) -> Tuple[Dict[str, float], Dict[str, np.ndarray]]:
    """(scalars, histogram values) of the recurrence of every layer, from host params.

    Each core says what its decays are (`Cell.decay_moduli`: the LRU's |λ|, the moduli of a
    dense A's eigenvalues, the RG-LRU's σ(Λ)^c); cores without one (GRU, minGRU) are skipped.
    """
    scalars: Dict[str, float] = {}
    histograms: Dict[str, np.ndarray] = {}
    for layer, (path, cell) in enumerate(zip(model.core_modules(params), model.cells)):
        theta, _ = cell.split(params[path])
        modulus = cell.decay_moduli(theta)
        if modulus is None:
            continue
        key = f"recurrence/{paths.layer_group(layer)}/abs_lambda"
        histograms[key] = modulus
        for stat, value in (("min", modulus.min()), ("mean", modulus.mean()),
                            ("median", np.median(modulus)), ("max", modulus.max()),
                            ("p10", np.percentile(modulus, 10)),
                            ("p90", np.percentile(modulus, 90))):
            scalars[f"{key}_{stat}"] = float(value)
    return scalars, histograms
