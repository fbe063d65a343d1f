"""LRA Retrieval (AAN citation pairs, two towers of <= 4,000 bytes, 2 classes).

Not in the paper's tables: LRU, 4 layers, d_model 128, d_hidden 256, mean pooling over
each text (the model combines [a, b, a*b, a-b]; a per-step loss makes no sense before both
texts are read, so the loss is known only at the end and the streaming engine cannot run
this task), Bfast_and_decay, online_full; optimiser settings as for IMDB. Data: the LRA release (--config.data.data_dir=.../lra_release).
`get_config("smoke")` is a tiny variant (still needs AAN files).
"""

from lru_rtrl.config import base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("aan")
    config.rule = "online_full"
    config.model.core = "lru"
    config.model.n_layers = 4
    config.model.d_model = 128
    config.model.d_hidden = 256
    config.model.block = "full_glu"
    config.model.pooling = "pool"  # two towers compare pooled sequence features (LRA: mean)
    config.model.dropout = 0.1
    config.model.lru.r_min = 0.0
    config.model.lru.r_max = 1.0
    config.train.batch_size = 32
    config.train.num_epochs = 20
    config.train.lr = 1e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.05
    config.train.optimizer_groups = "Bfast_and_decay"
    config.data.max_len = 4000
    if arg == "smoke":
        _smoke(config)
    elif arg:
        raise ValueError(f"configs/aan.py takes no argument or 'smoke', got {arg!r}")
    return config


def _smoke(config):
    shrink_for_smoke(config)
    config.data.max_len = 128
    config.data.min_freq = 1
