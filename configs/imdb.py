"""LRA Text: IMDB sentiment from bytes (<= 4,096 steps): the paper's Table 2 setup.

LRU, 4 layers, d_model 64, d_hidden 64, pool_st, Bfast_and_decay, recurrent lr factor 0.5,
per-sequence loss average (a review counts once, whatever its length), early stopping with
patience 30 (the paper's table2 yaml), online_full, batch 32, 35 epochs, no warm-up, weight
decay 0.05, dropout 0.1, r_max 1. The paper searched lr in
{1e-3, 3e-3} and r_min in {0, 0.9}; the defaults are the first value of each grid. No
validation split: validation is evaluated on test, as in the paper (data.val_fraction 0).
Data: tfds `imdb_reviews` in --config.data.data_dir, downloaded and prepared there on first
use (config.data.download). `get_config("smoke")` is a tiny variant.

get_sweep("table2"): spatial, truncated, online_full, bptt x lr {1e-3, 3e-3} x r_min
{0, 0.9}, 3 seeds (48 runs): `python -m lru_rtrl.sweeps --config=configs/imdb.py
--sweep=table2 --root=DIR`. Validation is the test split here (as in the paper),
so the selection sees test data: the paper's protocol, stated plainly.
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("imdb"), d_model=64, d_hidden=64)   # r_min grid {0, 0.9}
    config.train.batch_size = 32
    config.train.num_epochs = 35
    config.train.weight_decay = 0.05                                 # lr grid {1e-3, 3e-3}
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/imdb.py")


def _smoke(config):
    shrink_for_smoke(config)
    config.data.max_len = 128
    config.data.min_freq = 1


def get_sweep(name):
    """Table 2 (IMDB column); an unknown name lists the known ones."""
    from lru_rtrl.sweeps.spec import choose
    return choose(name, {"table2": _table2_sweep}, "configs/imdb.py")


def _table2_sweep():
    from lru_rtrl.sweeps.spec import Sweep, grid
    return Sweep(
        name="table2",
        grids=(grid(None, {"rule": ["online_spat", "online_truncated", "online_full", "bptt"],
                           "train.lr": [1e-3, 3e-3], "model.lru.r_min": [0.0, 0.9]}),),
        seeds=(0, 1, 2), rows=("rule",), metrics=("last_accuracy", "accuracy", "loss"),
        description="Table 2, IMDB (LRA Text): 4-layer LRU, pool_st, Bfast_and_decay; lr and r_min "
                    "chosen per rule by validation loss; last_accuracy is the classification "
                    "of the whole sequence.")
