"""sCIFAR (colour CIFAR-10, 1,024 steps of 3 channels): the paper's Table 2 setup.

LRU, 4 layers, d_model 256, d_hidden 128, r in [0.9, 0.999], pool_st, Bfast_and_decay,
recurrent lr factor 0.5, per-sequence loss average, early stopping with patience 30 (the
paper's table2 yaml, through the `lra_lru` preset), online_full, batch 100, 180 epochs, 18
warm-up epochs, dropout 0.1; validation is 1% of train. The paper searched lr in
{1e-3, 4e-3} and weight decay in {0.1, 0.5}; the defaults are the first value of each grid.
Data: tfds `cifar10` in --config.data.data_dir (default $TFDS_DATA_DIR or
~/tensorflow_datasets), downloaded and prepared there on first use (config.data.download).

get_config(arg):
  None      the setup above
  "table3"  Table 3's dense linear RNN instead of the LRU (4 layers, d_model 294, d_hidden
            128, 1,068,086 parameters; `standard` optimizer groups, so A and B learn at the
            recurrent factor 0.5; weight decay grid {0.1, 0.2})
  "smoke"   tiny, for tests

get_sweep(name) (`python -m lru_rtrl.sweeps --config=configs/scifar.py --sweep=NAME
--root=DIR`):
  "table2"  LRU: spatial, truncated, online_full, bptt x lr {1e-3, 4e-3} x weight decay
            {0.1, 0.5}, 3 seeds (48 runs)
  "table3"  dense linear RNN: spatial, truncated, SnAp-1, bptt x lr {1e-3, 4e-3} x weight
            decay {0.1, 0.2}, 3 seeds (48 runs; the paper gives no lr grid for Table 3: we
            assume sCIFAR's)

configs/scifar_gray.py runs this experiment on the grayscale task (LRA Image).
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None, task="scifar"):
    config = lra_lru(base_config(task), d_model=256, d_hidden=128, r_min=0.9, r_max=0.999)
    config.train.batch_size = 100
    config.train.num_epochs = 180
    config.train.warmup_epochs = 18.0
    config.train.weight_decay = 0.1   # grid {0.1, 0.5}
    return apply_variant(config, arg, {"smoke": _smoke, "table3": _table3},
                         where=f"configs/{task}.py")


def _table3(config):
    config.model.core = "linear_rnn"
    config.model.d_model = 294
    config.train.optimizer_groups = "standard"


def _smoke(config):
    shrink_for_smoke(config)
    config.data.val_fraction = 0.1


def get_sweep(name):
    """Table 2 (sCIFAR column) and Table 3; an unknown name lists the known ones."""
    from lru_rtrl.sweeps.spec import choose
    return choose(name, {"table2": _table2_sweep, "table3": _table3_sweep}, "configs/scifar.py")


def _table2_sweep():
    from lru_rtrl.sweeps.spec import Sweep, grid
    return Sweep(
        name="table2",
        grids=(grid(None, {"rule": ["online_spat", "online_truncated", "online_full", "bptt"],
                           "train.lr": [1e-3, 4e-3], "train.weight_decay": [0.1, 0.5]}),),
        seeds=(0, 1, 2), rows=("rule",), metrics=("last_accuracy", "accuracy", "loss"),
        description="Table 2, sCIFAR: 4-layer LRU 256/128, pool_st, Bfast_and_decay; lr and "
                    "weight decay chosen per rule by validation loss (1% of train); "
                    "last_accuracy is the classification of the whole image.")


def _table3_sweep():
    from lru_rtrl.sweeps.spec import Sweep, grid
    return Sweep(
        name="table3",
        grids=(grid("table3", {"rule": ["online_spat", "online_truncated", "online_snap",
                                        "bptt"],
                               "train.lr": [1e-3, 4e-3], "train.weight_decay": [0.1, 0.2]}),),
        seeds=(0, 1, 2), rows=("rule",), metrics=("last_accuracy", "accuracy", "loss"),
        description="Table 3: sCIFAR with a dense linear RNN (4 layers, 294/128, ~1.068M "
                    "parameters, standard optimizer groups); lr and weight decay chosen per "
                    "rule by validation loss.")
