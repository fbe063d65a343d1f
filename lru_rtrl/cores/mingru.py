"""minGRU (Feng et al., 2024, "Were RNNs all we needed?"): a GRU whose gate sees x_t only.

    z_t = σ(W_z x_t + b_z)                     update gate
    h̃_t = W_h x_t + b_h                        candidate state (or g(W_h x_t + b_h))
    h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t
    y_t = C h_t + D ⊙ x_t                      (C h_t alone with skip=False)

A diagonal linear recurrence with the time-varying coefficient a_t = 1 − z_t (computed as
σ(−(W_z x_t + b_z)), exact when z_t is close to 1) and the drive z_t ⊙ h̃_t, both from x_t:
∂h_t/∂h_{t-1} = diag(a_t), so `online_full` is exact inside the layer with traces shaped like
the parameters. W_z and b_z move h_t through a_t ⊙ h_{t-1} and through the drive, so no
recurrent parameter acts on h_{t-1} only: `hidden_to_hidden` is empty and `online_spat`
equals `online_truncated` on this core (docs/gated_cores.md). A segment start forgets
h_{t-1} (the step from a zero state).

Options (config.model.mingru):
  init       "paper": W_z, W_h LeCun-normal (N(0, 1)/sqrt(H)), biases 0 (the default; see
             docs/gated_cores.md for the comparison that chose it); "reference": the authors'
             released code (PyTorch's nn.Linear default: weights and biases U(±1/sqrt(H))).
  candidate  "linear": h̃_t = W_h x_t + b_h (the paper's sentence; the default); "g": the
             released code's g(v) = v + 1/2 for v ≥ 0, σ(v) for v < 0, which keeps h̃ > 0
             (it exists there for the log-space scan; we scan in linear space).
  skip       True: the readout adds D ⊙ x_t as the LRU's does (our departure, the default);
             False: y_t = C h_t, as the released code's cell.
C is N(0, 1)/sqrt(N), D N(0, 1) as the LRU's.

Shapes: h [..., N] real, x [..., H] real, y [..., H_out] (= H with the skip D ⊙ x); over a
sequence the coefficients a_t and drives are [B, T, N].
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional, Tuple

import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import CoreStructure, Params, RecurrentCore, keep_factor
from lru_rtrl.cores.gated import GatedDiagonalCell
from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import CORES

_RECURRENT = ("W_z", "b_z", "W_h", "b_h")
INITS = ("paper", "reference")
CANDIDATES = ("linear", "g")


def positive_candidate(v: jax.Array) -> jax.Array:
    """g(v) = v + 1/2 for v ≥ 0, σ(v) for v < 0: continuous, positive, the released code's."""
    return jnp.where(v >= 0, v + 0.5, jax.nn.sigmoid(v))


@CORES.register("mingru")
@dataclasses.dataclass(frozen=True)
class MinGRUCell(GatedDiagonalCell):
    """Options (config.model.mingru): init, candidate, skip (see the module docstring)."""

    title: ClassVar[str] = "minGRU"
    init: str = "paper"
    candidate: str = "linear"
    skip: bool = True

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=True,
        recurrent=_RECURRENT,
        hidden_axis={name: 0 for name in _RECURRENT},
        # W_z, b_z also move the drive z ⊙ h̃: none acts through h_{t-1} only.
        hidden_to_hidden=(),
        output_matrix=("C",),
    )

    def __post_init__(self):
        super().__post_init__()
        if self.init not in INITS:
            raise ConfigError(f"config.model.mingru.init must be one of {INITS}, got "
                             f"{self.init!r}.")
        if self.candidate not in CANDIDATES:
            raise ConfigError(f"config.model.mingru.candidate must be one of {CANDIDATES}, got "
                             f"{self.candidate!r}.")
        if not isinstance(self.skip, bool):
            raise ConfigError(f"config.model.mingru.skip must be True or False, got "
                             f"{self.skip!r}.")

    @property
    def has_skip(self) -> bool:
        return self.skip

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        if self.init == "reference":
            k_wz, k_bz, k_wh, k_bh, k_c, k_d = jax.random.split(key, 6)
            bound = 1.0 / jnp.sqrt(h)
            params = {name: jax.random.uniform(k, shape, dtype, -bound, bound)
                      for name, k, shape in (("W_z", k_wz, (n, h)), ("b_z", k_bz, (n,)),
                                             ("W_h", k_wh, (n, h)), ("b_h", k_bh, (n,)))}
        else:
            k_wz, k_wh, k_c, k_d = jax.random.split(key, 4)
            lecun = 1.0 / jnp.sqrt(h)
            params = {"W_z": lecun * jax.random.normal(k_wz, (n, h), dtype),
                      "b_z": jnp.zeros((n,), dtype),
                      "W_h": lecun * jax.random.normal(k_wh, (n, h), dtype),
                      "b_h": jnp.zeros((n,), dtype)}
        params["C"] = jax.random.normal(k_c, (self.d_out, n), dtype) / jnp.sqrt(n)
        if self.skip:
            params["D"] = jax.random.normal(k_d, (self.d_out,), dtype)
        return params

    def coefficients(self, theta: Params, x: jax.Array,
                     reset: Optional[jax.Array] = None) -> Tuple[jax.Array, jax.Array]:
        """(a_t = 1 − z_t, drive_t = z_t ⊙ h̃_t): [..., H] -> two [..., N]."""
        pre_z = x @ theta["W_z"].T + theta["b_z"]
        candidate = x @ theta["W_h"].T + theta["b_h"]
        if self.candidate == "g":
            candidate = positive_candidate(candidate)
        a = jax.nn.sigmoid(-pre_z)
        if reset is not None:
            a = a * keep_factor(reset, a)
        return a, jax.nn.sigmoid(pre_z) * candidate

    def decay(self, theta: Params, x: jax.Array) -> jax.Array:
        """a_t = 1 − z_t = σ(−(W_z x_t + b_z)): [..., H] -> [..., N]."""
        return jax.nn.sigmoid(-(x @ theta["W_z"].T + theta["b_z"]))


class MinGRU(RecurrentCore):
    """Haiku minGRU layer: `MinGRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, H]`."""

    def __init__(self, d_in: int, d_hidden: int, *, init: str = "paper",
                 candidate: str = "linear", skip: bool = True, scan: str = "auto",
                 name: str = "mingru"):
        super().__init__(MinGRUCell(d_in, d_hidden, d_in, init, candidate, skip, scan=scan),
                         name=name)
