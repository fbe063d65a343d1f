"""LRA Pathfinder (32x32 -> 1,024 steps of one pixel, 2 classes, hard split by default).

Not in the paper's tables: LRU, 6 layers, d_model 192, d_hidden 256, r in [0.9, 0.999], no
dropout, in the paper's LRA setup (pool_st, Bfast_and_decay, online_full), 200 epochs of batch
64, 10 warm-up epochs, weight decay 0.05. Data: the LRA release in --config.data.data_dir
(default ./lra_release; downloaded there on first use); --config.data.difficulty picks easy /
intermediate / hard. `get_config("smoke")` is a tiny variant (still needs files).
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("pathfinder"), d_model=192, d_hidden=256, r_min=0.9,
                     r_max=0.999)
    config.model.n_layers = 6
    config.model.dropout = 0.0
    config.train.batch_size = 64
    config.train.num_epochs = 200
    config.train.warmup_epochs = 10.0
    config.train.weight_decay = 0.05
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/pathfinder.py")


def _smoke(config):
    shrink_for_smoke(config)
    config.data.val_fraction = 0.2
    config.data.test_fraction = 0.2
