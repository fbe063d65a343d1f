"""Evaluation metrics on hand-made logits, and the recurrence statistics."""

import jax.numpy as jnp
import numpy as np
from absl.testing import absltest

from lru_rtrl.data.base import TaskSpec
from lru_rtrl.training import metrics

SEQ = TaskSpec(name="seq", seq_len=4, input_kind="real", input_dim=1, output_shape=(3,),
               target_kind="sequence")
BITS = TaskSpec(name="bits", seq_len=3, input_kind="real", input_dim=1, output_shape=(2, 2),
                target_kind="per_step")


def _onehot_logits(classes, num_classes=3, scale=1.0):
    return scale * np.eye(num_classes, dtype=np.float32)[np.asarray(classes)]


class SequenceLabelMetricsTest(absltest.TestCase):
    """Two sequences of a 3-class task, per-step predictions (pooling none)."""

    def setUp(self):
        super().setUp()
        # Row 0 (label 2): predictions 2, 1, 2 then padding; the last real step says 2.
        # Row 1 (label 1): predictions 0, 0, 1, 1; the mean logit prefers 0 (large logits).
        logits = np.stack([_onehot_logits([2, 1, 2, 0]),
                           np.concatenate([_onehot_logits([0, 0], scale=5.0),
                                           _onehot_logits([1, 1])])])
        self.batch = {"mask": jnp.array([[1, 1, 1, 0], [1, 1, 1, 1]], jnp.float32),
                      "targets": jnp.array([2, 1], jnp.int32)}
        self.sums = metrics.eval_sums(jnp.asarray(logits), self.batch, SEQ, "none")
        self.scalars = metrics.summarize(self.sums, SEQ)

    def test_dense_accuracy_counts_real_steps_only(self):
        self.assertEqual(float(self.sums["weight"]), 7.0)
        self.assertAlmostEqual(self.scalars["accuracy"], 4 / 7, places=6)

    def test_last_step(self):
        self.assertAlmostEqual(self.scalars["last_accuracy"], 1.0, places=6)

    def test_mean_logit(self):
        self.assertAlmostEqual(self.scalars["mean_logit_accuracy"], 0.5, places=6)

    def test_majority_vote_with_ties_to_the_lowest_class(self):
        # Row 0 votes 2:2 vs 1:1 -> 2 (right); row 1 ties 0:2 and 1:2 -> 0 (wrong).
        self.assertAlmostEqual(self.scalars["vote_accuracy"], 0.5, places=6)

    def test_filler_examples_do_not_count(self):
        batch = dict(self.batch, weights=jnp.array([1.0, 0.0]))
        logits = jnp.asarray(np.stack([_onehot_logits([2, 1, 2, 0])] * 2))
        scalars = metrics.summarize(metrics.eval_sums(logits, batch, SEQ, "none"), SEQ)
        self.assertAlmostEqual(scalars["accuracy"], 2 / 3, places=6)
        self.assertAlmostEqual(scalars["vote_accuracy"], 1.0, places=6)

    def test_sums_add_up_over_batches(self):
        total = metrics.add_sums(metrics.add_sums({}, self.sums), self.sums)
        self.assertEqual(metrics.summarize(total, SEQ), self.scalars)

    def test_sequence_pooling(self):
        logits = jnp.asarray(_onehot_logits([2, 0]))
        scalars = metrics.summarize(metrics.eval_sums(logits, self.batch, SEQ, "last"), SEQ)
        self.assertAlmostEqual(scalars["accuracy"], 0.5, places=6)
        self.assertNotIn("vote_accuracy", scalars)


class PerBitMetricsTest(absltest.TestCase):
    """The copy-task layout: 2 bits per step, loss only on the recall window (steps 1, 2)."""

    def test_per_bit_and_exact(self):
        targets = np.array([[[0, 0], [1, 0], [1, 1]], [[0, 0], [0, 1], [0, 0]]])
        predicted = targets.copy()
        predicted[0, 0] = [1, 1]    # outside the window: ignored
        predicted[1, 2, 0] = 1      # one wrong bit in the window
        logits = np.eye(2, dtype=np.float32)[predicted]             # [B, T, 2 bits, 2]
        batch = {"mask": jnp.ones((2, 3)), "targets": jnp.asarray(targets, jnp.int32),
                 "loss_mask": jnp.array([[0, 1, 1], [0, 1, 1]], jnp.float32)}
        scalars = metrics.summarize(
            metrics.eval_sums(jnp.asarray(logits), batch, BITS, "none"), BITS)
        self.assertAlmostEqual(scalars["bit_accuracy"], 7 / 8, places=6)
        self.assertAlmostEqual(scalars["step_exact_accuracy"], 3 / 4, places=6)
        self.assertAlmostEqual(scalars["sequence_exact_accuracy"], 1 / 2, places=6)
        self.assertAlmostEqual(scalars["last_accuracy"], (1.0 + 0.5) / 2, places=6)

    def test_one_output_per_step_has_whole_answer_accuracy(self):
        # The selective-copy layout: one 3-way token per step, loss on the answer steps 2, 3.
        spec = TaskSpec(name="tokens", seq_len=4, input_kind="tokens", input_dim=4,
                        output_shape=(3,), target_kind="per_step")
        targets = np.array([[0, 0, 2, 1], [0, 0, 1, 1]])
        predicted = targets.copy()
        predicted[0, 0] = 1         # outside the answer: ignored
        predicted[1, 3] = 0         # one wrong answer token
        batch = {"mask": jnp.ones((2, 4)), "targets": jnp.asarray(targets, jnp.int32),
                 "loss_mask": jnp.array([[0, 0, 1, 1], [0, 0, 1, 1]], jnp.float32)}
        scalars = metrics.summarize(
            metrics.eval_sums(jnp.asarray(_onehot_logits(predicted)), batch, spec, "none"), spec)
        self.assertAlmostEqual(scalars["accuracy"], 3 / 4, places=6)
        self.assertAlmostEqual(scalars["sequence_exact_accuracy"], 1 / 2, places=6)
        self.assertNotIn("step_exact_accuracy", scalars)


class RecurrenceStatsTest(absltest.TestCase):

    def test_abs_lambda_of_lru_layers(self):
        from lru_rtrl.cores import GRUCell, LinearRNNCell, LRUCell

        class FakeModel:
            # Each core says what its decays are (Cell.decay_moduli); the GRU has none.
            cells = (LRUCell(2, 3, 2), LinearRNNCell(2, 2, 2), GRUCell(2, 2, 2))

            def core_modules(self, params):
                return [f"model/~/block_{l}/~/core" for l in range(3)]
        modulus = np.array([0.5, 0.9, 0.99], np.float32)
        nu_log = np.log(-np.log(modulus))
        params = {"model/~/block_0/~/core": {"nu_log": nu_log},
                  "model/~/block_1/~/core": {"A": np.diag([0.5, -0.25]).astype(np.float32)},
                  "model/~/block_2/~/core": {"U_r": np.eye(2, dtype=np.float32)}}
        scalars, histograms = metrics.recurrence_stats(FakeModel(), params)
        self.assertNotIn("recurrence/block_2/abs_lambda", histograms)
        np.testing.assert_allclose(histograms["recurrence/block_0/abs_lambda"], modulus,
                                   rtol=1e-5)
        self.assertAlmostEqual(scalars["recurrence/block_0/abs_lambda_max"], 0.99, places=5)
        self.assertAlmostEqual(scalars["recurrence/block_1/abs_lambda_min"], 0.25, places=6)


if __name__ == "__main__":
    absltest.main()
