"""Where our cores follow the code their authors released, and where that code is wrong.

Initial parameters are checked against the released code's formulas (statistics of large
draws); segment starts against Griffin's definition; the GRU's SnAp-1 diagonal against the
true Jacobian, next to the paper's code's formula with its two defects
(docs/paper_departures.md).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import parameterized

from lru_rtrl import experiment
from lru_rtrl.config import base_config
from lru_rtrl.cores import GRUCell, MinGRUCell, RGLRUCell
from lru_rtrl.cores.mingru import positive_candidate
from lru_rtrl.cores.rglru import block_diagonal
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import ConfigError
from lru_rtrl.model.network import segment_starts
from lru_rtrl.registry import CORES
from lru_rtrl.testing import matrix
from lru_rtrl.testing.structure import check_core_structure

# std of a standard normal truncated to [-2, 2]: Flax's and Haiku's correction factor.
TRUNCATED_STD = 0.87962566103423978


def _sequence_with_resets_is_a_loop_of_step_with_reset(test, core, scan):
    with jax.enable_x64(True):
        options = matrix.options(core)
        # The GRU reads out h itself (width N); the others add D ⊙ x (width H).
        d_out = 3 if core == "gru" else 4
        cell = CORES.get(core)(d_in=4, d_hidden=3, d_out=d_out, scan=scan, **options)
        theta, _ = cell.split(cell.init_params(jax.random.PRNGKey(1), jnp.float64))
        x = jax.random.normal(jax.random.PRNGKey(2), (2, 6, 4), jnp.float64)
        h0 = jax.random.normal(jax.random.PRNGKey(3), (2, 3), jnp.float64)
        if core == "lru":
            h0 = h0 + 1j * h0
        resets = jnp.zeros((2, 6)).at[0, 2].set(1.0).at[1, 4].set(1.0)
        h, states = h0, []
        for t in range(6):
            h = cell.step_with_reset(theta, h, x[:, t], resets[:, t])
            states.append(h)
        chex.assert_trees_all_close(cell.sequence(theta, h0, x, resets),
                                    jnp.stack(states, 1), rtol=1e-12, atol=1e-12)
        # A reset forgets everything before it: the states from it on ignore h0.
        base = cell.sequence(theta, h0, x, resets)
        moved = cell.sequence(theta, 3.0 * h0, x, resets)
        chex.assert_trees_all_close(moved[0, 2:], base[0, 2:], rtol=1e-12, atol=1e-12)
        chex.assert_trees_all_close(moved[1, 4:], base[1, 4:], rtol=1e-12, atol=1e-12)
        test.assertGreater(float(jnp.max(jnp.abs(moved[0, :2] - base[0, :2]))), 1e-3)

class RGLRUReferenceTest(parameterized.TestCase):

    def setUp(self):
        super().setUp()
        self.enter_context(jax.enable_x64(True))

    def test_ring_initialisation_of_the_released_code(self):
        cell = RGLRUCell(d_in=64, d_hidden=8192, d_out=64)  # init="reference"
        p = cell.init_params(jax.random.PRNGKey(0), jnp.float64)
        # recurrentgemma's rnn_param_init: σ(Λ)² uniform on [0.9², 0.999²].
        squared = np.asarray(jax.nn.sigmoid(p["Lambda"]) ** 2)
        low, high = 0.9 ** 2, 0.999 ** 2
        self.assertGreaterEqual(squared.min(), low - 1e-12)
        self.assertLessEqual(squared.max(), high + 1e-12)
        np.testing.assert_allclose(squared.mean(), (low + high) / 2, atol=0.003)
        np.testing.assert_allclose(squared.std(), (high - low) / np.sqrt(12), atol=0.003)
        # Median decay at r_t = 1 and at init's r_t ≈ 1/2: the 0.84 (not our old 0.98).
        decay = np.asarray(jax.nn.sigmoid(p["Lambda"])) ** 8
        self.assertLess(np.median(decay), 0.87)
        for name in ("W_a", "W_x", "W_u"):
            np.testing.assert_allclose(np.asarray(p[name]).std(), 1 / 8, rtol=0.03)
        for name in ("b_a", "b_x", "b_u"):
            self.assertFalse(np.any(np.asarray(p[name])), name)

    @parameterized.parameters(("reference", 1 / 8), ("paper", 1 / 4))
    def test_block_diagonal_gates_initialisation(self, init, std):
        # 4 heads of 16 inputs: the released code's std is 1/sqrt(64) whatever the heads (Flax
        # counts the block axis into the fan-in); the paper's LeCun normal uses the real fan-in.
        cell = RGLRUCell(d_in=64, d_hidden=4096, d_out=64, heads=4, init=init)
        p = cell.init_params(jax.random.PRNGKey(1), jnp.float64)
        for name in ("W_a", "W_x"):
            chex.assert_shape(p[name], (4096, 16))
            np.testing.assert_allclose(np.asarray(p[name]).std(), std, rtol=0.03)

    def test_block_diagonal_is_a_masked_dense_matrix(self):
        heads, n, h = 4, 8, 12
        w = jax.random.normal(jax.random.PRNGKey(2), (n, h // heads), jnp.float64)
        x = jax.random.normal(jax.random.PRNGKey(3), (5, h), jnp.float64)
        dense = np.zeros((n, h))
        for unit in range(n):
            head = unit // (n // heads)
            dense[unit, head * (h // heads):(head + 1) * (h // heads)] = w[unit]
        np.testing.assert_allclose(block_diagonal(w, x, heads), x @ dense.T, rtol=1e-13)

    @pytest.mark.slow  # Jacobians of a 4-head RG-LRU; block_diagonal itself is checked above
    def test_block_diagonal_gates_keep_the_declared_structure(self):
        # Each entry of a block-diagonal gate still reaches one hidden unit in one step.
        check_core_structure(RGLRUCell(d_in=4, d_hidden=4, d_out=4, heads=2))

    def test_heads_must_divide_both_widths(self):
        with pytest.raises(ValueError, match="heads must be a positive integer dividing"):
            RGLRUCell(d_in=6, d_hidden=8, d_out=6, heads=4)

    def test_a_segment_start_forgets_and_does_not_scale_the_input(self):
        cell = RGLRUCell(d_in=4, d_hidden=3, d_out=4)
        theta, _ = cell.split(cell.init_params(jax.random.PRNGKey(4), jnp.float64))
        x = jax.random.normal(jax.random.PRNGKey(5), (2, 4), jnp.float64)
        h_prev = jax.random.normal(jax.random.PRNGKey(6), (2, 3), jnp.float64)
        reset = jnp.array([1.0, 0.0])
        h = cell.step_with_reset(theta, h_prev, x, reset)
        gate = jax.nn.sigmoid(x @ theta["W_x"].T + theta["b_x"])
        u = x @ theta["W_u"].T + theta["b_u"]
        np.testing.assert_allclose(h[0], gate[0] * u[0], rtol=1e-13)   # a = 0, unscaled
        np.testing.assert_allclose(h[1], cell.step(theta, h_prev, x)[1], rtol=1e-13)
        # Neither Λ nor the recurrence gate moves a segment start.
        grads = jax.grad(lambda th: cell.step_with_reset(th, h_prev, x, reset)[0].sum())(theta)
        for name in ("Lambda", "W_a", "b_a"):
            self.assertFalse(np.any(np.asarray(grads[name])), name)

    def test_the_first_step_of_every_sequence_is_a_segment_start(self):
        rglru, lru = CORES.get("rglru")(4, 3, 4), CORES.get("lru")(4, 3, 4)
        starts = segment_starts(None, (2, 5), rglru, jnp.float32)
        np.testing.assert_array_equal(starts, np.eye(5)[[0, 0]])
        # For a core whose segment start is the step from a zero state, nothing to apply.
        self.assertIsNone(segment_starts(None, (2, 5), lru, jnp.float32))
        marked = jnp.zeros((2, 5)).at[1, 3].set(1.0)
        np.testing.assert_array_equal(segment_starts(marked, (2, 5), lru, jnp.float32),
                                      np.array([[1, 0, 0, 0, 0], [1, 0, 0, 1, 0]]))


class SequenceWithResetsTest(parameterized.TestCase):

    @parameterized.product(core=matrix.cores())
    def test_sequence_with_resets_is_a_loop_of_step_with_reset(self, core):
        _sequence_with_resets_is_a_loop_of_step_with_reset(self, core, "sequential")

class MinGRUReferenceTest(parameterized.TestCase):

    def test_released_code_initialisation(self):
        # PyTorch's nn.Linear default: weights and biases U(±1/sqrt(fan in)).
        p = MinGRUCell(d_in=64, d_hidden=4096, d_out=64, init="reference").init_params(
            jax.random.PRNGKey(2))
        bound = 1 / 8
        for name in ("W_z", "b_z", "W_h", "b_h"):
            values = np.asarray(p[name])
            self.assertLessEqual(np.abs(values).max(), bound + 1e-7, name)
            np.testing.assert_allclose(values.std(), bound / np.sqrt(3), rtol=0.05, err_msg=name)

    def test_candidate_transform_and_no_skip(self):
        v = jnp.array([-3.0, -0.5, 0.0, 0.5, 3.0])
        np.testing.assert_allclose(positive_candidate(v),
                                   [jax.nn.sigmoid(-3.0), jax.nn.sigmoid(-0.5), 0.5, 1.0, 3.5],
                                   rtol=1e-6)
        cell = MinGRUCell(d_in=4, d_hidden=3, d_out=5, candidate="g", skip=False)
        p = cell.init_params(jax.random.PRNGKey(3))
        self.assertNotIn("D", p)
        theta, phi = cell.split(p)
        x = jax.random.normal(jax.random.PRNGKey(4), (2, 6, 4))
        h = cell.sequence(theta, jnp.zeros((2, 3)), x)
        self.assertTrue(bool(jnp.all(h > 0)))   # g keeps the candidate, and so h, positive
        np.testing.assert_allclose(cell.readout(phi, h, x), h @ phi["C"].T, rtol=1e-6)

    def test_bad_options(self):
        with pytest.raises(ValueError, match="mingru.candidate must be one of"):
            MinGRUCell(d_in=4, d_hidden=3, d_out=4, candidate="relu")
        with pytest.raises(ValueError, match="mingru.init must be one of"):
            MinGRUCell(d_in=4, d_hidden=3, d_out=4, init="xavier")


class GRUReferenceTest(parameterized.TestCase):

    def test_paper_code_initialisation(self):
        # Flax's GRUCell defaults: LeCun-normal input kernels, orthogonal recurrent kernels,
        # zero biases.
        n, h = 512, 256
        p = GRUCell(d_in=h, d_hidden=n, d_out=n).init_params(jax.random.PRNGKey(5))
        for name in ("W_r", "W_z", "W_n"):
            values = np.asarray(p[name])
            std = 1 / np.sqrt(h)
            np.testing.assert_allclose(values.std(), std, rtol=0.02, err_msg=name)
            # Truncated at two standard deviations of the untruncated normal.
            self.assertLessEqual(np.abs(values).max(), 2 * std / TRUNCATED_STD + 1e-6)
        for name in ("U_r", "U_z", "U_n"):
            u = np.asarray(p[name], np.float64)
            np.testing.assert_allclose(u @ u.T, np.eye(n), atol=1e-5, err_msg=name)
        for name in ("b_r", "b_z", "b_in", "b_hn"):
            self.assertFalse(np.any(np.asarray(p[name])), name)

    def test_pytorch_initialisation_is_kept(self):
        n = 512
        p = GRUCell(d_in=64, d_hidden=n, d_out=n, init="pytorch").init_params(
            jax.random.PRNGKey(6))
        for name, values in p.items():
            self.assertLessEqual(np.abs(np.asarray(values)).max(), 1 / np.sqrt(n) + 1e-7, name)
        self.assertTrue(np.any(np.asarray(p["b_r"])))


def _paper_code_gru_snap_diagonal(cell, theta, h_prev, x):
    """The diagonal of ∂h_t/∂h_{t-1} as the paper's released code forms it for SnAp-1: the
    sigmoid's derivative written σ(v)·σ(1 − v), and diag(U_r) where diag(U_n) belongs."""
    sig = jax.nn.sigmoid
    pre_r = x @ theta["W_r"].T + h_prev @ theta["U_r"].T + theta["b_r"]
    pre_z = x @ theta["W_z"].T + h_prev @ theta["U_z"].T + theta["b_z"]
    r, z = sig(pre_r), sig(pre_z)
    hidden_n = h_prev @ theta["U_n"].T + theta["b_hn"]
    n = jnp.tanh(x @ theta["W_n"].T + theta["b_in"] + r * hidden_n)
    dz = sig(pre_z) * sig(1 - pre_z) * jnp.diagonal(theta["U_z"])
    dr = sig(pre_r) * sig(1 - pre_r) * jnp.diagonal(theta["U_r"])
    dn = (1 - n ** 2) * (r * jnp.diagonal(theta["U_r"]) + dr * hidden_n)
    return z + (1 - z) * dn + (h_prev - n) * dz


