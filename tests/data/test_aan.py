"""AAN retrieval: the LRA TSV loader, two-tower batches, byte vocabulary and errors."""

import os

import numpy as np
import pytest

from lru_rtrl.data import aan, lra_files, testing_files, tokens
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


def test_two_tower_batches_from_the_lra_layout(tmp_path):
    rows = testing_files.write_aan(str(tmp_path / "lra_release" / "tsv_data"), seed=3)
    task = TASKS.get("aan")({"data_dir": str(tmp_path), "max_len": 40, "min_freq": 1})
    spec = task.spec
    assert spec.two_tower and spec.input_kind == "tokens" and spec.output_shape == (2,)
    assert spec.seq_len == 40 and spec.input_dim == task.vocabulary.size
    assert [task.num_examples(s) for s in ("train", "validation", "test")] == [12, 4, 4]
    batch = next(task.batches("validation", 4, seed=0, shuffle=False))
    assert set(batch) == {"inputs", "mask", "inputs2", "mask2", "targets", "weights"}
    for key in ("inputs", "inputs2"):
        assert batch[key].shape == (4, 40) and batch[key].dtype == np.int32
    for row, (label, _, _, text1, text2) in enumerate(rows["validation"]):
        assert batch["targets"][row] == int(label)
        for text, ids, mask in ((text1, batch["inputs"][row], batch["mask"][row]),
                                (text2, batch["inputs2"][row], batch["mask2"][row])):
            data = text.encode()[:39]
            assert mask.sum() == len(data) + 1
            assert ids[:len(data)].tolist() == [task.vocabulary.table[b] for b in data]
            assert ids[len(data)] == tokens.EOS and not ids[len(data) + 1:].any()


def test_vocabulary_comes_from_the_training_texts(tmp_path):
    directory = tmp_path / "tsv_data"
    testing_files.write_aan(str(directory))
    # A byte that only the test file contains maps to the unknown id.
    with open(directory / aan.FILE_NAMES["test"], "a") as handle:
        handle.write("1.0\ta\tb\t~~~~\t~\n")
    task = TASKS.get("aan")({"data_dir": str(tmp_path), "min_freq": 1})
    assert task.vocabulary.table[ord("~")] == tokens.UNK
    test = task.examples("test")
    assert test.first.row(len(test) - 1).tolist() == [tokens.UNK] * 4 + [tokens.EOS]


@pytest.mark.parametrize("line, problem", [
    ("1.0\tid1\tid2\tonly four", "expected 5 tab-separated fields"),
    ("yes\tid1\tid2\ta\tb", "is not a number"),
    ("0.5\tid1\tid2\ta\tb", "is not 0 or 1"),
])
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, line, problem):
    directory = tmp_path / "tsv_data"
    testing_files.write_aan(str(directory))
    path = directory / aan.FILE_NAMES["train"]
    with open(path, "a") as handle:
        handle.write(line + "\n")
    task = TASKS.get("aan")({"data_dir": str(tmp_path)})
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    message = str(error.value)
    assert "new_aan_pairs.train.tsv, line 13: " in message and problem in message


def test_missing_files_name_the_path_and_the_download(tmp_path):
    task = TASKS.get("aan")({"data_dir": str(tmp_path), "download": False})
    with pytest.raises(DataError) as error:
        task.num_examples("test")
    message = str(error.value)
    assert os.path.join(str(tmp_path), "tsv_data", "new_aan_pairs.train.tsv") in message
    assert lra_files.LRA_URL in message


def test_ragged_padding_and_byte_vocabulary():
    ragged = tokens.Ragged.from_sequences([np.array([5, 6, 7]), np.array([], np.uint16),
                                           np.array([9])])
    ids, mask = ragged.pad(np.array([0, 2, 1, 0]), 2)
    np.testing.assert_array_equal(ids, [[5, 6], [9, 0], [0, 0], [5, 6]])
    np.testing.assert_array_equal(mask, [[1, 1], [1, 0], [0, 0], [1, 1]])
    vocabulary = tokens.ByteVocabulary.build([b"abba", b"cab"], min_freq=2)
    assert vocabulary.kept_bytes == [ord("a"), ord("b")]  # c is seen once
    assert vocabulary.size == 5
    np.testing.assert_array_equal(vocabulary.encode(b"abcz", 10), [3, 4, 1, 1, 2])
    np.testing.assert_array_equal(vocabulary.encode(b"abcz", 3), [3, 4, 2])
    np.testing.assert_array_equal(vocabulary.encode(b"ab", 5, append_eos=False), [3, 4])
