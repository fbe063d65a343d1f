"""Optimizer parameter groups (the paper's, docs/paper.md) and the optax chain built from them.

Every parameter gets one label:

  rec        Adam at rec_lr = config.train.rec_lr_factor x lr, no weight decay: the recurrent
             parameters θ of each core (role `recurrent`: LRU ν_log, θ_log, γ_log, B; linear
             RNN A, B; GRU W_*, U_*, b_*).
  rec_decay  AdamW at rec_lr with weight decay (B under `Bdecay`).
  regular    AdamW at lr with config.train.weight_decay: everything else ...
  no_decay   ... except LayerNorm scale / offset, which get Adam at lr and really no decay
             (the reference code meant to exempt them and did not).
  frozen     parameters the learning rule does not train (e.g. a reservoir rule): their
             update is exactly zero, weight decay included, and they hold no optimizer state.

Variants (config.train.optimizer_groups), with "B" the core's input matrix and "C" its output
matrix as its `CoreStructure` declares them (`input_matrix`: LRU B_re / B_im, linear RNN B;
`output_matrix`: LRU C_re / C_im, the other cores' C); lru_rtrl.compat refuses a variant that
moves a matrix the core does not declare:

  standard           as above
  Bdecay             B keeps rec_lr but gets weight decay (rec_decay)
  Bfast_and_decay    B moves to the regular group (lr and weight decay); used for the LRA runs
  Cslow_and_nodecay  C joins the rec group (rec_lr, no weight decay)

All groups share one schedule shape (`schedule.warmup_cosine`), counted in optimizer updates.
Clipping of the global gradient norm, when asked for, comes first in the chain.
"""

from __future__ import annotations

import collections
from typing import Dict, Tuple

import haiku as hk
import ml_collections
import optax

from lru_rtrl.choices import OptimizerGroups
from lru_rtrl.errors import ConfigError
from lru_rtrl import paths
from lru_rtrl.training.schedule import warmup_cosine

GROUP_VARIANTS = OptimizerGroups.values()
LABELS = ("rec", "rec_decay", "regular", "no_decay", "frozen")

Labels = Dict[str, Dict[str, str]]


def param_labels(model, params: hk.Params, variant: str = "standard") -> Labels:
    """{module: {name: label}} for every parameter (labels in the module docstring).

    Raises ConfigError for an unknown variant.
    """
    if variant not in GROUP_VARIANTS:
        raise ConfigError(f"Unknown config.train.optimizer_groups {variant!r}; choose one of "
                          f"{', '.join(GROUP_VARIANTS)}.")
    roles = model.roles(params)
    trained = model.trained_mask(params)
    structures = dict(zip(model.core_modules(params), (c.structure for c in model.cells)))
    labels: Labels = {}
    for module, names in roles.items():
        labels[module] = {}
        structure = structures.get(module)
        for name, role in names.items():
            is_b = structure is not None and name in structure.input_matrix
            is_c = structure is not None and name in structure.output_matrix
            if not trained[module][name]:
                label = "frozen"
            elif role == "recurrent":
                label = "rec"
                if is_b and variant == "Bdecay":
                    label = "rec_decay"
                elif is_b and variant == "Bfast_and_decay":
                    label = "regular"
            elif is_c and variant == "Cslow_and_nodecay":
                label = "rec"
            elif paths.is_norm(module):
                label = "no_decay"
            else:
                label = "regular"
            labels[module][name] = label
    return labels


def describe_labels(labels: Labels) -> str:
    """One line per group with its parameter paths, for the log."""
    groups = collections.defaultdict(list)
    for module, names in labels.items():
        for name, label in names.items():
            groups[label].append(paths.short_path(module, name))
    return "\n".join(f"  {label:9s} ({len(members)}): {', '.join(sorted(members))}"
                     for label, members in sorted(groups.items()))


def schedules(train: ml_collections.ConfigDict, total_updates: int,
              warmup_updates: int) -> Dict[str, optax.Schedule]:
    """{"lr": the regular schedule, "rec_lr": the recurrent one}."""
    return {
        "lr": warmup_cosine(train.lr, total_updates, warmup_updates, train.min_lr_factor),
        "rec_lr": warmup_cosine(train.lr * train.rec_lr_factor, total_updates, warmup_updates,
                                train.min_lr_factor),
    }


def make_optimizer(train: ml_collections.ConfigDict, model, params: hk.Params,
                   total_updates: int, warmup_updates: int = 0
                   ) -> Tuple[optax.GradientTransformation, Labels, Dict[str, optax.Schedule]]:
    """(optimizer, labels, schedules) for `model` under `config.train`.

    The optimizer expects the full gradient of every parameter (frozen ones included, their
    update is zeroed) and counts one step per call to `update`.
    """
    labels = param_labels(model, params, train.optimizer_groups)
    lrs = schedules(train, total_updates, warmup_updates)
    transforms = {
        "rec": optax.adam(lrs["rec_lr"]),
        "rec_decay": optax.adamw(lrs["rec_lr"], weight_decay=train.weight_decay),
        "regular": optax.adamw(lrs["lr"], weight_decay=train.weight_decay),
        "no_decay": optax.adam(lrs["lr"]),
        "frozen": optax.set_to_zero(),
    }
    used = {label for names in labels.values() for label in names.values()}
    # Unused groups are dropped so that the optimizer state holds only what is trained.
    transforms = {k: v for k, v in transforms.items() if k in used}
    optimizer = optax.multi_transform(transforms, labels)
    if train.clip_norm > 0:
        optimizer = optax.chain(optax.clip_by_global_norm(train.clip_norm), optimizer)
    return optimizer, labels, lrs
