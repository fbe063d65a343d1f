"""`recall_stream`: the target is the input `delay` steps earlier, across chunk borders."""

import numpy as np
import pytest

from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


def test_targets_are_the_delayed_inputs_across_chunks():
    task = TASKS.get("recall_stream")({"delay": 5, "chunk_len": 4, "num_symbols": 6})
    chunks = task.stream(batch_size=3, seed=1)
    parts = [next(chunks) for _ in range(4)]
    inputs = np.concatenate([p["inputs"] for p in parts], axis=1)      # [3, 16]
    targets = np.concatenate([p["targets"] for p in parts], axis=1)
    weights = np.concatenate([p["loss_mask"] for p in parts], axis=1)
    assert inputs.min() >= 1 and inputs.max() <= 6
    np.testing.assert_array_equal(weights[:, :5], 0.0)
    np.testing.assert_array_equal(weights[:, 5:], 1.0)
    np.testing.assert_array_equal(targets[:, 5:], inputs[:, :-5] - 1)
    assert task.spec.input_kind == "tokens" and task.spec.output_shape == (6,)
    # Independent rows, and the same stream again for the same seed.
    assert not np.array_equal(inputs[0], inputs[1])
    again = next(task.stream(batch_size=3, seed=1))
    np.testing.assert_array_equal(again["inputs"], parts[0]["inputs"])


def test_windows_for_the_epoch_launcher_and_bad_options():
    task = TASKS.get("recall_stream")({"delay": 2, "chunk_len": 6, "num_train": 8})
    batch = next(task.batches("train", 4, seed=0))
    assert batch["inputs"].shape == (4, 6) and batch["loss_mask"][:, :2].sum() == 0
    with pytest.raises(DataError, match="delay >= 1"):
        TASKS.get("recall_stream")({"delay": 0})
