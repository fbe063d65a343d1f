"""Parallel-engine surrogates: whole-sequence layers whose gradient is an online rule's.

By exchanging sums, Σ_t δ_t · M_t = Σ_s ē_s · I_s with the reverse recursion
ē_s = δ_s + J_{s+1}^T ē_{s+1} (J replaced by the rule's Jacobian). So every online rule is a
backward pass *inside* the layer with the rule's J, while the cotangent sent to the layer's
input is only the spatial one, (∂f/∂x_t)^T δ_t. Two surrogates implement this:

  `spatial_input_tap` (exact J, `online_full`): the layer's scan runs on stop_gradient(x), so
      θ receives the full in-layer temporal credit from the scan's own backward pass, and a
      `custom_vjp` identity on h sends the cotangent δ_t arriving at h_t to x_t through ∂f/∂x_t.
      The cotangent of h is δ itself (not ē): it is taken *before* the scan's backward pass.

  `local_sensitivity_tap` (diagonal or zero J, `online_snap`, `online_truncated`,
      `online_spat`): the states are a constant; a `custom_vjp` identity on h computes, in its
      backward pass, ē from δ with the diagonal (or zero) Jacobian, then ē · I_s for θ and the
      spatial cotangent for x, by VJPs of the step at (h_{s-1}, x_s).

Neither materialises a trace per time step: memory is that of BPTT, O(T·N) per layer.
Segment starts (`resets` [B, T], 1 where h_{t-1} is forgotten) enter through the cell's
`step_with_reset`: J is 0 there, so ē does not run back across a reset.
Shapes: h [B, T, N], h0 [B, N], x [B, T, H].
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from typing import Optional

from lru_rtrl.cores.base import Cell, Params, keep_factor
from lru_rtrl.cores.scan import linear_recurrence

JACOBIANS = ("full", "diagonal", "none")


def previous_states(h: jax.Array, h0: jax.Array) -> jax.Array:
    """h_{t-1} for every t: [B, T, N] with h0 in front."""
    return jnp.concatenate([h0[:, None].astype(h.dtype), h[:, :-1]], axis=1)


def _input_cotangent(cell: Cell, theta: Params, h_prev, x, resets, delta):
    """(∂f/∂x_t)^T δ_t for all t, by one VJP of the (vectorised) step."""
    _, vjp_x = jax.vjp(lambda x_: cell.step_with_reset(theta, h_prev, x_, resets), x)
    return vjp_x(delta.astype(h_prev.dtype))[0]


def _zero_cotangent(a):
    return None if a is None else jnp.zeros_like(a)


def spatial_input_tap(cell: Cell, theta: Params, h0: jax.Array, x: jax.Array,
                      h: jax.Array, resets: Optional[jax.Array] = None) -> jax.Array:
    """Identity on h whose backward pass also sends the spatial error to x.

    Use with `h = cell.sequence(θ, h0, stop_gradient(x))`; the cotangent of h passes through
    unchanged to the scan (which turns it into ē for θ), and x receives (∂f/∂x_t)^T δ_t.
    """
    # Every array is an explicit argument (none is closed over), so the surrogate composes
    # with any outer jit / grad / pmap.
    @jax.custom_vjp
    def tap(h, x, theta, h0, resets):
        return h

    def tap_fwd(h, x, theta, h0, resets):
        return h, (h, x, theta, h0, resets)

    def tap_bwd(residuals, delta):
        h_res, x_res, theta_res, h0_res, resets_res = residuals
        h_prev = previous_states(h_res, h0_res)
        ct_x = _input_cotangent(cell, theta_res, h_prev, x_res, resets_res, delta)
        return (delta, ct_x, jax.tree_util.tree_map(jnp.zeros_like, theta_res),
                jnp.zeros_like(h0_res), _zero_cotangent(resets_res))

    tap.defvjp(tap_fwd, tap_bwd)
    return tap(h, x, jax.lax.stop_gradient(theta), jax.lax.stop_gradient(h0), resets)


def local_sensitivity_tap(cell: Cell, theta: Params, h0: jax.Array, x: jax.Array,
                          h: jax.Array, resets: Optional[jax.Array] = None, *, jacobian: str,
                          cut_hidden_to_hidden: bool) -> jax.Array:
    """Identity on the (constant) states h whose backward pass applies a local online rule.

    Args:
      jacobian: "diagonal" (SnAp-1: ē_s = δ_s + diag(J_{s+1}) ⊙ ē_{s+1}) or "none"
        (1-step truncation: ē = δ).
      cut_hidden_to_hidden: zero the gradient of the parameters that act on h_{t-1} only
        (`online_spat`).
    """
    if jacobian not in ("diagonal", "none"):
        raise ValueError(f"local_sensitivity_tap handles 'diagonal' or 'none', got {jacobian!r}")
    cut = frozenset(cell.structure.hidden_to_hidden) if cut_hidden_to_hidden else frozenset()

    @jax.custom_vjp
    def tap(theta, x, h, h0, resets):
        return h

    def tap_fwd(theta, x, h, h0, resets):
        return h, (theta, x, h, h0, resets)

    def tap_bwd(residuals, delta):
        theta_res, x_res, h_res, h0_res, resets_res = residuals
        h_prev = previous_states(h_res, h0_res)
        delta = delta.astype(h_res.dtype)
        ct_x = _input_cotangent(cell, theta_res, h_prev, x_res, resets_res, delta)
        if jacobian == "diagonal":
            # a_t = diag J_{t+1} = diag ∂h_{t+1}/∂h_t (0 where step t+1 starts a segment);
            # the last entry never multiplies anything.
            diag = cell.jacobian_diagonal(theta_res, h_prev, x_res).astype(h_res.dtype)
            if resets_res is not None:
                diag = diag * keep_factor(resets_res, diag)
            a_next = jnp.concatenate([diag[:, 1:], jnp.zeros_like(diag[:, :1])], axis=1)
            e = linear_recurrence(a_next, delta, jnp.zeros_like(h0_res, dtype=h_res.dtype),
                                  impl=cell.scan, reverse=True)
        else:
            e = delta
        _, vjp_theta = jax.vjp(
            lambda th: cell.step_with_reset(th, h_prev, x_res, resets_res), theta_res)
        ct_theta = dict(vjp_theta(e)[0])
        for name in cut:
            ct_theta[name] = jnp.zeros_like(ct_theta[name])
        return (ct_theta, ct_x, jnp.zeros_like(h_res), jnp.zeros_like(h0_res),
                _zero_cotangent(resets_res))

    tap.defvjp(tap_fwd, tap_bwd)
    return tap(theta, x, jax.lax.stop_gradient(h), jax.lax.stop_gradient(h0), resets)
