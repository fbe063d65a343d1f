"""Cores: step vs whole-sequence agreement, analytic Jacobian diagonals, initialisation,
parameter counts and the declared structure."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import parameterized

from lru_rtrl import experiment
from lru_rtrl.config import base_config
from lru_rtrl.cores import GRU, LRU, LinearRNNCell, LRUCell, MinGRUCell, RGLRUCell
from lru_rtrl.cores.lru import lambda_from_params
from lru_rtrl.cores.rglru import MAX_SQRT_DERIVATIVE, SQRT_DERIVATIVE_FLOOR, bounded_sqrt
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.model import count_params
from lru_rtrl.registry import CORES, RULES
from lru_rtrl.testing import matrix
from lru_rtrl.testing.structure import StructureError, check_core_structure

B, T, H, N = 3, 5, 4, 3
ALL_CORES = matrix.cores()
DIAGONAL_CORES = matrix.diagonal_cores()


def _cell(name, **options):
    d_out = N if name == "gru" else H
    return CORES.get(name)(d_in=H, d_hidden=N, d_out=d_out, **options)


def _sequence_equals_repeated_step(test, core, scan):
    options = matrix.options(core)
    cell = _cell(core, scan=scan, **options)
    theta, phi = cell.split(cell.init_params(jax.random.PRNGKey(1), jnp.float64))
    x = jax.random.normal(jax.random.PRNGKey(2), (B, T, H), jnp.float64)
    h0 = cell.initial_state((B,), jnp.float64)
    h_seq = cell.sequence(theta, h0, x)
    h, steps = h0, []
    for t in range(T):
        h = cell.step(theta, h, x[:, t])
        steps.append(h)
    chex.assert_trees_all_close(h_seq, jnp.stack(steps, 1), rtol=1e-12, atol=1e-12)
    y = cell.readout(phi, h_seq, x)
    chex.assert_shape(y, (B, T, cell.d_out))
    chex.assert_type(y, jnp.float64)
    test.assertEqual(jnp.iscomplexobj(h_seq), core == "lru")

class CoreTest(parameterized.TestCase):

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))

    @parameterized.product(core=ALL_CORES)
    def test_registered_with_structure(self, core):
        cell = _cell(core)
        structure = cell.structure
        params = cell.init_params(jax.random.PRNGKey(0))
        theta, phi = cell.split(params)
        self.assertEqual(set(theta), set(structure.recurrent))
        for name, p in theta.items():
            self.assertEqual(p.shape[structure.hidden_axis[name]], N, name)
        self.assertTrue(set(structure.hidden_to_hidden) <= set(theta))
        self.assertEqual(structure.diagonal, core in DIAGONAL_CORES)
        self.assertEqual(structure.complex_state, core == "lru")
        del phi

    @parameterized.product(core=ALL_CORES)
    def test_sequence_equals_repeated_step(self, core):
        _sequence_equals_repeated_step(self, core, "sequential")

    @parameterized.parameters(("lru", None), ("gru", None), ("linear_rnn", "identity"),
                              ("linear_rnn", "tanh"), ("linear_rnn", "relu"), ("rglru", None),
                              ("mingru", None))
    def test_analytic_jacobian_diagonal_matches_jacfwd(self, core, nonlinearity):
        options = {"nonlinearity": nonlinearity} if core == "linear_rnn" else {}
        cell = _cell(core, **options)
        theta, _ = cell.split(cell.init_params(jax.random.PRNGKey(3), jnp.float64))
        h_prev = jax.random.normal(jax.random.PRNGKey(4), (N,), jnp.float64)
        if core == "lru":
            h_prev = h_prev + 1j * h_prev[::-1]
        x = jax.random.normal(jax.random.PRNGKey(5), (H,), jnp.float64)
        full = jax.jacfwd(lambda h: cell.step(theta, h, x),
                          holomorphic=jnp.iscomplexobj(h_prev))(h_prev)
        np.testing.assert_allclose(cell.jacobian_diagonal(theta, h_prev, x), jnp.diagonal(full),
                                   rtol=1e-12, atol=1e-12)

    def test_lru_ring_initialisation_statistics(self):
        cell = LRUCell(d_in=H, d_hidden=4096, d_out=H, r_min=0.5, r_max=0.9, max_phase=3.14)
        p = cell.init_params(jax.random.PRNGKey(6))
        lam = lambda_from_params(p["nu_log"], p["theta_log"])
        modulus2 = np.asarray(jnp.abs(lam) ** 2)
        self.assertGreaterEqual(modulus2.min(), 0.25 - 1e-6)
        self.assertLessEqual(modulus2.max(), 0.81 + 1e-6)
        # |λ|² is uniform on [r_min², r_max²]: mean and spread of a uniform distribution.
        np.testing.assert_allclose(modulus2.mean(), (0.25 + 0.81) / 2, atol=0.01)
        np.testing.assert_allclose(modulus2.std(), (0.81 - 0.25) / np.sqrt(12), atol=0.01)
        phase = np.asarray(jnp.angle(lam)) % (2 * np.pi)
        self.assertLessEqual(phase.max(), 3.14 + 1e-5)
        np.testing.assert_allclose(phase.mean(), 3.14 / 2, atol=0.05)
        # γ normalises every unit to unit gain: γ² = 1 - |λ|².
        np.testing.assert_allclose(np.exp(2 * np.asarray(p["gamma_log"])), 1 - modulus2,
                                   rtol=1e-4)
        np.testing.assert_allclose(np.asarray(p["B_re"]).std(), 1 / np.sqrt(2 * H), rtol=0.05)
        np.testing.assert_allclose(np.asarray(p["C_re"]).std(), 1 / np.sqrt(4096), rtol=0.05)

    def test_bad_options_are_explained(self):
        with pytest.raises(ValueError, match="r_min < r_max"):
            LRUCell(d_in=H, d_hidden=N, d_out=H, r_min=0.9, r_max=0.5)
        with pytest.raises(ValueError, match="nonlinearity 'sigmoid'"):
            LinearRNNCell(d_in=H, d_hidden=N, d_out=H, nonlinearity="sigmoid")
        with pytest.raises(ValueError, match="must equal its input width"):
            LRUCell(d_in=H, d_hidden=N, d_out=H + 1)

    def test_haiku_modules_run_sequence_and_step(self):
        import haiku as hk
        x = jax.random.normal(jax.random.PRNGKey(7), (B, T, H))

        def run(x):
            lru, gru = LRU(H, N), GRU(H, N)
            y_seq = lru(x, RULES.get("online_full"))
            y_t, h_t = lru.step(x[:, 0], lru.initial_state(B))
            return y_seq, y_t, h_t, gru(x, RULES.get("bptt"))

        f = hk.transform(run)
        params = f.init(jax.random.PRNGKey(0), x)
        y_seq, y_t, h_t, y_gru = f.apply(params, None, x)
        chex.assert_trees_all_close(y_seq[:, 0], y_t, rtol=1e-5, atol=1e-6)
        chex.assert_shape([y_seq, y_gru], [(B, T, H), (B, T, N)])
        chex.assert_shape(h_t, (B, N))
        self.assertEqual(set(params), {"lru", "gru"})


class GatedCoreTest(parameterized.TestCase):
    """The input-gated diagonal cores (rglru, mingru): init, options, the bounded sqrt."""

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))

    def test_rglru_paper_initialisation_statistics(self):
        cell = RGLRUCell(d_in=H, d_hidden=4096, d_out=H, a_min=0.8, a_max=0.99, c=6.0,
                         init="paper")
        p = cell.init_params(jax.random.PRNGKey(6), jnp.float64)
        # a^c = σ(Λ)^c (the decay at r_t = 1) is uniform on [a_min, a_max].
        power = np.asarray(jax.nn.sigmoid(p["Lambda"]) ** 6.0)
        self.assertGreaterEqual(power.min(), 0.8 - 1e-12)
        self.assertLessEqual(power.max(), 0.99 + 1e-12)
        np.testing.assert_allclose(power.mean(), (0.8 + 0.99) / 2, atol=0.005)
        np.testing.assert_allclose(power.std(), (0.99 - 0.8) / np.sqrt(12), atol=0.005)
        # The step's log form gives that decay at r_t = 1: log a_t = -c r_t softplus(-Λ).
        theta = dict(cell.split(p)[0], W_a=jnp.zeros_like(p["W_a"]),
                     b_a=jnp.full_like(p["b_a"], 40.0))  # r_t = σ(40) = 1 - 4e-18
        np.testing.assert_allclose(np.exp(np.asarray(cell.log_a(theta, jnp.ones((H,))))),
                                   power, rtol=1e-12)
        for name in ("W_a", "W_x", "W_u"):
            np.testing.assert_allclose(np.asarray(p[name]).std(), 1 / np.sqrt(H), rtol=0.05)
        for name in ("b_a", "b_x", "b_u"):
            self.assertFalse(np.any(np.asarray(p[name])), name)
        np.testing.assert_allclose(np.asarray(p["C"]).std(), 1 / np.sqrt(4096), rtol=0.05)
        chex.assert_shape(p["D"], (H,))

    def test_rglru_default_options_are_griffins_released_code(self):
        cell = RGLRUCell(d_in=H, d_hidden=2048, d_out=H)
        self.assertEqual((cell.a_min, cell.a_max, cell.c, cell.init, cell.heads),
                         (0.9, 0.999, 8.0, "reference", 1))
        # σ(Λ) on the ring [0.9, 0.999], so the decay at r_t = 1, σ(Λ)^8, spans [0.43, 0.99].
        power = np.asarray(jax.nn.sigmoid(cell.init_params(jax.random.PRNGKey(0),
                                                           jnp.float64)["Lambda"]) ** 8.0)
        self.assertGreaterEqual(power.min(), 0.9 ** 8 - 1e-12)
        self.assertLessEqual(power.max(), 0.999 ** 8 + 1e-12)
        self.assertLess(power.min(), 0.5)

    def test_mingru_initialisation_statistics(self):
        p = MinGRUCell(d_in=64, d_hidden=1024, d_out=64).init_params(jax.random.PRNGKey(2))
        for name in ("W_z", "W_h"):
            np.testing.assert_allclose(np.asarray(p[name]).std(), 1 / np.sqrt(64), rtol=0.05)
        for name in ("b_z", "b_h"):
            self.assertFalse(np.any(np.asarray(p[name])), name)
        np.testing.assert_allclose(np.asarray(p["C"]).std(), 1 / np.sqrt(1024), rtol=0.05)

    @parameterized.parameters(
        (dict(a_min=0.999, a_max=0.9), r"config.model.rglru needs 0 < a_min < a_max < 1"),
        (dict(a_min=0.0), r"0 < a_min < a_max < 1, got a_min=0.0"),
        (dict(a_max=1.0), r"0 < a_min < a_max < 1, got a_min=0.9, a_max=1.0"),
        (dict(c=0.0), r"config.model.rglru.c must be > 0, got 0.0"),
        (dict(c=-8.0), r"config.model.rglru.c must be > 0"),
    )
    def test_rglru_bad_options_are_explained(self, options, message):
        with pytest.raises(ValueError, match=message):
            RGLRUCell(d_in=H, d_hidden=N, d_out=H, **options)

    @parameterized.parameters(RGLRUCell, MinGRUCell)
    def test_gated_readout_width_must_equal_input_width(self, cls):
        with pytest.raises(ValueError, match="must equal its input width"):
            cls(d_in=H, d_hidden=N, d_out=H + 1)

    def test_bad_option_from_the_config_names_the_key(self):
        from lru_rtrl.testing.toy import toy_model
        with pytest.raises(ValueError, match="config.model.rglru.c must be > 0"):
            toy_model("rglru", "online_full", c=0.0)
        model, _ = toy_model("rglru", "online_full", a_min=0.5, a_max=0.6, c=2.0)
        self.assertEqual((model.cells[0].a_min, model.cells[0].a_max, model.cells[0].c),
                         (0.5, 0.6, 2.0))

    @parameterized.parameters("rglru", "mingru")
    def test_jacobian_diagonal_is_the_input_gated_coefficient(self, core):
        # J_t = diag(a_t) with a_t a function of x_t alone: the same for every h_{t-1}, and
        # different for another input (a time-varying recurrence).
        cell = _cell(core)
        theta, _ = cell.split(cell.init_params(jax.random.PRNGKey(3), jnp.float64))
        x = jax.random.normal(jax.random.PRNGKey(5), (B, T, H), jnp.float64)
        h1 = jax.random.normal(jax.random.PRNGKey(4), (B, T, N), jnp.float64)
        a, _ = cell.coefficients(theta, x)
        chex.assert_shape(a, (B, T, N))
        np.testing.assert_allclose(cell.jacobian_diagonal(theta, h1, x), a, rtol=1e-14)
        np.testing.assert_allclose(cell.jacobian_diagonal(theta, 2 * h1, x), a, rtol=1e-14)
        self.assertGreater(float(jnp.max(jnp.abs(a[:, 1:] - a[:, :-1]))), 1e-3)
        self.assertTrue(bool(jnp.all((a > 0) & (a < 1))))

    def test_bounded_sqrt_value_and_derivative(self):
        x = jnp.array([0.0, 1e-12, SQRT_DERIVATIVE_FLOOR / 2, SQRT_DERIVATIVE_FLOOR, 1e-4, 0.25,
                       1.0])
        np.testing.assert_array_equal(bounded_sqrt(x), jnp.sqrt(x))
        expected = 0.5 / np.sqrt(np.maximum(np.asarray(x), SQRT_DERIVATIVE_FLOOR))
        self.assertEqual(float(expected.max()), MAX_SQRT_DERIVATIVE)
        reverse = jax.vmap(jax.grad(bounded_sqrt))(x)
        forward = jnp.diagonal(jax.jacfwd(bounded_sqrt)(x))
        np.testing.assert_allclose(reverse, expected, rtol=1e-14)
        np.testing.assert_allclose(forward, expected, rtol=1e-14)
        # Above the floor it is sqrt's own derivative.
        np.testing.assert_allclose(reverse[-3:], jax.vmap(jax.grad(jnp.sqrt))(x[-3:]),
                                   rtol=1e-14)

    def test_haiku_modules(self):
        import haiku as hk
        from lru_rtrl.cores import RGLRU, MinGRU
        x = jax.random.normal(jax.random.PRNGKey(7), (B, T, H))

        def run(x):
            rglru, mingru = RGLRU(H, N, c=4.0), MinGRU(H, N)
            y_t, _ = rglru.step(x[:, 0], rglru.initial_state(B))
            return rglru(x, RULES.get("online_full")), y_t, mingru(x, RULES.get("bptt"))

        f = hk.transform(run)
        params = f.init(jax.random.PRNGKey(0), x)
        y_seq, y_t, y_min = f.apply(params, None, x)
        chex.assert_trees_all_close(y_seq[:, 0], y_t, rtol=1e-5, atol=1e-6)
        chex.assert_shape([y_seq, y_min], [(B, T, H), (B, T, H)])
        self.assertEqual(set(params), {"rglru", "mingru"})


class ParameterCountTest(parameterized.TestCase):
    """The paper's parameter counts, with the block exactly as docs/paper.md describes it."""

    @parameterized.named_parameters(
        ("copy", 8, (7, 2), 128, 64, "per_step", 268_430),
        ("scifar", 3, (10,), 256, 128, "sequence", 1_058_826),
    )
    def test_lru_parameter_count(self, input_dim, output_shape, d_model, d_hidden, kind, count):
        spec = TaskSpec("count", 16, "real", input_dim, output_shape, kind)
        config = base_config("copy")
        config.model.n_layers, config.model.d_model, config.model.d_hidden = 4, d_model, d_hidden
        model = experiment.model_of(config, spec)
        params = jax.eval_shape(lambda key: experiment.init_params(model, key),
                                jax.random.PRNGKey(0))
        self.assertEqual(count_params(params), count)


