"""Per-device train, eval and alignment steps (the loop `pmap`s them; see devices.py).

  train_step(state, batch, rng) -> (state, metrics)
      The rule's gradient of the device's share of the batch — through the configured engine,
      accumulated over `grad_accum_steps` micro-batches — summed over devices, then one
      optimizer update. The loss normaliser is the global Σw (psum over devices, all
      micro-batches included), so the summed gradient is exactly that of the whole batch,
      however it is split over devices and micro-batches.
  online_train_step(state, batch, rng) -> (state, metrics)
      streaming.update_every = K > 0 (engines with `in_stream_updates`): the optimizer runs
      inside the stream every K steps (`model.engine.online_updates`), one call per batch.
  eval_step(params, batch) -> sums
      The plain forward pass without dropout; metric sums (metrics.eval_sums) over devices.
  alignment_step(state, batch, rng) -> scalars
      The rule's gradient and BPTT's on the same batch, parameters and dropout rng (the very
      ones the train step of this step uses), compared by alignment.alignment.

Batches are the device's share, {k: [b, ...]}. The dropout rng of a step is
fold_in(fold_in(seed key, step), device): a resumed run draws exactly the masks an
uninterrupted one would. Non-finite loss or gradients (parameters, for in-stream updates)
leave the state unchanged and record the step in `state.bad_step`; every later update is
skipped too, and the loop stops at its next check with the last good state intact.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import optax

from lru_rtrl.engines.base import tree_add
from lru_rtrl.model.build import Model
from lru_rtrl.registry import ENGINES, RULES
from lru_rtrl.training import alignment as alignment_lib
from lru_rtrl.training import devices
from lru_rtrl.training import metrics as metrics_lib


class TrainState(NamedTuple):
    """Everything a step changes. Scalars are int32 arrays [] (or [n] when replicated)."""
    step: Any          # data steps (batches) done
    params: hk.Params
    opt_state: optax.OptState
    bad_step: Any      # -1, or the first step whose loss or gradient was not finite


def init_state(optimizer: optax.GradientTransformation, params: hk.Params) -> TrainState:
    """The state before the first step (host values, not replicated)."""
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state=optimizer.init(params), bad_step=-jnp.ones((), jnp.int32))


def all_finite(tree: Any) -> jax.Array:
    """A scalar bool: every element of every leaf is finite."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _zero_stats():
    return {k: jnp.zeros((), jnp.float32) for k in ("weight", "loss_sum", "correct")}


def accumulated_gradient(engine, model: Model, params, rng, batch, normalizer,
                         micro_batches: int, rule=None):
    """(stats, grads) of `batch` summed over `micro_batches` equal slices of it.

    Each slice draws its own dropout rng (fold_in(rng, slice index)); with one slice the
    rng is used as is. Memory is that of one slice.
    """
    if micro_batches == 1:
        _, stats, grads = engine.gradient(model, params, rng, batch, normalizer=normalizer,
                                          rule=rule)
        return stats, grads
    sliced = jax.tree_util.tree_map(
        lambda x: x.reshape((micro_batches, x.shape[0] // micro_batches) + x.shape[1:]), batch)

    def body(totals, xs):
        micro, index = xs
        _, stats, grads = engine.gradient(model, params, jax.random.fold_in(rng, index), micro,
                                          normalizer=normalizer, rule=rule)
        return tree_add(totals, (stats, grads)), None

    init = (_zero_stats(), jax.tree_util.tree_map(jnp.zeros_like, params))
    (stats, grads), _ = jax.lax.scan(body, init, (sliced, jnp.arange(micro_batches)))
    return stats, grads


@dataclasses.dataclass(frozen=True)
class StepFunctions:
    """The per-device functions of one run (pmap them with devices.pmap)."""
    train_step: Callable
    eval_step: Callable
    alignment_step: Callable


def make_steps(model: Model, optimizer: optax.GradientTransformation, *,
               micro_batches: int = 1, update_every: int = 0,
               alignment_groups=None) -> StepFunctions:
    """Builds the step functions of the module docstring for one model and optimizer.

    The gradient comes from the model's engine; BPTT's, for the alignment diagnostic, from the
    parallel engine on the same parameters, batch and dropout rng.
    """
    spec, pooling, average = model.spec, model.arch.pooling, model.loss_average
    engine = model.engine
    parallel = ENGINES.get("parallel")
    bptt = RULES.get("bptt")

    def step_rng(state, rng):
        return devices.device_rng(jax.random.fold_in(rng, state.step))

    def commit(state, params, opt_state, finite):
        ok = jnp.logical_and(finite, state.bad_step < 0)
        keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731
        bad = jnp.where(state.bad_step >= 0, state.bad_step,
                        jnp.where(finite, -1, state.step)).astype(jnp.int32)
        return TrainState(step=state.step + 1,
                          params=jax.tree_util.tree_map(keep, params, state.params),
                          opt_state=jax.tree_util.tree_map(keep, opt_state, state.opt_state),
                          bad_step=bad)

    def train_step(state: TrainState, batch, rng):
        normalizer = devices.psum(metrics_lib.batch_weight(batch, spec, pooling, average))
        stats, grads = accumulated_gradient(engine, model, state.params,
                                            step_rng(state, rng), batch, normalizer,
                                            micro_batches)
        stats, grads = devices.psum((stats, grads))
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        finite = jnp.logical_and(jnp.isfinite(stats["loss_sum"]), all_finite(grads))
        out = dict(stats, grad_norm=optax.tree.norm(grads),
                   update_norm=optax.tree.norm(updates), finite=finite,
                   updates=jnp.ones((), jnp.int32))
        return commit(state, params, opt_state, finite), out

    def online_train_step(state: TrainState, batch, rng):
        # Each batch holds independent sequences: a fresh stream, flushed at its end.
        params, opt_state, stats, num_updates, _ = engine.online_updates(
            model, state.params, state.opt_state, optimizer, step_rng(state, rng), batch,
            update_every, cross_device_sum=devices.psum)
        stats = devices.psum(stats)
        finite = jnp.logical_and(jnp.isfinite(stats["loss_sum"]),
                                 jnp.logical_and(all_finite(params), all_finite(opt_state)))
        out = dict(stats, finite=finite, updates=num_updates)
        return commit(state, params, opt_state, finite), out

    def eval_step(params, batch):
        logits = model.apply(params, None, batch, False)
        return devices.psum(metrics_lib.eval_sums(logits, batch, spec, pooling, average))

    def alignment_step(state: TrainState, batch, rng):
        normalizer = devices.psum(metrics_lib.batch_weight(batch, spec, pooling, average))
        rng = step_rng(state, rng)
        _, rule_grads = accumulated_gradient(engine, model, state.params, rng, batch,
                                             normalizer, micro_batches)
        _, bptt_grads = accumulated_gradient(parallel, model, state.params, rng, batch,
                                             normalizer, micro_batches, rule=bptt)
        rule_grads, bptt_grads = devices.psum((rule_grads, bptt_grads))
        return alignment_lib.alignment(rule_grads, bptt_grads, alignment_groups)

    return StepFunctions(train_step=online_train_step if update_every > 0 else train_step,
                         eval_step=eval_step, alignment_step=alignment_step)
