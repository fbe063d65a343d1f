"""Truncated BPTT on a stream: the learner's step for the `tbptt` rule.

The learner keeps the inputs, targets, weights and resets of the current window of K steps
[K, B, ...] and the network state at its start. Every step predicts with the current
parameters (prequential) and stores its slice; at a window's end it runs BPTT over the
buffered window from the stored start state (a constant: the state gradient is stopped
there), divides by the window's loss weight and applies the optimizer. Parameters are fixed
inside a window, so the recomputed states equal the ones the steps produced.

Carried between steps: the buffer (K·B·(F + targets + 3) numbers) and two network states;
during the update, backprop also holds the window's activations, O(K·N) per layer.
"""

from __future__ import annotations

from typing import Any, Dict

import jax
import jax.numpy as jnp
import optax

from lru_rtrl.engines.base import mask_frozen
from lru_rtrl.model import losses
from lru_rtrl.model.network import fresh_start


def init_window_state(model, params, batch_size: int, window: int) -> Dict[str, Any]:
    """A fresh stream for `tbptt`: zero states, an empty window, position 0."""
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    spec = model.spec
    x_shape = () if spec.input_kind == "tokens" else (spec.input_dim,)
    x_dtype = jnp.int32 if spec.input_kind == "tokens" else dtype
    lead = (window, batch_size)
    carry = model.initial_carry(batch_size, dtype)
    return {
        "carry": carry,
        "start": carry,
        "buffer": {"inputs": jnp.zeros(lead + x_shape, x_dtype),
                   "mask": jnp.zeros(lead, dtype),
                   "targets": jnp.zeros(lead + tuple(spec.output_shape[:-1]), jnp.int32),
                   "weights": jnp.zeros(lead, dtype),
                   "resets": jnp.zeros(lead, dtype)},
        "position": jnp.zeros((), jnp.int32),
    }


def window_step(model, optimizer: optax.GradientTransformation, window: int, params,
                opt_state, state: Dict[str, Any], slice_t: Dict[str, jax.Array], rng,
                *, is_training: bool, trained):
    """One stream step under `tbptt`; returns what `streaming.learn_step` returns."""
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    one = jnp.ones((), dtype)
    position = state["position"]
    # The buffer keeps the segment starts the step used (the fresh start included).
    slice_t = dict(slice_t, resets=fresh_start(slice_t["resets"], position))
    new_carry, logits_t, _ = model.step(params, rng, state["carry"], slice_t["inputs"],
                                        slice_t["mask"], is_training, reset_t=slice_t["resets"])
    _, stats = losses.step_loss(logits_t, slice_t["targets"], slice_t["weights"], model.spec,
                                one)
    buffer = jax.tree_util.tree_map(lambda b, v: b.at[position % window].set(v),
                                    state["buffer"], slice_t)
    at_boundary = (position + 1) % window == 0
    weight = jnp.sum(buffer["weights"])
    do_update = jnp.logical_and(at_boundary, weight > 0)

    def window_loss(p):
        def body(c, s):
            c, logits, _ = model.step(p, rng, c, s["inputs"], s["mask"], is_training,
                                      reset_t=s["resets"])
            loss, _ = losses.step_loss(logits, s["targets"], s["weights"], model.spec, one)
            return c, loss
        _, per_step = jax.lax.scan(body, jax.lax.stop_gradient(state["start"]), buffer)
        return jnp.sum(per_step)

    def update(args):
        p, o = args
        grads = mask_frozen(jax.grad(window_loss)(p), trained)
        grads = jax.tree_util.tree_map(lambda g: g / weight, grads)
        deltas, o = optimizer.update(grads, o, p)
        return optax.apply_updates(p, deltas), o

    params, opt_state = jax.lax.cond(do_update, update, lambda args: args, (params, opt_state))
    # The next window starts from this step's state (computed with the window's parameters).
    start = jax.tree_util.tree_map(lambda new, old: jnp.where(at_boundary, new, old),
                                   new_carry, state["start"])
    state = {"carry": new_carry, "start": start, "buffer": buffer, "position": position + 1}
    return params, opt_state, state, stats, do_update, logits_t