class GRUSnapDiagonalTest(parameterized.TestCase):

    def test_ours_is_the_jacobians_diagonal_and_the_paper_codes_is_not(self):
        with jax.enable_x64(True):
            cell = GRUCell(d_in=8, d_hidden=16, d_out=16)
            theta, _ = cell.split(cell.init_params(jax.random.PRNGKey(7), jnp.float64))
            h_prev = 0.5 * jax.random.normal(jax.random.PRNGKey(8), (16,), jnp.float64)
            x = jax.random.normal(jax.random.PRNGKey(9), (8,), jnp.float64)
            true = jnp.diagonal(jax.jacfwd(lambda h: cell.step(theta, h, x))(h_prev))
            np.testing.assert_allclose(cell.jacobian_diagonal(theta, h_prev, x), true,
                                       rtol=1e-12, atol=1e-15)
            theirs = _paper_code_gru_snap_diagonal(cell, theta, h_prev, x)
            self.assertGreater(float(jnp.max(jnp.abs(theirs - true))), 0.05)
            # σ(v)σ(1 - v) is not σ'(v): 1.46x at v = 0.
            sig = jax.nn.sigmoid
            np.testing.assert_allclose(sig(0.0) * sig(1.0) / (sig(0.0) * (1 - sig(0.0))),
                                       1.462, rtol=1e-3)


