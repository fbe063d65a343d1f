"""Sequential MNIST (`smnist`), permuted sequential MNIST (`psmnist`) and `fashion_mnist`.

28 x 28 grayscale images, 784 steps of one pixel, 10 classes. Two sources, same arrays:
  data.source = "tfds"  tensorflow-datasets `mnist` / `fashion_mnist` under data.data_dir,
                        downloaded and prepared there on first use when data.download is on
  data.source = "idx"   the four IDX files of the MNIST distribution (plain or .gz) in
                        data.data_dir, read by `lru_rtrl.data.idx` — this is how the Debian
                        package dataset-fashion-mnist ships Fashion-MNIST, and how MNIST
                        mirrors serve it
The test split is the official one; validation is `val_fraction` of train, held out with
the data seed. Pixels are scaled to [0, 1] (`normalize = unit`), as the paper's code does (its
standardisation line is commented out). psMNIST applies one fixed permutation: the
bit-reversal permutation by default, as the paper's code (`permutation = random` draws one
from `permutation_seed` instead).
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from lru_rtrl.data import idx, images, tfds_source
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS

FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_APT = "sudo apt-get install dataset-fashion-mnist"
SOURCES = ("tfds", "idx")


class _MnistLike(images.ImageTask):
    HEIGHT = WIDTH = 28
    CHANNELS = 1
    TFDS_NAME = "mnist"
    IDX_HELP = ("Put the MNIST IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in that directory, or use "
                "data.source='tfds'.")

    def _read(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        source = self.config.source
        if source == "idx":
            if not self.config.data_dir:
                raise DataError(f"Task {self.NAME!r}: data.source='idx' needs data.data_dir, the "
                                f"directory of the IDX files. {self.IDX_HELP}")
            arrays = idx.read_mnist_directory(
                self.config.data_dir, what=f"Task {self.NAME!r}", how_to_get=self.IDX_HELP)
            return {split: (a["image"], a["label"]) for split, a in arrays.items()}
        if source == "tfds":
            result = {}
            for split in ("train", "test"):
                arrays = tfds_source.load_split(self.TFDS_NAME, split, self.config.data_dir,
                                                download=self.config.download)
                result[split] = (arrays["image"], arrays["label"])
            return result
        raise DataError(f"data.source of task {self.NAME!r} must be one of {SOURCES}, "
                        f"got {source!r}.")


@TASKS.register("smnist")
class SequentialMnist(_MnistLike):
    """MNIST digits, 784 steps of one pixel."""

    NAME = "smnist"
    about = dict(T="784", input="1 pixel in [0, 1]", classes="10",
                 data="tfds `mnist` (or MNIST IDX files: data.source='idx')",
                 get="arrives by itself on first use (tfds; 12 MB download)")

    @staticmethod
    def default_config():
        return images.image_config("smnist", source="tfds", data_dir="", download=True,
                                   normalize="unit")


@TASKS.register("psmnist")
class PermutedSequentialMnist(_MnistLike):
    """MNIST digits with one fixed pixel permutation (data.permutation: bit reversal, or
    random from data.permutation_seed)."""

    NAME = "psmnist"
    about = dict(T="784", input="1 pixel in [0, 1], bit-reversal permutation", classes="10",
                 data="tfds `mnist` (or MNIST IDX files: data.source='idx')",
                 get="arrives by itself on first use (tfds; 12 MB download)")

    @staticmethod
    def default_config():
        return images.image_config("psmnist", source="tfds", data_dir="", download=True,
                                   normalize="unit", permute=True)


@TASKS.register("fashion_mnist")
class SequentialFashionMnist(_MnistLike):
    """Fashion-MNIST, 784 steps; by default from Debian's dataset-fashion-mnist package."""

    NAME = "fashion_mnist"
    TFDS_NAME = "fashion_mnist"
    IDX_HELP = (f"Install the Debian package: {FASHION_MNIST_APT} (it puts the IDX files in "
                f"{FASHION_MNIST_DEBIAN_DIR}), or point data.data_dir at a directory holding "
                f"train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                f"t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.")
    about = dict(T="784", input="1 pixel in [0, 1]", classes="10",
                 data=f"IDX files in `{FASHION_MNIST_DEBIAN_DIR}` (or tfds `fashion_mnist`)",
                 get=f"`{FASHION_MNIST_APT}` (offline on Debian / Ubuntu)")

    @staticmethod
    def default_config():
        return images.image_config("fashion_mnist", source="idx", normalize="unit",
                                   data_dir=FASHION_MNIST_DEBIAN_DIR, download=True)
