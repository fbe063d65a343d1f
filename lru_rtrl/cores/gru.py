"""The standard gated recurrent unit, reset gate applied to the hidden projection.

    r = σ(W_r x + U_r h + b_r)
    z = σ(W_z x + U_z h + b_z)
    n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))
    h' = (1 - z) ⊙ n + z ⊙ h

All weights are recurrent parameters (they enter the step); U_* act on h only and so get no
gradient under `online_spat`. The output is y = h when the block width equals N; otherwise a
linear readout y = C h (its only readout parameter).

Initialisation (`config.model.gru.init`):
  "reference"  the paper's released code, which uses Flax's GRUCell defaults: input weights
               W_* (and the readout C) LeCun-normal (truncated normal, std 1/sqrt(fan in)
               after the truncation correction), recurrent weights U_* orthogonal, every
               bias 0. The default.
  "pytorch"    U(-1/sqrt(N), 1/sqrt(N)) for every weight and bias (PyTorch's GRU default).

Shapes: h [..., N], x [..., H], y [..., H_out].
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import Cell, CoreStructure, Params, RecurrentCore
from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import CORES

_WEIGHTS = ("W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "b_r", "b_z", "b_in", "b_hn")
INITS = ("reference", "pytorch")
# Weights are stored [out, in] (y = x @ W^T): the fan in is the last axis.
_lecun_normal = jax.nn.initializers.lecun_normal(in_axis=-1, out_axis=-2)
_orthogonal = jax.nn.initializers.orthogonal()


@CORES.register("gru")
@dataclasses.dataclass(frozen=True)
class GRUCell(Cell):
    """Options (config.model.gru): init ("reference" | "pytorch", see the module docstring)."""
    init: str = "reference"

    structure: ClassVar[CoreStructure] = CoreStructure(
        diagonal=False,
        recurrent=_WEIGHTS,
        hidden_axis={name: 0 for name in _WEIGHTS},
        hidden_to_hidden=("U_r", "U_z", "U_n"),
        output_matrix=("C",),
    )

    def __post_init__(self):
        super().__post_init__()
        if self.init not in INITS:
            raise ConfigError(f"config.model.gru.init must be one of {INITS}, got {self.init!r}.")

    @property
    def identity_readout(self) -> bool:
        return self.d_out == self.d_hidden

    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        n, h = self.d_hidden, self.d_in
        shapes = {"W_r": (n, h), "W_z": (n, h), "W_n": (n, h),
                  "U_r": (n, n), "U_z": (n, n), "U_n": (n, n),
                  "b_r": (n,), "b_z": (n,), "b_in": (n,), "b_hn": (n,)}
        if not self.identity_readout:
            shapes["C"] = (self.d_out, n)
        keys = jax.random.split(key, len(shapes))
        if self.init == "pytorch":
            bound = 1.0 / jnp.sqrt(n)
            return {name: jax.random.uniform(k, shape, dtype, -bound, bound)
                    for k, (name, shape) in zip(keys, sorted(shapes.items()))}
        params = {}
        for k, (name, shape) in zip(keys, sorted(shapes.items())):
            if name.startswith("U_"):
                params[name] = _orthogonal(k, shape, dtype)
            elif len(shape) == 2:
                params[name] = _lecun_normal(k, shape, dtype)
            else:
                params[name] = jnp.zeros(shape, dtype)
        return params

    def _gates(self, theta: Params, h_prev: jax.Array, x: jax.Array):
        r = jax.nn.sigmoid(x @ theta["W_r"].T + h_prev @ theta["U_r"].T + theta["b_r"])
        z = jax.nn.sigmoid(x @ theta["W_z"].T + h_prev @ theta["U_z"].T + theta["b_z"])
        hidden_n = h_prev @ theta["U_n"].T + theta["b_hn"]
        n = jnp.tanh(x @ theta["W_n"].T + theta["b_in"] + r * hidden_n)
        return r, z, n, hidden_n

    def step(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        _, z, n, _ = self._gates(theta, h_prev, x)
        return (1.0 - z) * n + z * h_prev

    def readout(self, phi: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        del x
        return h if self.identity_readout else h @ phi["C"].T

    def jacobian_diagonal(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        r, z, n, hidden_n = self._gates(theta, h_prev, x)
        dz = z * (1.0 - z) * jnp.diagonal(theta["U_z"])
        dr = r * (1.0 - r) * jnp.diagonal(theta["U_r"])
        dn = (1.0 - n ** 2) * (r * jnp.diagonal(theta["U_n"]) + dr * hidden_n)
        return z + (1.0 - z) * dn + (h_prev - n) * dz


class GRU(RecurrentCore):
    """Haiku GRU layer: `GRU(d_in, d_hidden)(x [B, T, H], rule) -> y [B, T, N]`."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int = 0, *, init: str = "reference",
                 name: str = "gru"):
        super().__init__(GRUCell(d_in, d_hidden, d_out or d_hidden, init), name=name)
