"""The model's loss weights and targets: per step one at a time equals the whole sequence."""

import jax.numpy as jnp
import numpy as np
import pytest

from lru_rtrl.model import losses
from lru_rtrl.testing.toy import PER_STEP_SPEC, SEQUENCE_SPEC, toy_batch


@pytest.mark.parametrize("spec,pooling", [(PER_STEP_SPEC, "none"), (PER_STEP_SPEC, "pool_st"),
                                          (SEQUENCE_SPEC, "pool_st"), (SEQUENCE_SPEC, "last"),
                                          (SEQUENCE_SPEC, "none")])
def test_weights_and_targets_at_a_step_are_the_whole_sequences_column(spec, pooling):
    batch = toy_batch(spec, batch_size=3, seq_len=6, dtype=np.float32)
    batch["weights"] = jnp.array([1.0, 1.0, 0.0])  # a filler row of weight 0
    weights = losses.step_weights(batch, spec, pooling)
    targets = losses.step_targets(batch, spec)
    for t in range(6):
        np.testing.assert_array_equal(losses.step_weights_at(batch, spec, pooling, t),
                                      weights[:, t])
        np.testing.assert_array_equal(losses.step_targets_at(batch, spec, t), targets[:, t])
    if pooling == "last":  # one weight per sequence, on its last valid step
        np.testing.assert_array_equal(np.asarray(weights).sum(axis=1), [1.0, 1.0, 0.0])
