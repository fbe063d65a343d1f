"""What the input-gated diagonal cells (rglru, mingru) share: h_t = a_t ⊙ h_{t-1} + drive_t,
with a_t and drive_t functions of x_t alone, and the LRU's readout y_t = C h_t (+ D ⊙ x_t).

A subclass gives `coefficients(theta, x, reset) -> (a, drive)` ([..., H] -> two [..., N];
`reset` [...] or None marks segment starts, where a must be 0) and `decay(theta, x) -> a`
(the same a without a reset and without computing the drive: the Jacobian diagonal); this
class makes the step, the sequence (gates for all steps in one vectorised pass, then a
time-varying [B, T, N] scan), the readout and ∂h_t/∂h_{t-1} = diag(a_t) from them.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional, Tuple

import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import Cell, Params
from lru_rtrl.cores.scan import linear_recurrence
from lru_rtrl.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class GatedDiagonalCell(Cell):
    """Base of the input-gated diagonal cells; see the module docstring."""

    title: ClassVar[str] = "gated diagonal"   # the core's name in error messages

    def __post_init__(self):
        super().__post_init__()
        if self.has_skip and self.d_out != self.d_in:
            raise ConfigError(
                f"The {self.title} readout adds D ⊙ x, so its output width ({self.d_out}) must "
                f"equal its input width ({self.d_in}).")

    @property
    def has_skip(self) -> bool:
        """Whether the readout adds D ⊙ x_t (a parameter D of width H)."""
        return True

    def coefficients(self, theta: Params, x: jax.Array,
                     reset: Optional[jax.Array] = None) -> Tuple[jax.Array, jax.Array]:
        raise NotImplementedError

    def decay(self, theta: Params, x: jax.Array) -> jax.Array:
        raise NotImplementedError

    def step(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        return self.step_with_reset(theta, h_prev, x, None)

    def step_with_reset(self, theta: Params, h_prev: jax.Array, x: jax.Array,
                        reset: Optional[jax.Array]) -> jax.Array:
        a, drive = self.coefficients(theta, x, reset)
        return a * h_prev + drive

    def sequence(self, theta: Params, h0: jax.Array, x: jax.Array,
                 resets: Optional[jax.Array] = None) -> jax.Array:
        a, drive = self.coefficients(theta, x, resets)
        return linear_recurrence(a, drive, h0, impl=self.scan)

    def readout(self, phi: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        y = h @ phi["C"].T
        return y + phi["D"] * x if self.has_skip else y

    def jacobian_diagonal(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        return jnp.broadcast_to(self.decay(theta, x), h_prev.shape)
