"""Sequential Fashion-MNIST (784 steps of one pixel, 10 classes), real data offline.

Reads the IDX files of Debian's dataset-fashion-mnist package
(`sudo apt-get install dataset-fashion-mnist`, files in /usr/share/datasets/fashion-mnist)
with the same reader as MNIST; --config.data.source=tfds --config.data.data_dir=DIR reads
tfds `fashion_mnist` instead. configs/smnist.py's experiment with batch 64 for 30 epochs.
`get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import apply_variant, shrink_for_smoke, sibling_config


def get_config(arg=None):
    config = sibling_config(__file__, "smnist.py", task="fashion_mnist")
    config.train.batch_size = 64
    config.train.num_epochs = 30
    return apply_variant(config, arg, {"smoke": shrink_for_smoke},
                         where="configs/fashion_mnist.py")
