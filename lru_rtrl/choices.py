"""The closed sets of config values, as string enums, in one light module.

Config files hold plain strings (`config.model.pooling = "pool_st"`); every module that
branches on one of these settings compares against these members (a `StrEnum` member equals
its string), and config validation lists the choices from here. Nothing here imports JAX, so
validating a config costs no start-up time.
"""

from __future__ import annotations

import enum
from typing import Tuple


class Choice(enum.StrEnum):
    """Base of the closed sets: `values()` lists the accepted strings."""

    @classmethod
    def values(cls) -> Tuple[str, ...]:
        return tuple(member.value for member in cls)


class Pooling(Choice):
    """How the top layer's outputs become predictions (`config.model.pooling`).

    none     a prediction per step; the loss is per step
    pool_st  running mean of the valid steps so far with a stop-gradient on the past, so that
             each step's loss reaches the network only through that step (streamable)
    pool     mean over the valid steps; one loss per sequence, known only at its end
    last     the output at the last valid step; one loss per sequence, sitting at that step
    """
    NONE = "none"
    POOL_ST = "pool_st"
    POOL = "pool"
    LAST = "last"

    @property
    def per_step(self) -> bool:
        """Predictions at every step (logits [B, T, ...]) rather than one per sequence."""
        return self in (Pooling.NONE, Pooling.POOL_ST)

    @property
    def streamable(self) -> bool:
        """Each step's loss is known at that step, so it can be learned one step at a time."""
        return self is not Pooling.POOL


class Block(Choice):
    """The activation after each core (`config.model.block`); see lru_rtrl.model.blocks."""
    FULL_GLU = "full_glu"
    HALF_GLU1 = "half_glu1"
    HALF_GLU2 = "half_glu2"
    GELU = "gelu"
    NONE = "none"


class Norm(Choice):
    """LayerNorm placement in each residual block (`config.model.norm`)."""
    PRE = "pre"
    POST = "post"
    NONE = "none"


class Scan(Choice):
    """Implementation of the diagonal linear recurrence (`config.model.scan`).

    sequential   `lax.scan` over time: fastest on CPU
    associative  `lax.associative_scan`, O(log T) depth: fastest on accelerators
    auto         sequential on CPU, associative elsewhere
    """
    AUTO = "auto"
    SEQUENTIAL = "sequential"
    ASSOCIATIVE = "associative"


class OptimizerGroups(Choice):
    """Which parameters share a learning rate and weight decay (`config.train.optimizer_groups`);
    see lru_rtrl.training.optim."""
    STANDARD = "standard"
    BDECAY = "Bdecay"
    BFAST_AND_DECAY = "Bfast_and_decay"
    CSLOW_AND_NODECAY = "Cslow_and_nodecay"


class DenseInit(Choice):
    """Weight initialiser of the dense layers: encoder, GLU, ReLU readout, decoder
    (`config.model.dense_init`); biases start at 0 either way.

    lecun_normal  truncated normal with std 1/sqrt(fan in) after the truncation correction:
                  Flax's `lecun_normal`, which the paper's code uses
    haiku         Haiku's `hk.Linear` default: truncated normal with stddev parameter
                  1/sqrt(fan in), whose std after truncation is 0.88x that (this library's
                  initialiser before it matched the paper's code)
    """
    LECUN_NORMAL = "lecun_normal"
    HAIKU = "haiku"


class LossAverage(Choice):
    """How per-step losses are averaged (`config.train.loss_average`); see
    lru_rtrl.model.losses.

    token     over every weighted prediction of the batch
    sequence  over each sequence's weighted steps, then over sequences (the paper's code)
    """
    TOKEN = "token"
    SEQUENCE = "sequence"
