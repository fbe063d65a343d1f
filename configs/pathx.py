"""LRA Path-X (Pathfinder 128x128, hard split -> 16,384 steps of one pixel, 2 classes).

Not in the paper's tables: LRU, 6 layers, d_model 128, d_hidden 256, very slow decays (r in
[0.999, 0.9999]), no dropout, in the paper's LRA setup (pool_st, Bfast_and_decay,
online_full), 75 epochs of batch 32, 5 warm-up epochs, weight decay 0.05. Data: the LRA
release in --config.data.data_dir (default ./lra_release; downloaded there on first use); the
200k images take about 3.3 GB in memory as uint8. `get_config("smoke")` is a tiny variant
(still needs files).
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("pathx"), d_model=128, d_hidden=256, r_min=0.999,
                     r_max=0.9999)
    config.model.n_layers = 6
    config.model.dropout = 0.0
    config.train.batch_size = 32
    config.train.num_epochs = 75
    config.train.warmup_epochs = 5.0
    config.train.weight_decay = 0.05
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/pathx.py")


def _smoke(config):
    shrink_for_smoke(config, n_layers=1, d_model=8, d_hidden=4, batch_size=2, num_steps=2,
                     max_train_examples=4, max_eval_examples=2)
    config.data.val_fraction = 0.2
    config.data.test_fraction = 0.2
