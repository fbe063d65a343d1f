"""What each rule must and must not be: exactness where claimed, differences where expected,
zero gradients where the h_{t-1} path is cut, the paper's hand-worked example, rule errors."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl.cores import LRUCell
from lru_rtrl.registry import ENGINES, RULES
from lru_rtrl.rules.base import UnsupportedCombinationError
from lru_rtrl.testing import matrix, oracle
from lru_rtrl.testing.toy import PER_STEP_SPEC, toy_batch, toy_model


def _grads(model, params, batch, rule=None):
    return ENGINES.get("parallel").gradient(model, params, None, batch, is_training=False,
                                            rule=rule)[2]


def _core_grads(model, grads, layer):
    return grads[model.core_modules(grads)[layer]]


class RulePropertiesTest(parameterized.TestCase):

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))

    @parameterized.parameters(*matrix.cores())
    def test_online_full_is_bptt_on_one_layer(self, core):
        # The reference is independent of the engines and of `cell.sequence`: jax.grad of the
        # loss of the single-step network unrolled in a plain Python loop.
        model, params = toy_model(core, "online_full", n_layers=1)
        batch = toy_batch(PER_STEP_SPEC)
        online = _grads(model, params, batch)
        exact = oracle.bptt_reference(model, params, None, batch)
        for name in model.cells[0].structure.recurrent:
            np.testing.assert_allclose(_core_grads(model, online, 0)[name],
                                       _core_grads(model, exact, 0)[name], rtol=1e-10, atol=1e-14)

    @parameterized.parameters("lru", "rglru")
    def test_online_full_differs_from_bptt_below_the_top_layer(self, core):
        self._check_differs_below_the_top_layer(core)

    @parameterized.parameters(*[core for core in matrix.cores() if core not in ("lru", "rglru")])
    @pytest.mark.slow
    def test_online_full_differs_from_bptt_below_the_top_layer_on_other_cores(self, core):
        self._check_differs_below_the_top_layer(core)

    def _check_differs_below_the_top_layer(self, core):
        model, params = toy_model(core, "online_full", n_layers=2)
        batch = toy_batch(PER_STEP_SPEC)
        online = _grads(model, params, batch)
        exact = _grads(model, params, batch, rule=RULES.get("bptt"))
        lower = oracle.relative_error(_core_grads(model, online, 0), _core_grads(model, exact, 0))
        self.assertGreater(lower, 1e-3)  # the lower layer receives only the spatial error
        top = oracle.relative_error(_core_grads(model, online, 1), _core_grads(model, exact, 1))
        self.assertLess(top, 1e-10)  # the top layer's error is exact

    # Written out by hand, not read from the cores' declarations: the parameters that act on
    # h_{t-1} only (λ's ν and θ, A, the U matrices). The gated cores have none: their decay
    # parameters (Λ, W_a, b_a; W_z, b_z) also move the drive, so online_spat is
    # online_truncated on them.
    @parameterized.parameters(("lru", {"nu_log", "theta_log"}), ("linear_rnn", {"A"}),
                              ("gru", {"U_r", "U_z", "U_n"}), ("rglru", set()),
                              ("mingru", set()))
    def test_online_spat_leaves_hidden_to_hidden_without_gradient(self, core, expected):
        model, params = toy_model(core, "online_spat", n_layers=2)
        grads = _grads(model, params, toy_batch(PER_STEP_SPEC))
        structure = model.cells[0].structure
        self.assertEqual(set(RULES.get("online_spat").untrained_recurrent_params(structure)),
                         expected)
        truncated = _grads(toy_model(core, "online_truncated", n_layers=2)[0], params,
                           toy_batch(PER_STEP_SPEC))
        for layer in range(2):
            core_grads = _core_grads(model, grads, layer)
            for name in structure.recurrent:
                if name in expected:
                    self.assertFalse(np.any(np.asarray(core_grads[name])), name)
                else:  # everything else gets online_truncated's 1-step gradient
                    self.assertTrue(np.any(np.asarray(core_grads[name])), name)
                    np.testing.assert_allclose(
                        core_grads[name], _core_grads(model, truncated, layer)[name],
                        rtol=1e-12, atol=1e-15, err_msg=name)

    @parameterized.parameters("lru", "rglru", "mingru")
    def test_online_snap_equals_online_full_on_diagonal_cores(self, core):
        # Diagonal J_t (constant λ for the LRU, the input-gated a_t for rglru and mingru):
        # SnAp-1 keeps all of it, so it is online_full.
        batch = toy_batch(PER_STEP_SPEC)
        full_model, params = toy_model(core, "online_full", n_layers=3)
        snap_model, _ = toy_model(core, "online_snap", n_layers=3)
        chex.assert_trees_all_close(_grads(snap_model, params, batch),
                                    _grads(full_model, params, batch), rtol=1e-12, atol=1e-14)

    @parameterized.parameters("linear_rnn", "gru")
    def test_online_snap_differs_from_online_full_on_dense_cores(self, core):
        batch = toy_batch(PER_STEP_SPEC)
        full_model, params = toy_model(core, "online_full", n_layers=1)
        snap_model, _ = toy_model(core, "online_snap", n_layers=1)
        full = _core_grads(full_model, _grads(full_model, params, batch), 0)
        snap = _core_grads(snap_model, _grads(snap_model, params, batch), 0)
        self.assertGreater(oracle.relative_error(snap, full), 1e-3)

    def test_rules_pass_only_the_spatial_error_down(self):
        # The encoder sits below every layer: under every online rule its gradient is the same
        # (all of them send (∂f/∂x)^T δ down), and it differs from BPTT's.
        batch = toy_batch(PER_STEP_SPEC)
        model, params = toy_model("lru", "online_full", n_layers=2)
        encoder = {}
        for rule in ("bptt", "online_full", "online_snap", "online_truncated", "online_spat"):
            encoder[rule] = _grads(model, params, batch, rule=RULES.get(rule))["model/~/encoder"]
        for rule in ("online_snap", "online_truncated", "online_spat"):
            chex.assert_trees_all_close(encoder[rule], encoder["online_full"], rtol=1e-12)
        self.assertGreater(oracle.relative_error(encoder["online_full"], encoder["bptt"]), 1e-3)


class GatedCoreRuleTest(parameterized.TestCase):
    """What the builder says about online_spat on the gated cores, and rglru near a_t = 1."""

    @parameterized.parameters("rglru", "mingru")
    def test_online_spat_on_a_gated_core_warns_that_it_is_online_truncated(self, core):
        with self.assertLogs(level="WARNING") as logs:
            toy_model(core, "online_spat", dtype=jnp.float32)
        text = "\n".join(logs.output)
        self.assertIn(f"online_spat equals online_truncated on the core '{core}'", text)

    def test_no_such_warning_where_online_spat_freezes_parameters(self):
        import logging
        logger = logging.getLogger()
        with self.assertLogs(level="INFO") as logs:
            logger.info("start")
            toy_model("lru", "online_spat", dtype=jnp.float32)
            toy_model("rglru", "online_truncated", dtype=jnp.float32)
        self.assertNotIn("equals online_truncated", "\n".join(logs.output))

    @staticmethod
    def _saturated(model, params, b_a):
        """W_a = 0, b_a = b_a in every layer: r_t = σ(b_a) for every input, a_t → 1."""
        params = {m: dict(p) for m, p in params.items()}
        for path in model.core_modules(params):
            params[path]["W_a"] = jnp.zeros_like(params[path]["W_a"])
            params[path]["b_a"] = jnp.full_like(params[path]["b_a"], b_a)
        return params

    # σ(-14) ≈ 8e-7 (1 - a_t² ≈ 1e-9..2e-7, below the cap's floor); σ(-200) = 0 exactly in
    # float32 (a_t = 1, 1 - a_t² = 0: sqrt's own derivative is infinite there and would meet
    # σ'(-200) = 0 as inf · 0 = NaN). Reverse mode (bptt; online_truncated's step VJP) and
    # forward mode (the streaming traces) both go through the capped derivative.
    def test_gradients_at_unit_decay_are_finite_float32(self):
        self._check_finite_near_unit_decay(-200.0)

    @pytest.mark.slow
    def test_gradients_near_unit_decay_are_finite_float32(self):
        self._check_finite_near_unit_decay(-14.0)

    def _check_finite_near_unit_decay(self, b_a):
        batch = toy_batch(PER_STEP_SPEC, dtype="float32")
        for rule, engine in (("bptt", "parallel"), ("online_full", "parallel"),
                             ("online_full", "streaming"), ("online_truncated", "parallel")):
            model, params = toy_model("rglru", rule, engine=engine, n_layers=1,
                                      dtype=jnp.float32)
            params = self._saturated(model, params, b_a)
            _, _, grads = ENGINES.get(engine).gradient(model, params, None, batch,
                                                       is_training=False)
            for path, leaf in jax.tree_util.tree_flatten_with_path(grads)[0]:
                self.assertTrue(bool(jnp.all(jnp.isfinite(leaf))),
                                f"{rule}/{engine}: {jax.tree_util.keystr(path)}")
            if b_a == -14.0:  # At σ(-200) = 0, Λ has no effect: a_t = σ(Λ)^0 = 1.
                core = _core_grads(model, grads, 0)
                self.assertTrue(np.any(np.asarray(core["Lambda"])), f"{rule}/{engine}")

    @pytest.mark.slow
    def test_rules_match_the_oracle_where_the_sqrt_derivative_is_capped_float64(self):
        # Every engine and the oracle differentiate the same bounded sqrt, so the exactness
        # claims hold in the capped regime too.
        from lru_rtrl.cores.rglru import SQRT_DERIVATIVE_FLOOR
        with jax.enable_x64(True):
            batch = toy_batch(PER_STEP_SPEC)
            for rule in ("bptt", "online_full", "online_snap", "online_truncated"):
                model, params = toy_model("rglru", rule)
                # σ(-17) ≈ 4e-8: 1 - a_t² stays below the cap's floor even for the fastest
                # decay the initialisation draws (σ(Λ) = 0.9, softplus(-Λ) ≈ 0.105).
                params = self._saturated(model, params, -17.0)
                cell = model.cells[0]
                theta = model.cells[0].split(params[model.core_modules(params)[0]])[0]
                one_minus_a2 = -jnp.expm1(2 * cell.log_a(theta, jnp.zeros((cell.d_in,))))
                self.assertLess(float(jnp.max(one_minus_a2)), SQRT_DERIVATIVE_FLOOR)
                _, _, grads = ENGINES.get("parallel").gradient(model, params, None, batch,
                                                               is_training=False)
                if rule == "bptt":
                    want = oracle.bptt_reference(model, params, None, batch)
                else:
                    want = oracle.online_reference(model, params, None, batch)
                errors = oracle.per_leaf_relative_error(grads, want)
                worst = max(errors, key=errors.get)
                self.assertLess(errors[worst], 1e-10, f"{rule}: {worst} {errors[worst]:.1e}")


class HandWorkedExampleTest(absltest.TestCase):
    """docs/paper.md: one LRU unit, three steps, loss ½ Σ_t (y_t - 1)²."""

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))
        self.cell = LRUCell(d_in=1, d_hidden=1, d_out=1)
        self.theta_log = -50.0  # θ → -∞: λ = 0.5 is real
        self.theta = {"nu_log": jnp.array([np.log(np.log(2.0))]),
                      "theta_log": jnp.array([self.theta_log]),
                      "gamma_log": jnp.array([0.0]),
                      "B_re": jnp.array([[2.0]]), "B_im": jnp.array([[2.0]])}
        self.phi = {"C_re": jnp.array([[2.0]]), "C_im": jnp.array([[1.0]]), "D": jnp.array([0.0])}
        self.x = jnp.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
        self.h0 = jnp.zeros((1, 1), jnp.complex128)

    def loss(self, theta, rule):
        h = RULES.get(rule).layer_sequence(self.cell, theta, self.h0, self.x)
        y = self.cell.readout(self.phi, h, self.x)
        return 0.5 * jnp.sum((y - 1.0) ** 2), (h, y)

    def check_gradient(self, grads):
        # Σ δ e^λ = 53 + 159i with ∂λ/∂ν_log = -λ exp(ν_log) = -0.5 log 2 and
        # ∂λ/∂θ_log = iλ exp(θ_log); Re Σ δ e^γ = 85.75; B: 85.75 - 42.875i (conjugate form).
        sum_delta_e_lambda = 53 + 159j
        np.testing.assert_allclose(grads["nu_log"][0],
                                   np.real(sum_delta_e_lambda * -0.5 * np.log(2.0)), rtol=1e-12)
        np.testing.assert_allclose(grads["theta_log"][0] / np.exp(self.theta_log),
                                   np.real(sum_delta_e_lambda * 0.5j), rtol=1e-12)
        np.testing.assert_allclose(grads["gamma_log"][0], 85.75, rtol=1e-12)
        np.testing.assert_allclose(grads["B_re"][0, 0], 85.75, rtol=1e-12)
        np.testing.assert_allclose(grads["B_im"][0, 0], -42.875, rtol=1e-12)

    def test_forward_values(self):
        _, (h, y) = self.loss(self.theta, "bptt")
        np.testing.assert_allclose(h[0, :, 0], [2 + 2j, 5 + 5j, 8.5 + 8.5j], rtol=1e-12)
        np.testing.assert_allclose(y[0, :, 0], [2.0, 5.0, 8.5], rtol=1e-12)

    def test_every_rule_path_gives_the_digits(self):
        for rule in ("bptt", "online_full", "online_snap"):
            grads = jax.grad(lambda th: self.loss(th, rule)[0])(self.theta)
            self.check_gradient(grads)

    def test_streaming_traces_give_the_digits(self):
        rule = RULES.get("online_full")
        traces = rule.init_traces(self.cell, self.theta, 1)
        grads = jax.tree_util.tree_map(jnp.zeros_like, self.theta)
        h = self.h0
        expected_delta = [1 * (2 + 1j), 4 * (2 + 1j), 7.5 * (2 + 1j)]  # dL/dy_t · C
        for t in range(3):
            x_t = self.x[:, t]
            traces = rule.update_traces(self.cell, self.theta, traces, h, x_t)
            h_new = self.cell.step(self.theta, h, x_t)
            delta = jax.grad(lambda hh: 0.5 * jnp.sum(
                (self.cell.readout(self.phi, hh, x_t) - 1.0) ** 2))(h_new)
            np.testing.assert_allclose(delta[0, 0], expected_delta[t], rtol=1e-12)
            step = rule.recurrent_gradient(self.cell, self.theta, traces, delta, h, x_t)
            grads = jax.tree_util.tree_map(jnp.add, grads, step)
            h = h_new
        self.check_gradient(grads)


class RuleErrorsTest(absltest.TestCase):

    def test_bptt_cannot_stream(self):
        with pytest.raises(UnsupportedCombinationError, match="the streaming engine cannot run it"):
            toy_model("lru", "bptt", engine="streaming")

    def test_unknown_rule_suggests_closest(self):
        with pytest.raises(KeyError, match="Did you mean 'online_full'"):
            toy_model("lru", "online_ful")

    def test_unknown_core_lists_known(self):
        with pytest.raises(KeyError, match="Known cores: gru, linear_rnn, lru"):
            toy_model("lstm", "bptt")


if __name__ == "__main__":
    absltest.main()
