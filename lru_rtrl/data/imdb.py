"""`imdb`: LRA Text, sentiment of IMDB reviews read byte by byte.

Reviews from tensorflow-datasets `imdb_reviews` (data.data_dir; downloaded and prepared
there on first use when data.download is on), encoded as bytes with a
vocabulary built from the training reviews (bytes seen at least `min_freq` times; pad 0,
unknown 1, end 2), truncated to `max_len - 1` bytes plus the end token, padded to
`max_len` = 4,096. (The paper's parameter count for this model, 109,186, implies a one-hot
input of 135 ids, i.e. about 132 kept bytes.) The paper has no validation set
for IMDB and evaluates on test (`val_fraction = 0`); `val_fraction > 0` holds out part of
train instead.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from lru_rtrl.data import pipeline, tfds_source, tokens
from lru_rtrl.data.base import DataError, TaskSpec
from lru_rtrl.registry import TASKS


@TASKS.register("imdb")
class ImdbBytes(tokens.ByteTextTask):
    """IMDB reviews as byte sequences, 2 classes; `spec.input_dim` is the vocabulary size."""

    NAME = "imdb"
    about = dict(T="4096 (bytes, padded)", input="byte tokens, vocabulary from training data",
                 classes="2", data="tfds `imdb_reviews`",
                 get="arrives by itself on first use (tfds; 84 MB download)")

    @staticmethod
    def default_config():
        return pipeline.common_config("imdb", data_dir="", download=True, max_len=4096,
                                      min_freq=15, append_eos=True, val_fraction=0.0)

    @property
    def spec(self) -> TaskSpec:
        # The vocabulary size depends on the training data.
        return TaskSpec(
            name=self.NAME, seq_len=self.config.max_len, input_kind="tokens",
            input_dim=self.vocabulary.size, output_shape=(2,), target_kind="sequence",
            description="IMDB reviews, byte level, truncated and padded")

    def _load(self) -> Dict[str, pipeline.Examples]:
        config = self.config
        raw = {}
        for split in ("train", "test"):
            arrays = tfds_source.load_split("imdb_reviews", split, config.data_dir,
                                            download=config.download)
            texts = [bytes(t) for t in arrays["text"]]
            labels = np.asarray(arrays["label"]).astype(np.int64)
            if len(labels) and (labels.min() < 0 or labels.max() > 1):
                raise DataError(f"imdb_reviews {split} labels outside {{0, 1}}.")
            raw[split] = (texts, labels)
        if config.val_fraction > 0:
            texts, labels = raw["train"]
            kept, held = pipeline.holdout(len(labels), config.val_fraction, config.seed)
            raw["validation"] = ([texts[i] for i in held], labels[held])
            raw["train"] = ([texts[i] for i in kept], labels[kept])
        self._vocabulary = tokens.ByteVocabulary.build(raw["train"][0], config.min_freq)

        def encode(texts, labels) -> tokens.TokenExamples:
            ragged = self._vocabulary.encode_all(texts, config.max_len, config.append_eos)
            return tokens.TokenExamples(ragged, labels, config.max_len)

        encoded = {split: encode(*arrays) for split, arrays in raw.items()}
        if "validation" not in encoded:
            encoded["validation"] = encoded["test"]
        return encoded
