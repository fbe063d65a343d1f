"""What an engine is: a way to compute a learning rule's gradient for a batch.

    loss, stats, grads = engine.gradient(model, params, rng, batch, normalizer=None)

`stats` holds sums over the batch (`loss_sum`, `weight`, `correct`) so that metrics can be
summed across devices and batches. Both built-in engines give the same gradient for the same
parameters, batch and dropout rng (float rounding aside); tests hold them to it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import haiku as hk
import jax
import jax.numpy as jnp


class Engine:
    name: str = ""

    def gradient(self, model, params: hk.Params, rng: Optional[jax.Array],
                 batch: Dict[str, jax.Array], *, normalizer: Optional[jax.Array] = None,
                 is_training: bool = True) -> Tuple[jax.Array, Dict[str, jax.Array], hk.Params]:
        raise NotImplementedError

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
