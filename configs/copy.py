"""The copy task (PAPER.md, Figure 2 and Table 1): recall 20 steps of 7 random bits after a delay.

T = 48: 20 pattern steps, 7 blank steps, a go token, then a 20-step recall window where each
of the 7 bits is a 2-way prediction (loss and per-bit accuracy masked to the window).
20,000 / 1,000 / 1,000 generated sequences; nothing to download.

get_config(arg):
  None / "quick"  the default of `python launch/main.py`: a small LRU that learns the task
                  visibly within a few minutes on 2 CPU cores (see the numbers below)
  "paper"         Figure 2 A-B / Table 1: LRU, d_model 128, d_hidden 64, full GLU, 4 layers
                  (set --config.model.n_layers=1..5 for Figure 2 A-B), lr 1e-3, rec lr factor
                  0.5, batch 50, 25 epochs, dropout 0.1, no weight decay, cosine, no warm-up,
                  gradient alignment to BPTT logged
  "smoke"         tiny, for tests (a few steps)
"""

from lru_rtrl.config import base_config


def get_config(arg=None):
    config = base_config("copy")
    config.rule = "online_full"
    config.engine = "parallel"
    config.model.core = "lru"
    config.model.block = "full_glu"
    config.model.norm = "pre"
    config.model.pooling = "none"
    # PAPER.md: the paper's LRU settings (Figure 2 A-B, Table 1).
    config.model.n_layers = 4
    config.model.d_model = 128
    config.model.d_hidden = 64
    config.model.dropout = 0.1
    config.train.batch_size = 50
    config.train.num_epochs = 25
    config.train.lr = 1e-3
    config.train.rec_lr_factor = 0.5
    config.train.weight_decay = 0.0
    config.train.warmup_epochs = 0.0
    config.train.optimizer_groups = "standard"
    config.train.grad_alignment_every = 100
    config.train.log_every_steps = 50
    if arg in (None, "", "quick"):
        _quick(config)
    elif arg == "smoke":
        _smoke(config)
    elif arg != "paper":
        raise ValueError(f"configs/copy.py takes no argument, 'quick', 'paper' or 'smoke'; "
                         f"got {arg!r}.")
    return config


def _quick(config):
    """2 layers of 64/64, no dropout, batch 32, 6,000 steps (9.6 epochs), lr 3e-3.

    Measured on 2 CPU cores (`python launch/main.py`, about 1.5 minutes): per-bit recall
    accuracy on the test split 0.996 with online_full, 1.000 with bptt and 0.769 with
    online_spat (which cannot learn the recurrence).
    """
    config.model.n_layers = 2
    config.model.d_model = 64
    config.model.d_hidden = 64
    config.model.dropout = 0.0
    config.train.batch_size = 32
    config.train.num_steps = 6000
    config.train.lr = 3e-3
    config.train.eval_every_steps = 1000
    config.train.grad_alignment_every = 500
    config.train.log_every_steps = 200


def _smoke(config):
    config.model.n_layers = 1
    config.model.d_model = 8
    config.model.d_hidden = 8
    config.model.dropout = 0.0
    config.train.batch_size = 4
    config.train.num_steps = 4
    config.train.eval_every_steps = 2
    config.train.log_every_steps = 1
    config.train.grad_alignment_every = 2
    config.data.pattern_len = 4
    config.data.padding = 2
    config.data.num_train = 64
    config.data.num_validation = 8
    config.data.num_test = 8
