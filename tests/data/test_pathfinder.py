"""Pathfinder and Path-X: metadata + PNG loader, splits, values, and errors."""

import os

import numpy as np
import pytest

from lru_rtrl.data import lra_files, pathfinder, testing_files
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


def test_pathfinder32_images_and_labels(tmp_path):
    written = testing_files.write_pathfinder(str(tmp_path), resolution=32, difficulty="easy",
                                             num_files=3, per_file=4, seed=2)
    task = TASKS.get("pathfinder")({"data_dir": str(tmp_path), "difficulty": "easy",
                                    "test_fraction": 0.25, "val_fraction": 0.25})
    spec = task.spec
    assert (spec.seq_len, spec.input_kind, spec.input_dim, spec.output_shape) == \
        (1024, "real", 1, (2,))
    sizes = [task.num_examples(s) for s in ("train", "validation", "test")]
    # Both fractions are of all images (the paper's 80/10/10 split by default).
    assert sum(sizes) == 12 and sizes == [6, 3, 3]
    # Every image comes back exactly once, with its label, scaled to [-1, 1].
    by_bytes = {p.tobytes(): int(label) for p, label in zip(written["pixels"], written["labels"])}
    seen = []
    for split in ("train", "validation", "test"):
        batch = next(task.batches(split, task.num_examples(split), seed=0, shuffle=False))
        assert batch["inputs"].shape[1:] == (1024, 1) and batch["inputs"].dtype == np.float32
        assert -1.0 <= batch["inputs"].min() and batch["inputs"].max() <= 1.0
        pixels = np.rint((batch["inputs"][..., 0] + 1) * 127.5).astype(np.uint8)
        for row, target in zip(pixels, batch["targets"]):
            assert by_bytes[row.tobytes()] == target
            seen.append(row.tobytes())
    assert sorted(seen) == sorted(by_bytes)


def test_pathx_reads_128_by_128(lra_dir):
    task = TASKS.get("pathx")({"data_dir": lra_dir, "val_fraction": 0.2, "test_fraction": 0.2})
    assert task.spec.seq_len == 16384
    batch = next(task.batches("train", 2, seed=0))
    assert batch["inputs"].shape == (2, 16384, 1)
    assert set(np.unique(batch["targets"])) <= {0, 1}


def test_the_default_difficulty_is_hard(lra_dir):
    task = TASKS.get("pathfinder")({"data_dir": lra_dir})
    assert sum(task.num_examples(s) for s in ("train", "validation", "test")) == 24
    with pytest.raises(DataError, match="easy, intermediate, hard"):
        TASKS.get("pathfinder")({"difficulty": "medium"})
    with pytest.raises(DataError, match="resolution"):
        TASKS.get("pathfinder")({"resolution": 48})


def test_missing_release_names_the_path_and_the_download(tmp_path):
    task = TASKS.get("pathfinder")({"data_dir": str(tmp_path), "download": False})
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    message = str(error.value)
    assert os.path.join(str(tmp_path), "pathfinder32", "curv_contour_length_14",
                        "metadata") in message
    assert lra_files.LRA_URL in message


def test_malformed_metadata_line(tmp_path):
    testing_files.write_pathfinder(str(tmp_path), num_files=1, per_file=3)
    metadata = tmp_path / "pathfinder32" / "curv_contour_length_14" / "metadata" / "0.npy"
    with open(metadata, "a") as handle:
        handle.write("imgs/0 sample_9.png 3\n")
    task = TASKS.get("pathfinder")({"data_dir": str(tmp_path)})
    with pytest.raises(DataError, match=r"0.npy, line 4: expected at least 4"):
        task.num_examples("train")


def test_missing_image_names_the_metadata_line(tmp_path):
    testing_files.write_pathfinder(str(tmp_path), num_files=1, per_file=3)
    base = tmp_path / "pathfinder32" / "curv_contour_length_14"
    os.remove(base / "imgs" / "0" / "sample_1.png")
    task = TASKS.get("pathfinder")({"data_dir": str(tmp_path), "workers": 1})
    with pytest.raises(DataError, match=r"0.npy, line 2 names the image .*sample_1.png"):
        task.num_examples("train")


def test_wrong_image_size_is_reported(tmp_path):
    testing_files.write_pathfinder(str(tmp_path), resolution=64, num_files=1, per_file=2)
    # Put 64x64 images where 32x32 ones are expected.
    os.rename(tmp_path / "pathfinder64", tmp_path / "pathfinder32")
    task = TASKS.get("pathfinder")({"data_dir": str(tmp_path)})
    with pytest.raises(DataError, match="is 64x64, expected 32x32"):
        task.num_examples("train")


def test_metadata_files_are_read_in_numeric_order(tmp_path):
    base = tmp_path / "metadata"
    base.mkdir()
    for index in (10, 2, 1):
        (base / f"{index}.npy").write_text(f"imgs/{index} sample_0.png 0 {index % 2}\n")
    entries = pathfinder.read_metadata(str(tmp_path))
    assert [os.path.basename(os.path.dirname(e[0])) for e in entries] == ["1", "2", "10"]
