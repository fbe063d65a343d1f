"""The streaming engine: one time step at a time, memory independent of the sequence length.

A `lax.scan` over time whose carry holds the network state, each layer's traces and the
gradient accumulators — nothing per time step. At step t:

  1. forward the single-step network (h_{t-1} held fixed) and its loss ℓ_t;
  2. one VJP of ℓ_t with respect to the non-recurrent parameters φ and to a zero-valued
     perturbation of every layer's new state: the perturbations' cotangents are the spatial
     errors δ_t^l, the φ-cotangent is the instantaneous gradient;
  3. update each layer's traces M_t^l with the rule's J and I at (h_{t-1}^l, x_t^l);
  4. accumulate δ_t^l · M_t^l for θ^l and the instantaneous gradient for φ.

Each step reads its slice of the batch in place (no time-major copy of the sequence), so the
engine's working memory does not depend on T; only the batch it is given does. For streams
too long to hold at once, `online_updates` takes and returns a `StreamState` (network state,
traces, pending gradient, position), so a stream can be fed chunk by chunk with memory
bounded by the chunk. Each of its steps is `learn_step`, which `lru_rtrl.learner`'s
OnlineLearner calls too, one stream step per call.

Sequence boundaries inside a stream are marked by `batch["resets"]` [B, T] (1 where a new
sequence starts; the first step of a fresh stream always is one): that row's traces are
zeroed, and the model's step forgets its state and pooling carry (the core's segment start).

Memory per layer: states B·N, traces B·|θ| (element-wise) or B·N·|θ| (dense `online_full`),
accumulators |θ| + |φ|.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import jax
import jax.numpy as jnp
import optax

from lru_rtrl.errors import ConfigError
from lru_rtrl.engines.base import (Engine, mask_frozen, merge_recurrent, split_recurrent,
                                   tree_add)
from lru_rtrl.model import losses
from lru_rtrl.model.network import fresh_start
from lru_rtrl.registry import ENGINES

StreamState = Dict[str, Any]


def weight_scale(batch: Dict[str, jax.Array], model) -> Optional[jax.Array]:
    """[B] factor of each row's loss weights for config.train.loss_average (None for
    "token"), computed once per batch so that each step reads only its own column."""
    if model.loss_average == "token":
        return None
    return losses.row_scale(batch, model.spec, model.arch.pooling, model.loss_average)


def _slice_step(batch: Dict[str, jax.Array], model, t: jax.Array,
                scale: Optional[jax.Array] = None) -> Dict[str, jax.Array]:
    """What step t reads: inputs, mask, targets, loss weights and resets, each [B, ...]
    (read in place: nothing of size [B, T] is made)."""
    at = lambda a: jax.lax.dynamic_index_in_dim(a, t, axis=1, keepdims=False)  # noqa: E731
    mask_t = at(batch["mask"]).astype(jnp.float32)
    resets = at(batch["resets"]) if "resets" in batch else jnp.zeros_like(mask_t)
    return {"inputs": at(batch["inputs"]), "mask": mask_t,
            "targets": losses.step_targets_at(batch, model.spec, t),
            "weights": losses.step_weights_at(batch, model.spec, model.arch.pooling, t, scale),
            "resets": resets}


def total_weight(batch: Dict[str, jax.Array], model) -> jax.Array:
    """Σ of the loss weights of all steps (the default loss normaliser)."""
    return jnp.sum(losses.step_weights(batch, model.spec, model.arch.pooling,
                                       model.loss_average))


def reset_rows(tree: Any, keep: jax.Array) -> Any:
    """Multiplies every leaf (leading axis B) by keep [B] (0 where a new sequence starts)."""
    def scale(a):
        return a * keep.reshape((-1,) + (1,) * (a.ndim - 1)).astype(a.dtype)
    return jax.tree_util.tree_map(scale, tree)


def _step(model, thetas, rest, rng, carry, traces, slice_t, normalizer, is_training):
    """One step of the stream. Returns (carry, traces, θ-grads, φ-grads, stats, logits_t);
    logits_t [B, *out] are the prediction made with the parameters before any update."""
    # A segment start (the caller marks the first step of a fresh stream too) cuts the
    # traces; the model's step forgets the state and the pooling carry there itself.
    reset = slice_t["resets"]
    traces = [None if m is None else reset_rows(m, 1.0 - reset) for m in traces]
    thetas_const = jax.lax.stop_gradient(thetas)
    perturbations = [jnp.zeros_like(h) for h in carry["h"]]

    def loss_of(rest_params, eps):
        params = merge_recurrent(model, thetas_const, rest_params)
        new_carry, logits_t, aux = model.step(params, rng, carry, slice_t["inputs"],
                                              slice_t["mask"], is_training, eps, reset)
        loss_t, stats = losses.step_loss(logits_t, slice_t["targets"], slice_t["weights"],
                                         model.spec, normalizer)
        return loss_t, (new_carry, aux, stats, logits_t)

    loss_t, vjp_fn, (new_carry, aux, stats, logits_t) = jax.vjp(loss_of, rest, perturbations,
                                                                 has_aux=True)
    rest_grads, deltas = vjp_fn(jnp.ones_like(loss_t))
    theta_grads, new_traces = [], []
    for l, (cell, theta) in enumerate(zip(model.cells, thetas)):
        h_prev, x_t = aux["h_prev"][l], aux["x"][l]
        m = model.rule.update_traces(cell, theta, traces[l], h_prev, x_t, reset)
        theta_grads.append(model.rule.recurrent_gradient(cell, theta, m, deltas[l], h_prev, x_t,
                                                         reset))
        new_traces.append(m)
    return new_carry, new_traces, theta_grads, rest_grads, stats, logits_t


def _zero_stats(dtype=jnp.float32):
    return {"weight": jnp.zeros((), dtype), "loss_sum": jnp.zeros((), dtype),
            "correct": jnp.zeros((), dtype)}


def init_stream_state(model, params, batch_size: int) -> StreamState:
    """A fresh stream: zero states and traces, no pending gradient, position 0."""
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    thetas, rest = split_recurrent(model, params)
    return {
        "carry": model.initial_carry(batch_size, dtype),
        "traces": [model.rule.init_traces(cell, theta, batch_size)
                   for cell, theta in zip(model.cells, thetas)],
        "grad_theta": jax.tree_util.tree_map(jnp.zeros_like, thetas),
        "grad_rest": jax.tree_util.tree_map(jnp.zeros_like, rest),
        "window": jnp.zeros((), dtype),
        "position": jnp.zeros((), jnp.int32),
    }


class StreamingEngine(Engine):
    name = "streaming"
    streams = True
    in_stream_updates = True

    def gradient(self, model, params, rng, batch, *, normalizer=None, is_training=True,
                 rule=None):
        if rule is not None and rule is not model.rule:
            raise ValueError("The streaming engine runs the model's own rule; build a model "
                             "with the other rule instead.")
        thetas, rest = split_recurrent(model, params)
        batch_size, num_steps = batch["mask"].shape
        dtype = jax.tree_util.tree_leaves(params)[0].dtype
        if normalizer is None:
            normalizer = total_weight(batch, model)
        fresh = init_stream_state(model, params, batch_size)
        scale = weight_scale(batch, model)

        def body(state, t):
            carry, traces, g_theta, g_rest, totals = state
            slice_t = _slice_step(batch, model, t, scale)
            slice_t["resets"] = fresh_start(slice_t["resets"], t)
            carry, traces, dg_theta, dg_rest, stats, _ = _step(
                model, thetas, rest, rng, carry, traces, slice_t, normalizer, is_training)
            return (carry, traces, tree_add(g_theta, dg_theta), tree_add(g_rest, dg_rest),
                    tree_add(totals, stats)), None

        init = (fresh["carry"], fresh["traces"], fresh["grad_theta"], fresh["grad_rest"],
                _zero_stats(dtype))
        (_, _, g_theta, g_rest, totals), _ = jax.lax.scan(body, init, jnp.arange(num_steps))
        grads = merge_recurrent(model, g_theta, g_rest)
        loss = totals["loss_sum"] / jnp.maximum(normalizer, 1e-12)
        return loss, totals, mask_frozen(grads, model.trained_mask(params))

    def online_updates(self, model, params, opt_state, optimizer, rng, batch, update_every,
                       **kwargs):
        return online_updates(model, params, opt_state, optimizer, rng, batch, update_every,
                              **kwargs)


def online_updates(model, params, opt_state, optimizer: optax.GradientTransformation, rng,
                   batch, update_every: int, *, is_training: bool = True,
                   stream_state: Optional[StreamState] = None, flush: bool = True,
                   cross_device_sum: Optional[Callable[[Any], Any]] = None):
    """Learns while reading: an optimizer update every `update_every` steps of the stream.

    Each update uses the gradient accumulated since the previous one, normalised by the loss
    weight seen in that window; a window without any loss-bearing step makes no update (so
    momentum does not move parameters on steps that carry no error). States and traces run on
    across updates, as RTRL prescribes.

    Args:
      batch: a chunk of the stream, [B, T, ...]; `resets` marks sequence starts.
      stream_state: where the previous chunk left off (None: a fresh stream). Update
        boundaries count steps from the start of the stream, across chunks.
      flush: also update at the chunk's last step if a gradient is pending (for batches of
        independent sequences); pass False to carry a partial window to the next chunk.
      cross_device_sum: under pmap, the sum over devices (e.g. training.devices.psum): every
        update then uses the gradient and loss weight of the whole global batch, and every
        device takes the same decision to update. None on one device.
    Returns:
      (params, opt_state, stats, number of updates, stream_state).
    """
    if update_every < 1:
        raise ConfigError(f"config.streaming.update_every must be >= 1, got {update_every}.")
    batch_size, num_steps = batch["mask"].shape
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    trained = model.trained_mask(params)
    state = stream_state if stream_state is not None else init_stream_state(
        model, params, batch_size)
    scale = weight_scale(batch, model)

    def body(loop, t):
        params, opt_state, state, totals, updates = loop
        at_boundary = (state["position"] + 1) % update_every == 0
        if flush:
            at_boundary = jnp.logical_or(at_boundary, t == num_steps - 1)
        params, opt_state, state, stats, did_update, _ = learn_step(
            model, optimizer, params, opt_state, state, _slice_step(batch, model, t, scale), rng,
            at_boundary, is_training=is_training, cross_device_sum=cross_device_sum,
            trained=trained)
        return (params, opt_state, state, tree_add(totals, stats),
                updates + did_update.astype(jnp.int32)), None

    init = (params, opt_state, state, _zero_stats(dtype), jnp.zeros((), jnp.int32))
    (params, opt_state, state, totals, updates), _ = jax.lax.scan(body, init,
                                                                   jnp.arange(num_steps))
    return params, opt_state, totals, updates, state


def learn_step(model, optimizer: optax.GradientTransformation, params, opt_state,
               state: StreamState, slice_t: Dict[str, jax.Array], rng, at_boundary: jax.Array,
               *, is_training: bool = True,
               cross_device_sum: Optional[Callable[[Any], Any]] = None, trained=None):
    """One step of learning while reading, shared by `online_updates` and
    `lru_rtrl.learner.OnlineLearner`: predict, accumulate the rule's gradient, and at an
    update boundary apply the optimizer to the gradient accumulated since the last one.

    Args:
      slice_t: what the step reads, each [B, ...]: inputs, mask, targets, weights, resets.
      at_boundary: bool []: this step ends an update window. The update uses the window's
        gradient divided by its loss weight, and is skipped if that weight is 0 (momentum
        does not move parameters on steps that carry no error); the accumulators restart.
      trained: model.trained_mask(params), if the caller has it already.
    Returns:
      (params, opt_state, state, stats, did_update bool [], logits_t [B, *out]); logits_t
      is the prediction made before this step's update (prequential).
    """
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    reduce = cross_device_sum or (lambda tree: tree)
    trained = trained if trained is not None else model.trained_mask(params)
    thetas, rest = split_recurrent(model, params)
    slice_t = dict(slice_t, resets=fresh_start(slice_t["resets"], state["position"]))
    # Each step's loss is not normalised inside the window: the update divides by its weight.
    carry, traces, dg_theta, dg_rest, stats, logits_t = _step(
        model, thetas, rest, rng, state["carry"], state["traces"], slice_t,
        jnp.ones((), dtype), is_training)
    g_theta = tree_add(state["grad_theta"], dg_theta)
    g_rest = tree_add(state["grad_rest"], dg_rest)
    window = state["window"] + reduce(stats["weight"])
    do_update = jnp.logical_and(at_boundary, window > 0)

    def update(args):
        params, opt_state = args
        grads = reduce(mask_frozen(merge_recurrent(model, g_theta, g_rest), trained))
        grads = jax.tree_util.tree_map(lambda g: g / window, grads)
        deltas, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, deltas), opt_state

    params, opt_state = jax.lax.cond(do_update, update, lambda args: args,
                                     (params, opt_state))
    keep = 1.0 - at_boundary.astype(dtype)
    state = {
        "carry": carry, "traces": traces,
        "grad_theta": jax.tree_util.tree_map(lambda g: g * keep, g_theta),
        "grad_rest": jax.tree_util.tree_map(lambda g: g * keep, g_rest),
        "window": window * keep, "position": state["position"] + 1,
    }
    return params, opt_state, state, stats, do_update, logits_t


ENGINES.register("streaming", StreamingEngine())
