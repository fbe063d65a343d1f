"""Config-file helpers: variant arguments (`configs/copy.py:paper`) and the smoke shrink.

A config file names its variants once, as functions that change a config in place:

    from lru_rtrl.config import base_config, apply_variant

    def get_config(arg=None):
        config = base_config("copy")
        config.model.n_layers = 2
        return apply_variant(config, arg, {"paper": _paper, "smoke": _smoke}, where=__file__)

`apply_variant` runs the function `arg` names (none for an empty argument, or `default`), and
an unknown argument raises `UnknownVariantError` listing the known ones.
"""

from __future__ import annotations

import difflib
import os
from typing import Callable, Mapping, Optional

import ml_collections

from lru_rtrl.errors import ConfigError

Variant = Optional[Callable[[ml_collections.ConfigDict], None]]


class UnknownVariantError(ConfigError):
    """A config argument that the config file does not define."""


def apply_variant(config: ml_collections.ConfigDict, arg: Optional[str],
                  variants: Mapping[str, Variant], *, where: str,
                  default: Optional[str] = None) -> ml_collections.ConfigDict:
    """`config` changed by the variant `arg` (or `default` when arg is None / empty)."""
    name = arg or default
    if not name:
        return config
    if name not in variants:
        where = os.path.relpath(where) if os.path.isabs(where) else where
        close = difflib.get_close_matches(name, list(variants), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownVariantError(
            f"{where} has no variant {name!r}.{hint} Its variants: "
            f"{', '.join(sorted(variants))} (or none: `--config={where}`).")
    change = variants[name]
    if change is not None:
        change(config)
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