class DenseInitialisationTest(parameterized.TestCase):

    def test_dense_layers_std(self):
        self._check_dense_layers_std("lecun_normal", 1.0)

    @pytest.mark.slow
    def test_dense_layers_std_haiku(self):
        self._check_dense_layers_std("haiku", TRUNCATED_STD)

    def _check_dense_layers_std(self, dense_init, factor):
        spec = TaskSpec("t", 4, "real", 512, (512,), "sequence")
        config = base_config("copy")
        config.rule = "bptt"
        config.model.n_layers, config.model.d_model, config.model.d_hidden = 1, 512, 4
        config.model.dense_init = dense_init
        params = experiment.init_params(experiment.model_of(config, spec),
                                        jax.random.PRNGKey(0))
        for module in ("model/~/encoder", "model/~/block_0/~/glu_w1", "model/~/decoder"):
            w = np.asarray(params[module]["w"])
            np.testing.assert_allclose(w.std(), factor / np.sqrt(512), rtol=0.02,
                                       err_msg=module)
            self.assertFalse(np.any(np.asarray(params[module]["b"])))

    def test_unknown_dense_init_is_named(self):
        config = base_config("copy")
        config.model.dense_init = "glorot"
        with pytest.raises(ConfigError, match="config.model.dense_init 'glorot'"):
            experiment.model_of(config, TaskSpec("t", 4, "real", 3, (2,), "sequence"))


class SequenceWithResetsAssociativeTest(parameterized.TestCase):
    """The same with the associative scan (slow)."""

    pytestmark = [pytest.mark.slow]

    @parameterized.product(core=matrix.cores())
    def test_sequence_with_resets_is_a_loop_of_step_with_reset(self, core):
        _sequence_with_resets_is_a_loop_of_step_with_reset(self, core, "associative")
