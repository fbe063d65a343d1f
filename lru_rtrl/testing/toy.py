"""Tiny models and batches for tests and oracle checks (float64-ready, a few steps long)."""

from __future__ import annotations

from typing import Dict, Optional

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl import experiment
from lru_rtrl.config import base_config
from lru_rtrl.data.base import TaskSpec

# Two independent 3-way outputs per step, a loss mask and a padded second sequence: every
# part of the masked per-step loss is exercised.
PER_STEP_SPEC = TaskSpec("toy_per_step", seq_len=5, input_kind="real", input_dim=3,
                         output_shape=(2, 3), target_kind="per_step")
SEQUENCE_SPEC = TaskSpec("toy_sequence", seq_len=5, input_kind="real", input_dim=3,
                         output_shape=(4,), target_kind="sequence")


def toy_batch(spec: TaskSpec, batch_size: int = 2, seq_len: Optional[int] = None,
              seed: int = 0, dtype=np.float64, resets: bool = False) -> Dict[str, jax.Array]:
    """Random inputs and targets; row 1 is padded after 3 steps (if there are two rows).

    With `resets`, every row holds two sequences: a new one starts at t = 2 in row 0 and at
    t = 1 in the other rows (`batch["resets"]` [B, T])."""
    rng = np.random.default_rng(seed)
    t = seq_len or spec.seq_len
    mask = np.ones((batch_size, t), dtype)
    if batch_size > 1 and t > 3:
        mask[1, 3:] = 0.0
    batch = {"inputs": rng.normal(size=(batch_size, t, spec.input_dim)).astype(dtype),
             "mask": mask}
    if spec.target_kind == "per_step":
        batch["targets"] = rng.integers(0, spec.output_shape[-1],
                                        size=(batch_size, t) + spec.output_shape[:-1])
        loss_mask = rng.integers(0, 2, size=(batch_size, t)).astype(dtype)
        loss_mask[:, -1] = 1.0
        batch["loss_mask"] = loss_mask
    else:
        batch["targets"] = rng.integers(0, spec.num_classes, size=(batch_size,))
    if resets:
        marks = np.zeros((batch_size, t), dtype)
        marks[0, min(2, t - 1)] = 1.0
        marks[1:, min(1, t - 1)] = 1.0
        batch["resets"] = marks
    return jax.tree_util.tree_map(jnp.asarray, batch)


def toy_model(core: str, rule: str, *, engine: str = "parallel", n_layers: int = 2,
              d_model: int = 4, d_hidden: int = 3, pooling: str = "none", block: str = "full_glu",
              norm: str = "pre", dropout: float = 0.0, spec: TaskSpec = PER_STEP_SPEC,
              dtype=jnp.float64, seed: int = 0, scan: str = "auto", learner: bool = False,
              window: Optional[int] = None, **core_options):
    """(model, params) of a tiny network with parameters cast to `dtype`, built through the
    one assembler (lru_rtrl.experiment) like every run. `learner`: for an online learner;
    `window`: tbptt's K (config.tbptt.window)."""
    config = base_config("copy")
    model_config = config.model
    model_config.core, model_config.n_layers = core, n_layers
    model_config.d_model, model_config.d_hidden = d_model, d_hidden
    model_config.pooling, model_config.block, model_config.norm = pooling, block, norm
    model_config.dropout, model_config.scan = dropout, scan
    for key, value in core_options.items():
        model_config[core][key] = value
    config.rule, config.engine = rule, engine
    if window is not None:
        config.tbptt.window = window
    model = experiment.model_of(config, spec, learner=learner)
    params = experiment.init_params(model, jax.random.PRNGKey(seed))
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), params)
    return model, params
