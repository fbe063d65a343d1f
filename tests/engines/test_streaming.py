"""The streaming engine: same gradient as the parallel engine and the oracle, online updates,
resets inside a stream, and the combinations it refuses."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl.engines.streaming import online_updates
from lru_rtrl.registry import ENGINES
from lru_rtrl.rules.base import UnsupportedCombinationError
from lru_rtrl.testing import matrix, oracle
from lru_rtrl.testing.toy import PER_STEP_SPEC, SEQUENCE_SPEC, toy_batch, toy_model

CORES = matrix.cores()
ONLINE_RULES = matrix.online_rules()


def _stream(model, params, batch, rng=None, is_training=False):
    return ENGINES.get("streaming").gradient(model, params, rng, batch, is_training=is_training)



class StreamingMatrixFloat64Test(parameterized.TestCase):
    """Every (core, rule) on the streaming engine against the parallel engine and the oracle
    in float64 (slow: dozens of compilations; the float32 checks stay in the fast tier)."""

    pytestmark = [pytest.mark.slow]

    @parameterized.product(core=CORES, rule=ONLINE_RULES)
    def test_streaming_equals_parallel_and_oracle_float64(self, core, rule):
        with jax.enable_x64(True):
            options = matrix.options(core)
            streaming, params = toy_model(core, rule, engine="streaming", n_layers=2, **options)
            parallel, _ = toy_model(core, rule, engine="parallel", n_layers=2, **options)
            batch = toy_batch(PER_STEP_SPEC)
            loss_s, stats_s, grads_s = _stream(streaming, params, batch)
            loss_p, stats_p, grads_p = ENGINES.get("parallel").gradient(
                parallel, params, None, batch, is_training=False)
            matrix.assert_close(grads_s, grads_p, 1e-10)
            matrix.assert_close(grads_s, oracle.online_reference(streaming, params, None, batch),
                                1e-10)
            np.testing.assert_allclose(loss_s, loss_p, rtol=1e-12)
            chex.assert_trees_all_close(stats_s, stats_p, rtol=1e-12)

    @parameterized.product(core=("lru", "rglru"), rule=("online_full", "online_truncated"),
                           pooling=("pool_st", "last"))
    def test_streamable_poolings_with_dropout_float64(self, core, rule, pooling):
        with jax.enable_x64(True):
            streaming, params = toy_model(core, rule, engine="streaming", pooling=pooling,
                                          spec=SEQUENCE_SPEC, dropout=0.2)
            parallel, _ = toy_model(core, rule, pooling=pooling, spec=SEQUENCE_SPEC, dropout=0.2)
            batch = toy_batch(SEQUENCE_SPEC)
            rng = jax.random.PRNGKey(3)
            _, _, grads_s = _stream(streaming, params, batch, rng, is_training=True)
            _, _, grads_p = ENGINES.get("parallel").gradient(parallel, params, rng, batch)
            matrix.assert_close(grads_s, grads_p, 1e-10)


class StreamingGradientTest(parameterized.TestCase):
    """float32 against the float64 parallel engine on every core (slow: two compilations each;
    tests/rules/test_oracle_matrix.py's CoverageTest keeps a float32 check in the fast tier)."""

    pytestmark = [pytest.mark.slow]

    @parameterized.product(core=CORES, rule=("online_full", "online_snap"))
    def test_streaming_float32_matches_float64_parallel(self, core, rule):
        streaming, params32 = toy_model(core, rule, engine="streaming", dtype=jnp.float32)
        _, _, grads = jax.jit(lambda p, b: _stream(streaming, p, b))(
            params32, toy_batch(PER_STEP_SPEC, dtype="float32"))
        with jax.enable_x64(True):
            parallel, _ = toy_model(core, rule)
            params64 = jax.tree_util.tree_map(lambda p: p.astype(jnp.float64), params32)
            _, _, want = ENGINES.get("parallel").gradient(parallel, params64, None,
                                                          toy_batch(PER_STEP_SPEC),
                                                          is_training=False)
        matrix.assert_close(grads, want, 1e-5)


def _check_update_every_step(test, core, rule):
    """In-stream updates after every step equal the oracle's hand-unrolled learning loop."""
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, engine="streaming", n_layers=2)
        batch = toy_batch(PER_STEP_SPEC)
        optimizer = optax.adam(0.05)
        got, _, stats, updates, _ = online_updates(model, params, optimizer.init(params),
                                                   optimizer, None, batch, update_every=1,
                                                   is_training=False)
        want, _ = oracle.online_reference(model, params, None, batch, optimizer=optimizer,
                                          opt_state=optimizer.init(params))
        steps_with_loss = int(np.sum(np.asarray(
            batch["loss_mask"] * batch["mask"]).sum(0) > 0))
        test.assertEqual(int(updates), steps_with_loss)
        matrix.assert_close(got, want, 1e-9)
        # Learning did happen: parameters moved.
        test.assertGreater(oracle.relative_error(got, params), 1e-3)
        test.assertGreater(float(stats["weight"]), 0)


