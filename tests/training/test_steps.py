"""The pmapped train / eval / alignment steps on tiny copy-task models (4 fake CPU devices).

Each test compiles one or two steps; the model has one or two layers of width 8.
"""

import chex
import jax
import numpy as np
import pytest

from lru_rtrl.training import devices
from training_helpers import Bundle, copy_config


def _train(bundle, batches, num_devices, rng=jax.random.PRNGKey(1)):
    """Runs the bundle's train step over `batches` on `num_devices` devices."""
    p_train = devices.pmap(bundle.fns.train_step, in_axes=(0, 0, None))
    state = devices.replicate(bundle.state, num_devices)
    outputs = []
    for batch in batches:
        state, out = p_train(state, devices.shard_batch(batch, num_devices), rng)
        outputs.append(devices.unreplicate(out))
    return devices.unreplicate(state), outputs


def _assert_same_training(a, b, rtol=2e-5, atol=2e-6):
    (state_a, out_a), (state_b, out_b) = a, b
    for x, y in zip(out_a, out_b):
        for key in ("loss_sum", "weight", "correct", "grad_norm"):
            np.testing.assert_allclose(x[key], y[key], rtol=rtol, atol=atol, err_msg=key)
    chex.assert_trees_all_close(state_a.params, state_b.params, rtol=rtol, atol=atol)
    assert int(state_a.step) == int(state_b.step) == len(out_a)


@pytest.fixture(scope="module")
def one_device_run():
    bundle = Bundle(copy_config("smoke"))
    batches = bundle.batches(2)
    return bundle, batches, _train(bundle, batches, 1)


def test_two_devices_train_like_one(one_device_run):
    bundle, batches, single = one_device_run
    double = _train(bundle, batches, 2)
    _assert_same_training(single, double)
    assert all(bool(out["finite"]) for out in double[1])


def test_in_stream_updates_on_two_devices_train_like_one():
    # The window weight and gradient of every in-stream update are summed over devices, so
    # the split of the batch does not change the updates (nor whether one happens).
    config = copy_config("smoke")
    config.engine = "streaming"
    config.streaming.update_every = 3
    bundle = Bundle(config)
    batches = bundle.batches(2)
    single, double = _train(bundle, batches, 1), _train(bundle, batches, 2)
    chex.assert_trees_all_close(single[0].params, double[0].params, rtol=2e-5, atol=2e-6)
    for x, y in zip(single[1], double[1]):
        assert int(x["updates"]) == int(y["updates"]) == 2
        np.testing.assert_allclose(x["loss_sum"], y["loss_sum"], rtol=2e-5)


def test_gradient_accumulation_equals_the_whole_batch(one_device_run):
    _, batches, single = one_device_run
    accumulated = _train(Bundle(copy_config("smoke"), micro_batches=2), batches, 1)
    _assert_same_training(single, accumulated)


def test_eval_step_sums_over_devices(one_device_run):
    bundle, batches, _ = one_device_run
    p_eval = devices.pmap(bundle.fns.eval_step, in_axes=(0, 0))
    results = [devices.unreplicate(p_eval(devices.replicate(bundle.params, n),
                                          devices.shard_batch(batches[0], n)))
               for n in (1, 4)]
    chex.assert_trees_all_close(results[0], results[1], rtol=1e-5)
    assert float(results[0]["examples"]) == 4.0


def test_non_finite_step_is_not_applied_and_is_recorded(one_device_run):
    bundle, batches, (after_two, _) = one_device_run
    poisoned = dict(batches[1], inputs=np.full_like(batches[1]["inputs"], np.nan))
    state, outputs = _train(bundle, [batches[0], poisoned, batches[0]], 1)
    assert [bool(o["finite"]) for o in outputs] == [True, False, True]
    assert int(state.bad_step) == 1 and int(state.step) == 3
    # Neither the bad update nor any later one was applied: the state is that of step 1.
    first, _ = _train(bundle, batches[:1], 1)
    chex.assert_trees_all_close(state.params, first.params)
    chex.assert_tree_all_finite(state.params)


def _alignment(config):
    bundle = Bundle(config)
    p_align = devices.pmap(bundle.fns.alignment_step, in_axes=(0, 0, None))
    batch = devices.shard_batch(bundle.batches(1)[0], 2)
    return devices.unreplicate(p_align(devices.replicate(bundle.state, 2), batch,
                                       jax.random.PRNGKey(3)))


def test_online_full_on_one_layer_is_aligned_with_bptt():
    config = copy_config("smoke")
    config.model.dropout = 0.1  # same masks for both gradients
    scores = _alignment(config)
    for name in ("nu_log", "theta_log", "gamma_log", "B_re", "B_im"):
        np.testing.assert_allclose(scores[f"block_0/core/{name}/cos"], 1.0, atol=1e-5)
        np.testing.assert_allclose(scores[f"block_0/core/{name}/norm_ratio"], 1.0, atol=1e-4)
    np.testing.assert_allclose(scores["recurrent/cos"], 1.0, atol=1e-5)
    # The encoder below the layer only gets the spatial error: not BPTT's gradient.
    assert float(scores["encoder/w/cos"]) < 0.9999


def test_online_spat_leaves_lambda_without_gradient():
    config = copy_config("smoke")
    config.rule = "online_spat"
    config.model.n_layers = 2
    scores = _alignment(config)
    for layer in (0, 1):
        assert float(scores[f"block_{layer}/core/nu_log/norm_ratio"]) == 0.0
        assert float(scores[f"block_{layer}/core/nu_log/cos"]) == 0.0
    assert 0.0 < float(scores["all/cos"]) < 1.0
