"""LRA Pathfinder (32x32 -> 1,024 steps of one pixel, 2 classes, hard split by default).

Not in the paper's tables: LRU, 6 layers, d_model 192, d_hidden 256, pool_st,
Bfast_and_decay, online_full, r in [0.9, 0.999], no dropout. Data: the LRA release
(--config.data.data_dir=.../lra_release); --config.data.difficulty picks
easy / intermediate / hard. `get_config("smoke")` is a tiny variant (still needs files).
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("pathfinder")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 6
    config.model.d_model = 192
    config.model.d_hidden = 256
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.0
    config.model.lru.r_min = 0.9
    config.model.lru.r_max = 0.999
    config.train.batch_size = 64
    config.train.num_epochs = 200
    config.train.lr = 1e-3
    config.train.warmup_epochs = 10.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.resolution = 32
    config.data.difficulty = "hard"
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/pathfinder.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config)
    config.data.val_fraction = 0.2
    config.data.test_fraction = 0.2