class OnlineUpdatesTest(parameterized.TestCase):
    @pytest.mark.slow  # the learner's test_update_every_T_... checks the same in the fast tier
    def test_update_every_sequence_length_is_one_gradient_step(self):
        with jax.enable_x64(True):
            model, params = toy_model("lru", "online_full", engine="streaming")
            batch = toy_batch(PER_STEP_SPEC)
            optimizer = optax.sgd(0.1)
            got, _, _, updates, _ = online_updates(
                model, params, optimizer.init(params), optimizer, None, batch,
                update_every=PER_STEP_SPEC.seq_len, is_training=False)
            _, _, grads = _stream(model, params, batch)
            want = optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0])
            self.assertEqual(int(updates), 1)
            matrix.assert_close(got, want, 1e-12)

    def test_stream_fed_in_chunks_equals_one_pass(self):
        # An unbounded stream is fed chunk by chunk: carrying the StreamState across chunks
        # (flush=False) must give exactly the parameters of one pass over the whole stream.
        with jax.enable_x64(True):
            model, params = toy_model("lru", "online_full", engine="streaming")
            batch = toy_batch(PER_STEP_SPEC, seq_len=6)
            optimizer = optax.adam(0.05)
            whole, _, _, n_whole, _ = online_updates(
                model, params, optimizer.init(params), optimizer, None, batch, update_every=2,
                is_training=False, flush=False)
            p, o, state, n_chunks = params, optimizer.init(params), None, 0
            for start in (0, 3):
                chunk = {k: v[:, start:start + 3] for k, v in batch.items()}
                p, o, _, n, state = online_updates(model, p, o, optimizer, None, chunk,
                                                   update_every=2, is_training=False,
                                                   stream_state=state, flush=False)
                n_chunks += int(n)
            self.assertEqual(n_chunks, int(n_whole))
            matrix.assert_close(p, whole, 1e-12)
            self.assertEqual(int(state["position"]), 6)

    def test_bad_update_every(self):
        model, params = toy_model("lru", "online_full", engine="streaming", dtype=jnp.float32)
        with pytest.raises(ValueError, match="update_every must be >= 1"):
            online_updates(model, params, None, optax.sgd(1.0), None,
                           toy_batch(PER_STEP_SPEC, dtype="float32"), update_every=0)


class OnlineUpdatesMatrixTest(parameterized.TestCase):
    """In-stream updates after every step against the oracle's learning loop (slow)."""

    pytestmark = [pytest.mark.slow]

    # The fast tier checks the same step function (streaming.learn_step) against the same
    # oracle through the learner (tests/learner/test_learner.py).
    @parameterized.parameters(("lru", "online_full"), ("gru", "online_snap"),
                              ("mingru", "online_full"))
    def test_update_every_step_matches_hand_unrolled_loop(self, core, rule):
        _check_update_every_step(self, core, rule)


def _check_concatenated_stream(test, core, rule, pooling):
    """Two sequences one after the other in one row, a reset between them, give the
    gradient of the same two sequences as a batch."""
    # pool_st's running mean must restart at the boundary too.
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, engine="streaming", pooling=pooling)
        batch = toy_batch(PER_STEP_SPEC, batch_size=2)
        batch["mask"] = jnp.ones_like(batch["mask"])  # two full sequences
        t = batch["mask"].shape[1]
        stream = {
            "inputs": batch["inputs"].reshape(1, 2 * t, -1),
            "mask": batch["mask"].reshape(1, 2 * t),
            "targets": batch["targets"].reshape((1, 2 * t) + batch["targets"].shape[2:]),
            "loss_mask": batch["loss_mask"].reshape(1, 2 * t),
            "resets": jnp.zeros((1, 2 * t)).at[0, t].set(1.0),
        }
        loss_s, _, grads_stream = _stream(model, params, stream)
        loss_b, _, grads_batch = _stream(model, params, batch)
        np.testing.assert_allclose(loss_s, loss_b, rtol=1e-12)
        matrix.assert_close(grads_stream, grads_batch, 1e-10)
        # Without the reset, the second sequence would start from the first one's state.
        no_reset = dict(stream, resets=jnp.zeros((1, 2 * t)))
        _, _, grads_no_reset = _stream(model, params, no_reset)
        test.assertGreater(oracle.relative_error(grads_no_reset, grads_batch), 1e-6)


class ResetTest(parameterized.TestCase):

    # rglru: its own segment start; pool_st: the running mean restarts too.
    def test_concatenated_stream_with_reset_equals_batch(self):
        _check_concatenated_stream(self, "rglru", "online_full", "pool_st")


class ResetMatrixTest(parameterized.TestCase):
    pytestmark = [pytest.mark.slow]

    @parameterized.parameters(("lru", "online_full", "none"),
                              ("linear_rnn", "online_full", "pool_st"),
                              ("gru", "online_snap", "pool_st"))
    def test_concatenated_stream_with_reset_equals_batch(self, core, rule, pooling):
        _check_concatenated_stream(self, core, rule, pooling)


class RefusalTest(absltest.TestCase):

    def test_mean_pooling_cannot_stream(self):
        with pytest.raises(UnsupportedCombinationError, match="known only at the end"):
            toy_model("lru", "online_full", engine="streaming", pooling="pool", spec=SEQUENCE_SPEC)

    def test_dense_full_rtrl_warns_about_memory(self):
        with self.assertLogs(level="WARNING") as logs:
            toy_model("gru", "online_full", engine="streaming", dtype=jnp.float32)
        self.assertIn("full RTRL", "\n".join(logs.output))

    def test_streaming_refuses_another_rule(self):
        from lru_rtrl.registry import RULES
        model, params = toy_model("lru", "online_full", engine="streaming", dtype=jnp.float32)
        with pytest.raises(ValueError, match="runs the model's own rule"):
            ENGINES.get("streaming").gradient(model, params, None,
                                              toy_batch(PER_STEP_SPEC, dtype="float32"),
                                              rule=RULES.get("bptt"))


if __name__ == "__main__":
    absltest.main()
