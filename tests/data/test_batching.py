"""The shared numpy pipeline: order, resume, sharding, filler rows, prefetching, options."""

import threading
import time

import numpy as np
import pytest

from lru_rtrl.data import pipeline, prefetch
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


class Numbered(pipeline.Examples):
    """Example i has targets i; lets a test see which examples a batch holds."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def gather(self, indices):
        indices = np.asarray(indices)
        return {"inputs": indices[:, None, None].astype(np.float32),
                "mask": np.ones((len(indices), 1), np.float32),
                "targets": indices.astype(np.int32)}


def batches(examples, batch_size, **kwargs):
    options = dict(split="train", seed=0, epoch=0, shuffle=True, drop_remainder=True,
                   start_batch=0, shard_index=0, num_shards=1, prefetch=2)
    options.update(kwargs)
    return list(pipeline.iterate_batches(examples, batch_size, **options))


def ids(batch_list):
    return [b["targets"].tolist() for b in batch_list]


def test_same_seed_and_epoch_give_the_same_order():
    data = Numbered(50)
    assert ids(batches(data, 8, seed=3, epoch=2)) == ids(batches(data, 8, seed=3, epoch=2))


def test_order_changes_with_epoch_seed_and_split_and_covers_the_split():
    data = Numbered(64)
    first = ids(batches(data, 8, seed=0, epoch=0))
    assert sorted(sum(first, [])) == list(range(64))
    assert first != ids(batches(data, 8, seed=0, epoch=1))
    assert first != ids(batches(data, 8, seed=1, epoch=0))
    assert first != ids(batches(data, 8, seed=0, epoch=0, split="test"))


def test_no_shuffle_is_file_order():
    assert ids(batches(Numbered(6), 3, shuffle=False)) == [[0, 1, 2], [3, 4, 5]]


def test_start_batch_resumes_exactly():
    data = Numbered(40)
    full = ids(batches(data, 4, seed=5, epoch=3))
    assert ids(batches(data, 4, seed=5, epoch=3, start_batch=6)) == full[6:]


def test_shards_hold_the_rows_of_the_global_batch():
    data = Numbered(48)
    global_batches = ids(batches(data, 8, seed=2))
    shards = [ids(batches(data, 8, seed=2, shard_index=i, num_shards=4)) for i in range(4)]
    for b, rows in enumerate(global_batches):
        assert sum((shards[i][b] for i in range(4)), []) == rows
        assert all(len(shards[i][b]) == 2 for i in range(4))


def test_drop_remainder_false_pads_the_last_batch_with_weight_zero_fillers():
    data = Numbered(10)
    result = batches(data, 4, drop_remainder=False, shuffle=False)
    assert len(result) == 3
    last = result[-1]
    np.testing.assert_array_equal(last["weights"], [1, 1, 0, 0])
    assert last["targets"][:2].tolist() == [8, 9]
    # Fillers repeat a real example, so their masks are valid.
    assert last["targets"][2:].tolist() == [8, 8]
    assert all(b["targets"].shape == (4,) for b in result)
    assert sum(float(b["weights"].sum()) for b in result) == 10
    assert all(b["weights"].dtype == np.float32 for b in result)


def test_fillers_are_split_across_shards_by_row():
    result = batches(Numbered(5), 4, drop_remainder=False, shuffle=False, shard_index=1,
                     num_shards=2)
    np.testing.assert_array_equal(result[-1]["weights"], [0, 0])
    np.testing.assert_array_equal(result[0]["weights"], [1, 1])


def test_drop_remainder_true_drops_the_partial_batch():
    assert len(batches(Numbered(10), 4)) == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=6, num_shards=4), "divisible"),
    (dict(batch_size=0), "positive"),
    (dict(batch_size=4, shard_index=2, num_shards=2), "shard_index"),
    (dict(batch_size=4, start_batch=-1), "start_batch"),
])
def test_bad_arguments_fail_at_the_call(kwargs, message):
    batch_size = kwargs.pop("batch_size")
    with pytest.raises(ValueError, match=message):
        pipeline.iterate_batches(Numbered(8), batch_size, split="train", seed=0, epoch=0,
                                 shuffle=True, drop_remainder=True,
                                 **{"start_batch": 0, "shard_index": 0, "num_shards": 1,
                                    "prefetch": 0, **kwargs})


def test_a_split_smaller_than_a_batch_is_a_clear_error():
    with pytest.raises(DataError, match="fewer than one batch"):
        batches(Numbered(3), 4)


def test_prefetch_keeps_order_and_reraises_at_the_failing_item():
    def items():
        yield 1
        yield 2
        raise RuntimeError("boom")

    got = []
    with pytest.raises(RuntimeError, match="boom"):
        for item in prefetch.prefetch(items(), 2):
            got.append(item)
    assert got == [1, 2]
    assert list(prefetch.prefetch(iter(range(100)), 3)) == list(range(100))
    assert list(prefetch.prefetch(iter(range(5)), 0)) == list(range(5))


def test_prefetch_thread_stops_when_the_consumer_leaves():
    before = threading.active_count()
    iterator = prefetch.prefetch(iter(range(10**6)), 2)
    assert next(iterator) == 0
    iterator.close()
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before


def test_task_batches_are_deterministic_and_fixed_shape():
    task = TASKS.get("digits")()
    first = list(task.batches("train", 64, seed=1, epoch=4))
    second = list(task.batches("train", 64, seed=1, epoch=4))
    assert len(first) == task.steps_per_epoch(64)
    for a, b in zip(first, second):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert {b["inputs"].shape for b in first} == {(64, 64, 1)}


def test_unknown_data_option_is_rejected_with_the_known_options():
    with pytest.raises(DataError, match="Unknown option data.pattern_lenght.*pattern_len"):
        TASKS.get("copy")({"pattern_lenght": 3})
    with pytest.raises(DataError, match="was given to task"):
        TASKS.get("copy")({"task": "digits"})


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="validation"):
        TASKS.get("digits")().num_examples("valid")


def test_max_examples_limits_the_splits():
    task = TASKS.get("digits")({"max_train_examples": 20, "max_eval_examples": 7})
    assert [task.num_examples(s) for s in ("train", "validation", "test")] == [20, 7, 7]
