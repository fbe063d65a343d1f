"""`tbptt` (truncated BPTT, window K) on the parallel engine against a float64 oracle that
cuts the state step by step; its limits (K ≥ T: BPTT, K = 1: online_truncated); options
from the config; the streaming engine's refusal."""

import jax
import pytest
from absl.testing import absltest, parameterized

from lru_rtrl import experiment
from lru_rtrl.config import base_config
from lru_rtrl.registry import ENGINES, RULES
from lru_rtrl.rules.base import UnsupportedCombinationError
from lru_rtrl.rules.tbptt import TBPTT
from lru_rtrl.testing import matrix, oracle
from lru_rtrl.testing.toy import PER_STEP_SPEC, toy_batch, toy_model


def _grads(model, params, batch, rule=None):
    return ENGINES.get("parallel").gradient(model, params, None, batch, is_training=False,
                                            rule=rule)[2]



def _check_against_oracle(test, core, window):
    with jax.enable_x64(True):
        options = matrix.options(core)
        model, params = toy_model(core, "tbptt", window=window, n_layers=2, **options)
        batch = toy_batch(PER_STEP_SPEC)
        got = _grads(model, params, batch)
        want = oracle.tbptt_reference(model, params, None, batch, window=window)
        matrix.assert_close(got, want, 1e-10)
        # A real truncation: it is not BPTT.
        test.assertGreater(oracle.relative_error(
            got, oracle.bptt_reference(model, params, None, batch)), 1e-6)


class TBPTTOracleTest(parameterized.TestCase):

    # T = 5: K = 2 leaves a partial last window (the padded path); the other cores and K = 3
    # are in the slow matrix below.
    def test_parallel_equals_step_by_step_oracle_float64(self):
        core, window = "lru", 2
        _check_against_oracle(self, core, window)

    def test_limits_bptt_and_online_truncated(self):
        with jax.enable_x64(True):
            model, params = toy_model("lru", "bptt", n_layers=2)
            batch = toy_batch(PER_STEP_SPEC)
            bptt = _grads(model, params, batch)
            matrix.assert_close(_grads(model, params, batch, TBPTT(PER_STEP_SPEC.seq_len)),
                                bptt, 1e-12)
            matrix.assert_close(_grads(model, params, batch, TBPTT(1)),
                                _grads(model, params, batch, RULES.get("online_truncated")),
                                1e-10)


class TBPTTOracleMatrixTest(parameterized.TestCase):
    """Every core and both windows (slow: a dozen float64 compilations)."""

    pytestmark = [pytest.mark.slow]

    @parameterized.product(core=matrix.cores(), window=(2, 3))
    def test_parallel_equals_step_by_step_oracle_float64(self, core, window):
        _check_against_oracle(self, core, window)


class TBPTTConfigTest(absltest.TestCase):

    def test_window_comes_from_the_config(self):
        # Every model is built through the assembler, which always gives the rule its options.
        config = base_config("copy")
        config.rule, config.tbptt.window = "tbptt", 7
        self.assertEqual(experiment.model_of(config, PER_STEP_SPEC).rule.window, 7)
        self.assertEqual(experiment.rule_of(config).window, 7)
        # The schema's default is the registered rule's.
        self.assertEqual(base_config("copy").tbptt.window, RULES.get("tbptt").window)

    def test_bad_window(self):
        with pytest.raises(ValueError, match="window must be >= 1"):
            TBPTT(0)

    def test_streaming_engine_refuses_and_says_what_to_use(self):
        with pytest.raises(UnsupportedCombinationError, match="OnlineLearner"):
            toy_model("lru", "tbptt", engine="streaming")


if __name__ == "__main__":
    absltest.main()
