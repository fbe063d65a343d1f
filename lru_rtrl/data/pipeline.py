"""The numpy input pipeline shared by every task: examples in memory, fixed-shape batches.

A task loads each split once into an `Examples` object (compact numpy arrays, e.g. uint8
pixels or ragged token ids) and `ArrayTask.batches` turns index sets into batches:

  order      a permutation of the split drawn from (seed, epoch, split), so that a resumed
             run (`start_batch`) sees exactly the batches it would have seen;
  global     batch b holds order[b * B:(b + 1) * B]; with `drop_remainder=False` the last one
             is completed with filler rows (copies of a real example, weight 0, so that
             masks and pooling stay well defined);
  shard      host `shard_index` of `num_shards` keeps rows [i * B / S, (i + 1) * B / S) of
             every global batch;
  prefetch   a background thread builds the next `config.prefetch` batches.

No JAX and no tf.data here: batches are plain numpy dicts (layout in `base.py`).
"""

from __future__ import annotations

import abc
import threading
import zlib
from typing import Any, Dict, Iterator, Mapping, Optional

import ml_collections
import numpy as np

from lru_rtrl.data import prefetch as prefetch_lib
from lru_rtrl.data.base import SPLITS, Batch, DataError, Task, TaskSpec


def common_config(task: str, **fields: Any) -> ml_collections.ConfigDict:
    """The data options every task has, plus the task's own `fields`.

    seed                 data seed: generated data, held-out splits, fixed permutations
                         (independent of the training seed that shuffles batches)
    prefetch             batches built ahead by a background thread (0: none)
    max_train_examples   > 0: keep only the first this many training examples (smoke runs)
    max_eval_examples    > 0: the same for validation and test
    """
    config = ml_collections.ConfigDict(dict(
        task=task,
        seed=0,
        prefetch=2,
        max_train_examples=-1,
        max_eval_examples=-1,
    ))
    for key, value in fields.items():
        config[key] = value
    return config


def resolve_config(defaults: ml_collections.ConfigDict,
                   given: Optional[Mapping[str, Any]]) -> ml_collections.ConfigDict:
    """`defaults` overridden by `given`; an option the task does not know is a `DataError`."""
    config = ml_collections.ConfigDict(defaults.to_dict())
    if given is None:
        return config
    task = dict(_items(given)).get("task", defaults.task)
    if task != defaults.task:
        raise DataError(
            f"A data config for task {task!r} was given to task {defaults.task!r}; build the "
            f"task with lru_rtrl.registry.TASKS.get(config.data.task).")
    _merge(config, given, "data", defaults.task)
    return config


def _items(mapping: Any):
    return list(mapping.items()) if hasattr(mapping, "items") else list(dict(mapping).items())


def _merge(config: ml_collections.ConfigDict, given: Any, prefix: str, task: str) -> None:
    for key, value in _items(given):
        if key not in config:
            raise DataError(
                f"Unknown option {prefix}.{key} for task {task!r}. Known options of {prefix}: "
                f"{', '.join(sorted(config.keys()))}.")
        if isinstance(config[key], ml_collections.ConfigDict):
            if not hasattr(value, "items"):
                raise DataError(f"{prefix}.{key} of task {task!r} is a group of options; got "
                                f"{value!r}.")
            _merge(config[key], value, f"{prefix}.{key}", task)
            continue
        try:
            config[key] = value
        except TypeError as error:
            raise DataError(f"Bad value for {prefix}.{key} of task {task!r}: {error}") from error


class Examples(abc.ABC):
    """One split in memory; `gather` builds the batch rows for given example indices."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of examples."""

    @abc.abstractmethod
    def gather(self, indices: np.ndarray) -> Batch:
        """The batch (without `weights`) of examples `indices`, shape [len(indices), ...]."""

    def take(self, count: int) -> "Examples":
        """The first `count` examples (all when `count <= 0` or larger than the split)."""
        if count <= 0 or count >= len(self):
            return self
        return _Prefix(self, count)


class _Prefix(Examples):
    def __init__(self, examples: Examples, count: int):
        self._examples = examples
        self._count = count

    def __len__(self) -> int:
        return self._count

    def gather(self, indices: np.ndarray) -> Batch:
        return self._examples.gather(indices)


def split_key(split: str) -> int:
    """A stable integer per split name (so that the splits are shuffled independently)."""
    return zlib.crc32(split.encode("utf-8"))


def epoch_order(num_examples: int, *, seed: int, epoch: int, split: str,
                shuffle: bool) -> np.ndarray:
    """The order of the examples in `epoch`: a permutation fixed by (seed, epoch, split)."""
    if not shuffle:
        return np.arange(num_examples)
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    rng = np.random.default_rng(
        np.random.SeedSequence([int(seed) % 2**32, int(epoch), split_key(split)]))
    return rng.permutation(num_examples)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; the splits are {', '.join(SPLITS)}.")


