"""`aan`: LRA Retrieval, whether two ACL Anthology papers cite each other, byte by byte.

Files of the LRA release (downloaded into data.data_dir on first use when data.download is
on): `tsv_data/new_aan_pairs.{train,eval,test}.tsv` (eval is our validation split), tab-separated, no header, five columns `label, id1, id2, text1, text2`
with the label a float 0/1. Both texts are byte sequences (as LRA reads them: the raw bytes
of the field, no unquoting), encoded with one vocabulary built from the training texts
(pad 0, unknown 1, end 2, then bytes seen at least `min_freq` times in the kept part of
the training texts), truncated to
`max_len - 1` bytes plus the end token and padded to `max_len` (4,000 as in LRA).

A two-tower task: batches carry `inputs`/`mask` (text1) and `inputs2`/`mask2` (text2); the
model encodes both with the same network, pools each, and classifies [a, b, a*b, a-b].
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

from lru_rtrl.data import lra_files, lra_release, pipeline, tokens
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.registry import TASKS

FILE_NAMES = {"train": "new_aan_pairs.train.tsv", "validation": "new_aan_pairs.eval.tsv",
              "test": "new_aan_pairs.test.tsv"}


def read_tsv(path: str, max_bytes: int = -1) -> Tuple[List[bytes], List[bytes], np.ndarray]:
    """(texts1, texts2, labels [N]) of one AAN pairs file; malformed lines are `DataError`s.

    `max_bytes > 0` keeps only the first bytes of each text (the rest is never used, and the
    full training texts would need gigabytes).
    """
    end = max_bytes if max_bytes > 0 else None
    first, second, labels = [], [], []
    for number, line in lra_files.numbered_lines(path):
        fields = line.split(b"\t")
        if len(fields) != 5:
            raise lra_files.malformed(
                path, number, f"expected 5 tab-separated fields (label, id1, id2, text1, "
                              f"text2), found {len(fields)}")
        try:
            label = float(fields[0])
        except ValueError:
            raise lra_files.malformed(
                path, number, f"the label {fields[0][:20]!r} is not a number") from None
        if label not in (0.0, 1.0):
            raise lra_files.malformed(path, number, f"the label {label} is not 0 or 1")
        labels.append(int(label))
        first.append(fields[3][:end])
        second.append(fields[4][:end])
    if not labels:
        raise lra_files.empty(path)
    return first, second, np.asarray(labels, np.int64)


def release_part() -> lra_release.Part:
    """What the loader reads of the LRA release."""
    return lra_release.Part("tsv_data", files=tuple(FILE_NAMES.values()))


@TASKS.register("aan")
class AanRetrieval(tokens.ByteTextTask):
    """Pairs of byte sequences, 2 classes (two-tower)."""

    NAME = "aan"
    about = dict(T="4000 per text (bytes, padded)", input="2 byte-token texts (two-tower)",
                 classes="2", data="LRA `tsv_data/new_aan_pairs.*.tsv`",
                 get="arrives by itself on first use (LRA release `lra_release.gz`)")

    @staticmethod
    def default_config():
        return pipeline.common_config("aan", data_dir="lra_release", download=True,
                                      max_len=4000, min_freq=15, append_eos=True)

    @property
    def spec(self) -> TaskSpec:
        # The vocabulary size depends on the training data.
        return TaskSpec(
            name=self.NAME, seq_len=self.config.max_len, input_kind="tokens",
            input_dim=self.vocabulary.size, output_shape=(2,), target_kind="sequence",
            two_tower=True, description="AAN citation pairs, byte level (LRA Retrieval)")

    def _load(self) -> Dict[str, pipeline.Examples]:
        config = self.config
        directory = lra_files.find_dir(
            self.NAME, config.data_dir, "tsv_data", list(FILE_NAMES.values()),
            fetch=lra_release.fetcher(self.NAME, config.data_dir, release_part(),
                                      config.download))
        raw = {split: read_tsv(f"{directory}/{name}", config.max_len)
               for split, name in FILE_NAMES.items()}
        train_first, train_second, _ = raw["train"]
        self._vocabulary = tokens.ByteVocabulary.build(train_first + train_second,
                                                      config.min_freq)
        result = {}
        for split, (first, second, labels) in raw.items():
            result[split] = tokens.PairExamples(
                self._vocabulary.encode_all(first, config.max_len, config.append_eos),
                self._vocabulary.encode_all(second, config.max_len, config.append_eos),
                labels, config.max_len)
        return result
