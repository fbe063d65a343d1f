"""Every (core, rule) pair against the brute-force oracle, on 1- and 2-layer networks.

The oracle (lru_rtrl.testing.oracle) builds explicit Jacobians with jax.jacfwd and runs the
sensitivities M_t = J_t M_{t-1} + I_t by hand; the parallel engine must match it on every
parameter, recurrent and non-recurrent, to 1e-10 relative in float64 and 1e-5 in float32.
"""

import jax
import jax.numpy as jnp
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl.registry import ENGINES
from lru_rtrl.testing import matrix, oracle
from lru_rtrl.testing.toy import PER_STEP_SPEC, SEQUENCE_SPEC, toy_batch, toy_model

CORES = matrix.cores()
ONLINE_RULES = matrix.online_rules()


def reference(model, params, batch):
    if model.rule.name == "bptt":
        return oracle.bptt_reference(model, params, None, batch)
    return oracle.online_reference(model, params, None, batch)



class OracleMatrixFloat64Test(parameterized.TestCase):
    """The whole float64 matrix (slow: dozens of compilations); the float32 checks below and
    tests/rules/test_rule_properties.py keep an exactness check in the fast tier."""

    pytestmark = [pytest.mark.slow]

    # Both scan implementations: "auto" picks the sequential one on CPU and the associative
    # one on accelerators, so the float64 matrix runs both (LRU: the forward scan and the
    # reverse one; gated cores: both with time-varying [B, T, N] coefficients; dense cores:
    # SnAp-1's reverse recursion).
    @parameterized.product(core=CORES, rule=("bptt",) + ONLINE_RULES,
                           scan=("sequential", "associative"))
    def test_parallel_engine_matches_oracle_float64(self, core, rule, scan):
        with jax.enable_x64(True):
            options = matrix.options(core)
            model, params = toy_model(core, rule, n_layers=2, scan=scan, **options)
            batch = toy_batch(PER_STEP_SPEC)
            _, _, grads = ENGINES.get("parallel").gradient(model, params, None, batch,
                                                           is_training=False)
            matrix.assert_close(grads, reference(model, params, batch), 1e-10)

    @parameterized.product(core=("lru", "rglru"), rule=("bptt",) + ONLINE_RULES,
                           pooling=("pool_st", "last"), block=("half_glu2", "none"))
    def test_sequence_labels_and_other_blocks_float64(self, core, rule, pooling, block):
        # The pooling and block code is shared by all cores: one core with a constant
        # recurrence (lru) and one with an input-gated one (rglru).
        with jax.enable_x64(True):
            model, params = toy_model(core, rule, n_layers=2, pooling=pooling, block=block,
                                      norm="post", spec=SEQUENCE_SPEC)
            batch = toy_batch(SEQUENCE_SPEC)
            _, _, grads = ENGINES.get("parallel").gradient(model, params, None, batch,
                                                           is_training=False)
            matrix.assert_close(grads, reference(model, params, batch), 1e-10)


    # Segment starts inside rows (two sequences per row): the parallel surrogates, the
    # streaming traces and the oracle's explicit Jacobians must all cut at the reset — and
    # the RG-LRU's own segment start (a_t = 0, the input unscaled) must be the same in each.
    @parameterized.parameters(
        *[(core, rule, "parallel") for core in CORES for rule in ("bptt",) + ONLINE_RULES],
        *[(core, rule, "streaming") for core in CORES for rule in ONLINE_RULES])
    def test_resets_inside_sequences_float64(self, core, rule, engine):
        with jax.enable_x64(True):
            options = matrix.options(core)
            model, params = toy_model(core, rule, engine=engine, n_layers=2,
                                      pooling="pool_st", **options)
            batch = toy_batch(PER_STEP_SPEC, resets=True)
            _, _, grads = model.engine.gradient(model, params, None, batch, is_training=False)
            matrix.assert_close(grads, reference(model, params, batch), 1e-10)


