"""LRA Text: IMDB sentiment from bytes (<= 4,096 steps): the paper's Table 2 setup.

LRU, 4 layers, d_model 64, d_hidden 64, pool_st, Bfast_and_decay, online_full, batch 32,
35 epochs, no warm-up, weight decay 0.05, dropout 0.1, r_max 1. The paper searched lr in
{1e-3, 3e-3} and r_min in {0, 0.9}; the defaults are the first value of each grid. No
validation split: validation is evaluated on test, as in the paper. Data: tfds
`imdb_reviews` (set --config.data.data_dir). `get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config


def get_config(arg=None):
    config = base_config("imdb")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 4
    config.model.d_model = 64
    config.model.d_hidden = 64
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.1
    config.model.lru.r_min = 0.0      # grid {0, 0.9}
    config.model.lru.r_max = 1.0
    config.train.batch_size = 32
    config.train.num_epochs = 35
    config.train.lr = 1e-3            # grid {1e-3, 3e-3}
    config.train.warmup_epochs = 0.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.max_len = 4096
    config.data.val_fraction = 0.0    # validation = test (the paper has none)
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/imdb.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    config.model.n_layers = 2
    config.model.d_model = 16
    config.model.d_hidden = 8
    config.train.batch_size = 4
    config.train.num_steps = 4
    config.train.log_every_steps = 1
    config.data.max_len = 128
    config.data.min_freq = 1
    config.data.max_train_examples = 16
    config.data.max_eval_examples = 8
