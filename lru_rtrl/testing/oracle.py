"""Brute-force gradient references, independent of both engines (tiny sizes, float64).

`online_reference` builds, for every layer and step, the explicit Jacobians
J_t = ∂f/∂h_{t-1} [B, N, N] and I_t = ∂f/∂θ [B, N, |θ|] with `jax.jacfwd`, replaces J_t by
what the rule keeps (exact, its diagonal, or zero), cuts the hidden-to-hidden columns of I_t
for `online_spat`, runs M_t = J_t M_{t-1} + I_t explicitly, takes the spatial errors
δ_t^l = ∂ℓ_t/∂h_t^l by `jax.grad` of the single-step network with every h_{t-1} held fixed,
and returns Σ_t δ_t · M_t for θ plus Σ_t ∂ℓ_t/∂φ for everything else.

`bptt_reference` differentiates the step network unrolled in Python; `tbptt_reference` the
same with the states cut (stop-gradient) at window boundaries.

All share with the engines only the definition of the network (`model.step`) and of the
per-step loss; none of the engines' gradient machinery (scans, custom VJPs, traces). Complex
states follow JAX's cotangent convention (the gradient of a real loss is Re(δ · M)), and
complex-state cores must be holomorphic in h (the LRU is), so J_t is a complex matrix.
"""

from __future__ import annotations

from typing import Dict, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from lru_rtrl.engines.base import mask_frozen, merge_recurrent, split_recurrent
from lru_rtrl.model import losses


def _steps(model, batch):
    spec, pooling = model.spec, model.arch.pooling
    weights = losses.step_weights(batch, spec, pooling, model.loss_average)
    targets = losses.step_targets(batch, spec)
    return weights, targets


def _reset_at(batch, t):
    """Segment starts of step t [B]: the batch's resets, and every row at t = 0."""
    if t == 0:
        return jnp.ones(batch["mask"].shape[:1], batch["mask"].dtype)
    return batch["resets"][:, t] if "resets" in batch else None


def bptt_reference(model, params, rng, batch, *, is_training: bool = False,
                   window: Optional[int] = None):
    """jax.grad of Σ_t ℓ_t through the step network unrolled over time (state flows through).

    With `window` = K, every layer's state entering a window (t ≡ 0 mod K, t > 0) is a
    constant: truncated BPTT cut by hand, step by step (`tbptt_reference`)."""
    weights, targets = _steps(model, batch)
    normalizer = jnp.sum(weights)
    batch_size, num_steps = batch["mask"].shape

    def total_loss(p):
        carry = model.initial_carry(batch_size, jax.tree_util.tree_leaves(p)[0].dtype)
        total = 0.0
        for t in range(num_steps):
            if window and t > 0 and t % window == 0:
                carry = dict(carry, h=[jax.lax.stop_gradient(h) for h in carry["h"]])
            carry, logits_t, _ = model.step(p, rng, carry, batch["inputs"][:, t],
                                            batch["mask"][:, t], is_training,
                                            reset_t=_reset_at(batch, t))
            loss_t, _ = losses.step_loss(logits_t, targets[:, t], weights[:, t], model.spec,
                                         normalizer)
            total = total + loss_t
        return total

    return mask_frozen(jax.grad(total_loss)(params), model.trained_mask(params))


def _rule_settings(rule):
    jacobian = getattr(rule, "jacobian", None)
    if jacobian is None:
        raise ValueError(f"{rule!r} is not an online rule with a declared Jacobian; "
                         "use bptt_reference for BPTT.")
    return jacobian, bool(getattr(rule, "cut_hidden_to_hidden", False))


def _explicit_jacobians(cell, theta, h_prev, x, reset):
    """J [B, N, N] and I [B, N, P] at (h_prev [B, N], x [B, H], reset [B]), θ flattened to P
    entries; J is 0 where a segment starts (the cell's step forgets h_prev there)."""
    flat, unravel = ravel_pytree(theta)
    holomorphic = jnp.iscomplexobj(h_prev)

    def per_example(hp, xx, rr):
        step = lambda th, h_: cell.step_with_reset(th, h_, xx, rr)  # noqa: E731
        jac_h = jax.jacfwd(lambda h_: step(theta, h_), holomorphic=holomorphic)(hp)
        jac_theta = jax.jacfwd(lambda f: step(unravel(f), hp))(flat)
        return jac_h, jac_theta

    return jax.vmap(per_example)(h_prev, x, reset)


def _column_masks(cell, theta, cut_hidden_to_hidden):
    """(keep [P], unit [P]) per flattened θ entry: kept by the rule, and the unit it reaches."""
    keep, unit = {}, {}
    for name, p in theta.items():
        keep[name] = jnp.full(p.shape, name not in cell.structure.hidden_to_hidden
                              or not cut_hidden_to_hidden, jnp.float32)
        axis = cell.structure.hidden_axis[name]
        index = jnp.arange(p.shape[axis]) if axis is not None else jnp.full((1,), -1)
        shape = [1] * p.ndim
        if axis is not None:
            shape[axis] = p.shape[axis]
        unit[name] = jnp.broadcast_to(index.reshape(shape), p.shape)
    return ravel_pytree(keep)[0], ravel_pytree(unit)[0]


