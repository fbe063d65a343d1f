"""The Real-Gated Linear Recurrent Unit (RG-LRU; De et al., 2024, "Griffin"), real state.

Per hidden unit n (every recurrent weight row is indexed by n):

    u_t = W_u x_t + b_u                        input projection H → N
    r_t = σ(W_a x_t + b_a)                     recurrence gate
    i_t = σ(W_x x_t + b_x)                     input gate
    a_t = σ(Λ)^{c·r_t},  log a_t = −c · r_t · softplus(−Λ)     (c = 8 by default)
    h_t = a_t ⊙ h_{t-1} + sqrt(1 − a_t²) ⊙ (i_t ⊙ u_t)
    y_t = C h_t + D ⊙ x_t

Segment starts (as Griffin's released code, recurrentgemma): at the first step of a sequence
and wherever a stream is reset, a_t = 0, so h_{t-1} is forgotten and the input is not scaled
(sqrt(1 − 0²) = 1): h_t = i_t ⊙ u_t. Neither Λ nor the recurrence gate moves that step.

Gates: dense over the input by default (`heads` = 1); with `heads` = k > 1 they are
block-diagonal as in the released code — unit n, in head n // (N/k), sees only the input
block of its head (H/k features). W_a and W_x are then stored as [N, H/k]: row n holds unit
n's weights, so every entry still reaches one hidden unit.

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

Initialisation (`config.model.rglru.init`):
  "reference"  Griffin's released code: σ(Λ)² uniform on [a_min², a_max²] = [0.9², 0.999²]
               (|σ(Λ)| on a ring, so the decay at r_t = 1, σ(Λ)^c, spans about [0.43, 0.99]
               with c = 8); W_a, W_x normal with std 1/sqrt(H) whatever `heads` is (Flax
               counts the blocks into the fan-in); biases 0. The default.
  "paper"      the sentence of the Griffin paper: σ(Λ)^c uniform on [a_min, a_max]; W_a, W_x
               LeCun-normal over their real fan-in (H/heads); biases 0.
Both: W_u LeCun-normal (N(0, 1)/sqrt(H)), b_u 0; C N(0, 1)/sqrt(N), D N(0, 1) as the LRU's.
Griffin's block also has a width-4 temporal convolution before the RG-LRU, left out here:
docs/paper_departures.md says why.

Shapes: h [..., N] real, x [..., H] real, y [..., H] (H_out = H for the skip D ⊙ x); over a
sequence the coefficients a_t and drives are [B, T, N].
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl.cores.base import CoreStructure, Params, RecurrentCore, keep_factor
from lru_rtrl.cores.gated import GatedDiagonalCell
from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import CORES

MAX_SQRT_DERIVATIVE = 1000.0
# Below this argument the derivative of `bounded_sqrt` is capped: 0.5 / sqrt(floor) = 1000.
SQRT_DERIVATIVE_FLOOR = 1.0 / (4.0 * MAX_SQRT_DERIVATIVE ** 2)

_RECURRENT = ("Lambda", "W_a", "b_a", "W_x", "b_x", "W_u", "b_u")
INITS = ("reference", "paper")


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


def block_diagonal(w: jax.Array, x: jax.Array, heads: int) -> jax.Array:
    """x @ W^T for a block-diagonal W stored as rows: w [N, H/heads], x [..., H] -> [..., N].

    Unit n (in head n // (N/heads)) sees only its head's input block x[k·H/heads : (k+1)·H/heads].
    """
    if heads == 1:
        return x @ w.T
    units, width = w.shape
    blocks = x.reshape(x.shape[:-1] + (heads, width))
    rows = w.reshape(heads, units // heads, width)
    return jnp.einsum("...kj,kij->...ki", blocks, rows).reshape(x.shape[:-1] + (units,))


@CORES.register("rglru")
@dataclasses.dataclass(frozen=True)
class RGLRUCell(GatedDiagonalCell):
    """Options (config.model.rglru): init ("reference" | "paper"), heads (block-diagonal
    gates), a_min, a_max (range of σ(Λ) or σ(Λ)^c at init, see the module docstring),
    c (gate sharpness)."""
    title: ClassVar[str] = "RG-LRU"
    a_min: float = 0.9
    a_max: float = 0.999
    c: float = 8.0
    init: str = "reference"
    heads: int = 1

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=True,
        recurrent=_RECURRENT,
        hidden_axis={name: 0 for name in _RECURRENT},
        # Every recurrent parameter also moves the drive, so none acts through h_{t-1} only.
        hidden_to_hidden=(),
        output_matrix=("C",),
    )
    # A segment start sets a_t = 0 and leaves the input unscaled (not the step from h = 0).
    distinct_segment_start: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 < self.a_min < self.a_max < 1.0:
            raise ConfigError(
                f"config.model.rglru needs 0 < a_min < a_max < 1, got a_min={self.a_min}, "
                f"a_max={self.a_max}.")
        if not self.c > 0:
            raise ConfigError(f"config.model.rglru.c must be > 0, got {self.c}.")
        if self.init not in INITS:
            raise ConfigError(f"config.model.rglru.init must be one of {INITS}, got "
                             f"{self.init!r}.")
        if (not isinstance(self.heads, int) or self.heads < 1
                or self.d_in % self.heads or self.d_hidden % self.heads):
            raise ConfigError(
                f"config.model.rglru.heads must be a positive integer dividing both the input "
                f"width ({self.d_in}) and d_hidden ({self.d_hidden}); got {self.heads!r}.")

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        k_lam, k_a, k_x, k_u, k_c, k_d = jax.random.split(key, 6)
        if self.init == "reference":
            # σ(Λ) on a ring: σ(Λ)² uniform on [a_min², a_max²].
            squared = jax.random.uniform(k_lam, (n,), dtype, self.a_min ** 2, self.a_max ** 2)
            lam = lambda_for_power(squared, 2.0)
            gate_std = 1.0 / jnp.sqrt(h)
        else:
            power = jax.random.uniform(k_lam, (n,), dtype, self.a_min, self.a_max)
            lam = lambda_for_power(power, self.c)
            gate_std = 1.0 / jnp.sqrt(h // self.heads)
        gate_shape = (n, h // self.heads)
        zeros = jnp.zeros((n,), dtype)
        return {
            "Lambda": lam,
            "W_a": gate_std * jax.random.normal(k_a, gate_shape, dtype), "b_a": zeros,
            "W_x": gate_std * jax.random.normal(k_x, gate_shape, dtype), "b_x": zeros,
            "W_u": jax.random.normal(k_u, (n, h), dtype) / jnp.sqrt(h), "b_u": zeros,
            "C": jax.random.normal(k_c, (self.d_out, n), dtype) / jnp.sqrt(n),
            "D": jax.random.normal(k_d, (self.d_out,), dtype),
        }

    def log_a(self, theta: Params, x: jax.Array) -> jax.Array:
        """log a_t = −c · r_t · softplus(−Λ): [..., H] -> [..., N] (≤ 0)."""
        r = jax.nn.sigmoid(block_diagonal(theta["W_a"], x, self.heads) + theta["b_a"])
        return -self.c * r * jax.nn.softplus(-theta["Lambda"])

    def coefficients(self, theta: Params, x: jax.Array,
                     reset: Optional[jax.Array] = None) -> Tuple[jax.Array, jax.Array]:
        """(a_t, drive_t) of h_t = a_t ⊙ h_{t-1} + drive_t: [..., H] -> two [..., N]."""
        log_a = self.log_a(theta, x)
        gate = jax.nn.sigmoid(block_diagonal(theta["W_x"], x, self.heads) + theta["b_x"])
        u = x @ theta["W_u"].T + theta["b_u"]
        # 1 - a² = -expm1(2 log a): no cancellation when a is close to 1.
        norm = bounded_sqrt(-jnp.expm1(2.0 * log_a))
        a = jnp.exp(log_a)
        if reset is not None:  # a segment start: a = 0, so sqrt(1 - a²) = 1
            keep = keep_factor(reset, a)
            a = a * keep
            norm = keep * norm + (1.0 - keep)
        return a, norm * (gate * u)

    def decay(self, theta: Params, x: jax.Array) -> jax.Array:
        """a_t = exp(log a_t): [..., H] -> [..., N]."""
        return jnp.exp(self.log_a(theta, x))

    def decay_moduli(self, theta: Params):
        """σ(Λ)^c, the decay with the recurrence gate fully open (r_t = 1): its smallest."""
        lam = np.asarray(theta["Lambda"], np.float64)
        return np.exp(-self.c * np.logaddexp(0.0, -lam))


class RGLRU(RecurrentCore):
    """Haiku RG-LRU layer: `RGLRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, a_min: float = 0.9, a_max: float = 0.999,
                 c: float = 8.0, init: str = "reference", heads: int = 1, scan: str = "auto",
                 name: str = "rglru"):
        super().__init__(RGLRUCell(d_in, d_hidden, d_in, a_min, a_max, c, init, heads,
                                   scan=scan), name=name)
