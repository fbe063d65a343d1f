"""The diagonal linear recurrence: both implementations, forward and custom VJP, vs a loop."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import parameterized

from lru_rtrl.cores.scan import linear_recurrence, resolve_impl

B, T, N = 2, 6, 3


def _complex(key, shape):
    k1, k2 = jax.random.split(key)
    return jax.lax.complex(jax.random.normal(k1, shape), jax.random.normal(k2, shape))


def _loop(a, u, h0, reverse):
    a = jnp.broadcast_to(a, u.shape)
    h, out = h0, [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h = a[:, t] * h + u[:, t]
        out[t] = h
    return jnp.stack(out, axis=1)


A_SHAPES = ((N,), (T, N), (B, T, N), (1, T, N), (1, 1, N), (B, 1, N))


class LinearRecurrenceTest(parameterized.TestCase):

    # [N] and [B or 1, 1, N] are constant in time; [T, N], [1, T, N] and [B, T, N] vary.
    @parameterized.product(reverse=(False, True), a_shape=A_SHAPES[:3])
    def test_matches_loop_values_and_gradients(self, reverse, a_shape):
        self._check_against_loop("sequential", reverse, a_shape)

    # The broadcast shapes of a ([1, T, N], [1, 1, N], [B, 1, N]) are slow.
    @parameterized.product(reverse=(False, True), a_shape=A_SHAPES[3:])
    @pytest.mark.slow
    def test_matches_loop_values_and_gradients_broadcast_shapes(self, reverse, a_shape):
        self._check_against_loop("sequential", reverse, a_shape)

    # The associative scan against the loop too (slow; test_associative_equals_sequential
    # and the time-varying test below hold it to the sequential one in the fast tier).
    @parameterized.product(reverse=(False, True), a_shape=A_SHAPES)
    @pytest.mark.slow
    def test_associative_matches_loop_values_and_gradients(self, reverse, a_shape):
        self._check_against_loop("associative", reverse, a_shape)

    def _check_against_loop(self, impl, reverse, a_shape):
        keys = jax.random.split(jax.random.PRNGKey(0), 4)
        a = 0.6 * _complex(keys[0], a_shape)
        u, h0, w = _complex(keys[1], (B, T, N)), _complex(keys[2], (B, N)), _complex(keys[3], (B, T, N))

        def loss(fn):
            return lambda a, u, h0: jnp.sum(jnp.real(w * fn(a, u, h0)) ** 2)

        ours = loss(lambda a, u, h0: linear_recurrence(a, u, h0, impl=impl, reverse=reverse))
        ref = loss(lambda a, u, h0: _loop(a, u, h0, reverse))
        np.testing.assert_allclose(ours(a, u, h0), ref(a, u, h0), rtol=1e-5)
        got = jax.grad(ours, argnums=(0, 1, 2))(a, u, h0)
        want = jax.grad(ref, argnums=(0, 1, 2))(a, u, h0)
        for g, r in zip(got, want):
            chex.assert_trees_all_close(g, r, rtol=1e-4, atol=1e-4)
            chex.assert_equal_shape([g, r])

    def test_real_coefficients_with_complex_inputs_give_real_gradient(self):
        a = jax.random.uniform(jax.random.PRNGKey(1), (B, T, N))
        u = _complex(jax.random.PRNGKey(2), (B, T, N))
        h0 = jnp.zeros((B, N), jnp.complex64)
        grad = jax.grad(lambda a: jnp.sum(jnp.abs(linear_recurrence(a, u, h0)) ** 2))(a)
        chex.assert_type(grad, jnp.float32)
        want = jax.grad(lambda a: jnp.sum(jnp.abs(_loop(a, u, h0, False)) ** 2))(a)
        np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-4)

    @chex.variants(with_jit=True, without_jit=True)
    def test_associative_equals_sequential(self):
        a = 0.9 * _complex(jax.random.PRNGKey(3), (N,))
        u = _complex(jax.random.PRNGKey(4), (B, 64, N))
        h0 = _complex(jax.random.PRNGKey(5), (B, N))
        seq = self.variant(lambda a, u, h0: linear_recurrence(a, u, h0, impl="sequential"))
        assoc = self.variant(lambda a, u, h0: linear_recurrence(a, u, h0, impl="associative"))
        chex.assert_trees_all_close(seq(a, u, h0), assoc(a, u, h0), rtol=1e-4, atol=1e-5)
        chex.assert_shape(seq(a, u, h0), (B, 64, N))

    @parameterized.parameters((T, N), (B, T, N))
    def test_time_varying_coefficients_agree_between_implementations(self, *a_shape):
        # A gated core's a_t (e.g. RG-LRU) in (0, 1), over a long sequence: values and the
        # gradients of a, u and h0 agree between the sequential and the associative scan.
        keys = jax.random.split(jax.random.PRNGKey(6), 4)
        length = 64
        a_shape = tuple(length if n == T else n for n in a_shape)
        a = jax.random.uniform(keys[0], a_shape, minval=0.5, maxval=0.999)
        u = jax.random.normal(keys[1], (B, length, N))
        h0 = jax.random.normal(keys[2], (B, N))
        w = jax.random.normal(keys[3], (B, length, N))

        def loss(impl):
            return lambda a, u, h0: jnp.sum(w * linear_recurrence(a, u, h0, impl=impl))

        seq = jax.value_and_grad(loss("sequential"), argnums=(0, 1, 2))(a, u, h0)
        assoc = jax.value_and_grad(loss("associative"), argnums=(0, 1, 2))(a, u, h0)
        chex.assert_trees_all_close(seq, assoc, rtol=1e-4, atol=1e-4)
        chex.assert_shape(seq[1][0], a_shape)

    def test_bad_arguments_are_explained(self):
        with pytest.raises(ValueError, match="Unknown scan implementation 'fast'"):
            resolve_impl("fast")
        with pytest.raises(ValueError, match=r"\[B, T, N\]"):
            linear_recurrence(jnp.ones(3), jnp.ones((4, 3)), jnp.ones(3))
        self.assertEqual(resolve_impl("auto"), "sequential")  # CPU in tests