class OracleMatrixFloat32Test(parameterized.TestCase):
    """float32 against the float64 oracle on every core (slow; CoverageTest keeps one)."""

    pytestmark = [pytest.mark.slow]

    @parameterized.product(core=CORES, rule=("bptt", "online_full", "online_snap"))
    def test_parallel_engine_matches_oracle_float32(self, core, rule):
        _check_float32(core, rule, "parallel")

    @parameterized.product(core=("rglru",), rule=("online_full", "online_snap"))
    def test_dropout_masks_are_shared_in_time_and_between_modes(self, core, rule):
        _check_dropout(core, rule)


def _check_float32(core, rule, engine):
    model, params32 = toy_model(core, rule, engine=engine, n_layers=2, dtype=jnp.float32)
    batch32 = toy_batch(PER_STEP_SPEC, dtype="float32")
    _, _, grads = jax.jit(lambda p, b: model.engine.gradient(model, p, None, b,
                                                             is_training=False))(params32, batch32)
    with jax.enable_x64(True):
        params64 = jax.tree_util.tree_map(lambda p: p.astype(jnp.float64), params32)
        want = reference(model, params64, toy_batch(PER_STEP_SPEC))
    matrix.assert_close(grads, want, 1e-5)


def _check_dropout(core, rule):
    # With dropout on, the step network (oracle) and the sequence pass (engine) must draw
    # the same masks from the same rng for the gradients to agree.
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, n_layers=2, dropout=0.3)
        batch = toy_batch(PER_STEP_SPEC)
        rng = jax.random.PRNGKey(42)
        _, _, grads = ENGINES.get("parallel").gradient(model, params, rng, batch,
                                                       is_training=True)
        want = oracle.online_reference(model, params, rng, batch, is_training=True)
        matrix.assert_close(grads, want, 1e-10)


def _check_float64(core, rule, engine, **kwargs):
    with jax.enable_x64(True):
        model, params = toy_model(core, rule, engine=engine, n_layers=2,
                                  **matrix.options(core), **kwargs)
        batch = toy_batch(PER_STEP_SPEC)
        _, _, grads = model.engine.gradient(model, params, None, batch, is_training=False)
        matrix.assert_close(grads, reference(model, params, batch), 1e-10)


class CoverageTest(parameterized.TestCase):
    """The fast tier's exactness checks: every registered core, rule and engine at least once
    against the float64 oracle (the full matrix above is slow)."""

    @parameterized.parameters(*CORES)
    def test_every_core_with_its_exact_in_layer_rule_float64(self, core):
        _check_float64(core, matrix.exact_in_layer_rule(core), "parallel")

    @parameterized.parameters(*(("bptt",) + ONLINE_RULES))
    def test_every_rule_float64(self, rule):
        # On the GRU: SnAp-1 and the cut of the hidden-to-hidden weights are real there.
        _check_float64("gru", rule, "parallel")

    @parameterized.parameters(*[(engine,) for engine in matrix.streaming_engines()])
    def test_every_streaming_engine_float64(self, engine):
        _check_float64("lru", "online_full", engine)

    @parameterized.parameters("parallel", "streaming")
    def test_float32(self, engine):
        _check_float32("lru", "online_full", engine)

    def test_dropout_masks_are_shared_in_time_and_between_modes(self):
        _check_dropout("lru", "online_full")

    @parameterized.parameters("parallel", "streaming")
    def test_rglru_segment_starts_inside_sequences(self, engine):
        # The fast tier's check of the reset path (the float64 matrix above has every core).
        with jax.enable_x64(True):
            model, params = toy_model("rglru", "online_full", engine=engine, n_layers=2)
            batch = toy_batch(PER_STEP_SPEC, resets=True)
            _, _, grads = model.engine.gradient(model, params, None, batch, is_training=False)
            want = reference(model, params, batch)
            matrix.assert_close(grads, want, 1e-10)
            # The resets matter: without them the gradient is another one.
            del batch["resets"]
            _, _, plain = model.engine.gradient(model, params, None, batch, is_training=False)
            self.assertGreater(max(oracle.per_leaf_relative_error(plain, want).values()), 1e-3)


if __name__ == "__main__":
    absltest.main()
