"""The experiment config schema shared by every `configs/<task>.py`.

`base_config(task)` returns a locked `ml_collections.ConfigDict` holding every field the
library reads, so that a misspelt override (`--config.train.lr_facter=2`) is rejected with
the key's name instead of being ignored. Config files start from it and set what differs:

    from lru_rtrl.config import base_config

    def get_config(arg=None):
        config = base_config("copy")
        config.model.n_layers = 4
        return config

The contract scripts may rely on: `seed`, `rule`, `engine`, `model.core`, `model.n_layers`,
`model.d_model`, `model.d_hidden`, `train.batch_size`, `train.num_steps`,
`train.grad_alignment_every`, `plugins`.
"""

from __future__ import annotations

import ml_collections

from lru_rtrl.registry import TASKS


def model_config() -> ml_collections.ConfigDict:
    """Defaults of `config.model` (the paper's LRU block; see PAPER.md)."""
    return ml_collections.ConfigDict(dict(
        core="lru",               # a name in CORES
        n_layers=4,
        d_model=128,              # width of the residual stream
        d_hidden=64,              # recurrent state size N per layer
        block="full_glu",         # full_glu | half_glu1 | half_glu2 | gelu | none
        norm="pre",               # pre | post | none (LayerNorm placement in each block)
        dropout=0.1,              # shared across time
        pooling="none",           # none | pool_st | pool | last
        readout_units=0,          # >0: a ReLU layer of this width before the decoder
        scan="auto",              # diagonal cores: auto | associative | sequential
        lru=ml_collections.ConfigDict(dict(r_min=0.0, r_max=1.0, max_phase=6.28)),
        linear_rnn=ml_collections.ConfigDict(dict(nonlinearity="identity")),
        gru=ml_collections.ConfigDict(dict()),
    ))


def train_config() -> ml_collections.ConfigDict:
    """Defaults of `config.train` (optimisation, evaluation, checkpoints)."""
    return ml_collections.ConfigDict(dict(
        batch_size=50,            # global batch of one step, split over hosts and devices
        eval_batch_size=-1,       # global batch of evaluation passes; -1: batch_size
        num_epochs=25,
        num_steps=-1,             # > 0 overrides num_epochs; else num_epochs x (training examples
                                  # // batch_size). One step = one batch = one optimizer update
                                  # (several with streaming.update_every > 0)
        lr=1e-3,
        rec_lr_factor=1.0,        # learning rate of the recurrent group = factor x lr
        weight_decay=0.0,
        optimizer_groups="standard",  # standard | Bdecay | Bfast_and_decay | Cslow_and_nodecay
        warmup_epochs=0.0,
        min_lr_factor=0.0,        # cosine decays to min_lr_factor x lr at the last step
        grad_accum_steps=1,       # k: each batch is processed as k micro-batches of batch_size / k
                                  # (memory of one micro-batch), gradients summed, one update
        clip_norm=0.0,            # > 0: clip the global gradient norm
        eval_every_steps=-1,      # -1: once per epoch
        log_every_steps=50,
        checkpoint_every_steps=-1,  # -1: at every evaluation
        keep_checkpoints=3,       # periodic checkpoints kept (plus the best-validation one)
        patience=-1,              # early stopping after this many evaluations without improvement
        grad_alignment_every=0,   # > 0: log cosine / norm ratio to BPTT every this many steps
        eval_splits=("validation", "test"),
    ))


def streaming_config() -> ml_collections.ConfigDict:
    """Defaults of `config.streaming` (used when `engine == "streaming"`)."""
    return ml_collections.ConfigDict(dict(
        update_every=0,           # K > 0: optimizer update every K steps inside the stream
    ))


def base_config(task: str = "copy") -> ml_collections.ConfigDict:
    """The full default config for `task` (a name in TASKS), locked against unknown keys."""
    from lru_rtrl.plugins import load_builtins  # Registers the built-in tasks.
    load_builtins()
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.rule = "online_full"   # a name in RULES
    config.engine = "parallel"    # parallel | streaming
    config.plugins = ()           # modules (or .py paths) imported before any look-up
    config.model = model_config()
    config.data = TASKS.get(task).default_config()
    config.train = train_config()
    config.streaming = streaming_config()
    config.lock()
    return config


def shrink_for_smoke(config: ml_collections.ConfigDict, *, n_layers: int = 2, d_model: int = 16,
                     d_hidden: int = 8, batch_size: int = 4, num_steps: int = 4,
                     max_train_examples: int = 16, max_eval_examples: int = 8
                     ) -> ml_collections.ConfigDict:
    """Makes `config` the tiny variant every config file offers as `get_config("smoke")`.

    A few steps of a small model on a few examples, no warm-up, a log line every step: enough to
    run every part of the launcher in seconds (tests, trying a setup). Task files add what their
    data needs (shorter sequences, generated sizes, split fractions).
    """
    config.model.n_layers, config.model.d_model, config.model.d_hidden = (
        n_layers, d_model, d_hidden)
    config.train.batch_size, config.train.num_steps = batch_size, num_steps
    config.train.warmup_epochs = 0.0
    config.train.log_every_steps = 1
    if "max_train_examples" in config.data:
        config.data.max_train_examples = max_train_examples
        config.data.max_eval_examples = max_eval_examples
    return config
