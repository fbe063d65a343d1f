"""Diagonal linear recurrences `h_t = a_t ⊙ h_{t-1} + u_t` with a reverse-scan backward pass.

Two forward implementations behind one switch:
  "sequential"  — `lax.scan` over time; O(T) steps of O(B·N) work. Fastest on CPU.
  "associative" — `lax.associative_scan`; O(log T) depth. Fastest on accelerators.
  "auto"        — sequential on CPU, associative elsewhere (chosen by measurement, see
                  `python -m lru_rtrl.bench`).

The `custom_vjp` makes the backward pass itself a (reverse) linear recurrence, so autodiff
never keeps the levels of the associative tree: the only residuals are the states `h`.

Complex convention (JAX's; the oracle tests hold us to it): for holomorphic products the
VJP is the plain transpose, no conjugation, so the cotangent recursion is
`ē_t = ct_t + a_{t+1} ē_{t+1}`, `∂/∂a_t = ē_t h_{t-1}`, `∂/∂u_t = ē_t`.

Shapes are batch-major: u, h: [B, T, N]; h0: [B, N]; a broadcasts against u by NumPy's rules
(aligned on the right), so its rank says what it varies over:
  [N]                 constant (the LRU's λ)
  [T, N]              varies in time, shared by the batch
  [B or 1, T, N]      varies in time (SnAp-1's Jacobian diagonal, an input gate a_t)
  [B or 1, 1, N]      constant in time
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from lru_rtrl.choices import Scan
from lru_rtrl.errors import ConfigError

TIME_AXIS = 1


def resolve_impl(impl: str) -> str:
    """Maps "auto" to the implementation that is fastest on the default backend."""
    if impl not in Scan.values():
        raise ConfigError(f"Unknown scan implementation {impl!r}; choose one of "
                         f"{Scan.values()}.")
    if impl == Scan.AUTO:
        return Scan.SEQUENTIAL if jax.default_backend() == "cpu" else Scan.ASSOCIATIVE
    return impl


def _is_time_invariant(a: jax.Array) -> bool:
    """True when a has no time axis against u [B, T, N]: rank below 2 ([N]), or a time axis
    (the second from the right, [T, N] or [B, T, N]) of length 1."""
    return a.ndim < 2 or a.shape[-2] == 1


def _sequential(a, u, h0, reverse):
    u_tm = jnp.moveaxis(u, TIME_AXIS, 0)
    if _is_time_invariant(a):
        a_const = a if a.ndim < 2 else jnp.squeeze(a, -2)

        def step(h, u_t):
            h = a_const * h + u_t
            return h, h

        _, h_tm = jax.lax.scan(step, h0, u_tm, reverse=reverse)
    else:
        a_tm = jnp.moveaxis(jnp.broadcast_to(a, u.shape), TIME_AXIS, 0)

        def step(h, a_u):
            h = a_u[0] * h + a_u[1]
            return h, h

        _, h_tm = jax.lax.scan(step, h0, (a_tm, u_tm), reverse=reverse)
    return jnp.moveaxis(h_tm, 0, TIME_AXIS)


def _associative(a, u, h0, reverse):
    a_full = jnp.broadcast_to(a, u.shape).astype(u.dtype)
    # Fold the initial state into the first element of the scan (last one when reversed).
    first = -1 if reverse else 0
    u = u.at[:, first].add(a_full[:, first] * h0)

    def combine(earlier, later):
        a_e, u_e = earlier
        a_l, u_l = later
        return a_l * a_e, a_l * u_e + u_l

    _, h = jax.lax.associative_scan(combine, (a_full, u), axis=TIME_AXIS, reverse=reverse)
    return h


def _forward(a, u, h0, impl, reverse):
    impl = resolve_impl(impl)
    dtype = jnp.result_type(a, u, h0)
    a, u, h0 = a.astype(dtype), u.astype(dtype), h0.astype(dtype)
    if impl == Scan.SEQUENTIAL:
        return _sequential(a, u, h0, reverse)
    return _associative(a, u, h0, reverse)


def _shift_in_time(x, fill, reverse):
    """x_{t-1} (or x_{t+1} when reverse) along the time axis, `fill` at the open end."""
    fill = jnp.expand_dims(fill, TIME_AXIS)
    if reverse:
        return jnp.concatenate([x[:, 1:], fill], axis=TIME_AXIS)
    return jnp.concatenate([fill, x[:, :-1]], axis=TIME_AXIS)


def _sum_to_shape(x, shape):
    """Sums the broadcast axes of x away so that the result has `shape` (NumPy rules)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    return jnp.sum(x, axis=axes, keepdims=False).reshape(shape) if axes else x.reshape(shape)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _linear_recurrence(a, u, h0, impl, reverse):
    return _forward(a, u, h0, impl, reverse)


