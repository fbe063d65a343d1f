"""ListOps: operator values, tokeniser, the LRA generator, the TSV loader and its errors."""

import collections
import os
import random

import numpy as np
import pytest

from lru_rtrl.data import (listops, listops_generate, listops_trees, lra_files,
                            testing_files)
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


@pytest.mark.parametrize("source, value", [
    ("7", 7),
    ("( ( ( [MAX 2 ) 9 ) ] )", 9),
    ("( ( ( [MIN 2 ) 9 ) ] )", 2),
    ("( ( ( ( [MIN 5 ) 3 ) 8 ) ] )", 3),
    ("( ( ( ( [MED 1 ) 7 ) 3 ) ] )", 3),               # odd count: the middle value
    ("( ( ( ( ( [MED 1 ) 2 ) 8 ) 9 ) ] )", 5),          # even: (2 + 8) / 2
    ("( ( ( [MED 2 ) 5 ) ] )", 3),                       # even: int(3.5)
    ("( ( ( ( [MED 0 ) 9 ) 0 ) ] )", 0),
    ("( ( ( ( [SM 5 ) 7 ) 9 ) ] )", 1),                  # 21 mod 10
    ("( ( ( [SM 0 ) 0 ) ] )", 0),
    # MAX(2, MIN(9, 4), SM(8, 5)) = MAX(2, 4, 3) = 4
    ("( ( ( ( [MAX 2 ) ( ( ( [MIN 9 ) 4 ) ] ) ) ( ( ( [SM 8 ) 5 ) ] ) ) ] )", 4),
    # MED(MAX(1, 6), SM(9, 9), MIN(7, 3), 0) = MED(6, 8, 3, 0) = int(4.5)
    ("( ( ( ( ( [MED ( ( ( [MAX 1 ) 6 ) ] ) ) ( ( ( [SM 9 ) 9 ) ] ) ) "
     "( ( ( [MIN 7 ) 3 ) ] ) ) 0 ) ] )", 4),
])
def test_values_of_hand_made_trees(source, value):
    assert listops.evaluate_source(source) == value


def test_tree_helpers_agree_with_the_text():
    tree = ("[MAX", (2, ("[MIN", (9, 4)), ("[SM", (8, 5))))
    source = listops_trees.to_source(tree)
    assert source == "( ( ( ( [MAX 2 ) ( ( ( [MIN 9 ) 4 ) ] ) ) ( ( ( [SM 8 ) 5 ) ] ) ) ] )"
    assert listops_trees.evaluate(tree) == listops.evaluate_source(source) == 4
    assert listops_trees.length(tree) == len(listops.tokenize(source)) == 11


def test_tokeniser_has_15_tokens_plus_padding():
    assert len(listops.TOKENS) == 15
    assert sorted(listops.TOKEN_IDS.values()) == list(range(1, 16))
    assert listops.tokenize("( ( ( [MAX 2 ) 9 ) ] )") == ["[MAX", "2", "9", "X"]
    np.testing.assert_array_equal(listops.encode("( ( ( [MAX 2 ) 9 ) ] )"),
                                  [listops.TOKEN_IDS[t] for t in ("[MAX", "2", "9", "X")])


@pytest.mark.parametrize("bad", ["( ( [MAX 2 ) ] ) 3", "( [FOO 1 ] )", "( ( [MAX 2 )", "X"])
def test_evaluator_rejects_malformed_expressions(bad):
    with pytest.raises(ValueError):
        listops.evaluate_source(bad)


def test_generator_respects_bounds_tokens_and_distinctness():
    settings = listops_trees.Settings(min_length=30, max_length=120)
    examples = listops_trees.generate(150, settings, seed=1)
    sources = [s for s, _ in examples]
    assert len(set(sources)) == len(sources)
    token_set = set()
    for source, value in examples:
        tokens = listops.tokenize(source)
        assert 30 < len(tokens) < 120
        token_set.update(tokens)
        assert listops.evaluate_source(source) == value
    assert token_set <= set(listops.TOKENS)
    assert set(listops_trees.OPERATORS) <= token_set


def test_generator_with_lra_defaults_gives_long_trees_skewed_to_0_and_9():
    examples = listops_trees.generate(60, seed=0)
    lengths = [len(listops.tokenize(s)) for s, _ in examples]
    assert 500 < min(lengths) and max(lengths) < 2000
    counts = collections.Counter(v for _, v in examples)
    assert counts[0] + counts[9] > 60 * 0.2  # uniform would be 20%; LRA's labels skew here


def test_generator_depth_and_branching_bounds():
    settings = listops_trees.Settings(min_length=0, max_length=10**6, max_depth=3,
                                         max_args=4)
    rng = random.Random(0)

    def check(tree, depth):
        if isinstance(tree, int):
            assert 0 <= tree <= 9 and depth <= 3
            return
        assert depth < 3 and 2 <= len(tree[1]) <= 4
        for child in tree[1]:
            check(child, depth + 1)

    for _ in range(300):
        check(listops_trees.sample_tree(rng, settings), 1)


def test_generator_is_deterministic_and_splits_are_disjoint():
    settings = listops_trees.Settings(min_length=5, max_length=40)
    sizes = {"train": 20, "validation": 5, "test": 5}
    a = listops_trees.generate_splits(sizes, settings, seed=3)
    assert a == listops_trees.generate_splits(sizes, settings, seed=3)
    assert a != listops_trees.generate_splits(sizes, settings, seed=4)
    all_sources = [s for split in a.values() for s, _ in split]
    assert len(set(all_sources)) == 30


