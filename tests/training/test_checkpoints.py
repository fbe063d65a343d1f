"""Checkpoints: round trip, fallback past a corrupt or partial latest one, misfit models."""

import glob
import logging
import os
import shutil

import chex
import jax
import numpy as np
import optax
import pytest

from lru_rtrl.training import checkpoints
from lru_rtrl.training.steps import TrainState


def _state(step, scale=1.0):
    params = {"model/~/block_0/~/core": {"nu_log": scale * np.arange(3, dtype=np.float32)},
              "model/~/decoder": {"w": scale * np.ones((2, 2), np.float32)}}
    opt_state = optax.adam(1e-3).init(params)
    return TrainState(step=np.asarray(step, np.int32), params=params,
                      opt_state=jax.tree_util.tree_map(np.asarray, opt_state),
                      bad_step=np.asarray(-1, np.int32))


@pytest.fixture
def opened():
    """Makes Checkpointers and closes them after the test (orbax keeps threads open)."""
    made = []

    def make(workdir, **kwargs):
        made.append(checkpoints.Checkpointer(workdir, **kwargs))
        return made[-1]
    yield make
    for checkpointer in made:
        checkpointer.close()


def _save(checkpointer, step, kind=checkpoints.LATEST):
    checkpointer.save(kind, _state(step, scale=float(step)), {"progress": {"best_step": step}})


def test_round_trip_keeps_structure_and_values(tmp_path, opened):
    checkpointer = opened(str(tmp_path))
    _save(checkpointer, 3)
    state, meta = checkpointer.restore(checkpoints.LATEST, _state(0))
    expected = _state(3, scale=3.0)
    chex.assert_trees_all_equal(state.params, expected.params)
    chex.assert_trees_all_equal_structs(state.opt_state, expected.opt_state)
    assert int(state.step) == 3 and meta["progress"] == {"best_step": 3}
    assert checkpointer.restore(checkpoints.BEST, _state(0)) is None


def test_keeps_the_configured_number(tmp_path, opened):
    checkpointer = opened(str(tmp_path), keep=2)
    for step in (1, 2, 3):
        _save(checkpointer, step)
    assert checkpointer.steps() == [2, 3]


def _corrupt_by_truncating(directory):
    files = [f for f in glob.glob(os.path.join(directory, "state", "**"), recursive=True)
             if os.path.isfile(f) and "/d/" in f]
    assert files, directory
    for path in files:
        with open(path, "r+b") as handle:
            handle.truncate(max(os.path.getsize(path) // 2, 1))


def _corrupt_by_flipping_bytes(directory):
    files = [f for f in glob.glob(os.path.join(directory, "state", "**"), recursive=True)
             if os.path.isfile(f) and "/d/" in f]
    for path in files:
        data = bytearray(open(path, "rb").read())
        for i in range(len(data) // 3, len(data) // 3 + 8):
            data[i] ^= 0xFF
        open(path, "wb").write(bytes(data))


def _leave_it_partial(directory):
    """As if the writer died half-way: the record and the array files are missing."""
    os.remove(os.path.join(directory, "meta", "metadata"))
    for folder in glob.glob(os.path.join(directory, "state", "**", "d"), recursive=True):
        shutil.rmtree(folder)


# orbax's failed async read of a truncated file leaves a callback for a closed event loop.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", [_corrupt_by_truncating, _corrupt_by_flipping_bytes,
                                    _leave_it_partial])
def test_corrupt_latest_falls_back_to_the_previous_good_one(tmp_path, caplog, damage, opened):
    checkpointer = opened(str(tmp_path))
    _save(checkpointer, 1)
    _save(checkpointer, 2)
    damage(os.path.join(str(tmp_path), "checkpoints", "latest", "2"))
    fresh = opened(str(tmp_path))  # a new run on the same workdir
    with caplog.at_level(logging.WARNING):  # recovered from, so a warning
        state, _ = fresh.restore(checkpoints.LATEST, _state(0))
    assert int(state.step) == 1
    chex.assert_trees_all_equal(state.params, _state(1).params)
    assert "latest/2 is unusable" in caplog.text
    assert fresh.steps() == [1]
    assert len(os.listdir(os.path.join(str(tmp_path), "checkpoints", "corrupt"))) == 1
    _save(fresh, 2)  # training goes on and writes step 2 again
    assert int(fresh.restore(checkpoints.LATEST, _state(0))[0].step) == 2


def test_a_checkpoint_of_another_model_is_a_clear_error(tmp_path, opened):
    checkpointer = opened(str(tmp_path))
    _save(checkpointer, 1)
    other = _state(0)
    other.params["model/~/decoder"]["w"] = np.ones((3, 2), np.float32)
    with pytest.raises(checkpoints.CheckpointError, match="new --workdir"):
        checkpointer.restore(checkpoints.LATEST, other)
