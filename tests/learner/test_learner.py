"""The step-by-step `OnlineLearner`: equal to the streaming engine (K = T: one gradient step;
K = 1: the in-stream update oracle), tbptt equal to the parallel engine's, `steps` equal to
a loop of `step` with one compilation, resets per row, bit-exact save / restore, and clear
errors for inputs of the wrong shape or dtype."""

import os
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl.config import load_config
from lru_rtrl.config.files import load_config_file
from lru_rtrl.learner import OnlineLearner, StreamInputError, restore, save
from lru_rtrl.model import losses
from lru_rtrl.registry import ENGINES, UnknownNameError
from lru_rtrl.rules.base import UnsupportedCombinationError
from lru_rtrl.testing import matrix, oracle
from lru_rtrl.testing.toy import PER_STEP_SPEC, toy_batch, toy_model
from repo_helpers import repo_path

T = PER_STEP_SPEC.seq_len


def _feed(learner, state, batch, resets=None):
    """Steps through `batch` one step at a time; returns (logits [B, T, ...], state)."""
    weights = batch["loss_mask"] * batch["mask"]
    outs = []
    for t in range(batch["mask"].shape[1]):
        out, state, _ = learner.step(state, batch["inputs"][:, t], batch["targets"][:, t],
                                     weights[:, t], None if resets is None else resets[:, t])
        outs.append(out)
    return jnp.stack(outs, axis=1), state



def _check_in_stream_oracle(test, core, rule):
    """K = 1: the learner's parameters after the stream are the oracle's learning loop's
    (one layer: the update logic is the point; the oracle's loop is slow)."""
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, engine="streaming", n_layers=1)
        batch = toy_batch(PER_STEP_SPEC)
        optimizer = optax.adam(0.05)
        learner = OnlineLearner(model, optimizer, update_every=1)
        _, state = _feed(learner, learner.init(jax.random.PRNGKey(0), 2, params), batch)
        want, _ = oracle.online_reference(model, params, None, batch, optimizer=optimizer,
                                          opt_state=optimizer.init(params))
        matrix.assert_close(state["params"], want, 1e-9)
        test.assertGreater(oracle.relative_error(state["params"], params), 1e-3)


class EqualToEnginesTest(parameterized.TestCase):

    def test_update_every_T_is_the_streaming_engines_gradient_step(self):
        with jax.enable_x64(True):
            model, params = toy_model("lru", "online_full", engine="streaming")
            batch = toy_batch(PER_STEP_SPEC)
            optimizer = optax.sgd(0.1)
            learner = OnlineLearner(model, optimizer, update_every=T)
            _, state = _feed(learner, learner.init(jax.random.PRNGKey(0), 2, params), batch)
            _, _, grads = ENGINES.get("streaming").gradient(model, params, None, batch,
                                                            is_training=False)
            want = optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0])
            matrix.assert_close(state["params"], want, 1e-12)

    def test_update_every_step_is_the_in_stream_update_oracle(self):
        _check_in_stream_oracle(self, "lru", "online_full")

    @pytest.mark.slow
    def test_tbptt_window_T_is_the_parallel_engines_gradient_step(self):
        with jax.enable_x64(True):
            model, params = toy_model("lru", "tbptt", window=T, engine="streaming", learner=True)
            batch = toy_batch(PER_STEP_SPEC)
            optimizer = optax.sgd(0.1)
            learner = OnlineLearner(model, optimizer)
            self.assertEqual(learner.update_every, T)
            _, state = _feed(learner, learner.init(jax.random.PRNGKey(0), 2, params), batch)
            _, _, grads = ENGINES.get("parallel").gradient(model, params, None, batch,
                                                           is_training=False)
            want = optax.apply_updates(params, optimizer.update(grads, optimizer.init(params))[0])
            matrix.assert_close(state["params"], want, 1e-12)


def _windowed_sgd_reference(model, params, batch, window, lr):
    """tbptt on a stream by hand: after each full window, one SGD step with the gradient of
    that window's loss (÷ its weight) from the state at its start, held constant; the states
    themselves come from the parameters in force while they were read."""
    weights = batch["loss_mask"] * batch["mask"]
    carry = model.initial_carry(batch["mask"].shape[0], jnp.float64)
    for start in range(0, batch["mask"].shape[1] - window + 1, window):
        def window_loss(p, carry=carry, start=start):
            c, total = carry, 0.0
            for t in range(start, start + window):
                c, logits, _ = model.step(p, None, c, batch["inputs"][:, t], batch["mask"][:, t],
                                          False)
                total = total + jnp.sum(weights[:, t] * losses.cross_entropy(
                    logits, batch["targets"][:, t], model.spec))
            return total, c
        grads, carry = jax.grad(window_loss, has_aux=True)(params)
        weight = float(jnp.sum(weights[:, start:start + window]))
        if weight == 0:  # a window without loss makes no update
            continue
        scale = lr / weight
        params = jax.tree_util.tree_map(lambda p, g: p - scale * g, params, grads)
    return params


