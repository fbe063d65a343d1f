"""Dense linear RNN: `h_t = A ρ(h_{t-1}) + B x_t`, `y_t = C h_t + D ⊙ x_t`.

ρ ∈ {identity, tanh, relu}. A is initialised truncated-normal on [-2, 2] / sqrt(N) (as in the
paper's code), B N(0, 1)/sqrt(H), C N(0, 1)/sqrt(N), D N(0, 1).

Shapes: h [..., N], x [..., H], y [..., H] (H_out = H for the skip D ⊙ x).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, ClassVar, Dict, Optional

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl.cores.base import Cell, CoreStructure, Params, RecurrentCore, keep_factor
from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import CORES

# ρ and its derivative (used by the analytic Jacobian diagonal).
NONLINEARITIES: Dict[str, Callable] = {
    "identity": (lambda h: h, lambda h: jnp.ones_like(h)),
    "tanh": (jnp.tanh, lambda h: 1.0 - jnp.tanh(h) ** 2),
    "relu": (jax.nn.relu, lambda h: (h > 0).astype(h.dtype)),
}


@CORES.register("linear_rnn")
@dataclasses.dataclass(frozen=True)
class LinearRNNCell(Cell):
    """Options (config.model.linear_rnn): nonlinearity ρ applied to h_{t-1}."""
    nonlinearity: str = "identity"

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=False,
        recurrent=("A", "B"),
        hidden_axis={"A": 0, "B": 0},
        hidden_to_hidden=("A",),
        input_matrix=("B",),
        output_matrix=("C",),
    )

    def __post_init__(self):
        super().__post_init__()
        if self.nonlinearity not in NONLINEARITIES:
            raise ConfigError(
                f"Unknown config.model.linear_rnn.nonlinearity {self.nonlinearity!r}; choose "
                f"one of {sorted(NONLINEARITIES)}.")
        if self.d_out != self.d_in:
            raise ConfigError(
                f"The linear RNN readout adds D ⊙ x, so its output width ({self.d_out}) must "
                f"equal its input width ({self.d_in}).")

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        k_a, k_b, k_c, k_d = jax.random.split(key, 4)
        return {
            "A": jax.random.truncated_normal(k_a, -2.0, 2.0, (n, n), dtype) / jnp.sqrt(n),
            "B": jax.random.normal(k_b, (n, h), dtype) / jnp.sqrt(h),
            "C": jax.random.normal(k_c, (self.d_out, n), dtype) / jnp.sqrt(n),
            "D": jax.random.normal(k_d, (self.d_out,), dtype),
        }

    def step(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        rho = NONLINEARITIES[self.nonlinearity][0]
        return rho(h_prev) @ theta["A"].T + x @ theta["B"].T

    def sequence(self, theta: Params, h0: jax.Array, x: jax.Array,
                 resets: Optional[jax.Array] = None) -> jax.Array:
        # The input drive needs no recurrence: one matmul for all steps, then a scan.
        rho = NONLINEARITIES[self.nonlinearity][0]
        drive = jnp.moveaxis(x @ theta["B"].T, 1, 0)
        keep = (jnp.ones(drive.shape[:2] + (1,), drive.dtype) if resets is None
                else jnp.moveaxis(keep_factor(resets, drive), 1, 0))

        def body(h, inputs):
            u_t, keep_t = inputs
            h = rho(h * keep_t) @ theta["A"].T + u_t
            return h, h

        _, h = jax.lax.scan(body, h0, (drive, keep))
        return jnp.moveaxis(h, 0, 1)

    def readout(self, phi: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        return h @ phi["C"].T + phi["D"] * x

    def jacobian_diagonal(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        rho_prime = NONLINEARITIES[self.nonlinearity][1]
        return jnp.diagonal(theta["A"]) * rho_prime(h_prev)

    def decay_moduli(self, theta: Params):
        """The moduli of A's eigenvalues."""
        return np.abs(np.linalg.eigvals(np.asarray(theta["A"], np.float64)))


class LinearRNN(RecurrentCore):
    """Haiku dense RNN layer: `LinearRNN(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, nonlinearity: str = "identity",
                 name: str = "linear_rnn"):
        super().__init__(LinearRNNCell(d_in, d_hidden, d_in, nonlinearity), name=name)
