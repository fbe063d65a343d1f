"""Sequential image classification: an H x W x C image read row-major as H*W steps of C values.

Pixels stay uint8 in memory ([N, T, C]); each batch is normalised on the fly, so CIFAR-10
costs 150 MB rather than 600 MB. A task may apply one fixed pixel permutation (psMNIST,
`data.permute`), chosen by `data.permutation`:
  bit_reversal  the bit-reversal permutation (the paper's code and the S4 family's psMNIST):
                the indices 0 .. 2^m − 1 (2^m ≥ T) with their m bits reversed, keeping those
                below T, in order
  random        one permutation drawn from `permutation_seed` alone, so that it never changes
                with the training or data seed

Normalisation (`data.normalize`):
  standardize   per channel, (x - mean) / std with the training split's statistics
  unit          x / max_value, in [0, 1]
  symmetric     x / (max_value / 2) - 1, in [-1, 1]
"""

from __future__ import annotations

import abc
from typing import Dict, Optional, Tuple

import ml_collections
import numpy as np

from lru_rtrl.data import pipeline
from lru_rtrl.data.base import Batch, DataError, TaskSpec

NORMALIZATIONS = ("standardize", "unit", "symmetric")
PERMUTATIONS = ("bit_reversal", "random")


class ImageExamples(pipeline.Examples):
    """Images [N, T, C] uint8 and labels [N]; batches of float32 inputs [B, T, C]."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray, *, offset: np.ndarray,
                 scale: np.ndarray, permutation: Optional[np.ndarray] = None):
        self.pixels = pixels
        self.labels = labels.astype(np.int32)
        self._offset = offset.astype(np.float32)
        self._inverse_scale = (1.0 / scale).astype(np.float32)
        self._permutation = permutation

    def __len__(self) -> int:
        return len(self.labels)

    def gather(self, indices: np.ndarray) -> Batch:
        pixels = self.pixels[indices]
        if self._permutation is not None:
            pixels = pixels[:, self._permutation]
        inputs = (pixels.astype(np.float32) - self._offset) * self._inverse_scale
        return {
            "inputs": inputs,
            "mask": np.ones(pixels.shape[:2], np.float32),
            "targets": self.labels[indices],
        }


def channel_statistics(pixels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per channel of integer pixels [N, T, C] (exact, via counts)."""
    channels = pixels.shape[-1]
    flat = pixels.reshape(-1, channels)
    means, stds = np.zeros(channels), np.ones(channels)
    for c in range(channels):
        counts = np.bincount(flat[:, c]).astype(np.float64)
        values = np.arange(len(counts), dtype=np.float64)
        total = counts.sum()
        mean = (counts * values).sum() / total
        var = (counts * (values - mean) ** 2).sum() / total
        means[c] = mean
        stds[c] = np.sqrt(var) if var > 0 else 1.0
    return means, stds


def normalization(train_pixels: np.ndarray, mode: str,
                  max_value: float) -> Tuple[np.ndarray, np.ndarray]:
    """(offset, scale) per channel such that inputs = (pixels - offset) / scale."""
    channels = train_pixels.shape[-1]
    if mode == "standardize":
        return channel_statistics(train_pixels)
    if mode == "unit":
        return np.zeros(channels), np.full(channels, float(max_value))
    if mode == "symmetric":
        return np.full(channels, max_value / 2.0), np.full(channels, max_value / 2.0)
    raise DataError(f"data.normalize must be one of {', '.join(NORMALIZATIONS)}, got {mode!r}.")


def fixed_permutation(length: int, seed: int) -> np.ndarray:
    """A random pixel permutation of a permuted task: a function of (length, seed) only."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) % 2**32, 0x9E3, length]))
    return rng.permutation(length)


def bit_reversal_permutation(length: int) -> np.ndarray:
    """Position j of the permuted sequence reads pixel perm[j]: the bit reversals of
    0 .. 2^m − 1 (m bits, 2^m the smallest power of two ≥ length) that are below `length`."""
    bits = max(1, int(np.ceil(np.log2(length))))
    indices = np.arange(2 ** bits)
    reversed_indices = np.zeros_like(indices)
    for bit in range(bits):
        reversed_indices |= ((indices >> bit) & 1) << (bits - 1 - bit)
    return reversed_indices[reversed_indices < length]


def pixel_permutation(config: ml_collections.ConfigDict, length: int) -> Optional[np.ndarray]:
    """The fixed permutation a task's data config asks for (None: row-major order)."""
    if not config.permute:
        return None
    if config.permutation == "bit_reversal":
        return bit_reversal_permutation(length)
    return fixed_permutation(length, config.permutation_seed)


