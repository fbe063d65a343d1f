"""What every task gives the training loop: a `TaskSpec` and deterministic numpy batches.

A task is registered in `lru_rtrl.registry.TASKS` under its name, as a factory
`make(data_config: ml_collections.ConfigDict) -> Task`, next to a function that returns its
default data config (`Task.default_config()`).

Batches are dicts of numpy arrays, batch-major, with fixed shapes for a given task and
batch size (so that the jitted steps compile once):

  inputs      [B, T, F] float32 (input_kind "real") or [B, T] int32 ("tokens"; 0 is padding)
  mask        [B, T]    float32, 1 on real steps, 0 on padding (padding is at the end)
  targets     [B] int32 (target_kind "sequence") or [B, T, *output_shape[:-1]] int32 ("per_step")
  loss_mask   [B, T]    float32, only for "per_step" targets: where the loss counts
  weights     [B]       float32, 1 for real examples, 0 for the filler examples that pad the
                        last evaluation batch to a full batch
  inputs2, mask2        two-tower tasks only (AAN): the second text, shaped like inputs / mask
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Dict, Iterator, Tuple

import ml_collections
import numpy as np

from lru_rtrl import errors

Batch = Dict[str, np.ndarray]

SPLITS = ("train", "validation", "test")


# Missing, malformed or unusable data; the message says what to do.
DataError = errors.DataError


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """Static facts about a task that the model builder needs."""
    name: str
    seq_len: int                      # T: the (maximum, padded) number of steps
    input_kind: str                   # "real" or "tokens"
    input_dim: int                    # F, or the vocabulary size (padding id 0 included)
    output_shape: Tuple[int, ...]     # logits per prediction, e.g. (10,) or (7, 2)
    target_kind: str                  # "sequence" or "per_step"
    two_tower: bool = False           # AAN-style pairs: inputs2 / mask2 in every batch
    description: str = ""

    def __post_init__(self):
        if self.input_kind not in ("real", "tokens"):
            raise ValueError(f"input_kind must be 'real' or 'tokens', got {self.input_kind!r}")
        if self.target_kind not in ("sequence", "per_step"):
            raise ValueError(
                f"target_kind must be 'sequence' or 'per_step', got {self.target_kind!r}")

    @property
    def num_classes(self) -> int:
        return self.output_shape[-1]


class Task(abc.ABC):
    """A dataset with train / validation / test splits that yields fixed-shape batches."""

    spec: TaskSpec

    @staticmethod
    @abc.abstractmethod
    def default_config() -> ml_collections.ConfigDict:
        """The task's data options (`config.data`), with `task` set to its registered name."""

    @staticmethod
    def unused_options(data_config: ml_collections.ConfigDict) -> Dict[str, str]:
        """{option: why} for the data options that cannot take effect with these settings
        (e.g. `data_dir` when the data are generated). Config validation turns a change of
        such an option from its default into an error, so no setting is silently ignored."""
        del data_config
        return {}

    @abc.abstractmethod
    def num_examples(self, split: str) -> int:
        """Number of real examples in `split`."""

    @abc.abstractmethod
    def batches(self, split: str, batch_size: int, *, seed: int, epoch: int = 0,
                shuffle: bool = True, drop_remainder: bool = True, start_batch: int = 0,
                shard_index: int = 0, num_shards: int = 1) -> Iterator[Batch]:
        """Yields the batches of one pass over `split`.

        Deterministic in (seed, epoch): the same arguments give the same batches, so a
        resumed run sees the same data order (`start_batch` skips what was already seen).
        `batch_size` is the global batch; host `shard_index` of `num_shards` receives rows
        [shard_index * b, (shard_index + 1) * b) of each global batch, b = batch_size /
        num_shards. With `drop_remainder=False` the last batch is padded with filler examples
        of weight 0.
        """

    def steps_per_epoch(self, batch_size: int) -> int:
        return self.num_examples("train") // batch_size
