"""The Real-Gated Linear Recurrent Unit (RG-LRU; De et al., 2024, "Griffin"), real state.

Per hidden unit n (every recurrent weight row is indexed by n):

    u_t = W_u x_t + b_u                        input projection H → N
    r_t = σ(W_a x_t + b_a)                     recurrence gate
    i_t = σ(W_x x_t + b_x)                     input gate
    a_t = σ(Λ)^{c·r_t},  log a_t = −c · r_t · softplus(−Λ)     (c = 8 by default)
    h_t = a_t ⊙ h_{t-1} + sqrt(1 − a_t²) ⊙ (i_t ⊙ u_t)
    y_t = C h_t + D ⊙ x_t

The recurrence is diagonal with a time-varying coefficient: ∂h_t/∂h_{t-1} = diag(a_t), and a_t
depends on x_t only, so `online_full` keeps one sensitivity per parameter entry and is exact
inside the layer (docs/gated_cores.md). Every recurrent parameter also moves the drive
sqrt(1 − a_t²) ⊙ i_t ⊙ u_t, so none acts on h_{t-1} only: `hidden_to_hidden` is empty and
`online_spat` equals `online_truncated` on this core.

Numerics near a_t = 1 (r_t → 0 or Λ → ∞):
  - 1 − a_t² is computed as −expm1(2 log a_t), accurate when a_t is close to 1;
  - sqrt has the derivative 1 / (2 sqrt(x)), unbounded as x → 0 (r_t → 0). `bounded_sqrt`
    keeps sqrt's value but caps its derivative at MAX_SQRT_DERIVATIVE = 1000, i.e. uses
    0.5 / sqrt(max(x, 1 / (4 · 1000²))): exact for x ≥ 2.5e-7, bounded below (as in Griffin's
    reference code). It is a `jax.custom_jvp`, so forward mode (the oracle's `jax.jacfwd`,
    the streaming traces) and reverse mode (the parallel engine, BPTT) differentiate the
    same function, and every exactness claim holds for it. With c = 8 and a^c = 0.999 at
    r_t = 1, the cap is reached for r_t ≲ 1.25e-4.

Initialisation (Griffin): a^c = σ(Λ)^c uniform on [a_min, a_max] = [0.9, 0.999] (options
`config.model.rglru.a_min`, `a_max`, `c`); W_a, W_x, W_u LeCun-normal (N(0, 1)/sqrt(H));
biases 0; C N(0, 1)/sqrt(N), D N(0, 1) as the LRU's.

Shapes: h [..., N] real, x [..., H] real, y [..., H] (H_out = H for the skip D ⊙ x); over a
sequence the coefficients a_t and drives are [B, T, N].
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Tuple

import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import CoreStructure, Params, RecurrentCore
from lru_rtrl.cores.gated import GatedDiagonalCell
from lru_rtrl.registry import CORES

MAX_SQRT_DERIVATIVE = 1000.0
# Below this argument the derivative of `bounded_sqrt` is capped: 0.5 / sqrt(floor) = 1000.
SQRT_DERIVATIVE_FLOOR = 1.0 / (4.0 * MAX_SQRT_DERIVATIVE ** 2)

_RECURRENT = ("Lambda", "W_a", "b_a", "W_x", "b_x", "W_u", "b_u")


@jax.custom_jvp
def bounded_sqrt(x: jax.Array) -> jax.Array:
    """sqrt(x) whose derivative is 0.5 / sqrt(max(x, SQRT_DERIVATIVE_FLOOR)) (at most 1000)."""
    return jnp.sqrt(x)


@bounded_sqrt.defjvp
def _bounded_sqrt_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    slope = 0.5 / jnp.sqrt(jnp.maximum(x, SQRT_DERIVATIVE_FLOOR))
    return jnp.sqrt(x), slope * x_dot


def lambda_for_power(power: jax.Array, c: float) -> jax.Array:
    """Λ with σ(Λ)^c = power ∈ (0, 1): softplus(−Λ) = −log(power) / c, inverted stably."""
    return -jnp.log(jnp.expm1(-jnp.log(power) / c))


@CORES.register("rglru")
@dataclasses.dataclass(frozen=True)
class RGLRUCell(GatedDiagonalCell):
    """Options (config.model.rglru): a_min, a_max (range of a^c at init), c (gate sharpness)."""
    title: ClassVar[str] = "RG-LRU"
    a_min: float = 0.9
    a_max: float = 0.999
    c: float = 8.0

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=True,
        recurrent=_RECURRENT,
        hidden_axis={name: 0 for name in _RECURRENT},
        # Every recurrent parameter also moves the drive, so none acts through h_{t-1} only.
        hidden_to_hidden=(),
    )

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 < self.a_min < self.a_max < 1.0:
            raise ValueError(
                f"config.model.rglru needs 0 < a_min < a_max < 1, got a_min={self.a_min}, "
                f"a_max={self.a_max}.")
        if not self.c > 0:
            raise ValueError(f"config.model.rglru.c must be > 0, got {self.c}.")

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        k_lam, k_a, k_x, k_u, k_c, k_d = jax.random.split(key, 6)
        power = jax.random.uniform(k_lam, (n,), dtype, self.a_min, self.a_max)
        lecun = 1.0 / jnp.sqrt(h)
        zeros = jnp.zeros((n,), dtype)
        return {
            "Lambda": lambda_for_power(power, self.c),
            "W_a": lecun * jax.random.normal(k_a, (n, h), dtype), "b_a": zeros,
            "W_x": lecun * jax.random.normal(k_x, (n, h), dtype), "b_x": zeros,
            "W_u": lecun * jax.random.normal(k_u, (n, h), dtype), "b_u": zeros,
            "C": jax.random.normal(k_c, (self.d_out, n), dtype) / jnp.sqrt(n),
            "D": jax.random.normal(k_d, (self.d_out,), dtype),
        }

    def log_a(self, theta: Params, x: jax.Array) -> jax.Array:
        """log a_t = −c · r_t · softplus(−Λ): [..., H] -> [..., N] (≤ 0)."""
        r = jax.nn.sigmoid(x @ theta["W_a"].T + theta["b_a"])
        return -self.c * r * jax.nn.softplus(-theta["Lambda"])

    def coefficients(self, theta: Params, x: jax.Array) -> Tuple[jax.Array, jax.Array]:
        """(a_t, drive_t) of h_t = a_t ⊙ h_{t-1} + drive_t: [..., H] -> two [..., N]."""
        log_a = self.log_a(theta, x)
        gate = jax.nn.sigmoid(x @ theta["W_x"].T + theta["b_x"])
        u = x @ theta["W_u"].T + theta["b_u"]
        # 1 - a² = -expm1(2 log a): no cancellation when a is close to 1.
        norm = bounded_sqrt(-jnp.expm1(2.0 * log_a))
        return jnp.exp(log_a), norm * (gate * u)

    def decay(self, theta: Params, x: jax.Array) -> jax.Array:
        """a_t = exp(log a_t): [..., H] -> [..., N]."""
        return jnp.exp(self.log_a(theta, x))


class RGLRU(RecurrentCore):
    """Haiku RG-LRU layer: `RGLRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, a_min: float = 0.9, a_max: float = 0.999,
                 c: float = 8.0, scan: str = "auto", name: str = "rglru"):
        super().__init__(RGLRUCell(d_in, d_hidden, d_in, a_min, a_max, c, scan=scan),
                         name=name)
