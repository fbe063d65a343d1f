"""Sequential CIFAR-10: `scifar` (colour, the paper's Table 2) and `scifar_gray` (LRA "Image").

32 x 32 images read row-major as 1,024 steps; `scifar` feeds the 3 colour channels,
normalised per channel with the training split's mean and standard deviation;
`scifar_gray` converts to one luminance channel first (ITU-R 601 weights, as
`tf.image.rgb_to_grayscale`), rounded back to 8 bits. Data from tensorflow-datasets
`cifar10` under data.data_dir (downloaded and prepared there on first use when
data.download is on); validation is 1% of train (the paper's split), held out with
the data seed.
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from lru_rtrl.data import images, tfds_source
from lru_rtrl.registry import TASKS

_LUMA = np.array([0.2989, 0.5870, 0.1140])


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """[N, H, W, 3] uint8 -> [N, H, W, 1] uint8 luminance."""
    gray = np.tensordot(pixels.astype(np.float32), _LUMA.astype(np.float32), axes=([-1], [0]))
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None]


class _Cifar(images.ImageTask):
    HEIGHT = WIDTH = 32
    GRAY = False

    def _read(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        result = {}
        for split in ("train", "test"):
            arrays = tfds_source.load_split("cifar10", split, self.config.data_dir,
                                            download=self.config.download)
            pixels = arrays["image"]
            if self.GRAY and pixels.ndim == 4 and pixels.shape[-1] == 3:
                pixels = to_gray(pixels)
            result[split] = (pixels, arrays["label"])
        return result


@TASKS.register("scifar")
class SequentialCifar(_Cifar):
    """Colour CIFAR-10, 1,024 steps of 3 normalised channels (Table 2's sCIFAR)."""

    NAME = "scifar"
    CHANNELS = 3
    about = dict(T="1024", input="3 channels (real), per-channel normalised", classes="10",
                 data="tfds `cifar10`",
                 get="arrives by itself on first use (tfds; 170 MB download)")

    @staticmethod
    def default_config():
        return images.image_config("scifar", data_dir="", download=True, val_fraction=0.01)


@TASKS.register("scifar_gray")
class SequentialCifarGray(_Cifar):
    """Grayscale CIFAR-10, 1,024 steps of one normalised channel (LRA Image)."""

    NAME = "scifar_gray"
    CHANNELS = 1
    GRAY = True
    about = dict(T="1024", input="1 channel (real, grayscale)", classes="10",
                 data="tfds `cifar10`",
                 get="arrives by itself on first use (tfds; 170 MB download)")

    @staticmethod
    def default_config():
        return images.image_config("scifar_gray", data_dir="", download=True,
                                   val_fraction=0.01)