class EqualToEnginesMatrixTest(parameterized.TestCase):
    """The in-stream oracle on a dense and a gated core (slow)."""

    pytestmark = [pytest.mark.slow]

    # rglru: an input-gated core, whose Jacobian depends on x_t; the GRU with SnAp-1.
    @parameterized.parameters(("gru", "online_snap"), ("rglru", "online_full"))
    def test_update_every_step_is_the_in_stream_update_oracle(self, core, rule):
        _check_in_stream_oracle(self, core, rule)


class SteppingTest(parameterized.TestCase):

    def test_tbptt_updates_at_each_window_end_from_the_carried_state(self):
        with jax.enable_x64(True):
            model, params = toy_model("lru", "tbptt", window=2, engine="streaming", learner=True)
            batch = toy_batch(PER_STEP_SPEC, seed=1)   # T = 5: two full windows, one partial
            learner = OnlineLearner(model, optax.sgd(0.1))
            _, state = _feed(learner, learner.init(jax.random.PRNGKey(0), 2, params), batch)
            want = _windowed_sgd_reference(model, params, batch, 2, 0.1)
            matrix.assert_close(state["params"], want, 1e-12)


    def test_steps_equals_a_loop_of_step_compiled_once(self):
        self._check_steps_equals_loop("online_full")

    @pytest.mark.slow
    def test_tbptt_steps_equals_a_loop_of_step_compiled_once(self):
        self._check_steps_equals_loop("tbptt")

    def _check_steps_equals_loop(self, rule):
        with jax.enable_x64(True):
            model, params = toy_model("lru", rule, window=2, engine="streaming", learner=True)
            learner = OnlineLearner(model, optax.adam(0.05), update_every=2)
            batch = toy_batch(PER_STEP_SPEC)
            start = learner.init(jax.random.PRNGKey(0), 2, params)
            # Count traces of the step (each compilation traces it once). Not jit's
            # `_cache_size()`: that counts the C++ fast path's entries, which some JAX
            # settings left by earlier tests bypass (it read 0 in the full suite).
            traces, learn = [], learner._learn
            learner._learn = lambda *args, **kwargs: traces.append(1) or learn(*args, **kwargs)
            looped, state_loop = _feed(learner, start, batch)
            self.assertLen(traces, 1)  # T calls of `step`, traced and compiled once
            chunked, state_chunk, info = learner.steps(
                start, batch["inputs"], batch["targets"], batch["loss_mask"] * batch["mask"])
            np.testing.assert_allclose(chunked, looped, rtol=1e-12, atol=1e-14)
            matrix.assert_close(state_chunk["params"], state_loop["params"], 1e-12)
            self.assertEqual(info["updated"].shape, (T,))
            self.assertLen(traces, 2)  # and `steps`: one more trace, for its scan body

    def test_reset_per_row(self):
        # With a zero learning rate, a row reset at step 2 predicts from step 2 on exactly as
        # a fresh stream fed the same inputs; the other row is untouched.
        with jax.enable_x64(True):
            model, params = toy_model("lru", "online_full", engine="streaming")
            learner = OnlineLearner(model, optax.sgd(0.0))
            batch = toy_batch(PER_STEP_SPEC)
            start = learner.init(jax.random.PRNGKey(0), 2, params)
            resets = np.zeros((2, T))
            resets[1, 2] = 1.0
            with_reset, _ = _feed(learner, start, batch, resets)
            plain, _ = _feed(learner, start, batch)
            tail = {k: v[:, 2:] for k, v in batch.items()}
            fresh, _ = _feed(learner, start, tail)
            np.testing.assert_allclose(with_reset[0], plain[0], rtol=1e-13)
            np.testing.assert_allclose(with_reset[1, 2:], fresh[1], rtol=1e-12, atol=1e-14)
            self.assertGreater(float(jnp.max(jnp.abs(with_reset[1, 2:] - plain[1, 2:]))), 1e-6)

    def test_predict_only_moves_the_network_state(self):
        model, params = toy_model("lru", "online_full", engine="streaming", dtype=jnp.float32)
        learner = OnlineLearner(model, optax.sgd(0.1))
        state = learner.init(jax.random.PRNGKey(0), 2, params)
        x = np.ones((2, PER_STEP_SPEC.input_dim), np.float32)
        logits, after = learner.predict(state, x)
        self.assertEqual(logits.shape, (2,) + PER_STEP_SPEC.output_shape)
        for x, y in zip(jax.tree_util.tree_leaves(after["params"]),
                        jax.tree_util.tree_leaves(state["params"])):
            np.testing.assert_array_equal(x, y)
        self.assertFalse(np.allclose(after["stream"]["carry"]["h"][0],
                                     state["stream"]["carry"]["h"][0]))


