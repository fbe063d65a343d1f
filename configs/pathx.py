"""LRA Path-X (Pathfinder 128x128, hard split -> 16,384 steps of one pixel, 2 classes).

Not in the paper's tables: LRU, 6 layers, d_model 128, d_hidden 256, pool_st,
Bfast_and_decay, online_full, very slow decays (r in [0.999, 0.9999]), no dropout. Data:
the LRA release (--config.data.data_dir=.../lra_release); the 200k images take about
3.3 GB in memory as uint8. `get_config("smoke")` is a tiny variant (still needs files).
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("pathx")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 6
    config.model.d_model = 128
    config.model.d_hidden = 256
    config.model.block = "full_glu"
    config.model.pooling = "pool_st"
    config.model.dropout = 0.0
    config.model.lru.r_min = 0.999
    config.model.lru.r_max = 0.9999
    config.train.batch_size = 32
    config.train.num_epochs = 75
    config.train.lr = 1e-3
    config.train.warmup_epochs = 5.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.resolution = 128
    config.data.difficulty = "hard"
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/pathx.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config, n_layers=1, d_model=8, d_hidden=4, batch_size=2, num_steps=2,
                     max_train_examples=4, max_eval_examples=2)
    config.data.val_fraction = 0.2
    config.data.test_fraction = 0.2
