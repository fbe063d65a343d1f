"""The streaming engine: one time step at a time, memory independent of the sequence length.

A `lax.scan` over time whose carry holds the network state, each layer's traces and the
gradient accumulators — nothing per time step. At step t:

  1. forward the single-step network (h_{t-1} held fixed) and its loss ℓ_t;
  2. one VJP of ℓ_t with respect to the non-recurrent parameters φ and to a zero-valued
     perturbation of every layer's new state: the perturbations' cotangents are the spatial
     errors δ_t^l, the φ-cotangent is the instantaneous gradient;
  3. update each layer's traces M_t^l with the rule's J and I at (h_{t-1}^l, x_t^l);
  4. accumulate δ_t^l · M_t^l for θ^l and the instantaneous gradient for φ.

Sequence boundaries inside a stream are marked by `batch["resets"]` [B, T] (1 where a new
sequence starts): state, pooling carry and traces of that row are zeroed before the step.

`online_updates` additionally applies an optimizer every K steps inside the stream (K = T is
one update per sequence); traces are carried across updates, as RTRL prescribes.

Memory per layer: states B·N, traces B·|θ| (element-wise) or B·N·|θ| (dense `online_full`),
accumulators |θ| + |φ|, independent of T.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import jax
import jax.numpy as jnp
import optax

from lru_rtrl.engines.base import (Engine, mask_frozen, merge_recurrent, split_recurrent,
                                   tree_add)
from lru_rtrl.registry import ENGINES
from lru_rtrl.training import losses


def _time_major(batch: Dict[str, jax.Array], model) -> Dict[str, jax.Array]:
    """Per-step slices [T, B, ...] of everything the step loop reads."""
    spec, pooling = model.spec, model.options["pooling"]
    per_step = {
        "inputs": batch["inputs"],
        "mask": batch["mask"],
        "targets": losses.step_targets(batch, spec),
        "weights": losses.step_weights(batch, spec, pooling),
        "resets": batch.get("resets", jnp.zeros(batch["mask"].shape, jnp.float32)),
    }
    return jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), per_step)


def _reset_rows(tree: Any, keep: jax.Array) -> Any:
    """Multiplies every leaf (leading axis B) by keep [B] (0 where a new sequence starts)."""
    def scale(a):
        return a * keep.reshape((-1,) + (1,) * (a.ndim - 1)).astype(a.dtype)
    return jax.tree_util.tree_map(scale, tree)


def _initial_traces(model, thetas, batch_size):
    return [model.rule.init_traces(cell, theta, batch_size)
            for cell, theta in zip(model.cells, thetas)]


def _step(model, thetas, rest, rng, carry, traces, slice_t, normalizer, is_training):
    """One step of the stream. Returns (carry, traces, θ-grads, φ-grads, stats)."""
    keep = 1.0 - slice_t["resets"]
    carry = _reset_rows(carry, keep)
    traces = [None if m is None else _reset_rows(m, keep) for m in traces]
    thetas_const = jax.lax.stop_gradient(thetas)
    perturbations = [jnp.zeros_like(h) for h in carry["h"]]

    def loss_of(rest_params, eps):
        params = merge_recurrent(model, thetas_const, rest_params)
        new_carry, logits_t, aux = model.step(params, rng, carry, slice_t["inputs"],
                                              slice_t["mask"], is_training, eps)
        loss_t, stats = losses.step_loss(logits_t, slice_t["targets"], slice_t["weights"],
                                         model.spec, normalizer)
        return loss_t, (new_carry, aux, stats)

    loss_t, vjp_fn, (new_carry, aux, stats) = jax.vjp(loss_of, rest, perturbations,
                                                       has_aux=True)
    rest_grads, deltas = vjp_fn(jnp.ones_like(loss_t))
    theta_grads, new_traces = [], []
    for l, (cell, theta) in enumerate(zip(model.cells, thetas)):
        h_prev, x_t = aux["h_prev"][l], aux["x"][l]
        m = model.rule.update_traces(cell, theta, traces[l], h_prev, x_t)
        theta_grads.append(model.rule.recurrent_gradient(cell, theta, m, deltas[l], h_prev, x_t))
        new_traces.append(m)
    return new_carry, new_traces, theta_grads, rest_grads, stats


def _zero_stats(dtype=jnp.float32):
    return {"weight": jnp.zeros((), dtype), "loss_sum": jnp.zeros((), dtype),
            "correct": jnp.zeros((), dtype)}


class StreamingEngine(Engine):
    name = "streaming"

    def gradient(self, model, params, rng, batch, *, normalizer=None, is_training=True,
                 rule=None):
        if rule is not None and rule is not model.rule:
            raise ValueError("The streaming engine runs the model's own rule; build a model "
                             "with the other rule instead.")
        thetas, rest = split_recurrent(model, params)
        batch_size = batch["mask"].shape[0]
        dtype = jax.tree_util.tree_leaves(params)[0].dtype
        steps = _time_major(batch, model)
        if normalizer is None:
            normalizer = jnp.sum(steps["weights"])
        init = (model.initial_carry(batch_size, dtype), _initial_traces(model, thetas, batch_size),
                jax.tree_util.tree_map(jnp.zeros_like, thetas),
                jax.tree_util.tree_map(jnp.zeros_like, rest), _zero_stats(dtype))

        def body(state, slice_t):
            carry, traces, g_theta, g_rest, totals = state
            carry, traces, dg_theta, dg_rest, stats = _step(
                model, thetas, rest, rng, carry, traces, slice_t, normalizer, is_training)
            return (carry, traces, tree_add(g_theta, dg_theta), tree_add(g_rest, dg_rest),
                    tree_add(totals, stats)), None

        (_, _, g_theta, g_rest, totals), _ = jax.lax.scan(body, init, steps)
        grads = merge_recurrent(model, g_theta, g_rest)
        loss = totals["loss_sum"] / jnp.maximum(normalizer, 1e-12)
        return loss, totals, mask_frozen(grads, model.trained_mask(params))


def online_updates(model, params, opt_state, optimizer: optax.GradientTransformation, rng,
                   batch, update_every: int, *, is_training: bool = True):
    """Learns while reading: an optimizer update every `update_every` steps of the stream.

    Each update uses the gradient accumulated since the previous one, normalised by the loss
    weight seen in that window; a window without any loss-bearing step makes no update (so
    momentum does not move parameters on steps that carry no error). Traces and states run
    on across updates. Returns (params, opt_state, stats, number of updates).
    """
    if update_every < 1:
        raise ValueError(f"config.streaming.update_every must be >= 1, got {update_every}.")
    batch_size = batch["mask"].shape[0]
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    steps = _time_major(batch, model)
    num_steps = steps["mask"].shape[0]
    steps["index"] = jnp.arange(num_steps)
    trained = model.trained_mask(params)
    thetas0, rest0 = split_recurrent(model, params)

    def body(state, slice_t):
        params, opt_state, carry, traces, g_theta, g_rest, window, totals, updates = state
        thetas, rest = split_recurrent(model, params)
        carry, traces, dg_theta, dg_rest, stats = _step(
            model, thetas, rest, rng, carry, traces, slice_t, jnp.ones((), dtype), is_training)
        g_theta, g_rest = tree_add(g_theta, dg_theta), tree_add(g_rest, dg_rest)
        window = window + stats["weight"]
        totals = tree_add(totals, stats)
        at_boundary = jnp.logical_or((slice_t["index"] + 1) % update_every == 0,
                                     slice_t["index"] == num_steps - 1)
        do_update = jnp.logical_and(at_boundary, window > 0)

        def update(args):
            params, opt_state = args
            grads = merge_recurrent(model, g_theta, g_rest)
            grads = jax.tree_util.tree_map(lambda g: g / window, mask_frozen(grads, trained))
            deltas, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, deltas), opt_state

        params, opt_state = jax.lax.cond(do_update, update, lambda args: args,
                                         (params, opt_state))
        clear = at_boundary.astype(dtype)
        g_theta = jax.tree_util.tree_map(lambda g: g * (1 - clear), g_theta)
        g_rest = jax.tree_util.tree_map(lambda g: g * (1 - clear), g_rest)
        window = window * (1 - clear)
        updates = updates + do_update.astype(jnp.int32)
        return (params, opt_state, carry, traces, g_theta, g_rest, window, totals, updates), None

    init = (params, opt_state, model.initial_carry(batch_size, dtype),
            _initial_traces(model, thetas0, batch_size),
            jax.tree_util.tree_map(jnp.zeros_like, thetas0),
            jax.tree_util.tree_map(jnp.zeros_like, rest0), jnp.zeros((), dtype),
            _zero_stats(dtype), jnp.zeros((), jnp.int32))
    final, _ = jax.lax.scan(body, init, steps)
    params, opt_state, _, _, _, _, _, totals, updates = final
    return params, opt_state, totals, updates


ENGINES.register("streaming", StreamingEngine())
