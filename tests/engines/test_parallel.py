"""The parallel engine under jit / no-jit / pmap, its output shapes and dtypes, and masking."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl.registry import ENGINES
from lru_rtrl.testing.toy import PER_STEP_SPEC, toy_batch, toy_model


def _check_transformations(test, core, rule):
    model, params = toy_model(core, rule, dtype=jnp.float32)
    batch = toy_batch(PER_STEP_SPEC, dtype="float32")
    engine = ENGINES.get("parallel")

    def gradient(params, batch):
        return engine.gradient(model, params, None, batch, is_training=False)

    reference = engine.gradient(model, params, None, batch, is_training=False)
    # Under pmap, chex broadcasts the arguments to every device and returns the first
    # device's result.
    loss, stats, grads = test.variant(gradient)(params, batch)
    chex.assert_trees_all_equal_shapes_and_dtypes(grads, params)
    chex.assert_shape(loss, ())
    chex.assert_trees_all_close((loss, stats, grads), reference, rtol=1e-5, atol=1e-6)


class ParallelEngineTest(parameterized.TestCase):

    @chex.variants(with_jit=True, without_jit=True, with_pmap=True)
    def test_transformations_agree_and_keep_shapes(self):
        _check_transformations(self, "lru", "online_full")

    def test_padding_contributes_nothing(self):
        # Changing inputs and targets on padded steps (mask 0) leaves loss and gradient alone.
        model, params = toy_model("lru", "online_full", dtype=jnp.float32)
        batch = toy_batch(PER_STEP_SPEC, dtype="float32")
        padded = batch["mask"] == 0
        self.assertTrue(bool(jnp.any(padded)))
        noisy = dict(batch)
        noisy["inputs"] = jnp.where(padded[..., None], 100.0, batch["inputs"])
        noisy["targets"] = jnp.where(padded[..., None], 0, batch["targets"])
        gradient = jax.jit(lambda b: ENGINES.get("parallel").gradient(model, params, None, b,
                                                                      is_training=False))
        clean, dirty = gradient(batch), gradient(noisy)
        chex.assert_trees_all_close(clean, dirty, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(clean[1]["weight"],
                                   float(jnp.sum(batch["mask"] * batch["loss_mask"])))


class ParallelEngineMatrixTest(parameterized.TestCase):
    pytestmark = [pytest.mark.slow]

    @chex.variants(with_jit=True, without_jit=True, with_pmap=True)
    def test_transformations_agree_and_keep_shapes_on_a_dense_core(self):
        _check_transformations(self, "gru", "online_snap")


if __name__ == "__main__":
    absltest.main()