class SaveRestoreTest(absltest.TestCase):

    def test_restored_learner_continues_bit_exactly(self):
        model, params = toy_model("lru", "online_full", engine="streaming", dtype=jnp.float32)
        learner = OnlineLearner(model, optax.adam(0.05), update_every=2)
        batch = toy_batch(PER_STEP_SPEC, dtype="float32")
        first = {k: v[:, :3] for k, v in batch.items()}
        rest = {k: v[:, 3:] for k, v in batch.items()}
        _, state = _feed(learner, learner.init(jax.random.PRNGKey(0), 2, params), first)
        path = os.path.join(tempfile.mkdtemp(), "learner")
        save(path, state)
        restored = restore(path, learner.init(jax.random.PRNGKey(1), 2))
        out_a, a = _feed(learner, state, rest)
        out_b, b = _feed(learner, restored, rest)
        np.testing.assert_array_equal(out_a, out_b)
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
            np.testing.assert_array_equal(x, y)


class InputErrorsTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        model, params = toy_model("lru", "online_full", engine="streaming", dtype=jnp.float32)
        self.learner = OnlineLearner(model, optax.sgd(0.1))
        self.state = self.learner.init(jax.random.PRNGKey(0), 2, params)
        self.x = np.zeros((2, 3), np.float32)
        self.target = np.zeros((2, 2), np.int32)
        self.weight = np.ones((2,), np.float32)

    def test_wrong_shapes_and_dtypes_name_what_is_expected(self):
        step = self.learner.step
        with pytest.raises(StreamInputError, match=r"x must have shape \(2, 3\) and a floating"):
            step(self.state, self.x[0], self.target, self.weight)
        with pytest.raises(StreamInputError, match=r"x must have shape \(2, 3\).*int64"):
            step(self.state, np.zeros((2, 3), np.int64), self.target, self.weight)
        with pytest.raises(StreamInputError, match=r"target must have shape \(2, 2\) and an "
                                                   r"integer dtype.*class ids below 3"):
            step(self.state, self.x, self.target.astype(np.float32), self.weight)
        with pytest.raises(StreamInputError, match=r"weight must have shape \(2,\)"):
            step(self.state, self.x, self.target, np.ones((3,)))
        with pytest.raises(StreamInputError, match=r"x must have shape \(2, 4, 3\)"):
            self.learner.steps(self.state, np.zeros((2, 3)), np.zeros((2, 4, 2), np.int32),
                               np.ones((2, 4)))


class FromConfigTest(absltest.TestCase):

    def test_recall_stream_config_and_refusals(self):
        config = load_config(repo_path("configs", "recall_stream.py") + ":smoke")
        learner = OnlineLearner.from_config(config)
        self.assertEqual(learner.update_every, config.streaming.update_every)
        state = learner.init(jax.random.PRNGKey(0), 2)
        _, state, info = learner.step(state, np.array([1, 2], np.int32),
                                      np.array([0, 1], np.int32), np.ones(2, np.float32))
        self.assertEqual(float(info["weight"]), 2.0)
        memory = learner.memory_bytes(state)
        self.assertEqual(memory["carried"], memory["network_state"] + memory["rule_state"])
        config.rule, config.tbptt.window = "tbptt", 5
        self.assertEqual(OnlineLearner.from_config(config).update_every, 5)
        config.rule = "bptt"
        with pytest.raises(UnsupportedCombinationError, match="tbptt"):
            OnlineLearner.from_config(config)
        # The learner runs on the config's engine; one that does not stream is refused, and an
        # engine no registry knows is an error, not another engine silently.
        config.rule, config.engine = "online_full", "parallel"
        with pytest.raises(UnsupportedCombinationError, match="config.engine='streaming'"):
            OnlineLearner.from_config(config)
        config.engine = "chunked_nonexistent"
        with pytest.raises(UnknownNameError, match="Unknown engine 'chunked_nonexistent'"):
            OnlineLearner.from_config(config)

    @pytest.mark.slow
    def test_equal_memory_window_carries_online_fulls_bytes(self):
        # The stream study's equal-memory comparison (configs/recall_stream.py) rests on this.
        path = repo_path("configs", "recall_stream.py")
        module = load_config_file(path)
        carried = {}
        for rule in ("online_full", "tbptt"):
            config = load_config(path)
            config.rule, config.tbptt.window = rule, module.EQUAL_MEMORY_WINDOW
            learner = OnlineLearner.from_config(config)
            state = learner.init(jax.random.PRNGKey(0), config.train.batch_size)
            carried[rule] = learner.memory_bytes(state)["carried"]
        self.assertEqual(carried["tbptt"], carried["online_full"])


if __name__ == "__main__":
    absltest.main()
