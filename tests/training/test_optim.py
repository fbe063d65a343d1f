"""Optimizer groups, their variants, weight decay, learning rates and the schedule."""


import chex
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import parameterized

from lru_rtrl import experiment, plugins
from lru_rtrl.config import base_config
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import UnsupportedCombinationError
from lru_rtrl.testing.toy import toy_model
from lru_rtrl.training import optim
from lru_rtrl.training.schedule import warmup_cosine
from repo_helpers import repo_path

SPEC = TaskSpec(name="t", seq_len=6, input_kind="real", input_dim=3, output_shape=(4,),
                target_kind="sequence")


def _model(core="lru", rule="online_full", n_layers=2):
    return toy_model(core, rule, n_layers=n_layers, d_model=8, d_hidden=4, pooling="pool_st",
                     spec=SPEC, dtype=jnp.float32)


def _train(**overrides):
    train = base_config("copy").train
    for key, value in overrides.items():
        train[key] = value
    return train


def _flat(labels):
    return {f"{m.split('/')[-1]}/{n}": label for m, names in labels.items()
            for n, label in names.items()}


class GroupsTest(parameterized.TestCase):

    @parameterized.parameters(
        ("standard", {"core/B_re": "rec", "core/C_re": "regular"}),
        ("Bdecay", {"core/B_re": "rec_decay", "core/B_im": "rec_decay", "core/C_re": "regular"}),
        ("Bfast_and_decay", {"core/B_re": "regular", "core/B_im": "regular"}),
        ("Cslow_and_nodecay", {"core/C_re": "rec", "core/C_im": "rec", "core/B_re": "rec"}),
    )
    def test_lru_variants(self, variant, expected):
        model, params = _model()
        labels = _flat(optim.param_labels(model, params, variant))
        for name in ("nu_log", "theta_log", "gamma_log"):
            self.assertEqual(labels[f"core/{name}"], "rec")
        self.assertEqual(labels["core/D"], "regular")
        self.assertEqual(labels["norm/scale"], "no_decay")
        self.assertEqual(labels["norm/offset"], "no_decay")
        for name in ("encoder/w", "decoder/w", "decoder/b", "glu_w1/w", "glu_w2/b"):
            self.assertEqual(labels[name], "regular")
        for key, label in expected.items():
            self.assertEqual(labels[key], label, key)

    def test_every_recurrent_parameter_of_every_layer_is_rec(self):
        model, params = _model(n_layers=2)
        labels = optim.param_labels(model, params)
        for path, cell in zip(model.core_modules(params), model.cells):
            for name in cell.structure.recurrent:
                self.assertEqual(labels[path][name], "rec", f"{path}/{name}")

    @parameterized.parameters(("standard", "rec", "regular"), ("Bdecay", "rec_decay", "regular"),
                              ("Bfast_and_decay", "regular", "regular"),
                              ("Cslow_and_nodecay", "rec", "rec"))
    def test_linear_rnn_variants(self, variant, b_label, c_label):
        model, params = _model(core="linear_rnn", n_layers=1)
        labels = _flat(optim.param_labels(model, params, variant))
        self.assertEqual(labels["core/A"], "rec")
        self.assertEqual(labels["core/B"], b_label)
        self.assertEqual(labels["core/C"], c_label)

    def test_gru_has_no_b(self):
        model, params = _model(core="gru", n_layers=1)
        labels = _flat(optim.param_labels(model, params))
        self.assertEqual(labels["core/U_r"], "rec")
        # A variant that moves a matrix the core does not declare is refused when the model
        # is built, before anything is compiled.
        config = base_config("copy")
        config.model.core, config.train.optimizer_groups = "gru", "Bdecay"
        with self.assertRaisesRegex(UnsupportedCombinationError,
                                    "optimizer_groups='Bdecay' moves the core's input matrix"):
            experiment.model_of(config, SPEC)

    def test_unknown_variant(self):
        model, params = _model()
        with self.assertRaisesRegex(ValueError, r"Unknown config.train.optimizer_groups "
                                                r"'Bslow'; choose one of standard, Bdecay"):
            optim.param_labels(model, params, "Bslow")

    def test_frozen_parameters_get_no_update_at_all(self):
        plugins.load_module(repo_path("examples", "plugins", "lru_rtrl_reservoir.py"))
        model, params = _model(rule="reservoir")
        train = _train(lr=0.1, weight_decay=0.5)
        optimizer, labels, _ = optim.make_optimizer(train, model, params, 10)
        flat = _flat(labels)
        self.assertEqual(flat["decoder/w"], "regular")
        self.assertEqual(flat["core/nu_log"], "frozen")
        self.assertEqual(flat["encoder/w"], "frozen")
        grads = jax.tree_util.tree_map(jnp.ones_like, params)  # even a stray gradient
        updates, _ = optimizer.update(grads, optimizer.init(params), params)
        for module, names in labels.items():
            for name, label in names.items():
                moved = float(jnp.max(jnp.abs(updates[module][name])))
                self.assertEqual(moved == 0.0, label == "frozen", f"{module}/{name}")


