"""LRA Image: grayscale CIFAR-10, 1,024 steps of one normalised channel.

Not in the paper's tables; the model and optimiser follow its sCIFAR setup (LRU, 4 layers,
256/128, pool_st, Bfast_and_decay, online_full). Data: tfds `cifar10`.
`get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("scifar_gray")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 4
    config.model.d_model = 256
    config.model.d_hidden = 128
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.1
    config.model.lru.r_min = 0.9
    config.model.lru.r_max = 0.999
    config.train.batch_size = 100
    config.train.num_epochs = 180
    config.train.lr = 1e-3
    config.train.warmup_epochs = 18.0
    config.train.weight_decay = 0.1
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.val_fraction = 0.01
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/scifar_gray.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config)
    config.data.val_fraction = 0.1
