"""LRA ListOps (<= 2,048 tokens, 10 classes): the paper's Table 2 setup.

LRU, 4 layers, d_model 256, d_hidden 128, pool_st, Bfast_and_decay, recurrent lr factor
0.5, per-sequence loss average, early stopping with patience 30 (the paper's table2 yaml),
online_full, batch 32, 40 epochs, 4 warm-up epochs, weight decay 0.05, no dropout, r_max 1,
one-hot input of width 20. The paper searched lr in {1e-3, 3e-3} and r_min in {0, 0.9};
the defaults are the first value of each grid. Data: the LRA release in
--config.data.data_dir (default ./lra_release; downloaded there on first use) or a folder
written by `python -m lru_rtrl.data.listops_generate --out_dir DIR`.
`get_config("smoke")` generates a tiny ListOps set in memory, so it runs offline.

get_sweep("table2"): spatial, truncated, online_full, bptt x lr {1e-3, 3e-3} x r_min
{0, 0.9}, 3 seeds (48 runs): `python -m lru_rtrl.sweeps --config=configs/listops.py
--sweep=table2 --root=DIR`.
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("listops"), d_model=256, d_hidden=128)  # r_min grid {0, 0.9}
    config.model.dropout = 0.0
    config.train.batch_size = 32
    config.train.num_epochs = 40
    config.train.warmup_epochs = 4.0
    config.train.weight_decay = 0.05                                     # lr grid {1e-3, 3e-3}
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/listops.py")


def _smoke(config):
    shrink_for_smoke(config)
    config.data.source = "generate"
    config.data.max_len = 64
    config.data.generate.num_train = 16
    config.data.generate.num_validation = 8
    config.data.generate.num_test = 8
    config.data.generate.min_length = 4
    config.data.generate.max_length = 64


def get_sweep(name):
    """Table 2 (ListOps column); an unknown name lists the known ones."""
    from lru_rtrl.sweeps.spec import choose
    return choose(name, {"table2": _table2_sweep}, "configs/listops.py")


def _table2_sweep():
    from lru_rtrl.sweeps.spec import Sweep, grid
    return Sweep(
        name="table2",
        grids=(grid(None, {"rule": ["online_spat", "online_truncated", "online_full", "bptt"],
                           "train.lr": [1e-3, 3e-3], "model.lru.r_min": [0.0, 0.9]}),),
        seeds=(0, 1, 2), rows=("rule",), metrics=("last_accuracy", "accuracy", "loss"),
        description="Table 2, ListOps: 4-layer LRU, pool_st, Bfast_and_decay; lr and r_min "
                    "chosen per rule by validation loss; last_accuracy is the classification "
                    "of the whole sequence.")