def iterate_batches(examples: Examples, batch_size: int, *, split: str, seed: int, epoch: int,
                    shuffle: bool, drop_remainder: bool, start_batch: int, shard_index: int,
                    num_shards: int, prefetch: int) -> Iterator[Batch]:
    """The batches of one pass over `examples` (see the module docstring).

    Arguments are checked here, before the first batch is requested, so that a wrong batch
    size fails at the call rather than inside the prefetch thread.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if num_shards <= 0 or not 0 <= shard_index < num_shards:
        raise ValueError(f"Need 0 <= shard_index < num_shards, got {shard_index} of {num_shards}")
    if batch_size % num_shards:
        raise ValueError(
            f"The global batch size {batch_size} must be divisible by the number of hosts "
            f"{num_shards}.")
    if start_batch < 0:
        raise ValueError(f"start_batch must be >= 0, got {start_batch}")
    num_examples = len(examples)
    if num_examples == 0:
        raise DataError(f"The {split} split has no examples.")
    if drop_remainder and num_examples < batch_size:
        raise DataError(
            f"The {split} split has {num_examples} examples, fewer than one batch of "
            f"{batch_size}, so a pass with drop_remainder=True would be empty. Lower the batch "
            f"size, or raise data.max_*_examples.")
    order = epoch_order(num_examples, seed=seed, epoch=epoch, split=split, shuffle=shuffle)
    if drop_remainder:
        num_batches = num_examples // batch_size
    else:
        num_batches = -(-num_examples // batch_size)
    local = batch_size // num_shards
    rows = slice(shard_index * local, (shard_index + 1) * local)

    def build(batch_index: int) -> Batch:
        indices = order[batch_index * batch_size:(batch_index + 1) * batch_size]
        weights = np.ones(batch_size, np.float32)
        if len(indices) < batch_size:
            # Filler rows repeat a real example so that every row has a valid mask.
            weights[len(indices):] = 0.0
            indices = np.concatenate(
                [indices, np.full(batch_size - len(indices), indices[0], indices.dtype)])
        batch = examples.gather(indices[rows])
        batch["weights"] = weights[rows]
        return batch

    generator = (build(b) for b in range(start_batch, num_batches))
    return prefetch_lib.prefetch(generator, prefetch)


class ArrayTask(Task):
    """A task whose splits are loaded once (lazily, thread-safely) into `Examples`.

    Subclasses set `NAME` and `about`, implement `default_config`, `spec` and `_load`.
    """

    NAME: str = ""
    # One line per column of `python -m lru_rtrl.list_tasks` and docs/tasks.md.
    about: Dict[str, str] = {}

    def __init__(self, data_config: Optional[Mapping[str, Any]] = None):
        self.config = resolve_config(self.default_config(), data_config)
        self._splits: Optional[Dict[str, Examples]] = None
        self._lock = threading.Lock()

    @property
    @abc.abstractmethod
    def spec(self) -> TaskSpec:  # type: ignore[override]
        """The task's static facts (may load data if they depend on it, e.g. a vocabulary)."""

    @abc.abstractmethod
    def _load(self) -> Dict[str, Examples]:
        """Reads or generates every split; called once per instance."""

    def splits(self) -> Dict[str, Examples]:
        """All splits, loaded on first use and cached, with the configured size limits."""
        with self._lock:
            if self._splits is None:
                loaded = self._load()
                missing = [s for s in SPLITS if s not in loaded]
                if missing:
                    raise DataError(f"Task {self.NAME!r} produced no {missing} split(s).")
                self._splits = {
                    split: loaded[split].take(
                        self.config.max_train_examples if split == "train"
                        else self.config.max_eval_examples)
                    for split in SPLITS
                }
            return self._splits

    def examples(self, split: str) -> Examples:
        check_split(split)
        return self.splits()[split]

    def num_examples(self, split: str) -> int:
        return len(self.examples(split))

    def batches(self, split: str, batch_size: int, *, seed: int, epoch: int = 0,
                shuffle: bool = True, drop_remainder: bool = True, start_batch: int = 0,
                shard_index: int = 0, num_shards: int = 1) -> Iterator[Batch]:
        return iterate_batches(
            self.examples(split), batch_size, split=split, seed=seed, epoch=epoch,
            shuffle=shuffle, drop_remainder=drop_remainder, start_batch=start_batch,
            shard_index=shard_index, num_shards=num_shards, prefetch=self.config.prefetch)


def holdout(num_examples: int, fraction: float, seed: int) -> tuple:
    """Indices (kept, held_out) of a seeded random split; `fraction` of the rows held out.

    Both index arrays are sorted so that the kept rows stay in file order.
    """
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"A held-out fraction must be in [0, 1), got {fraction}.")
    count = int(round(num_examples * fraction))
    if fraction > 0 and count == 0:
        count = 1
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) % 2**32, 0x5A11D]))
    order = rng.permutation(num_examples)
    return np.sort(order[count:]), np.sort(order[:count])
