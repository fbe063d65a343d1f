"""The paper's recurring setups, as functions that change a config in place.

Config files call these instead of restating the same block of settings; a file then shows
only what makes its experiment different. Every preset changes the fields it names and
nothing else (the schema in schema.py holds every other default).
"""

from __future__ import annotations

import ml_collections


def lra_lru(config: ml_collections.ConfigDict, *, d_model: int, d_hidden: int,
            r_min: float = 0.0, r_max: float = 1.0) -> ml_collections.ConfigDict:
    """The paper's classification setup for the LRA tasks (Table 2, as its released yaml
    files set it), also used by our other sequence-classification configs: LRU blocks of
    width d_model with d_hidden units and |λ| initialised on [r_min, r_max]; `pool_st`
    pooling (the running mean with a stop-gradient to the past, so that every step's loss
    streams); the input matrix B trained with the regular group, at the full learning rate
    and with weight decay (`Bfast_and_decay`); the other recurrent parameters at half the
    learning rate (rec_lr_factor 0.5); each sequence's loss averaged over its own steps,
    then over the batch (loss_average "sequence"); early stopping after 30 evaluations
    without a better validation loss."""
    config.model.d_model, config.model.d_hidden = d_model, d_hidden
    config.model.lru.r_min, config.model.lru.r_max = r_min, r_max
    config.model.pooling = "pool_st"
    config.train.optimizer_groups = "Bfast_and_decay"
    config.train.rec_lr_factor = 0.5
    config.train.loss_average = "sequence"
    config.train.patience = 30
    return config