class DeclaredStructureTest(parameterized.TestCase):
    """The declared structure tells the truth (the check plugin authors are told to run)."""

    @parameterized.parameters(*[(core, matrix.options(core)) for core in matrix.cores()])
    def test_builtin_cores(self, core, options):
        check_core_structure(_cell(core, **options))

    @parameterized.parameters(("linear_rnn", {"nonlinearity": "relu"}),
                              ("rglru", {"c": 2.0, "a_min": 0.5, "a_max": 0.7}),
                              ("mingru", {"candidate": "g"}),
                              ("mingru", {"skip": False}))
    @pytest.mark.slow
    def test_builtin_cores_with_other_options(self, core, options):
        check_core_structure(_cell(core, **options))

    def test_wrong_declarations_are_caught(self):
        import dataclasses

        def with_structure(**changes):
            structure = dataclasses.replace(LRUCell.structure, **changes)
            return type("Lying", (LRUCell,), {"structure": structure})(d_in=H, d_hidden=N,
                                                                         d_out=H)

        axes = dict(LRUCell.structure.hidden_axis, B_re=1)
        with pytest.raises(StructureError, match="'B_re' declares hidden axis 1"):
            check_core_structure(with_structure(hidden_axis=axes))
        with pytest.raises(StructureError, match="'gamma_log' is declared hidden-to-hidden"):
            check_core_structure(with_structure(
                hidden_to_hidden=("nu_log", "theta_log", "gamma_log")))
        # A declaration that forgets a hidden-to-hidden parameter is caught too.
        with pytest.raises(StructureError, match="'theta_log' moves h_t only through h_"):
            check_core_structure(with_structure(hidden_to_hidden=("nu_log",)))
        # A gated core that claims its decay parameter acts through h_{t-1} only: it also
        # scales the drive sqrt(1 - a²) ⊙ i ⊙ u, so the check refuses the claim.
        gated = dataclasses.replace(RGLRUCell.structure, hidden_to_hidden=("Lambda",))
        lying_gated = type("LyingGated", (RGLRUCell,), {"structure": gated})(
            d_in=H, d_hidden=N, d_out=H)
        with pytest.raises(StructureError, match="'Lambda' is declared hidden-to-hidden"):
            check_core_structure(lying_gated)
        dense = dataclasses.replace(LinearRNNCell.structure, diagonal=True)
        lying_dense = type("LyingDense", (LinearRNNCell,), {"structure": dense})(
            d_in=H, d_hidden=N, d_out=H)
        with pytest.raises(StructureError, match="declares a diagonal recurrence"):
            check_core_structure(lying_dense)


class AssociativeScanTest(parameterized.TestCase):
    """The same with the associative scan (slow; tests/cores/test_scan.py holds the two scans to each other in the fast tier)."""

    pytestmark = [pytest.mark.slow]

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))

    @parameterized.product(core=ALL_CORES)
    def test_sequence_equals_repeated_step(self, core):
        _sequence_equals_repeated_step(self, core, "associative")
