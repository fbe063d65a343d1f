"""The experiment config schema: every field the library reads, with its one default.

`base_config(task)` returns a locked `ml_collections.ConfigDict` holding every field, so that a
misspelt override (`--config.train.lr_facter=2`) is rejected with the key's name instead of
being ignored. The defaults are the paper's copy-task setup (Figure 2 A-B, Table 1: a 4-layer
LRU of width 128 with 64 hidden units, full GLU, dropout 0.1, batch 50, 25 epochs, lr 1e-3,
Adam groups `standard`); config files start from it and set only what differs:

    from lru_rtrl.config import base_config

    def get_config(arg=None):
        config = base_config("scifar")
        config.model.pooling = "pool_st"
        return config

The contract scripts may rely on: `seed`, `rule`, `engine`, `model.core`, `model.n_layers`,
`model.d_model`, `model.d_hidden`, `train.batch_size`, `train.num_steps`,
`train.grad_alignment_every`, `plugins`.

Importing this module registers the built-in tasks (their data options are part of the
schema) and nothing else: it does not import JAX.
"""

from __future__ import annotations

import ml_collections

import lru_rtrl.data  # noqa: F401  (registers the built-in tasks: numpy only)
from lru_rtrl.registry import TASKS


def model_config() -> ml_collections.ConfigDict:
    """Defaults of `config.model`: the paper's LRU block."""
    return ml_collections.ConfigDict(dict(
        core="lru",               # a name in CORES; its options live in config.model.<core>
        n_layers=4,
        d_model=128,              # width of the residual stream
        d_hidden=64,              # recurrent state size N per layer
        block="full_glu",         # lru_rtrl.choices.Block: full_glu | half_glu1 | half_glu2 | gelu | none
        norm="pre",               # lru_rtrl.choices.Norm: pre | post | none (LayerNorm placement)
        dropout=0.1,              # shared across time
        pooling="none",           # lru_rtrl.choices.Pooling: none | pool_st | pool | last
        readout_units=0,          # > 0: a ReLU layer of this width before the decoder
        scan="auto",              # lru_rtrl.choices.Scan: auto | associative | sequential
        dense_init="lecun_normal",  # lru_rtrl.choices.DenseInit: lecun_normal (the paper's code) | haiku
        # The paper's LRU initialisation: |λ| on the ring [r_min, r_max], phase in [0, max_phase].
        lru=ml_collections.ConfigDict(dict(r_min=0.0, r_max=1.0, max_phase=6.28)),
        linear_rnn=ml_collections.ConfigDict(dict(nonlinearity="identity")),
        # init: reference (the paper's code: LeCun-normal weights, zero biases) | pytorch.
        gru=ml_collections.ConfigDict(dict(init="reference")),
        # Griffin's RG-LRU. init: reference (the released code: σ(Λ)² uniform on
        # [a_min², a_max²]) | paper (σ(Λ)^c uniform on [a_min, a_max]); heads > 1:
        # block-diagonal gates; c: gate sharpness.
        rglru=ml_collections.ConfigDict(dict(a_min=0.9, a_max=0.999, c=8.0, init="reference",
                                             heads=1)),
        # minGRU. init: paper (LeCun normal, zero biases) | reference (the released code);
        # candidate: linear | g (the released code's positive transform); skip: D ⊙ x readout.
        mingru=ml_collections.ConfigDict(dict(init="paper", candidate="linear", skip=True)),
    ))


def train_config() -> ml_collections.ConfigDict:
    """Defaults of `config.train` (optimisation, evaluation, checkpoints)."""
    return ml_collections.ConfigDict(dict(
        batch_size=50,            # global batch of one step, split over hosts and devices
        eval_batch_size=-1,       # global batch of evaluation passes; -1: batch_size
        num_epochs=25,
        num_steps=-1,             # > 0 overrides num_epochs; -1: num_epochs x (training examples
                                  # // batch_size). One step = one batch = one optimizer update
                                  # (several with streaming.update_every > 0)
        lr=1e-3,
        rec_lr_factor=1.0,        # learning rate of the recurrent group = factor x lr
        weight_decay=0.0,
        optimizer_groups="standard",  # lru_rtrl.choices.OptimizerGroups (see lru_rtrl/training/optim.py)
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
        loss_average="token",     # lru_rtrl.choices.LossAverage: token | sequence (per-sequence mean, then
                                  # over sequences: the paper's code, used by its LRA setups)
    ))


def streaming_config() -> ml_collections.ConfigDict:
    """Defaults of `config.streaming` (engines that stream, e.g. `streaming`)."""
    return ml_collections.ConfigDict(dict(
        update_every=0,           # K > 0: optimizer update every K steps inside the stream
    ))


def tbptt_config() -> ml_collections.ConfigDict:
    """Defaults of `config.tbptt` (the rule `tbptt`, truncated BPTT; lru_rtrl/rules/tbptt.py)."""
    return ml_collections.ConfigDict(dict(
        window=32,                # K: BPTT inside windows of K steps, state gradient stopped
    ))


def base_config(task: str = "copy") -> ml_collections.ConfigDict:
    """The full default config for `task` (a name in TASKS), locked against unknown keys."""
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.rule = "online_full"   # a name in RULES
    config.engine = "parallel"    # a name in ENGINES: parallel | streaming | a plugin's
    config.plugins = ()           # modules (or .py paths) imported before any look-up
    config.model = model_config()
    config.data = TASKS.get(task).default_config()
    config.train = train_config()
    config.streaming = streaming_config()
    config.tbptt = tbptt_config()
    config.lock()
    return config
