"""`copy`: recall a random binary pattern after a delay (docs/paper.md, Figure 2 and Table 1).

With the defaults (pattern_len L = 20, n_bits = 7, padding P = 7), T = 2L + P + 1 = 48. The
paper reports T = 48; its released code's config says padding 5 but the code pads 7, so
P = 7 is what the code did, not a stated intent (docs/paper_departures.md):

  t = 0 .. 19    input channels 0..6 carry the pattern, i.i.d. Bernoulli(0.5) bits
  t = 20 .. 26   all-zero inputs
  t = 27         the go token, channel 7 (the 8th channel) set to 1
  t = 28 .. 47   zero inputs; the targets are the pattern, one 2-way prediction per bit

Batches: inputs [B, T, n_bits + 1] float32, targets [B, T, n_bits] int32 in {0, 1} (zero
outside the recall window), loss_mask [B, T] = the recall window, mask [B, T] all ones.
Each split is generated from (data seed, split) alone, so changing one split's size leaves
the others unchanged.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from lru_rtrl.data import pipeline
from lru_rtrl.data.base import SPLITS, Batch, DataError, TaskSpec
from lru_rtrl.registry import TASKS


class CopyExamples(pipeline.Examples):
    """Patterns [N, L, n_bits] uint8 expanded into full copy-task sequences per batch."""

    def __init__(self, patterns: np.ndarray, padding: int):
        self.patterns = patterns
        self.padding = padding

    def __len__(self) -> int:
        return len(self.patterns)

    def gather(self, indices: np.ndarray) -> Batch:
        patterns = self.patterns[indices]
        batch, length, bits = patterns.shape
        go = length + self.padding
        steps = go + 1 + length
        inputs = np.zeros((batch, steps, bits + 1), np.float32)
        inputs[:, :length, :bits] = patterns
        inputs[:, go, bits] = 1.0
        targets = np.zeros((batch, steps, bits), np.int32)
        targets[:, go + 1:] = patterns
        loss_mask = np.zeros((batch, steps), np.float32)
        loss_mask[:, go + 1:] = 1.0
        return {"inputs": inputs, "mask": np.ones((batch, steps), np.float32),
                "targets": targets, "loss_mask": loss_mask}


@TASKS.register("copy")
class CopyTask(pipeline.ArrayTask):
    """The delayed copy task; sizes, lengths and seed come from the data config."""

    NAME = "copy"
    about = dict(T="48 (2L + P + 1)", input="8 = 7 bits + go (real)",
                 classes="7 bits x 2 per step (recall window)",
                 data="generated from data.seed", get="nothing (offline)")

    @staticmethod
    def default_config():
        return pipeline.common_config(
            "copy", pattern_len=20, n_bits=7, padding=7,
            num_train=20_000, num_validation=1_000, num_test=1_000)

    def __init__(self, data_config=None):
        super().__init__(data_config)
        config = self.config
        if config.pattern_len <= 0 or config.n_bits <= 0 or config.padding < 0:
            raise DataError("The copy task needs pattern_len > 0, n_bits > 0 and padding >= 0, "
                            f"got {config.pattern_len}, {config.n_bits}, {config.padding}.")

    @property
    def spec(self) -> TaskSpec:
        config = self.config
        return TaskSpec(
            name="copy", seq_len=2 * config.pattern_len + config.padding + 1,
            input_kind="real", input_dim=config.n_bits + 1, output_shape=(config.n_bits, 2),
            target_kind="per_step",
            description=(f"copy {config.pattern_len} steps of {config.n_bits} bits after "
                         f"{config.padding} blank steps and a go token"))

    def _load(self) -> Dict[str, pipeline.Examples]:
        config = self.config
        sizes = {"train": config.num_train, "validation": config.num_validation,
                 "test": config.num_test}
        result = {}
        for index, split in enumerate(SPLITS):
            rng = np.random.default_rng(
                np.random.SeedSequence([int(config.seed) % 2**32, 0xC0B1, index]))
            patterns = rng.integers(0, 2, (sizes[split], config.pattern_len, config.n_bits),
                                    dtype=np.uint8)
            result[split] = CopyExamples(patterns, config.padding)
        return result
