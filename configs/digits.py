"""Sequential 8x8 digits (64 steps, 10 classes): real data that ships with scikit-learn.

An offline demo and accuracy check: no download. Small LRU (2 layers, 64/32, pool_st,
online_full); --config.data.permute=True gives the permuted variant. Not in the paper.
`get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("digits")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 2
    config.model.d_model = 64
    config.model.d_hidden = 32
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.1
    config.train.batch_size = 32
    config.train.num_epochs = 40
    config.train.lr = 3e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.01
    config.train.optimizer_groups = "Bfast_and_decay"
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/digits.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config, n_layers=1, batch_size=8, max_train_examples=32,
                     max_eval_examples=16)
