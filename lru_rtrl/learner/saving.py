"""Saving and restoring a learner's state with orbax, bit-exactly.

The state's leaves are stored as a flat, numbered dict of arrays and rebuilt on the
structure of a template state (e.g. `learner.init(...)` for the same config and batch size),
so optax's state classes need no serialisation of their own (as training/checkpoints.py).
"""

from __future__ import annotations

import os

import jax
import numpy as np
import orbax.checkpoint as ocp

from lru_rtrl.errors import UserError


def save(path: str, state) -> None:
    """Writes `state` under the new directory `path` (absolute or relative)."""
    leaves = jax.tree_util.tree_leaves(state)
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(os.path.abspath(path),
                          {f"{i:05d}": np.asarray(a) for i, a in enumerate(leaves)})


def restore(path: str, template):
    """The state saved under `path`, with the structure of `template`."""
    leaves, treedef = jax.tree_util.tree_flatten(template)
    with ocp.StandardCheckpointer() as checkpointer:
        saved = checkpointer.restore(os.path.abspath(path))
    if len(saved) != len(leaves):
        raise UserError(f"The saved learner state has {len(saved)} arrays, the template "
                         f"{len(leaves)}: was it saved for another config or batch size?")
    restored = [saved[f"{i:05d}"] for i in range(len(leaves))]
    for got, want in zip(restored, leaves):
        if np.shape(got) != np.shape(want):
            raise UserError(f"The saved learner state does not fit the template: an array "
                             f"of shape {np.shape(got)} where {np.shape(want)} is expected.")
    return jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(a) for a in restored])
