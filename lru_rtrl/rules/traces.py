"""Streaming-engine sensitivities ("eligibility traces") M_t = J_t M_{t-1} + I_t.

Two layouts:
  element-wise (diagonal cores, and SnAp-1 on any core): M[p] is shaped like the parameter,
      per example: [B, *p.shape]; entry M[b, idx] = ∂h_{b,u}/∂p[idx] where u = idx[hidden
      axis] is the one unit that p[idx] reaches in one step. Update M_t = d_t ⊙ M_{t-1} + I_t
      with d_t the diagonal of J_t broadcast along the hidden axis. Memory B·|θ|.
  full (exact RTRL for dense cores): M[p] is [B, N, *p.shape]; update with the explicit
      Jacobian J_t [B, N, N]. Memory B·N·|θ| — for a 4-layer linear RNN with N = 64,
      H = 128 that is 64× the parameter count per example.

The immediate sensitivity I_t in the element-wise layout comes from one VJP with an all-ones
cotangent (two for a complex state): since each entry of p reaches one unit in one step,
Σ_i ∂h_i/∂p[idx] = ∂h_u/∂p[idx]. Complex states follow JAX's convention: the real gradient of
a loss is Re(δ · M) where δ is JAX's cotangent of h.
"""

from __future__ import annotations

from typing import Dict, Optional

import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import Cell, Params

Traces = Dict[str, jax.Array]


def unit_broadcast(v: jax.Array, param_shape, axis: int) -> jax.Array:
    """Reshapes v [B, N] to broadcast against [B, *param_shape] along the hidden `axis`."""
    shape = [v.shape[0]] + [1] * len(param_shape)
    shape[1 + axis] = v.shape[1]
    return v.reshape(shape)


def _hidden_axes(cell: Cell, theta: Params) -> Dict[str, int]:
    axes = {}
    for name in theta:
        axis = cell.structure.hidden_axis[name]
        if axis is None:
            raise ValueError(f"Parameter {name!r} of {type(cell).__name__} declares no hidden "
                             "axis, so element-wise traces cannot hold it.")
        axes[name] = axis
    return axes


def elementwise_immediate(cell: Cell, theta: Params, h_prev: jax.Array,
                          x: jax.Array, reset: Optional[jax.Array] = None) -> Traces:
    """I_t in the element-wise layout: {p: [B, *p.shape]} (complex for complex states);
    reset [B] (or None) marks segment starts (`cell.step_with_reset`)."""
    state_dtype = h_prev.dtype

    def per_example(hp, xx, rr):
        _, vjp = jax.vjp(lambda th: cell.step_with_reset(th, hp, xx, rr), theta)
        ones = jnp.ones(hp.shape, state_dtype)
        real_part = vjp(ones)[0]
        if not jnp.iscomplexobj(ones):
            return real_part
        minus_imag = vjp(1j * ones)[0]  # Re(i·M) = -Im(M)
        return {k: jax.lax.complex(real_part[k], -minus_imag[k]) for k in real_part}

    return jax.vmap(per_example)(h_prev, x, reset)


def elementwise_init(cell: Cell, theta: Params, batch_size: int, state_dtype) -> Traces:
    _hidden_axes(cell, theta)
    return {k: jnp.zeros((batch_size,) + p.shape, state_dtype) for k, p in theta.items()}


def elementwise_update(cell: Cell, theta: Params, traces: Traces, h_prev: jax.Array,
                       x: jax.Array, diagonal: jax.Array,
                       reset: Optional[jax.Array] = None) -> Traces:
    """M_t = d_t ⊙ M_{t-1} + I_t, d_t [B, N] the (possibly zero) Jacobian diagonal."""
    axes = _hidden_axes(cell, theta)
    immediate = elementwise_immediate(cell, theta, h_prev, x, reset)
    return {k: unit_broadcast(diagonal, theta[k].shape, axes[k]).astype(traces[k].dtype)
            * traces[k] + immediate[k].astype(traces[k].dtype) for k in traces}


def elementwise_gradient(cell: Cell, theta: Params, traces: Traces,
                         delta: jax.Array) -> Params:
    """Σ_b Re(δ_{b,u} M[b, idx]) for every parameter entry: {p: p.shape}.

    One parameter after the other, chained through optimization barriers: left free, XLA:CPU
    fuses the batch sums of all parameters into one loop that runs much slower than the
    sums one by one (docs/benchmarks.md has the measurement). A contraction (einsum) is as
    fast but transposes every trace first, which costs one more copy of the traces in
    memory; the barriers cost nothing.
    """
    axes = _hidden_axes(cell, theta)
    grads = {}
    token = delta
    for k, m in traces.items():
        delta_k, m = jax.lax.optimization_barrier((token, m))
        contribution = unit_broadcast(delta_k.astype(m.dtype), theta[k].shape, axes[k]) * m
        grad = jnp.real(jnp.sum(contribution, axis=0)).astype(theta[k].dtype)
        grads[k], token = jax.lax.optimization_barrier((grad, delta_k))
    return grads


def full_init(cell: Cell, theta: Params, batch_size: int, state_dtype) -> Traces:
    n = cell.d_hidden
    return {k: jnp.zeros((batch_size, n) + p.shape, state_dtype) for k, p in theta.items()}


def full_update(cell: Cell, theta: Params, traces: Traces, h_prev: jax.Array,
                x: jax.Array, reset: Optional[jax.Array] = None) -> Traces:
    """M_t = J_t M_{t-1} + I_t with J_t [B, N, N] and I_t [B, N, *p.shape] explicit."""
    if jnp.iscomplexobj(h_prev):
        raise ValueError("Full (dense) RTRL traces support real states only; complex-state "
                         "cores are diagonal and use element-wise traces.")
    def per_example(hp, xx, rr):
        step = lambda th, h_: cell.step_with_reset(th, h_, xx, rr)  # noqa: E731
        jac_h = jax.jacfwd(lambda h_: step(theta, h_))(hp)           # [N, N]
        jac_theta = jax.jacrev(lambda th: step(th, hp))(theta)       # {p: [N, *p]}
        return jac_h, jac_theta

    jac_h, immediate = jax.vmap(per_example)(h_prev, x, reset)
    return {k: jnp.einsum("bij,bj...->bi...", jac_h, traces[k]) + immediate[k]
            for k in traces}


def full_gradient(cell: Cell, theta: Params, traces: Traces, delta: jax.Array) -> Params:
    """Σ_b Σ_i δ_{b,i} M[b, i, ...]: {p: p.shape}."""
    del cell
    return {k: jnp.einsum("bi,bi...->...", delta.astype(m.dtype), m).astype(theta[k].dtype)
            for k, m in traces.items()}


def trace_floats(cell: Cell, theta: Params, batch_size: int, full: bool) -> int:
    """Number of trace entries a layer holds (for the memory warning and the docs)."""
    count = sum(int(p.size) for p in theta.values())
    return batch_size * count * (cell.d_hidden if full else 1)