class DecayAndRatesTest(parameterized.TestCase):

    def test_weight_decay_never_touches_norms_or_rec(self):
        model, params = _model()
        lr, decay = 0.1, 0.5
        optimizer, labels, _ = optim.make_optimizer(
            _train(lr=lr, weight_decay=decay, optimizer_groups="Bdecay"), model, params, 10)
        zero = jax.tree_util.tree_map(jnp.zeros_like, params)
        updates, _ = optimizer.update(zero, optimizer.init(params), params)
        for module, names in labels.items():
            for name, label in names.items():
                update, p = updates[module][name], params[module][name]
                if label in ("regular", "rec_decay"):
                    factor = lr if label == "regular" else lr * 1.0  # rec_lr_factor = 1
                    np.testing.assert_allclose(update, -factor * decay * p, rtol=1e-5, atol=1e-7)
                else:
                    chex.assert_trees_all_equal(update, jnp.zeros_like(p))

    def test_rec_learning_rate_is_a_factor_of_lr(self):
        model, params = _model()
        optimizer, labels, _ = optim.make_optimizer(
            _train(lr=0.01, rec_lr_factor=0.25), model, params, 10)
        ones = jax.tree_util.tree_map(jnp.ones_like, params)
        updates, _ = optimizer.update(ones, optimizer.init(params), params)
        for module, names in labels.items():
            for name, label in names.items():
                expected = 0.0025 if label == "rec" else 0.01
                # Adam's first step moves every entry by lr (gradient / |gradient|).
                np.testing.assert_allclose(updates[module][name], -expected, rtol=1e-4)

    def test_clipping(self):
        model, params = _model()
        optimizer, _, _ = optim.make_optimizer(_train(clip_norm=1.0, lr=1.0), model, params, 10)
        huge = jax.tree_util.tree_map(lambda p: 1e6 * jnp.ones_like(p), params)
        state = optimizer.init(params)
        clipped = optimizer.update(huge, state, params)[0]
        self.assertTrue(all(bool(jnp.all(jnp.isfinite(u)))
                            for u in jax.tree_util.tree_leaves(clipped)))


class ScheduleTest(parameterized.TestCase):

    @parameterized.parameters((10, 0, 0.0), (10, 3, 0.1), (2, 0, 0.5), (5, 4, 0.0), (1, 0, 0.2))
    def test_minimum_exactly_at_the_last_update(self, total, warmup, floor):
        schedule = warmup_cosine(2.0, total, warmup, floor)
        rates = np.array([float(schedule(c)) for c in range(total)])
        np.testing.assert_allclose(rates[-1], 2.0 * floor, rtol=1e-6, atol=1e-7)
        if total > 1:  # not earlier
            self.assertTrue(np.all(rates[:-1] > 2.0 * floor + 1e-6), rates)
        if warmup:
            np.testing.assert_allclose(rates[:warmup], 2.0 * np.arange(1, warmup + 1) / warmup,
                                       rtol=1e-6)
        if total - warmup > 1:
            np.testing.assert_allclose(rates[warmup], 2.0, rtol=1e-6)  # the peak
            self.assertTrue(np.all(np.diff(rates[warmup:]) < 0))
        np.testing.assert_allclose(float(schedule(total + 5)), 2.0 * floor, rtol=1e-6, atol=1e-7)

    def test_bad_schedules(self):
        with self.assertRaisesRegex(ValueError, "warmup_epochs"):
            warmup_cosine(1.0, 10, 10)
        with self.assertRaisesRegex(ValueError, "min_lr_factor"):
            warmup_cosine(1.0, 10, 0, 1.5)

    def test_optimizer_follows_schedule(self):
        model, params = _model(n_layers=1)
        total = 4
        optimizer, _, lrs = optim.make_optimizer(_train(lr=1.0, min_lr_factor=0.1), model,
                                                 params, total)
        state = optimizer.init(params)
        ones = jax.tree_util.tree_map(jnp.ones_like, params)
        for count in range(total):
            updates, state = optimizer.update(ones, state, params)
            step = -float(updates["model/~/decoder"]["b"][0])
            # Adam with a constant gradient: the step is the learning rate.
            np.testing.assert_allclose(step, float(lrs["lr"](count)), rtol=1e-4)
        np.testing.assert_allclose(step, 0.1, rtol=1e-4)