def online_reference(model, params, rng, batch, *, rule=None, is_training: bool = False,
                     optimizer=None, opt_state=None):
    """Σ_t δ_t · M_t for θ (with the rule's J and I) plus Σ_t ∂ℓ_t/∂φ, by brute force.

    With an `optimizer`, it instead learns after every step (the reference for the streaming
    engine's `online_updates` with K = 1): each step's gradient, divided by that step's loss
    weight, updates the parameters before the next step, and the sensitivities run on.
    Returns the final (params, opt_state) in that case.
    """
    rule = rule or model.rule
    jacobian, cut = _rule_settings(rule)
    weights, targets = _steps(model, batch)
    normalizer = jnp.sum(weights)
    batch_size, num_steps = batch["mask"].shape
    thetas, rest = split_recurrent(model, params)
    dtype = jax.tree_util.tree_leaves(params)[0].dtype
    carry = model.initial_carry(batch_size, dtype)

    sens = []
    columns = []
    for cell, theta in zip(model.cells, thetas):
        size = ravel_pytree(theta)[0].size
        sens.append(jnp.zeros((batch_size, cell.d_hidden, size), cell.state_dtype(dtype)))
        keep, unit = _column_masks(cell, theta, cut)
        # SnAp-1 keeps the entries of I_t with one-step reach: unit i, parameters of unit i.
        reach = (unit[None, :] == jnp.arange(cell.d_hidden)[:, None]).astype(jnp.float32)
        columns.append((keep, reach))
    grad_theta = [jnp.zeros(ravel_pytree(t)[0].shape, dtype) for t in thetas]
    grad_rest = jax.tree_util.tree_map(jnp.zeros_like, rest)

    learning = optimizer is not None
    if learning:
        normalizer = jnp.ones((), dtype)
    for t in range(num_steps):
        if learning:
            grad_theta = [jnp.zeros_like(g) for g in grad_theta]
            grad_rest = jax.tree_util.tree_map(jnp.zeros_like, rest)
        inputs_t, mask_t = batch["inputs"][:, t], batch["mask"][:, t]
        perturbations = [jnp.zeros_like(h) for h in carry["h"]]

        def loss_t(rest_params, eps, carry=carry, inputs_t=inputs_t, mask_t=mask_t, t=t):
            p = merge_recurrent(model, thetas, rest_params)
            new_carry, logits_t, aux = model.step(p, rng, carry, inputs_t, mask_t,
                                                  is_training, eps, _reset_at(batch, t))
            value, _ = losses.step_loss(logits_t, targets[:, t], weights[:, t], model.spec,
                                        normalizer)
            return value, (new_carry, aux)

        (g_rest, deltas), (new_carry, aux) = jax.grad(loss_t, argnums=(0, 1), has_aux=True)(
            rest, perturbations)
        grad_rest = jax.tree_util.tree_map(jnp.add, grad_rest, g_rest)
        for l, (cell, theta) in enumerate(zip(model.cells, thetas)):
            reset_t = _reset_at(batch, t)
            if reset_t is None:
                reset_t = jnp.zeros(batch["mask"].shape[:1], batch["mask"].dtype)
            jac_h, jac_theta = _explicit_jacobians(cell, theta, aux["h_prev"][l], aux["x"][l],
                                                   reset_t)
            keep, reach = columns[l]
            if jacobian == "full":
                j_rule = jac_h
            elif jacobian == "diagonal":
                j_rule = jac_h * jnp.eye(cell.d_hidden)
            else:
                j_rule = jnp.zeros_like(jac_h)
            i_rule = jac_theta * keep[None, None, :]
            if jacobian == "diagonal":
                i_rule = i_rule * reach[None]
            sens[l] = jnp.einsum("bij,bjp->bip", j_rule, sens[l]) + i_rule
            contribution = jnp.einsum("bi,bip->p", deltas[l].astype(sens[l].dtype), sens[l])
            grad_theta[l] = grad_theta[l] + jnp.real(contribution).astype(dtype)
        carry = new_carry
        weight_t = float(jnp.sum(weights[:, t]))
        if learning and weight_t > 0:
            grads = _finish(model, rule, params, thetas, grad_theta, grad_rest)
            grads = jax.tree_util.tree_map(lambda g: g / weight_t, grads)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)
            thetas, rest = split_recurrent(model, params)
    if learning:
        return params, opt_state
    return _finish(model, rule, params, thetas, grad_theta, grad_rest)


def _finish(model, rule, params, thetas, grad_theta, grad_rest):
    """Unflattens θ gradients, zeros what the rule leaves untrained, merges, masks frozen."""

    theta_grads = [ravel_pytree(theta)[1](g) for theta, g in zip(thetas, grad_theta)]
    for cell, g in zip(model.cells, theta_grads):
        for name in rule.untrained_recurrent_params(cell.structure):
            g[name] = jnp.zeros_like(g[name])
    grads = merge_recurrent(model, theta_grads, grad_rest)
    return mask_frozen(grads, model.trained_mask(params, rule))


def relative_error(a, b) -> float:
    """max |a - b| / max(|b|, tiny) over all leaves of two pytrees."""
    num = max(float(np.max(np.abs(np.asarray(x) - np.asarray(y))))
              for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))
    den = max(float(np.max(np.abs(np.asarray(y)))) for y in jax.tree_util.tree_leaves(b))
    return num / max(den, 1e-300)


def per_leaf_relative_error(a, b) -> Dict[str, float]:
    """{path: max|a-b| / max|b|} per parameter, for readable failure messages."""
    out = {}
    flat_a = jax.tree_util.tree_flatten_with_path(a)[0]
    flat_b = jax.tree_util.tree_flatten_with_path(b)[0]
    for (path, x), (_, y) in zip(flat_a, flat_b):
        scale = max(float(np.max(np.abs(np.asarray(y)))), 1e-300)
        out[jax.tree_util.keystr(path)] = float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) / scale
    return out


def tbptt_reference(model, params, rng, batch, *, window: int, is_training: bool = False):
    """Truncated BPTT's gradient, the state cut by hand at every window start, without any of
    the rule's windowed scans: `bptt_reference` with `window`."""
    return bptt_reference(model, params, rng, batch, is_training=is_training, window=window)