class ImageTask(pipeline.ArrayTask):
    """Base of the sequential image tasks; subclasses read raw images in `_read`.

    Data options used here: normalize, val_fraction (held out of train when the source has
    no validation split; 0 evaluates validation on the test split), permute, permutation,
    permutation_seed.
    """

    HEIGHT: int = 0
    WIDTH: int = 0
    CHANNELS: int = 1
    NUM_CLASSES: int = 10
    MAX_VALUE: float = 255.0

    @staticmethod
    def unused_options(data_config):
        if "permute" in data_config and not data_config.permute:
            why = "data.permute is False: the pixels stay in row-major order"
            return {"permutation": why, "permutation_seed": why}
        if data_config.get("permutation") == "bit_reversal":
            return {"permutation_seed": "data.permutation is 'bit_reversal', which draws "
                                        "nothing (set data.permutation='random' to use a seed)"}
        return {}

    def __init__(self, data_config=None):
        super().__init__(data_config)
        if self.config.normalize not in NORMALIZATIONS:
            raise DataError(f"data.normalize of task {self.NAME!r} must be one of "
                            f"{', '.join(NORMALIZATIONS)}, got {self.config.normalize!r}.")
        if self.config.permutation not in PERMUTATIONS:
            raise DataError(f"data.permutation of task {self.NAME!r} must be one of "
                            f"{', '.join(PERMUTATIONS)}, got {self.config.permutation!r}.")
        if not 0.0 <= self.config.val_fraction < 1.0:
            raise DataError(f"data.val_fraction of task {self.NAME!r} must be in [0, 1), got "
                            f"{self.config.val_fraction}.")

    def image_shape(self) -> Tuple[int, int, int]:
        return self.HEIGHT, self.WIDTH, self.CHANNELS

    @property
    def spec(self) -> TaskSpec:
        height, width, channels = self.image_shape()
        order = (f"{self.config.permutation.replace('_', '-')} permuted" if self.config.permute
                 else "row-major")
        return TaskSpec(
            name=self.NAME, seq_len=height * width, input_kind="real", input_dim=channels,
            output_shape=(self.NUM_CLASSES,), target_kind="sequence",
            description=f"{height}x{width}x{channels} images read {order}, one pixel per step")

    @abc.abstractmethod
    def _read(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        """Raw splits: name -> (pixels [N, H, W] or [N, H, W, C] uint8, labels [N]).

        Must give "train" and "test"; "validation" is optional (else held out of train).
        """

    def _load(self) -> Dict[str, pipeline.Examples]:
        raw = {split: self._check(split, *arrays) for split, arrays in self._read().items()}
        if "validation" not in raw:
            train_pixels, train_labels = raw["train"]
            fraction = self.config.val_fraction
            if fraction > 0:
                kept, held = pipeline.holdout(len(train_labels), fraction, self.config.seed)
                raw["validation"] = (train_pixels[held], train_labels[held])
                raw["train"] = (train_pixels[kept], train_labels[kept])
            else:
                raw["validation"] = raw["test"]
        offset, scale = normalization(raw["train"][0], self.config.normalize, self.MAX_VALUE)
        height, width, _ = self.image_shape()
        permutation = pixel_permutation(self.config, height * width)
        return {
            split: ImageExamples(pixels, labels, offset=offset, scale=scale,
                                 permutation=permutation)
            for split, (pixels, labels) in raw.items()
        }

    def _check(self, split: str, pixels: np.ndarray,
               labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Validates shapes and labels; returns pixels [N, H*W, C] uint8 and labels [N]."""
        height, width, channels = self.image_shape()
        if pixels.ndim == 3:
            pixels = pixels[..., None]
        if pixels.shape[1:] != (height, width, channels):
            raise DataError(
                f"Task {self.NAME!r}: the {split} images have shape {pixels.shape[1:]}, expected "
                f"{(height, width, channels)}.")
        if len(pixels) != len(labels):
            raise DataError(f"Task {self.NAME!r}: {len(pixels)} {split} images but "
                            f"{len(labels)} labels.")
        labels = np.asarray(labels).astype(np.int64)
        if len(labels) and (labels.min() < 0 or labels.max() >= self.NUM_CLASSES):
            raise DataError(
                f"Task {self.NAME!r}: {split} labels range over [{labels.min()}, {labels.max()}], "
                f"expected [0, {self.NUM_CLASSES}).")
        if pixels.dtype != np.uint8:
            if pixels.min() < 0 or pixels.max() > 255:
                raise DataError(f"Task {self.NAME!r}: {split} pixels outside [0, 255].")
            pixels = np.rint(pixels).astype(np.uint8)
        return pixels.reshape(len(pixels), height * width, channels), labels


def image_config(task: str, **fields) -> ml_collections.ConfigDict:
    """`common_config` plus the options of `ImageTask`."""
    defaults = dict(normalize="standardize", val_fraction=0.1, permute=False,
                    permutation="bit_reversal", permutation_seed=0)
    defaults.update(fields)
    return pipeline.common_config(task, **defaults)
