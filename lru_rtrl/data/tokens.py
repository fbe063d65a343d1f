"""Variable-length token sequences: ragged storage, fixed-length padding, byte vocabularies.

Token tasks keep their sequences ragged in memory (one flat id array plus offsets) and pad
each batch to the task's fixed length `max_len`, so batch shapes never change while memory
stays proportional to the real tokens (ListOps: 96k x ~1k tokens, not 96k x 2,048).

Id 0 is always padding; a mask marks the real steps, and padding sits at the end.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from lru_rtrl.data import pipeline
from lru_rtrl.data.base import Batch, DataError

PAD, UNK, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "<eos>")


class Ragged:
    """Sequences of ids: row i is values[offsets[i]:offsets[i + 1]]."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray):
        self.values = values
        self.offsets = offsets

    @classmethod
    def from_sequences(cls, sequences: Sequence[np.ndarray], dtype=np.uint16) -> "Ragged":
        lengths = np.fromiter((len(s) for s in sequences), np.int64, count=len(sequences))
        offsets = np.zeros(len(sequences) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = (np.concatenate(sequences).astype(dtype) if len(sequences)
                  else np.zeros(0, dtype))
        return cls(values, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def row(self, index: int) -> np.ndarray:
        return self.values[self.offsets[index]:self.offsets[index + 1]]

    def pad(self, indices: np.ndarray, max_len: int) -> Tuple[np.ndarray, np.ndarray]:
        """Ids [B, max_len] int32 (0 after the end) and mask [B, max_len] float32."""
        tokens = np.zeros((len(indices), max_len), np.int32)
        mask = np.zeros((len(indices), max_len), np.float32)
        for row, index in enumerate(indices):
            ids = self.row(index)[:max_len]
            tokens[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        return tokens, mask


class TokenExamples(pipeline.Examples):
    """Single sequences with one label each: inputs [B, T] int32, mask [B, T], targets [B]."""

    def __init__(self, tokens: Ragged, labels: np.ndarray, max_len: int):
        self.tokens = tokens
        self.labels = labels.astype(np.int32)
        self.max_len = max_len

    def __len__(self) -> int:
        return len(self.labels)

    def gather(self, indices: np.ndarray) -> Batch:
        inputs, mask = self.tokens.pad(indices, self.max_len)
        return {"inputs": inputs, "mask": mask, "targets": self.labels[indices]}


class PairExamples(pipeline.Examples):
    """Two sequences per label (two-tower tasks): adds inputs2 [B, T] and mask2 [B, T]."""

    def __init__(self, first: Ragged, second: Ragged, labels: np.ndarray, max_len: int):
        self.first = first
        self.second = second
        self.labels = labels.astype(np.int32)
        self.max_len = max_len

    def __len__(self) -> int:
        return len(self.labels)

    def gather(self, indices: np.ndarray) -> Batch:
        inputs, mask = self.first.pad(indices, self.max_len)
        inputs2, mask2 = self.second.pad(indices, self.max_len)
        return {"inputs": inputs, "mask": mask, "inputs2": inputs2, "mask2": mask2,
                "targets": self.labels[indices]}


class ByteVocabulary:
    """Byte-level vocabulary built from training text: pad 0, unknown 1, end 2, then bytes.

    Bytes seen at least `min_freq` times in the training texts get ids 3, 4, ... in order of
    decreasing count (ties by byte value); the others map to the unknown id.
    """

    def __init__(self, kept_bytes: Sequence[int]):
        self.kept_bytes = [int(b) for b in kept_bytes]
        self.table = np.full(256, UNK, np.uint16)
        for position, byte in enumerate(self.kept_bytes):
            self.table[byte] = len(SPECIALS) + position

    @classmethod
    def build(cls, texts: Sequence[bytes], min_freq: int) -> "ByteVocabulary":
        counts = np.zeros(256, np.int64)
        for text in texts:
            counts += np.bincount(np.frombuffer(text, np.uint8), minlength=256)
        kept = [b for b in np.lexsort((np.arange(256), -counts)) if counts[b] >= max(min_freq, 1)]
        return cls(kept)

    @property
    def size(self) -> int:
        """Number of ids, padding included (the one-hot input dimension)."""
        return len(SPECIALS) + len(self.kept_bytes)

    def encode(self, text: bytes, max_len: int, append_eos: bool = True) -> np.ndarray:
        """Ids of the first bytes of `text`, ending with the end token, at most `max_len`."""
        keep = max_len - 1 if append_eos else max_len
        ids = self.table[np.frombuffer(text[:keep], np.uint8)]
        if append_eos:
            ids = np.append(ids, np.uint16(EOS))
        return ids

    def encode_all(self, texts: Sequence[bytes], max_len: int,
                   append_eos: bool = True) -> Ragged:
        dtype = np.uint8 if self.size <= 256 else np.uint16
        return Ragged.from_sequences([self.encode(t, max_len, append_eos) for t in texts],
                                     dtype=dtype)

    def to_dict(self) -> Dict[str, List[int]]:
        return {"kept_bytes": list(self.kept_bytes)}


def check_max_len(task: str, max_len: int, minimum: int = 2) -> None:
    if max_len < minimum:
        raise DataError(f"Task {task!r}: data.max_len must be at least {minimum}, got {max_len}.")


class ByteTextTask(pipeline.ArrayTask):
    """A task over byte texts whose vocabulary is built from its training texts.

    Subclasses set `self._vocabulary` in `_load` (a `ByteVocabulary`); `vocabulary`
    and the vocabulary-sized `spec.input_dim` are therefore known once the data is read.
    """

    def __init__(self, data_config=None):
        super().__init__(data_config)
        check_max_len(self.NAME, self.config.max_len)
        self._vocabulary = None

    @property
    def vocabulary(self):
        """The byte vocabulary of the training texts (reads the data on first use)."""
        self.splits()
        return self._vocabulary
