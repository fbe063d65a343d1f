"""Sequential Fashion-MNIST (784 steps of one pixel, 10 classes), real data offline.

Reads the IDX files of Debian's dataset-fashion-mnist package
(`sudo apt-get install dataset-fashion-mnist`, files in /usr/share/datasets/fashion-mnist)
with the same reader as MNIST; --config.data.source=tfds --config.data.data_dir=DIR reads
tfds `fashion_mnist` instead. Not in the paper: the smnist model (4 layers, 128/64,
pool_st, online_full). `get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("fashion_mnist")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 4
    config.model.d_model = 128
    config.model.d_hidden = 64
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.1
    config.model.lru.r_min = 0.9
    config.model.lru.r_max = 0.999
    config.train.batch_size = 64
    config.train.num_epochs = 30
    config.train.lr = 2e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/fashion_mnist.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config)
