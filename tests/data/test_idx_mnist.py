"""The IDX reader and the MNIST-format tasks read from IDX files (smnist, psmnist, fashion)."""

import gzip
import os

import numpy as np
import pytest

from lru_rtrl.data import idx, images, mnist, testing_files
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / name)
    idx.write_idx(path, array)
    back = idx.read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_mnist_one(tmp_path):
    path = str(tmp_path / "labels")
    idx.write_idx(path, np.array([3, 1, 4], np.uint8))
    assert open(path, "rb").read() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x03abc")
    with pytest.raises(DataError, match=r"bad.idx is not an IDX file"):
        idx.read_idx(str(bad))
    short = tmp_path / "short.idx.gz"
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3])))
    with pytest.raises(DataError, match=r"short.idx.gz holds 3 data bytes.*truncated"):
        idx.read_idx(str(short))
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(DataError, match="damaged gzip"):
        idx.read_idx(str(damaged))


def test_smnist_from_idx_files(mnist_idx):
    mnist_idx_dir, written = mnist_idx
    task = TASKS.get("smnist")({"source": "idx", "data_dir": mnist_idx_dir, "normalize": "unit",
                                "val_fraction": 0.2})
    assert task.spec.seq_len == 784 and task.spec.input_dim == 1
    assert [task.num_examples(s) for s in ("train", "validation", "test")] == [24, 6, 10]
    test = next(task.batches("test", 10, seed=0, shuffle=False))
    assert test["inputs"].shape == (10, 784, 1) and test["inputs"].dtype == np.float32
    np.testing.assert_allclose(test["inputs"][..., 0] * 255,
                               written["test_images"].reshape(10, 784), atol=1e-3)
    np.testing.assert_array_equal(test["targets"], written["test_labels"])
    # Train and validation partition the training file.
    seen = set()
    for split in ("train", "validation"):
        data = task.examples(split)
        for row in data.pixels:
            seen.add(row.tobytes())
    assert seen == {row.reshape(784, 1).tobytes() for row in written["train_images"]}


def test_uncompressed_idx_files_are_read_too(tmp_path):
    written = testing_files.write_mnist_idx(str(tmp_path), num_train=12, num_test=4,
                                            compress=False)
    task = TASKS.get("smnist")({"source": "idx", "data_dir": str(tmp_path)})
    np.testing.assert_array_equal(task.examples("test").labels, written["test_labels"])


def test_psmnist_applies_the_bit_reversal_permutation(mnist_idx_dir):
    config = {"source": "idx", "data_dir": mnist_idx_dir}
    plain = TASKS.get("smnist")(config)
    permuted = TASKS.get("psmnist")(config)
    rows = np.arange(4)
    x = plain.examples("test").gather(rows)["inputs"]
    y = permuted.examples("test").gather(rows)["inputs"]
    np.testing.assert_array_equal(y, x[:, images.bit_reversal_permutation(784)])
    again = TASKS.get("psmnist")(config).examples("test").gather(rows)["inputs"]
    np.testing.assert_array_equal(again, y)
    # The paper's pixels: x / 255 in [0, 1], not standardised.
    data = plain.examples("test")
    np.testing.assert_allclose(x[..., 0], data.pixels[:4, :, 0] / 255.0, rtol=1e-6)
    # The random permutation is still there, fixed by its seed.
    drawn = TASKS.get("psmnist")(dict(config, permutation="random")).examples("test")
    np.testing.assert_array_equal(drawn.gather(rows)["inputs"],
                                  x[:, images.fixed_permutation(784, 0)])


def test_bit_reversal_permutation():
    # 8 = 2^3: 0..7 with their 3 bits reversed.
    np.testing.assert_array_equal(images.bit_reversal_permutation(8), [0, 4, 2, 6, 1, 5, 3, 7])
    # 6: the reversals of 0..7 that are below 6, in order.
    np.testing.assert_array_equal(images.bit_reversal_permutation(6), [0, 4, 2, 1, 5, 3])
    perm = images.bit_reversal_permutation(784)
    assert sorted(perm.tolist()) == list(range(784))
    assert perm[:4].tolist() == [0, 512, 256, 768]


def test_missing_idx_files_say_what_to_do(tmp_path):
    task = TASKS.get("smnist")({"source": "idx", "data_dir": str(tmp_path / "nowhere")})
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\[\.gz\].*no such directory"):
        task.num_examples("train")


def test_fashion_mnist_missing_names_the_apt_package(tmp_path):
    task = TASKS.get("fashion_mnist")({"data_dir": str(tmp_path)})
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        task.num_examples("train")


def test_bad_source_is_rejected(mnist_idx_dir):
    with pytest.raises(DataError, match="data.source"):
        TASKS.get("smnist")({"source": "csv"}).num_examples("train")


@pytest.mark.skipif(not os.path.isdir(mnist.FASHION_MNIST_DEBIAN_DIR),
                    reason=f"Debian's Fashion-MNIST is not installed ({mnist.FASHION_MNIST_APT})")
def test_full_fashion_mnist_from_the_debian_package():
    task = TASKS.get("fashion_mnist")({"val_fraction": 0.0})
    assert task.num_examples("train") == 60_000 and task.num_examples("test") == 10_000
    batch = next(task.batches("test", 100, seed=0, shuffle=False))
    assert batch["inputs"].shape == (100, 784, 1)
    labels = task.examples("train").labels
    np.testing.assert_array_equal(np.bincount(labels), [6000] * 10)
