"""sCIFAR (colour CIFAR-10, 1,024 steps of 3 channels): the paper's Table 2 setup.

LRU, 4 layers, d_model 256, d_hidden 128, pool_st, optimizer groups Bfast_and_decay, rule
online_full, batch 100, 180 epochs, 18 warm-up epochs, dropout 0.1, r in [0.9, 0.999];
validation is 1% of train. The paper searched lr in {1e-3, 4e-3} and weight decay in
{0.1, 0.5}; the defaults are the first value of each grid. Data: tfds `cifar10`
(set --config.data.data_dir to its data_dir). `get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import base_config


def get_config(arg=None):
    config = base_config("scifar")
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
    config.train.lr = 1e-3            # grid {1e-3, 4e-3}
    config.train.warmup_epochs = 18.0
    config.train.weight_decay = 0.1   # grid {0.1, 0.5}
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.val_fraction = 0.01
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/scifar.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    config.model.n_layers = 2
    config.model.d_model = 16
    config.model.d_hidden = 8
    config.train.batch_size = 4
    config.train.num_steps = 4
    config.train.warmup_epochs = 0.0
    config.train.log_every_steps = 1
    config.data.max_train_examples = 16
    config.data.max_eval_examples = 8
    config.data.val_fraction = 0.1
