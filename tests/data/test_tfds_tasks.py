"""Tasks read through tensorflow-datasets: prepared folders written offline, mock_data, errors."""

import time

import numpy as np
import pytest

from lru_rtrl.data import cifar, tokens
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


def test_smnist_reads_a_prepared_tfds_folder(tfds_dir):
    task = TASKS.get("smnist")({"data_dir": tfds_dir, "normalize": "unit", "val_fraction": 0.25})
    assert [task.num_examples(s) for s in ("train", "validation", "test")] == [30, 10, 12]
    batch = next(task.batches("test", 4, seed=0, shuffle=False))
    assert batch["inputs"].shape == (4, 784, 1) and batch["inputs"].dtype == np.float32
    assert 0.0 <= batch["inputs"].min() and batch["inputs"].max() <= 1.0
    np.testing.assert_array_equal(batch["targets"], [0, 1, 2, 3])  # labels cycle over classes
    np.testing.assert_array_equal(batch["mask"], 1)


def test_scifar_is_colour_and_normalised_per_channel(tfds_dir):
    task = TASKS.get("scifar")({"data_dir": tfds_dir})
    spec = task.spec
    assert (spec.seq_len, spec.input_dim, spec.output_shape) == (1024, 3, (10,))
    assert task.num_examples("validation") == 2  # 1% of the 200 training images
    train = task.examples("train")
    inputs = train.gather(np.arange(len(train)))["inputs"]
    assert inputs.shape == (198, 1024, 3)
    np.testing.assert_allclose(inputs.mean(axis=(0, 1)), 0, atol=1e-4)
    np.testing.assert_allclose(inputs.std(axis=(0, 1)), 1, atol=1e-3)
    # Row-major order: step t is pixel (t // 32, t % 32).
    pixels = train.pixels[:1].reshape(1, 32, 32, 3)
    assert np.array_equal(train.pixels[0, 33], pixels[0, 1, 1])


def test_scifar_gray_has_one_luminance_channel(tfds_dir):
    task = TASKS.get("scifar_gray")({"data_dir": tfds_dir, "normalize": "unit"})
    assert task.spec.input_dim == 1 and task.spec.seq_len == 1024
    colour = TASKS.get("scifar")({"data_dir": tfds_dir}).examples("test").pixels
    gray = task.examples("test").pixels
    expected = np.rint(colour.astype(np.float64) @ np.array([0.2989, 0.5870, 0.1140]))
    np.testing.assert_allclose(gray[..., 0], expected, atol=1)
    np.testing.assert_array_equal(cifar.to_gray(np.full((1, 1, 1, 3), 255, np.uint8)), [[[[255]]]])


def test_imdb_bytes_vocabulary_truncation_and_end_token(tfds_dir):
    task = TASKS.get("imdb")({"data_dir": tfds_dir, "min_freq": 1, "max_len": 64})
    spec = task.spec
    vocabulary = task.vocabulary
    assert spec.input_kind == "tokens" and spec.seq_len == 64 and spec.output_shape == (2,)
    assert spec.input_dim == vocabulary.size == len(tokens.SPECIALS) + len(vocabulary.kept_bytes)
    # The paper has no IMDB validation split: validation is the test split.
    assert task.examples("validation") is task.examples("test")
    import tensorflow_datasets as tfds
    texts = [bytes(t) for t in tfds.as_numpy(tfds.builder("imdb_reviews", data_dir=tfds_dir)
                                            .as_dataset(split="test", batch_size=-1))["text"]]
    batch = next(task.batches("test", 10, seed=0, shuffle=False))
    assert batch["inputs"].shape == (10, 64) and batch["inputs"].dtype == np.int32
    for row, text in enumerate(texts):
        length = min(len(text), 63) + 1
        ids = batch["inputs"][row]
        assert batch["mask"][row].tolist() == [1] * length + [0] * (64 - length)
        assert ids[length - 1] == tokens.EOS and np.all(ids[length:] == tokens.PAD)
        expected = [vocabulary.table[b] for b in text[:63]]
        assert ids[:length - 1].tolist() == expected
    assert batch["inputs"].max() < spec.input_dim


def test_imdb_rare_bytes_become_unknown(tfds_dir):
    task = TASKS.get("imdb")({"data_dir": tfds_dir, "min_freq": 10**9})
    assert task.spec.input_dim == 3
    batch = next(task.batches("train", 4, seed=0))
    assert set(np.unique(batch["inputs"])) <= {tokens.PAD, tokens.UNK, tokens.EOS}


def test_imdb_can_hold_out_validation_from_train(tfds_dir):
    task = TASKS.get("imdb")({"data_dir": tfds_dir, "val_fraction": 0.2, "max_len": 32})
    assert task.num_examples("train") == 24 and task.num_examples("validation") == 6


@pytest.mark.parametrize("task_name, dataset", [
    ("smnist", "mnist"), ("scifar", "cifar10"), ("imdb", "imdb_reviews")])
def test_missing_tfds_dataset_fails_fast_with_instructions(tmp_path, task_name, dataset):
    # download=False: nothing is fetched (tests/data/test_downloads.py has the download).
    task = TASKS.get(task_name)({"data_dir": str(tmp_path), "download": False})
    start = time.time()
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    assert time.time() - start < 10
    message = str(error.value)
    assert f"{dataset!r} is not prepared" in message
    assert f"tfds build {dataset}" in message and "download_and_prepare" in message
    assert str(tmp_path) in message


def test_the_loader_works_under_tfds_mock_data():
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=8):
        task = TASKS.get("smnist")({"val_fraction": 0.25})
        batch = next(task.batches("train", 6, seed=0))
    assert batch["inputs"].shape == (6, 784, 1)
    assert task.num_examples("test") == 8
