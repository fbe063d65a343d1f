"""The family of online rules: forward sensitivities with the rule's J, spatial errors down.

| rule               | J_t used  | I_t used                              |
|--------------------|-----------|---------------------------------------|
| online_full        | exact     | exact                                 |
| online_snap        | diag(J_t) | exact (entries with one-step reach)   |
| online_truncated   | 0         | exact                                 |
| online_spat        | 0         | h_{t-1} path cut: no hidden-to-hidden |

Each registered rule is an `OnlineRule` instance with its (jacobian, cut) setting; the rule
modules next to this one register them by name.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lru_rtrl import compat
from lru_rtrl.cores.base import Cell, CoreStructure, Params, keep_factor
from lru_rtrl.registry import CORES
from lru_rtrl.rules import surrogates, traces
from lru_rtrl.rules.base import LearningRule


def _core_name(cell: Cell) -> str:
    """'name' (Class) of a registered cell's core, else its class name (for messages)."""
    names = [name for name, entry in CORES.items() if entry is type(cell)]
    return f"{names[0]!r} ({type(cell).__name__})" if names else type(cell).__name__


class OnlineRule(LearningRule):
    """An online rule given by the Jacobian it keeps and whether it cuts the h_{t-1} path."""

    online = True

    def __init__(self, name: str, *, jacobian: str, cut_hidden_to_hidden: bool = False):
        if jacobian not in surrogates.JACOBIANS:
            raise ValueError(f"jacobian must be one of {surrogates.JACOBIANS}, got {jacobian!r}")
        self.name = name
        self.jacobian = jacobian
        self.cut_hidden_to_hidden = cut_hidden_to_hidden

    def _elementwise(self, structure: CoreStructure) -> bool:
        """Whether traces are shaped like the parameters (diagonal J, or SnAp-1)."""
        return compat.elementwise_traces(self, structure)

    def untrained_recurrent_params(self, structure: CoreStructure):
        untrained = set(super().untrained_recurrent_params(structure))
        if self.cut_hidden_to_hidden:
            untrained |= set(structure.hidden_to_hidden)
        return tuple(p for p in structure.recurrent if p in untrained)

    def warnings(self, cell: Cell, engine, batch_size: int):
        found = []
        if self.cut_hidden_to_hidden and not self.untrained_recurrent_params(cell.structure):
            # Gated cores (rglru, mingru): every recurrent parameter also moves the drive, so
            # cutting the h_{t-1} path freezes nothing.
            found.append(
                f"{self.name} equals online_truncated on the core {_core_name(cell)}: it "
                "declares no hidden-to-hidden parameters (each recurrent parameter also moves "
                "h_t when h_{t-1} = 0), so cutting the h_{t-1} path leaves every recurrent "
                "parameter with online_truncated's 1-step gradient.")
        if engine.streams and self.jacobian == "full" and not cell.structure.diagonal:
            shapes = jax.eval_shape(cell.init_params, jax.random.PRNGKey(0))
            theta, _ = cell.split(shapes)
            floats = traces.trace_floats(cell, theta, batch_size, full=True)
            found.append(
                f"{self.name} on the dense core {type(cell).__name__} is full RTRL: each layer "
                f"keeps B·N·|θ| = {batch_size}·{cell.d_hidden}·"
                f"{floats // batch_size // cell.d_hidden} = {floats:,} sensitivities "
                f"({floats * 4 / 2**20:,.1f} MiB in float32) and costs O(N²·|θ|) per step. "
                "Consider online_snap for dense cores.")
        return tuple(found)

    # --- parallel engine ----------------------------------------------------------------
    def layer_sequence(self, cell, theta, h0, x, resets=None):
        if self.jacobian == "full":
            h = cell.sequence(theta, h0, jax.lax.stop_gradient(x), resets)
            return surrogates.spatial_input_tap(cell, theta, h0, x, h, resets)
        h = cell.sequence(jax.lax.stop_gradient(theta), h0, jax.lax.stop_gradient(x), resets)
        return surrogates.local_sensitivity_tap(
            cell, theta, h0, x, h, resets, jacobian=self.jacobian,
            cut_hidden_to_hidden=self.cut_hidden_to_hidden)

    # --- streaming engine ---------------------------------------------------------------
    def init_traces(self, cell, theta, batch_size):
        if self.jacobian == "none":
            return None
        dtype = cell.state_dtype(jax.tree_util.tree_leaves(theta)[0].dtype)
        if self._elementwise(cell.structure):
            return traces.elementwise_init(cell, theta, batch_size, dtype)
        return traces.full_init(cell, theta, batch_size, dtype)

    def update_traces(self, cell, theta, state, h_prev, x, reset=None):
        if self.jacobian == "none":
            return None
        if self._elementwise(cell.structure):
            diagonal = cell.jacobian_diagonal(theta, h_prev, x)
            if reset is not None:  # J_t = 0 at a segment start
                diagonal = diagonal * keep_factor(reset, diagonal)
            return traces.elementwise_update(cell, theta, state, h_prev, x, diagonal, reset)
        return traces.full_update(cell, theta, state, h_prev, x, reset)

    def recurrent_gradient(self, cell, theta, state, delta, h_prev, x, reset=None) -> Params:
        if self.jacobian == "none":
            # M_t = I_t: the gradient is one VJP of the step (summed over the batch).
            _, vjp_theta = jax.vjp(lambda th: cell.step_with_reset(th, h_prev, x, reset),
                                   theta)
            grads = dict(vjp_theta(delta.astype(h_prev.dtype))[0])
        elif self._elementwise(cell.structure):
            grads = traces.elementwise_gradient(cell, theta, state, delta)
        else:
            grads = traces.full_gradient(cell, theta, state, delta)
        for name in self.untrained_recurrent_params(cell.structure):
            grads[name] = jnp.zeros_like(theta[name])
        return grads
