"""What an engine is: a way to compute a learning rule's gradient for a batch.

An engine is a registered object that callers ask, instead of comparing names:

  engine.streams            it reads one step at a time (memory independent of T), so every
                            step's loss must be known at that step
  engine.in_stream_updates  it can update the parameters inside a stream
                            (`config.streaming.update_every > 0`)
  engine.check(...)         a plugin engine's own conditions (raise
                            UnsupportedCombinationError); what follows from `streams` and
                            `in_stream_updates` is decided by lru_rtrl.compat, which asks it
  engine.gradient(model, params, rng, batch, normalizer=None, is_training=True, rule=None)
      -> (loss, stats, grads)
  engine.online_updates(...)  learning while reading (engines with in_stream_updates only)

`stats` holds sums over the batch (`loss_sum`, `weight`, `correct`) so that metrics can be
summed across devices and batches. Every engine must give the gradient of the rule it runs
for the same parameters, batch and dropout rng (float rounding aside): the built-in ones are
held to the float64 oracle and to each other by the tests. A plugin engine subclasses
`Engine` (or an engine it refines) and registers an instance in ENGINES.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import haiku as hk
import jax
import jax.numpy as jnp

from lru_rtrl.cores.base import CoreStructure
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.rules.base import LearningRule, UnsupportedCombinationError


class Engine:
    """Base class of engines; see the module docstring for what callers ask of one."""

    name: str = ""
    streams: bool = False
    in_stream_updates: bool = False

    def check(self, *, rule: LearningRule, structure: CoreStructure, spec: TaskSpec,
              pooling: str) -> None:
        """A plugin engine's own conditions beyond its declared capabilities (lru_rtrl.compat
        asks it): raise UnsupportedCombinationError saying why."""
        del rule, structure, spec, pooling

    def gradient(self, model, params: hk.Params, rng: Optional[jax.Array],
                 batch: Dict[str, jax.Array], *, normalizer: Optional[jax.Array] = None,
                 is_training: bool = True, rule: Optional[LearningRule] = None
                 ) -> Tuple[jax.Array, Dict[str, jax.Array], hk.Params]:
        raise NotImplementedError

    def online_updates(self, model, params, opt_state, optimizer, rng, batch,
                       update_every: int, **kwargs):
        """Optimizer updates inside the stream; only engines with `in_stream_updates`."""
        raise UnsupportedCombinationError(
            f"Engine {self.name!r} does not update parameters inside a stream; set "
            "config.streaming.update_every=0 or use an engine that does (streaming).")

    def __repr__(self) -> str:
        return f"<engine {self.name!r}>"


def mask_frozen(grads: hk.Params, trained: Dict[str, Dict[str, bool]]) -> hk.Params:
    """Zeros the gradient of every parameter the rule keeps frozen."""
    return {m: {n: (g if trained[m][n] else jnp.zeros_like(g)) for n, g in names.items()}
            for m, names in grads.items()}


def split_recurrent(model, params: hk.Params):
    """(θ per layer [{name: array}], the other parameters) of a model's params."""
    thetas = []
    rest = {m: dict(names) for m, names in params.items()}
    for path, cell in zip(model.core_modules(params), model.cells):
        thetas.append({n: rest[path].pop(n) for n in cell.structure.recurrent})
    return thetas, rest


def merge_recurrent(model, thetas, rest: hk.Params) -> hk.Params:
    """Inverse of `split_recurrent`."""
    merged = {m: dict(names) for m, names in rest.items()}
    for path, theta in zip(model.core_modules(rest), thetas):
        merged[path].update(theta)
    return merged


def tree_add(a: Any, b: Any) -> Any:
    return jax.tree_util.tree_map(jnp.add, a, b)
