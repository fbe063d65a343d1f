"""LRA Retrieval (AAN citation pairs, two towers of <= 4,000 bytes, 2 classes).

Not in the paper's tables: LRU, 4 layers, d_model 128, d_hidden 256, Bfast_and_decay,
online_full, 20 epochs of batch 32, weight decay 0.05. Mean pooling over each text (`pool`):
the model combines [a, b, a*b, a-b] of the two texts' features, so a per-step loss makes no
sense before both are read; the loss is known only at the end and the streaming engine cannot
run this task. Data: the LRA release in --config.data.data_dir (default ./lra_release),
downloaded there on first use (config.data.download). `get_config("smoke")` is a tiny
variant (still needs AAN files).
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None):
    config = lra_lru(base_config("aan"), d_model=128, d_hidden=256)
    config.model.pooling = "pool"  # two towers compare pooled sequence features (LRA: mean)
    config.train.batch_size = 32
    config.train.num_epochs = 20
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.05
    return apply_variant(config, arg, {"smoke": _smoke}, where="configs/aan.py")


def _smoke(config):
    shrink_for_smoke(config)
    config.data.max_len = 128
    config.data.min_freq = 1
