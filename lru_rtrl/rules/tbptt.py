"""`tbptt`: truncated backpropagation through time, the practical baseline on a stream.

The sequence is cut into windows of K = `config.tbptt.window` steps, starting at t = 0: inside
a window the gradient is BPTT's, exact through every layer and every step; the state carried
into a window (at t ≡ 0 mod K, t > 0) is a constant, its gradient stopped. On a stream the
memory is O(K·N) per layer: a window's activations, never the whole stream's.

Parallel engine (the launcher): the gradient of the whole-sequence loss with the carried state
stopped at window boundaries (one update per batch). `layer_sequence` runs the plain
recurrence once without gradient to get the state entering every window, then runs all
windows of all rows as one batch of K-step sequences from those (stopped) states; the values
are those of the plain recurrence.

The streaming engine refuses it (it carries traces step by step, and tbptt keeps none:
`online = False`). On a stream it runs in `lru_rtrl.learner.OnlineLearner`, which keeps the
last window's inputs and the state at its start, and runs BPTT over them at the window's end.

What equals what (tests/rules/test_tbptt.py, float64 against `oracle.tbptt_reference`):
K ≥ T is BPTT; K = 1 is `online_truncated` (no temporal path in any layer); 1 < K < T lies
between the two.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lru_rtrl.errors import ConfigError
from lru_rtrl.registry import RULES
from lru_rtrl.rules.base import LearningRule

DEFAULT_WINDOW = 32


class TBPTT(LearningRule):
    """BPTT inside windows of `window` steps, the state gradient stopped between windows."""

    name = "tbptt"
    online = False  # it needs a window of trajectory, not traces; see the module docstring

    def __init__(self, window: int = DEFAULT_WINDOW):
        if int(window) < 1:
            raise ConfigError(f"config.tbptt.window must be >= 1, got {window}.")
        self.window = int(window)

    def configure(self, config) -> "TBPTT":
        """The rule with K = config.tbptt.window (a config without that section: unchanged)."""
        section = config.get("tbptt") if hasattr(config, "get") else None
        if section is None or int(section.window) == self.window:
            return self
        return TBPTT(window=int(section.window))

    def layer_sequence(self, cell, theta, h0, x, resets=None):
        batch, steps = x.shape[:2]
        k = self.window
        if k >= steps:  # One window: BPTT itself.
            return cell.sequence(theta, h0, x, resets)
        windows = -(-steps // k)
        pad = windows * k - steps
        # Padding goes after the last step, so it changes no real state.
        x_padded = jnp.pad(x, [(0, 0), (0, pad)] + [(0, 0)] * (x.ndim - 2))
        r_padded = None if resets is None else jnp.pad(resets, [(0, 0), (0, pad)])
        # The state entering each window, as a constant: one plain pass without gradient.
        plain = cell.sequence(jax.lax.stop_gradient(theta), jax.lax.stop_gradient(h0),
                              jax.lax.stop_gradient(x_padded), r_padded)
        carried = jax.lax.stop_gradient(plain[:, k - 1:(windows - 1) * k:k])   # [B, W-1, N]
        starts = jnp.concatenate([h0[:, None].astype(plain.dtype), carried], axis=1)
        # All windows of all rows as one batch of K-step sequences: [B·W, K, ...].
        h = cell.sequence(theta, starts.reshape((batch * windows,) + starts.shape[2:]),
                          x_padded.reshape((batch * windows, k) + x.shape[2:]),
                          None if r_padded is None else r_padded.reshape(batch * windows, k))
        return h.reshape((batch, windows * k) + h.shape[2:])[:, :steps]

    def __repr__(self) -> str:
        return f"<learning rule 'tbptt' window={self.window}>"


RULES.register("tbptt", TBPTT())
