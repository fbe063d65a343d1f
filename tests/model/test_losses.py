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


def test_sequence_average_is_the_mean_of_per_sequence_means():
    # The paper's code: each sequence's per-step losses averaged over its own real steps, then
    # the sequences averaged; "token" weighs a long sequence by its length.
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5, 4))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], float)
    labels = np.array([0, 3, 1, 2])
    batch = {"inputs": np.zeros((4, 5, 3)), "mask": jnp.asarray(mask),
             "targets": jnp.asarray(labels), "weights": jnp.array([1.0, 1.0, 1.0, 0.0])}
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -log_probs[np.arange(4)[:, None], np.arange(5)[None], labels[:, None]]   # [B, T]
    per_sequence = (mask * ce).sum(1) / mask.sum(1)
    real = [0, 1, 2]   # the last row is a filler of weight 0
    loss, stats = losses.sequence_loss(jnp.asarray(logits), batch, SEQUENCE_SPEC, "pool_st",
                                       average="sequence")
    np.testing.assert_allclose(loss, per_sequence[real].mean(), rtol=1e-6)
    np.testing.assert_allclose(stats["weight"], 3.0, rtol=1e-6)   # Σ w counts sequences
    token, _ = losses.sequence_loss(jnp.asarray(logits), batch, SEQUENCE_SPEC, "pool_st")
    np.testing.assert_allclose(token, (mask * ce)[real].sum() / mask[real].sum(), rtol=1e-6)
    assert abs(float(token) - float(loss)) > 1e-3
    # The streaming engine reads the same weights one step at a time.
    scale = losses.row_scale(batch, SEQUENCE_SPEC, "pool_st", "sequence")
    whole = losses.step_weights(batch, SEQUENCE_SPEC, "pool_st", "sequence")
    for t in range(5):
        np.testing.assert_allclose(
            losses.step_weights_at(batch, SEQUENCE_SPEC, "pool_st", t, scale), whole[:, t])
    with pytest.raises(ValueError, match="loss_average must be one of"):
        losses.step_weights(batch, SEQUENCE_SPEC, "pool_st", "example")


def test_both_engines_and_the_oracle_average_per_sequence():
    import dataclasses

    import jax

    from lru_rtrl.registry import ENGINES
    from lru_rtrl.testing import oracle
    from lru_rtrl.testing.toy import toy_model
    with jax.enable_x64(True):
        batch = toy_batch(SEQUENCE_SPEC)   # row 1 is padded after 3 steps
        grads = {}
        for engine in ("parallel", "streaming"):
            model, params = toy_model("lru", "online_full", engine=engine, pooling="pool_st",
                                      spec=SEQUENCE_SPEC)
            model = dataclasses.replace(model, loss_average="sequence")
            _, _, grads[engine] = ENGINES.get(engine).gradient(model, params, None, batch,
                                                               is_training=False)
        want = oracle.online_reference(model, params, None, batch)
        for engine, got in grads.items():
            worst = max(oracle.per_leaf_relative_error(got, want).values())
            assert worst < 1e-10, (engine, worst)
