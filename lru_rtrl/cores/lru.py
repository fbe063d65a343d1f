"""The Linear Recurrent Unit (Orvieto et al., 2023), a diagonal complex recurrence.

    h_t = λ ⊙ h_{t-1} + γ ⊙ (B x_t),      y_t = Re(C h_t) + D ⊙ x_t,
    λ = exp(-exp(ν_log) + i·exp(θ_log)),   γ = exp(γ_log).

B and C are complex, stored as real and imaginary parts. Ring initialisation: |λ|² uniform on
[r_min², r_max²], phase uniform on [0, max_phase], γ_log = log sqrt(1 - |λ|²) so that every
unit starts with unit gain. B entries N(0, 1)/sqrt(2H), C entries N(0, 1)/sqrt(N), D N(0, 1).

Shapes: h [..., N] complex, x [..., H] real, y [..., H] real (H_out = H for the skip D ⊙ x).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl.cores.base import Cell, CoreStructure, Params, RecurrentCore, keep_factor
from lru_rtrl.cores.scan import linear_recurrence
from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import CORES

# |λ|² is drawn from [r_min², r_max²); keeping it below 1 - this keeps γ_log finite.
_MAX_SQUARED_MODULUS = 1.0 - 1e-7
_MIN_SQUARED_MODULUS = 1e-12


def lambda_from_params(nu_log: jax.Array, theta_log: jax.Array) -> jax.Array:
    """λ = exp(-exp(ν_log) + i·exp(θ_log)), complex [..., N]."""
    return jnp.exp(jax.lax.complex(-jnp.exp(nu_log), jnp.exp(theta_log)))


@CORES.register("lru")
@dataclasses.dataclass(frozen=True)
class LRUCell(Cell):
    """Options (config.model.lru): r_min, r_max (ring of |λ|), max_phase (radians)."""
    r_min: float = 0.0
    r_max: float = 1.0
    max_phase: float = 6.28

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=True,
        recurrent=("nu_log", "theta_log", "gamma_log", "B_re", "B_im"),
        hidden_axis={"nu_log": 0, "theta_log": 0, "gamma_log": 0, "B_re": 0, "B_im": 0},
        hidden_to_hidden=("nu_log", "theta_log"),
        complex_state=True,
        input_matrix=("B_re", "B_im"),
        output_matrix=("C_re", "C_im"),
    )

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 <= self.r_min < self.r_max <= 1.0:
            raise ConfigError(
                f"LRU ring needs 0 <= r_min < r_max <= 1, got r_min={self.r_min}, "
                f"r_max={self.r_max} (config.model.lru).")
        if self.max_phase <= 0:
            raise ConfigError(f"config.model.lru.max_phase must be > 0, got {self.max_phase}.")
        if self.d_out != self.d_in:
            raise ConfigError(
                f"The LRU readout adds D ⊙ x, so its output width ({self.d_out}) must equal its "
                f"input width ({self.d_in}).")

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        k_mod, k_phase, k_bre, k_bim, k_cre, k_cim, k_d = jax.random.split(key, 7)
        u_mod = jax.random.uniform(k_mod, (n,), dtype)
        squared_modulus = u_mod * (self.r_max ** 2 - self.r_min ** 2) + self.r_min ** 2
        squared_modulus = jnp.clip(squared_modulus, _MIN_SQUARED_MODULUS, _MAX_SQUARED_MODULUS)
        nu = -0.5 * jnp.log(squared_modulus)
        theta = self.max_phase * jax.random.uniform(k_phase, (n,), dtype)
        theta = jnp.maximum(theta, jnp.finfo(dtype).tiny)
        b_scale = 1.0 / jnp.sqrt(2.0 * h)
        c_scale = 1.0 / jnp.sqrt(n)
        return {
            "nu_log": jnp.log(nu),
            "theta_log": jnp.log(theta),
            "gamma_log": 0.5 * jnp.log(1.0 - squared_modulus),
            "B_re": b_scale * jax.random.normal(k_bre, (n, h), dtype),
            "B_im": b_scale * jax.random.normal(k_bim, (n, h), dtype),
            "C_re": c_scale * jax.random.normal(k_cre, (self.d_out, n), dtype),
            "C_im": c_scale * jax.random.normal(k_cim, (self.d_out, n), dtype),
            "D": jax.random.normal(k_d, (self.d_out,), dtype),
        }

    def _drive(self, theta: Params, x: jax.Array) -> jax.Array:
        """γ ⊙ (B x): [..., H] -> [..., N] complex."""
        bx = jax.lax.complex(x @ theta["B_re"].T, x @ theta["B_im"].T)
        return jnp.exp(theta["gamma_log"]) * bx

    def step(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        lam = lambda_from_params(theta["nu_log"], theta["theta_log"])
        return lam * h_prev + self._drive(theta, x)

    def sequence(self, theta: Params, h0: jax.Array, x: jax.Array,
                 resets: Optional[jax.Array] = None) -> jax.Array:
        lam = lambda_from_params(theta["nu_log"], theta["theta_log"])
        if resets is not None:  # λ_t = 0 at a segment start: [B, T, N] coefficients.
            lam = lam * keep_factor(resets, lam)
        return linear_recurrence(lam, self._drive(theta, x), h0, impl=self.scan)

    def readout(self, phi: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        return (jnp.real(h) @ phi["C_re"].T - jnp.imag(h) @ phi["C_im"].T) + phi["D"] * x

    def jacobian_diagonal(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        lam = lambda_from_params(theta["nu_log"], theta["theta_log"])
        return jnp.broadcast_to(lam, h_prev.shape)

    def decay_moduli(self, theta: Params):
        """|λ| = exp(−exp(ν_log))."""
        return np.exp(-np.exp(np.asarray(theta["nu_log"], np.float64)))


class LRU(RecurrentCore):
    """Haiku LRU layer: `LRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, r_min: float = 0.0, r_max: float = 1.0,
                 max_phase: float = 6.28, scan: str = "auto", name: str = "lru"):
        super().__init__(LRUCell(d_in, d_hidden, d_in, r_min, r_max, max_phase, scan=scan),
                         name=name)
