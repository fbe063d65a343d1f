"""Checkpoints with orbax: the latest few, the best on validation, checked on restore.

Layout under `<workdir>/checkpoints/`:

  latest/<step>/state   params, optimizer state, step counters (orbax PyTree, OCDBT)
  latest/<step>/meta    JSON: loop progress (best validation loss, evaluations since the best,
                        early-stopped flag), a SHA-256 of every array in `state`, the config
  best/<step>/...       the same, for the best validation loss (one kept)
  corrupt/              checkpoints that failed to restore, moved aside for inspection

`Checkpointer.restore(kind, template)` tries the newest step first. A checkpoint that orbax cannot read (missing or
truncated files, a partial write) or whose arrays do not match the recorded checksum is
reported, moved to `corrupt/`, and the next older one is tried, so a run resumes from the
last good checkpoint. Saves are synchronous: when `save` returns, the checkpoint is complete.

The optimizer state is stored as a flat list of arrays and rebuilt with the structure of a
freshly initialised state, so optax's state classes need no serialisation of their own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from typing import Any, Dict, List, Optional, Tuple

import jax
import numpy as np
import orbax.checkpoint as ocp

from lru_rtrl.errors import UserError
from lru_rtrl.training.steps import TrainState

LATEST, BEST = "latest", "best"


class CheckpointError(UserError, RuntimeError):
    """A checkpoint could not be used."""


def checksum(tree: Any) -> str:
    """SHA-256 of the leaves of `tree` (dtype, shape and bytes, in tree order)."""
    digest = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves(tree):
        leaf = np.ascontiguousarray(np.asarray(leaf))
        digest.update(f"{leaf.dtype.str}{leaf.shape}".encode())
        digest.update(leaf.tobytes())
    return digest.hexdigest()


def _to_saved(state: TrainState) -> Dict[str, Any]:
    leaves = jax.tree_util.tree_leaves(state.opt_state)
    return {
        "step": np.asarray(state.step, np.int32),
        "bad_step": np.asarray(state.bad_step, np.int32),
        "params": jax.tree_util.tree_map(np.asarray, state.params),
        "opt_state": {f"{i:05d}": np.asarray(leaf) for i, leaf in enumerate(leaves)},
    }


def _from_saved(saved: Dict[str, Any], template: TrainState) -> TrainState:
    treedef = jax.tree_util.tree_structure(template.opt_state)
    opt_leaves = [saved["opt_state"][k] for k in sorted(saved["opt_state"])]
    if len(opt_leaves) != treedef.num_leaves:
        raise CheckpointError(
            f"The checkpoint's optimizer state has {len(opt_leaves)} arrays, the configured "
            f"optimizer {treedef.num_leaves}: was config.train.optimizer_groups (or the rule, "
            "or clip_norm) changed since it was written?")
    return TrainState(step=np.asarray(saved["step"]), params=saved["params"],
                      opt_state=jax.tree_util.tree_unflatten(treedef, opt_leaves),
                      bad_step=np.asarray(saved["bad_step"]))


def _check_shapes(restored: Any, template: Any) -> None:
    want = jax.tree_util.tree_map(lambda x: (np.shape(x), np.asarray(x).dtype.str), template)
    got = jax.tree_util.tree_map(lambda x: (np.shape(x), np.asarray(x).dtype.str), restored)
    if want != got:
        raise CheckpointError("The checkpoint's arrays do not have the shapes of the configured "
                              "model; was config.model changed since it was written?")


class Checkpointer:
    """Saves and restores `TrainState`s plus a JSON record under `<workdir>/checkpoints`."""

    def __init__(self, workdir: str, *, keep: int = 3):
        self.root = os.path.join(os.path.abspath(workdir), "checkpoints")
        self.keep = keep
        self._managers: Dict[str, ocp.CheckpointManager] = {}
        self.set_aside: List[str] = []  # where unusable checkpoints were moved

    def _manager(self, kind: str) -> ocp.CheckpointManager:
        if kind not in self._managers:
            options = ocp.CheckpointManagerOptions(
                max_to_keep=self.keep if kind == LATEST else 1, create=True,
                enable_async_checkpointing=False)
            self._managers[kind] = ocp.CheckpointManager(
                os.path.join(self.root, kind), options=options, item_names=("state", "meta"))
        return self._managers[kind]

    def steps(self, kind: str = LATEST):
        return sorted(self._manager(kind).all_steps())

    def save(self, kind: str, state: TrainState, meta: Dict[str, Any]) -> str:
        """Writes `state` (host values) and `meta` as checkpoint `state.step` of `kind`."""
        saved = _to_saved(state)
        step = int(saved["step"])
        record = dict(meta, step=step, checksum=checksum(saved), saved_at=time.time())
        manager = self._manager(kind)
        if step in manager.all_steps():  # e.g. the final save right after a periodic one
            return os.path.join(str(manager.directory), str(step))
        manager.save(step, args=ocp.args.Composite(
            state=ocp.args.StandardSave(saved), meta=ocp.args.JsonSave(record)))
        manager.wait_until_finished()
        path = os.path.join(str(manager.directory), str(step))
        logging.debug("Saved the %s checkpoint %s", kind, path)
        return path

    def _restore_step(self, kind: str, step: int, template: TrainState
                      ) -> Tuple[TrainState, Dict[str, Any]]:
        target = _to_saved(template)
        restored = self._manager(kind).restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(target), meta=ocp.args.JsonRestore()))
        saved = jax.tree_util.tree_map(np.asarray, dict(restored.state))
        meta = dict(restored.meta)
        _check_shapes(saved, target)
        if checksum(saved) != meta.get("checksum"):
            raise CheckpointError("its arrays do not match the checksum recorded when it was "
                                  "written (a corrupt or partly overwritten file)")
        return _from_saved(saved, template), meta

    def restore(self, kind: str, template: TrainState
                ) -> Optional[Tuple[TrainState, Dict[str, Any]]]:
        """The newest good checkpoint of `kind` as (state, meta), or None if there is none.

        Unreadable checkpoints are logged, moved to `corrupt/` (their new places are listed
        in `self.set_aside`) and skipped. A checkpoint that reads fine but does not fit the
        configured model raises `CheckpointError`.
        """
        for step in reversed(self.steps(kind)):
            try:
                return self._restore_step(kind, step, template)
            except CheckpointError as error:
                if "shapes" in str(error) or "optimizer state" in str(error):
                    raise CheckpointError(
                        f"Checkpoint {kind}/{step} in {self.root} does not fit: {error} Use a "
                        "new --workdir for a different model.") from error
                self._set_aside(kind, step, error)
            except Exception as error:  # pylint: disable=broad-except
                # orbax / tensorstore raise many types for missing or truncated files.
                self._set_aside(kind, step, error)
        return None

    def _set_aside(self, kind: str, step: int, error: BaseException) -> None:
        source = os.path.join(self.root, kind, str(step))
        target = os.path.join(self.root, "corrupt", f"{kind}_{step}_{int(time.time())}")
        logging.warning("Checkpoint %s is unusable (%s: %s); moving it to %s and trying the "
                      "previous one.", source, type(error).__name__,
                      str(error).splitlines()[0] if str(error) else "", target)
        if jax.process_index() == 0 and os.path.isdir(source):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.move(source, target)
        self.set_aside.append(target)
        # The manager caches the list of steps: rebuild it without the moved one.
        manager = self._managers.pop(kind, None)
        if manager is not None:
            manager.close()

    def close(self) -> None:
        for manager in self._managers.values():
            manager.close()
        self._managers.clear()


def config_json(config) -> str:
    """The config as JSON (recorded in every checkpoint's meta)."""
    return json.dumps(config.to_dict(), sort_keys=True, default=str)
