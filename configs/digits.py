"""Sequential 8x8 digits (64 steps, 10 classes): real data that ships with scikit-learn.

An offline demo and accuracy check: no download. A small LRU (2 layers, 64/32) in the
paper's LRA setup (pool_st, Bfast_and_decay, online_full), 40 epochs of batch 32, lr 3e-3;
--config.data.permute=True gives the permuted variant. Not in the paper.
`get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("digits"), d_model=64, d_hidden=32)
    config.model.n_layers = 2
    config.train.batch_size = 32
    config.train.num_epochs = 40
    config.train.lr = 3e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.01
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/digits.py")


def _smoke(config):
    shrink_for_smoke(config, n_layers=1, batch_size=8, max_train_examples=32,
                     max_eval_examples=16)
