"""The learning-rule interface, shared by both engines.

A rule says how the gradient of the recurrent parameters θ of each layer is formed, and what
error each layer passes to the layer below. It sees a core only through its `Cell` (pure step
math) and the cell's declared `CoreStructure`; it never reaches into a core's internals.

Parallel engine: `layer_sequence(cell, θ, h0, x)` returns the layer's states h [B, T, N] with
the values of the plain recurrence but with the rule's gradient attached (stop-gradient and
`custom_vjp` surrogates; no trace is ever stored per time step).

Streaming engine: `init_traces`, `update_traces` and `recurrent_gradient` carry the per-layer
sensitivities M_t = J_t M_{t-1} + I_t forward in time and contract them with the spatial error.

Rules are stateless Python objects (pure JAX on pytrees); a rule that cannot work with a core
or engine raises `UnsupportedCombinationError` from `check` when the model is built.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Optional, Tuple

import jax

from lru_rtrl import errors
from lru_rtrl.cores.base import Cell, CoreStructure, Params

# Roles of parameters in the model (see lru_rtrl.model.network.param_roles).
ROLES = ("encoder", "recurrent", "core_readout", "block", "readout_mlp", "decoder")


# A (core, rule, engine, pooling) combination that cannot work; the message says why.
UnsupportedCombinationError = errors.UnsupportedCombinationError


class LearningRule:
    """Base class. Subclasses set `name` and implement the parallel and streaming hooks."""

    name: str = ""
    # False only for rules that need the whole trajectory (bptt, tbptt).
    online: bool = True
    # The Jacobian J_t its traces keep: "full", "diagonal" (SnAp-1) or "none" (no temporal
    # path); None for a rule without traces (bptt, tbptt, a plugin with its own hooks).
    jacobian: Optional[str] = None
    # Roles whose parameters the rule trains; the others are frozen (zero gradient, no update).
    trained_roles: FrozenSet[str] = frozenset(ROLES)
    # BPTT window length K for rules that learn by windows of the stream (tbptt), else None.
    # Such a rule keeps no traces: the streaming engine refuses it, and lru_rtrl.learner's
    # OnlineLearner runs it by buffering each window (lru_rtrl.compat says which is which).
    window: Optional[int] = None

    def configure(self, config) -> "LearningRule":
        """This rule with its options read from the experiment config (e.g. config.tbptt).

        Called where a rule is resolved from a config: `build_model(..., config=config)` (the
        launcher, the online learner). The default has no options and returns the rule itself.
        """
        del config
        return self

    def check(self, structure: CoreStructure, engine) -> None:
        """A plugin rule's own conditions: raise UnsupportedCombinationError if it cannot train
        this core on `engine`. What every rule needs (traces, streams, windows) is decided by
        lru_rtrl.compat from the declared `online`, `jacobian` and `window`; this hook adds to
        it and is asked by compat."""
        del structure, engine

    def untrained_recurrent_params(self, structure: CoreStructure) -> Tuple[str, ...]:
        """Recurrent parameters that this rule leaves with an identically zero gradient."""
        return () if "recurrent" in self.trained_roles else tuple(structure.recurrent)

    def warnings(self, cell: Cell, engine, batch_size: int) -> Tuple[str, ...]:
        """Human-readable warnings (e.g. memory) for this combination."""
        del cell, engine, batch_size
        return ()

    # --- parallel engine ----------------------------------------------------------------
    def layer_sequence(self, cell: Cell, theta: Params, h0: jax.Array, x: jax.Array,
                       resets: Optional[jax.Array] = None) -> jax.Array:
        """States h [B, T, N] of one layer for input x [B, T, H], with the rule's gradient.

        `cell.sequence(theta, h0, x, resets)` gives the plain states (its scan implementation
        is the cell's static `scan` setting); a rule wraps it in stop-gradients / custom VJPs.
        `resets` [B, T] (or None) marks segment starts, where h_{t-1} is forgotten.
        """
        raise NotImplementedError

    # --- streaming engine ---------------------------------------------------------------
    def init_traces(self, cell: Cell, theta: Params, batch_size: int) -> Any:
        """The sensitivities M_0 = 0 for a batch (a pytree; None when the rule keeps none)."""
        raise NotImplementedError

    def update_traces(self, cell: Cell, theta: Params, traces: Any, h_prev: jax.Array,
                      x: jax.Array, reset: Optional[jax.Array] = None) -> Any:
        """M_t from M_{t-1} at (h_{t-1} [B, N], x_t [B, H]); reset [B] (or None) marks
        segment starts, where J_t = 0 and I_t is that of `cell.step_with_reset`."""
        raise NotImplementedError

    def recurrent_gradient(self, cell: Cell, theta: Params, traces: Any, delta: jax.Array,
                           h_prev: jax.Array, x: jax.Array,
                           reset: Optional[jax.Array] = None) -> Params:
        """This step's gradient for θ, summed over the batch: δ_t · M_t (δ_t [B, N])."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<learning rule {self.name!r}>"


def zero_like_params(theta: Params) -> Dict[str, jax.Array]:
    return jax.tree_util.tree_map(lambda p: jax.numpy.zeros_like(p), theta)


def describe(rule: LearningRule, structure: Optional[CoreStructure] = None) -> str:
    """One line saying what the rule trains, for logs."""
    text = f"rule {rule.name!r}: trains {', '.join(sorted(rule.trained_roles))}"
    if structure is not None:
        untrained = rule.untrained_recurrent_params(structure)
        if untrained:
            text += f"; leaves without gradient the recurrent parameters {', '.join(untrained)}"
    return text
