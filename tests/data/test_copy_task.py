"""The copy task: layout of inputs, targets and masks (docs/paper.md), sizes and determinism."""

import numpy as np
import pytest

from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS

SMALL = {"num_train": 40, "num_validation": 8, "num_test": 8}


def test_spec_matches_the_paper():
    task = TASKS.get("copy")(SMALL)
    spec = task.spec
    assert (spec.seq_len, spec.input_kind, spec.input_dim) == (48, "real", 8)
    assert (spec.output_shape, spec.target_kind, spec.num_classes) == ((7, 2), "per_step", 2)
    defaults = TASKS.get("copy").default_config()
    assert (defaults.num_train, defaults.num_validation, defaults.num_test) == (20000, 1000, 1000)


def test_layout_of_one_batch():
    task = TASKS.get("copy")(SMALL)
    batch = next(task.batches("train", 8, seed=0))
    inputs, targets = batch["inputs"], batch["targets"]
    assert inputs.shape == (8, 48, 8) and inputs.dtype == np.float32
    assert targets.shape == (8, 48, 7) and targets.dtype == np.int32
    assert set(np.unique(inputs)) <= {0.0, 1.0} and set(np.unique(targets)) <= {0, 1}
    pattern = inputs[:, :20, :7]
    np.testing.assert_array_equal(inputs[:, 20:27], 0)               # 7 blank steps
    np.testing.assert_array_equal(inputs[:, 27, 7], 1)               # go token, channel 8
    np.testing.assert_array_equal(inputs[:, 27, :7], 0)
    np.testing.assert_array_equal(inputs[:, :27, 7], 0)
    np.testing.assert_array_equal(inputs[:, 28:], 0)
    np.testing.assert_array_equal(targets[:, 28:], pattern)          # recall window
    np.testing.assert_array_equal(targets[:, :28], 0)
    expected_loss_mask = np.zeros(48)
    expected_loss_mask[28:] = 1
    np.testing.assert_array_equal(batch["loss_mask"], np.broadcast_to(expected_loss_mask, (8, 48)))
    np.testing.assert_array_equal(batch["mask"], 1)
    np.testing.assert_array_equal(batch["weights"], 1)


def test_patterns_are_fair_bits():
    task = TASKS.get("copy")({"num_train": 2000, "num_validation": 8, "num_test": 8})
    batch = next(task.batches("train", 2000, seed=0, shuffle=False))
    assert abs(batch["inputs"][:, :20, :7].mean() - 0.5) < 0.01


def test_generation_is_fixed_by_the_data_seed_and_split():
    def first(seed, split, **extra):
        task = TASKS.get("copy")({**SMALL, "seed": seed, **extra})
        return next(task.batches(split, 8, seed=0, shuffle=False))["inputs"]

    np.testing.assert_array_equal(first(0, "train"), first(0, "train"))
    assert not np.array_equal(first(0, "train"), first(1, "train"))
    assert not np.array_equal(first(0, "validation"), first(0, "test"))
    # A split's content does not depend on the other splits' sizes.
    np.testing.assert_array_equal(first(0, "test"), first(0, "test", num_train=12))


def test_configurable_lengths():
    task = TASKS.get("copy")({**SMALL, "pattern_len": 5, "padding": 3, "n_bits": 2})
    assert task.spec.seq_len == 14 and task.spec.input_dim == 3
    assert task.spec.output_shape == (2, 2)
    batch = next(task.batches("test", 4, seed=0))
    np.testing.assert_array_equal(batch["inputs"][:, 8, 2], 1)
    np.testing.assert_array_equal(batch["targets"][:, 9:], batch["inputs"][:, :5, :2])
    assert batch["loss_mask"][0].tolist() == [0] * 9 + [1] * 5


def test_bad_lengths_are_rejected():
    with pytest.raises(DataError, match="pattern_len"):
        TASKS.get("copy")({"pattern_len": 0})
