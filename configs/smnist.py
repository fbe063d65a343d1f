"""Sequential MNIST (784 steps of one pixel, 10 classes).

Not in the paper's tables: a mid-sized LRU (4 layers, 128/64, pool_st, Bfast_and_decay,
online_full) with long-memory initialisation (r in [0.9, 0.999]). Data: tfds `mnist`
(--config.data.data_dir), or the MNIST IDX files (--config.data.source=idx
--config.data.data_dir=DIR). `get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("smnist")
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
    config.train.batch_size = 50
    config.train.num_epochs = 50
    config.train.lr = 2e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/smnist.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config)
