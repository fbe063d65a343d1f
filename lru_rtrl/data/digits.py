"""`digits`: scikit-learn's bundled 8 x 8 handwritten digits as a 64-step sequence task.

Real data that needs no download (1,797 images, 16 grey levels, 10 classes), for demos
and accuracy checks offline. The test split (`test_fraction`) and then the validation split
(`val_fraction` of the rest) are drawn with the data seed; `permute=True` applies one fixed
pixel permutation (`permutation`: bit_reversal, or random from `permutation_seed`), as in
psMNIST.
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from lru_rtrl.data import images, pipeline
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS


@TASKS.register("digits")
class SequentialDigits(images.ImageTask):
    """8 x 8 digits from `sklearn.datasets.load_digits`, 64 steps of one pixel."""

    NAME = "digits"
    HEIGHT = WIDTH = 8
    CHANNELS = 1
    MAX_VALUE = 16.0
    about = dict(T="64", input="1 pixel (real), optionally permuted", classes="10",
                 data="scikit-learn `load_digits` (bundled, 1,797 images)",
                 get="nothing (offline)")

    @staticmethod
    def default_config():
        return images.image_config("digits", val_fraction=0.1, test_fraction=0.2)

    def _read(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        try:
            from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
        except ImportError as error:
            raise DataError(f"Task 'digits' needs scikit-learn: pip install scikit-learn "
                            f"({error}).") from error
        digits = load_digits()
        pixels = digits.images.astype(np.uint8)     # [1797, 8, 8], values 0..16
        labels = digits.target.astype(np.int64)
        rest, test = pipeline.holdout(len(labels), self.config.test_fraction, self.config.seed)
        if len(test) == 0:
            raise DataError("Task 'digits' needs data.test_fraction > 0.")
        return {"train": (pixels[rest], labels[rest]), "test": (pixels[test], labels[test])}
