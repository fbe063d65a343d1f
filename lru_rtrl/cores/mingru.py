"""minGRU (Feng et al., 2024, "Were RNNs all we needed?"): a GRU whose gate sees x_t only.

    z_t = σ(W_z x_t + b_z)                     update gate
    h̃_t = W_h x_t + b_h                        candidate state
    h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t
    y_t = C h_t + D ⊙ x_t

A diagonal linear recurrence with the time-varying coefficient a_t = 1 − z_t (computed as
σ(−(W_z x_t + b_z)), exact when z_t is close to 1) and the drive z_t ⊙ h̃_t, both from x_t:
∂h_t/∂h_{t-1} = diag(a_t), so `online_full` is exact inside the layer with traces shaped like
the parameters. W_z and b_z move h_t through a_t ⊙ h_{t-1} and through the drive, so no
recurrent parameter acts on h_{t-1} only: `hidden_to_hidden` is empty and `online_spat`
equals `online_truncated` on this core (docs/gated_cores.md).

Initialisation: W_z, W_h LeCun-normal (N(0, 1)/sqrt(H)), biases 0; C N(0, 1)/sqrt(N), D N(0, 1)
as the LRU's. No options (config.model.mingru is empty).

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

_RECURRENT = ("W_z", "b_z", "W_h", "b_h")


@CORES.register("mingru")
@dataclasses.dataclass(frozen=True)
class MinGRUCell(GatedDiagonalCell):
    """No options (config.model.mingru is empty)."""

    title: ClassVar[str] = "minGRU"

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=True,
        recurrent=_RECURRENT,
        hidden_axis={name: 0 for name in _RECURRENT},
        # W_z, b_z also move the drive z ⊙ h̃: none acts through h_{t-1} only.
        hidden_to_hidden=(),
    )

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        k_z, k_h, k_c, k_d = jax.random.split(key, 4)
        lecun = 1.0 / jnp.sqrt(h)
        return {
            "W_z": lecun * jax.random.normal(k_z, (n, h), dtype),
            "b_z": jnp.zeros((n,), dtype),
            "W_h": lecun * jax.random.normal(k_h, (n, h), dtype),
            "b_h": jnp.zeros((n,), dtype),
            "C": jax.random.normal(k_c, (self.d_out, n), dtype) / jnp.sqrt(n),
            "D": jax.random.normal(k_d, (self.d_out,), dtype),
        }

    def coefficients(self, theta: Params, x: jax.Array) -> Tuple[jax.Array, jax.Array]:
        """(a_t = 1 − z_t, drive_t = z_t ⊙ h̃_t): [..., H] -> two [..., N]."""
        pre_z = x @ theta["W_z"].T + theta["b_z"]
        candidate = x @ theta["W_h"].T + theta["b_h"]
        return jax.nn.sigmoid(-pre_z), jax.nn.sigmoid(pre_z) * candidate

    def decay(self, theta: Params, x: jax.Array) -> jax.Array:
        """a_t = 1 − z_t = σ(−(W_z x_t + b_z)): [..., H] -> [..., N]."""
        return jax.nn.sigmoid(-(x @ theta["W_z"].T + theta["b_z"]))


class MinGRU(RecurrentCore):
    """Haiku minGRU layer: `MinGRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, scan: str = "auto", name: str = "mingru"):
        super().__init__(MinGRUCell(d_in, d_hidden, d_in, scan=scan), name=name)
