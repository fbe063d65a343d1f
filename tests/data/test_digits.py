"""The offline `digits` task (scikit-learn's bundled 8x8 digits)."""

import numpy as np
import pytest

from lru_rtrl.data import images
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


def test_splits_cover_the_dataset_and_labels_are_digits():
    task = TASKS.get("digits")()
    sizes = [task.num_examples(s) for s in ("train", "validation", "test")]
    assert sum(sizes) == 1797 and min(sizes) > 100
    spec = task.spec
    assert (spec.seq_len, spec.input_dim, spec.output_shape) == (64, 1, (10,))
    batch = next(task.batches("test", 32, seed=0))
    assert batch["inputs"].shape == (32, 64, 1) and batch["inputs"].dtype == np.float32
    assert batch["targets"].dtype == np.int32
    assert 0 <= batch["targets"].min() and batch["targets"].max() <= 9


def test_standardised_training_inputs():
    task = TASKS.get("digits")()
    train = task.examples("train")
    inputs = train.gather(np.arange(len(train)))["inputs"]
    assert abs(inputs.mean()) < 1e-4 and abs(inputs.std() - 1) < 1e-3


def test_unit_scaling_keeps_the_pixel_values():
    task = TASKS.get("digits")({"normalize": "unit"})
    train = task.examples("train")
    batch = train.gather(np.arange(5))
    np.testing.assert_allclose(batch["inputs"][..., 0] * 16, train.pixels[:5, :, 0])
    assert batch["inputs"].min() >= 0 and batch["inputs"].max() <= 1


def test_random_permutation_is_fixed_by_its_seed():
    plain = TASKS.get("digits")({"normalize": "unit"})
    random = {"normalize": "unit", "permute": True, "permutation": "random"}
    permuted = TASKS.get("digits")(random)
    again = TASKS.get("digits")(dict(random, seed=3))
    other = TASKS.get("digits")(dict(random, permutation_seed=1))
    perm = images.fixed_permutation(64, 0)
    assert sorted(perm.tolist()) == list(range(64))
    np.testing.assert_array_equal(perm, images.fixed_permutation(64, 0))
    rows = np.arange(10)
    x = plain.examples("test").gather(rows)["inputs"]
    np.testing.assert_array_equal(permuted.examples("test").gather(rows)["inputs"], x[:, perm])
    # A different data seed changes the split, not the permutation.
    data = again.examples("test")
    np.testing.assert_array_equal(data.gather(rows)["inputs"][..., 0],
                                  data.pixels[:10, perm, 0] / 16.0)
    assert not np.array_equal(other.examples("test").gather(rows)["inputs"],
                              permuted.examples("test").gather(rows)["inputs"])


def test_data_seed_changes_the_split():
    a = TASKS.get("digits")({"seed": 0}).examples("test").labels
    b = TASKS.get("digits")({"seed": 1}).examples("test").labels
    assert len(a) == len(b) and not np.array_equal(a, b)


def test_bad_image_options_are_rejected():
    with pytest.raises(DataError, match="standardize, unit, symmetric"):
        TASKS.get("digits")({"normalize": "zscore"})
    with pytest.raises(DataError, match="val_fraction"):
        TASKS.get("digits")({"val_fraction": 1.5})
