"""Example plugin: the `reservoir` learning rule (the paper's reference code had it).

The recurrent stack — encoder, every block, every core — is frozen at its random
initialisation; only what lies above it learns (the optional ReLU readout layer and the
decoder). Importing this module registers the rule, so a config selects it with

    config.plugins = ("examples/plugins/lru_rtrl_reservoir.py",)   # or the module name
    config.rule = "reservoir"

or, once installed (`pip install ./examples/plugins`), through its `lru_rtrl.plugins` entry
point without listing it anywhere.

It shows the three things a rule provides: which parameter roles it trains, the
parallel-engine surrogate for a layer, and the streaming-engine trace hooks.
"""

import jax

from lru_rtrl.registry import RULES
from lru_rtrl.rules.base import LearningRule, zero_like_params


class Reservoir(LearningRule):
    """Frozen random recurrent features; a trained readout."""

    name = "reservoir"
    online = True  # nothing is propagated through time, so it streams trivially
    trained_roles = frozenset({"readout_mlp", "decoder"})

    def layer_sequence(self, cell, theta, h0, x, resets=None):
        # No gradient is needed inside the stack: cut it here, so no backward pass runs
        # through any scan.
        return jax.lax.stop_gradient(cell.sequence(theta, h0, x, resets))

    def init_traces(self, cell, theta, batch_size):
        return None

    def update_traces(self, cell, theta, traces, h_prev, x, reset=None):
        return None

    def recurrent_gradient(self, cell, theta, traces, delta, h_prev, x, reset=None):
        return zero_like_params(theta)


RULES.register("reservoir", Reservoir())