def test_impossible_settings_are_rejected():
    with pytest.raises(ValueError, match="longer than"):
        listops_trees.generate(1, listops_trees.Settings(max_depth=2))
    with pytest.raises(ValueError, match="min_length"):
        listops_trees.generate(1, listops_trees.Settings(min_length=10, max_length=11))


def test_generate_command_writes_lra_files(tmp_path):
    out = tmp_path / "listops"
    code = listops_generate.main(["--out_dir", str(out), "--num_train", "10", "--num_val", "3",
                                  "--num_test", "4", "--min_length", "10", "--max_length", "50",
                                  "--seed", "2"])
    assert code == 0
    for name, count in (("basic_train.tsv", 10), ("basic_val.tsv", 3), ("basic_test.tsv", 4)):
        lines = (out / name).read_text().splitlines()
        assert lines[0] == "Source\tTarget" and len(lines) == count + 1
        for line in lines[1:]:
            source, target = line.split("\t")
            assert listops.evaluate_source(source) == int(target)
    task = TASKS.get("listops")({"data_dir": str(out), "max_len": 64})
    assert task.num_examples("test") == 4


def test_loader_reads_the_lra_release_layout(lra_dir):
    task = TASKS.get("listops")({"data_dir": lra_dir})
    spec = task.spec
    assert (spec.seq_len, spec.input_kind, spec.input_dim, spec.output_shape) == \
        (2048, "tokens", 20, (10,))
    assert [task.num_examples(s) for s in ("train", "validation", "test")] == [24, 6, 6]
    path = os.path.join(lra_dir, "lra_release", "listops-1000", "basic_test.tsv")
    rows = [line.split("\t") for line in open(path).read().splitlines()[1:]]
    batch = next(task.batches("test", 6, seed=0, shuffle=False))
    assert batch["inputs"].shape == (6, 2048) and batch["inputs"].dtype == np.int32
    for row, (source, target) in enumerate(rows):
        ids = listops.encode(source)
        assert batch["inputs"][row, :len(ids)].tolist() == ids.tolist()
        assert not batch["inputs"][row, len(ids):].any()
        assert batch["mask"][row].sum() == len(ids) and batch["mask"][row, len(ids) - 1] == 1
        assert batch["targets"][row] == int(target)
    assert batch["inputs"].max() <= 15


def test_generate_source_runs_in_memory():
    config = {"source": "generate", "max_len": 64, "seed": 5,
              "generate": {"num_train": 12, "num_validation": 4, "num_test": 4,
                           "min_length": 4, "max_length": 64}}
    task = TASKS.get("listops")(config)
    batch = next(task.batches("train", 4, seed=0))
    assert batch["inputs"].shape == (4, 64)
    again = next(TASKS.get("listops")(config).batches("train", 4, seed=0))
    np.testing.assert_array_equal(batch["inputs"], again["inputs"])


def _write(tmp_path, text, name="basic_train.tsv"):
    for file_name in listops_trees.FILE_NAMES.values():
        (tmp_path / file_name).write_text("Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n")
    (tmp_path / name).write_text(text)
    return TASKS.get("listops")({"data_dir": str(tmp_path)})


@pytest.mark.parametrize("text, line, problem", [
    ("Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n( [MAX 2 ] )\n", 3, "expected 2 tab-separated"),
    ("Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\tnine\n", 2, "is not an integer"),
    ("Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t12\n", 2, "not in 0..9"),
    ("Source\tTarget\n\n( ( ( [MAX 2 ) 9 ) ] )\t9\n( ( ( [MUL 2 ) 9 ) ] )\t8\n", 4,
     "unknown token"),
    ("( ( ( [MAX 2 ) 9 ) ] )\t9\n", 1, "expected the header"),
])
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, text, line, problem):
    task = _write(tmp_path, text)
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    message = str(error.value)
    assert f"basic_train.tsv, line {line}: " in message and problem in message


def test_too_long_sequences_are_an_error_not_a_truncation(tmp_path):
    _write(tmp_path, "Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n")
    task = TASKS.get("listops")({"data_dir": str(tmp_path), "max_len": 3})
    with pytest.raises(DataError, match="line 2: 4 tokens, more than data.max_len"):
        task.num_examples("train")


def test_missing_files_name_the_path_and_the_download(tmp_path):
    # download=False: the message of a node that must never fetch (tests/data/test_downloads.py
    # has the download).
    task = TASKS.get("listops")({"data_dir": str(tmp_path / "lra_release"), "download": False})
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    message = str(error.value)
    assert os.path.join(str(tmp_path), "lra_release", "listops-1000", "basic_train.tsv") in message
    assert lra_files.LRA_URL in message and "long-range-arena" in message
    assert "listops_generate" in message


def test_testing_files_write_real_listops(tmp_path):
    splits = testing_files.write_listops(str(tmp_path))
    assert sum(len(v) for v in splits.values()) == 24


def test_a_missing_split_file_is_named(tmp_path):
    # The folder is right and two of its files are there: name the one that is not.
    _write(tmp_path, "Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n")
    (tmp_path / "basic_val.tsv").unlink()
    task = TASKS.get("listops")({"data_dir": str(tmp_path)})
    with pytest.raises(DataError) as error:
        task.num_examples("validation")
    message = str(error.value)
    assert f"{tmp_path} holds basic_train.tsv, basic_test.tsv but not basic_val.tsv" in message
    assert "expected" not in message


def test_a_file_with_only_a_header_is_named_as_empty(tmp_path):
    task = _write(tmp_path, "Source\tTarget\n")
    with pytest.raises(DataError) as error:
        task.num_examples("train")
    assert f"{tmp_path / 'basic_train.tsv'} holds no examples" in str(error.value)
