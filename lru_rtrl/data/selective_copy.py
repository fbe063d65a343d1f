"""`selective_copy`: recall k data tokens scattered among noise, in order, after a go token.

The task of the gated cores (docs/gated_cores.md; Gu & Dao 2023 call it selective copying):
unlike the copy task, the data tokens sit at random positions, so a model must decide from
each input whether to store it (an input-dependent, "selective" recurrence), not just keep a
fixed window. With the defaults (seq_len T = 64, n_tokens k = 4, vocab V = 8):

  t = 0 .. 58    k data tokens at random distinct positions (sorted), noise tokens elsewhere
  t = 59         the go token (t = T - k - 1)
  t = 60 .. 63   noise inputs; the targets are the k data tokens in order of appearance

Token ids (one-hot inputs of width V + 3): 0 padding (never used: every sequence is full
length), 1 noise, 2 go, 3 .. V + 2 the data tokens. Targets are the data tokens' classes
0 .. V - 1.

Batches: inputs [B, T] int32 token ids, targets [B, T] int32 (0 outside the answer window),
loss_mask [B, T] = the k answer positions, mask [B, T] all ones. Each split is generated
from (data seed, split) alone, so changing one split's size leaves the others unchanged.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from lru_rtrl.data import pipeline
from lru_rtrl.data.base import SPLITS, Batch, DataError, TaskSpec
from lru_rtrl.registry import TASKS

NOISE, GO, FIRST_DATA = 1, 2, 3


class SelectiveCopyExamples(pipeline.Examples):
    """Positions [N, k] (sorted) and classes [N, k] expanded into full sequences per batch."""

    def __init__(self, positions: np.ndarray, classes: np.ndarray, seq_len: int):
        self.positions = positions
        self.classes = classes
        self.seq_len = seq_len

    def __len__(self) -> int:
        return len(self.positions)

    def gather(self, indices: np.ndarray) -> Batch:
        positions, classes = self.positions[indices], self.classes[indices]
        batch, k = classes.shape
        steps = self.seq_len
        go = steps - k - 1
        rows = np.arange(batch)[:, None]
        inputs = np.full((batch, steps), NOISE, np.int32)
        inputs[rows, positions] = FIRST_DATA + classes
        inputs[:, go] = GO
        targets = np.zeros((batch, steps), np.int32)
        targets[:, go + 1:] = classes
        loss_mask = np.zeros((batch, steps), np.float32)
        loss_mask[:, go + 1:] = 1.0
        return {"inputs": inputs, "mask": np.ones((batch, steps), np.float32),
                "targets": targets, "loss_mask": loss_mask}


@TASKS.register("selective_copy")
class SelectiveCopyTask(pipeline.ArrayTask):
    """Selective copying; length, number of tokens, vocabulary and seed from the data config."""

    NAME = "selective_copy"
    about = dict(T="64 (seq_len; data region T - k - 1)",
                 input="V + 3 tokens: noise, go, V data (one-hot 11)",
                 classes="V = 8 per answer step (k = 4 answer steps)",
                 data="generated from data.seed", get="nothing (offline)")

    @staticmethod
    def default_config():
        return pipeline.common_config(
            "selective_copy", seq_len=64, n_tokens=4, vocab=8,
            num_train=20_000, num_validation=1_000, num_test=1_000)

    def __init__(self, data_config=None):
        super().__init__(data_config)
        config = self.config
        if config.n_tokens <= 0 or config.vocab <= 0:
            raise DataError("selective_copy needs n_tokens > 0 and vocab > 0, got "
                            f"n_tokens={config.n_tokens}, vocab={config.vocab}.")
        if config.seq_len < 2 * config.n_tokens + 1:
            raise DataError(
                f"selective_copy needs seq_len >= 2 * n_tokens + 1 = {2 * config.n_tokens + 1} "
                f"(a data region of at least n_tokens steps, the go token, the answers), got "
                f"seq_len={config.seq_len}.")

    @property
    def spec(self) -> TaskSpec:
        config = self.config
        return TaskSpec(
            name="selective_copy", seq_len=config.seq_len, input_kind="tokens",
            input_dim=config.vocab + FIRST_DATA, output_shape=(config.vocab,),
            target_kind="per_step",
            description=(f"recall {config.n_tokens} of {config.vocab} tokens scattered in "
                         f"{config.seq_len - config.n_tokens - 1} noise steps, in order, "
                         "after a go token"))

    def _load(self) -> Dict[str, pipeline.Examples]:
        config = self.config
        k, region = config.n_tokens, config.seq_len - config.n_tokens - 1
        sizes = {"train": config.num_train, "validation": config.num_validation,
                 "test": config.num_test}
        result = {}
        for index, split in enumerate(SPLITS):
            rng = np.random.default_rng(
                np.random.SeedSequence([int(config.seed) % 2**32, 0x5E1C, index]))
            positions = _distinct_positions(rng, sizes[split], region, k)
            classes = rng.integers(0, config.vocab, (sizes[split], k), dtype=np.int32)
            result[split] = SelectiveCopyExamples(positions, classes, config.seq_len)
        return result


def _distinct_positions(rng: np.random.Generator, rows: int, region: int, k: int,
                        chunk: int = 1024) -> np.ndarray:
    """[rows, k] int32: k distinct sorted positions in [0, region) per row, uniformly.

    The k smallest of `region` uniform keys; drawn `chunk` rows at a time so that long
    sequences (region in the thousands) need only chunk x region keys at once.
    """
    out = np.empty((rows, k), np.int32)
    for start in range(0, rows, chunk):
        keys = rng.random((min(chunk, rows - start), region))
        out[start:start + len(keys)] = np.sort(
            np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
    return out