def _fwd(a, u, h0, impl, reverse):
    h = _forward(a, u, h0, impl, reverse)
    # A zero-size array carries u's dtype into the backward pass.
    return h, (a, h0, h, jnp.zeros((0,), u.dtype))


def _bwd(impl, reverse, residuals, ct):
    a, h0, h, u_dtype_token = residuals
    dtype = h.dtype
    a_full_time = not _is_time_invariant(a)
    # The cotangent runs against time: ē_t = ct_t + a_{t+1} ē_{t+1} (for a forward scan).
    if a_full_time:
        a_b = jnp.broadcast_to(a, h.shape).astype(dtype)
        a_next = _shift_in_time(a_b, jnp.zeros_like(a_b[:, 0]), reverse=not reverse)
    else:
        a_next = a.astype(dtype)
    e = _forward(a_next, ct.astype(dtype), jnp.zeros_like(h0, dtype=dtype), impl, not reverse)
    h_prev = _shift_in_time(h, jnp.broadcast_to(h0, h[:, 0].shape).astype(dtype), reverse)
    grad_a = _to_dtype(_sum_to_shape(e * h_prev, a.shape), a.dtype)
    first = -1 if reverse else 0
    if a_full_time:
        a_first = jnp.broadcast_to(a, h.shape)[:, first]
    else:
        a_first = a if a.ndim < 2 else jnp.squeeze(a, -2)  # [N] or [B or 1, N]
    grad_h0 = _to_dtype(_sum_to_shape(a_first * e[:, first], h0.shape), h0.dtype)
    grad_u = _to_dtype(e, u_dtype_token.dtype)
    return grad_a, grad_u, grad_h0


def _to_dtype(cotangent, dtype):
    """Casts a cotangent to its primal's dtype; a real primal keeps the real part (JAX's rule)."""
    if jnp.iscomplexobj(cotangent) and not jnp.issubdtype(dtype, jnp.complexfloating):
        cotangent = jnp.real(cotangent)
    return cotangent.astype(dtype)


_linear_recurrence.defvjp(_fwd, _bwd)


def linear_recurrence(a: jax.Array, u: jax.Array, h0: jax.Array, *, impl: str = "auto",
                      reverse: bool = False) -> jax.Array:
    """Returns h with `h_t = a_t ⊙ h_{t-1} + u_t` (or `h_t = a_t ⊙ h_{t+1} + u_t` if reverse).

    Args:
      a: coefficients broadcastable to u: [N], [T, N], [1, 1, N], [1, T, N] or [B, T, N];
        real or complex.
      u: inputs [B, T, N].
      h0: initial state [B, N] (the state before the first step processed).
      impl: "auto", "sequential" or "associative".
      reverse: scan from the last step to the first.
    Returns:
      h: [B, T, N], dtype the common type of a, u and h0.
    """
    if u.ndim != 3:
        raise ValueError(f"linear_recurrence expects u shaped [B, T, N], got {u.shape}.")
    resolve_impl(impl)  # Validates the name before tracing.
    return _linear_recurrence(a, u, h0, impl, reverse)
