"""`recall_stream`: delayed recall on an endless stream of random symbols.

Each row of the stream is an i.i.d. sequence of symbols s_t uniform in {1, ..., S}
(S = num_symbols; token id 0 is never used, it is the padding id of token tasks). The target
at step t is the symbol seen D = `delay` steps earlier, as a class id s_{t-D} - 1 in
[0, S); the first D steps of a stream have no target (weight 0). Chance accuracy is 1/S.

There are no episodes: `RecallStream.stream(batch_size, seed)` yields consecutive chunks
[B, chunk_len] of B independent endless streams (a target may point into the previous
chunk), which is what `launch/stream.py` and `lru_rtrl.learner.OnlineLearner` consume.
For the epoch-based launcher (launch/main.py) the splits hold independent windows of
seq_len steps, each starting a fresh stream.

Chunks:  inputs [B, L] int32 symbols, targets [B, L] int32, loss_mask [B, L] float32,
mask [B, L] ones.
"""

from __future__ import annotations

from typing import Dict, Iterator

import numpy as np

from lru_rtrl.data import pipeline
from lru_rtrl.data.base import SPLITS, Batch, DataError, TaskSpec
from lru_rtrl.registry import TASKS


class SymbolStream:
    """B endless streams of symbols with their delayed targets, chunk after chunk."""

    def __init__(self, batch_size: int, num_symbols: int, delay: int, seed: int):
        self.rng = np.random.default_rng(np.random.SeedSequence([int(seed) % 2**32, 0x5EC]))
        self.batch_size, self.num_symbols, self.delay = batch_size, num_symbols, delay
        # The last D symbols of each row (0: before the stream began, no target).
        self.history = np.zeros((batch_size, delay), np.int32)

    def chunk(self, length: int) -> Batch:
        symbols = self.rng.integers(1, self.num_symbols + 1, (self.batch_size, length),
                                    dtype=np.int32)
        joined = np.concatenate([self.history, symbols], axis=1)     # [B, D + L]
        earlier = joined[:, :length]                                  # s_{t-D}
        self.history = joined[:, length:]
        return {"inputs": symbols, "mask": np.ones((self.batch_size, length), np.float32),
                "targets": np.maximum(earlier - 1, 0).astype(np.int32),
                "loss_mask": (earlier > 0).astype(np.float32)}


class _Windows(pipeline.Examples):
    def __init__(self, count: int, seq_len: int, num_symbols: int, delay: int, seed: int):
        self.count, self.seq_len = count, seq_len
        self.num_symbols, self.delay, self.seed = num_symbols, delay, seed

    def __len__(self) -> int:
        return self.count

    def gather(self, indices: np.ndarray) -> Batch:
        rows = [SymbolStream(1, self.num_symbols, self.delay, self.seed * 1_000_003 + int(i))
                .chunk(self.seq_len) for i in indices]
        return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}


@TASKS.register("recall_stream")
class RecallStream(pipeline.ArrayTask):
    """Delayed recall: the target at t is the input at t - delay."""

    NAME = "recall_stream"
    about = dict(T="chunk_len (endless stream)", input="num_symbols + 1 (tokens)",
                 classes="num_symbols per step (after the first delay steps)",
                 data="generated from data.seed", get="nothing (offline)")

    @staticmethod
    def default_config():
        return pipeline.common_config(
            "recall_stream", num_symbols=8, delay=8, chunk_len=256,
            num_train=10_000, num_validation=500, num_test=500)

    def __init__(self, data_config=None):
        super().__init__(data_config)
        config = self.config
        if config.num_symbols < 2 or config.delay < 1 or config.chunk_len < 1:
            raise DataError("recall_stream needs num_symbols >= 2, delay >= 1 and "
                            f"chunk_len >= 1, got {config.num_symbols}, {config.delay}, "
                            f"{config.chunk_len}.")

    @property
    def spec(self) -> TaskSpec:
        config = self.config
        return TaskSpec(name="recall_stream", seq_len=config.chunk_len, input_kind="tokens",
                        input_dim=config.num_symbols + 1, output_shape=(config.num_symbols,),
                        target_kind="per_step",
                        description=f"recall the symbol of {config.delay} steps ago "
                                    f"({config.num_symbols} symbols)")

    def stream(self, batch_size: int, seed: int) -> Iterator[Batch]:
        """Endless consecutive chunks [B, chunk_len] of B independent streams."""
        config = self.config
        source = SymbolStream(batch_size, config.num_symbols, config.delay,
                              config.seed * 7919 + seed)
        while True:
            yield source.chunk(config.chunk_len)

    def _load(self) -> Dict[str, pipeline.Examples]:
        config = self.config
        sizes = {"train": config.num_train, "validation": config.num_validation,
                 "test": config.num_test}
        return {split: _Windows(sizes[split], config.chunk_len, config.num_symbols,
                                config.delay, config.seed * 10 + index)
                for index, split in enumerate(SPLITS)}
