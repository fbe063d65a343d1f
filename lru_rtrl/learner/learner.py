"""`OnlineLearner`: learning on an endless stream, one step at a time.

    learner = OnlineLearner.from_config(config)          # or (config, spec)
    state = learner.init(jax.random.PRNGKey(0), batch_size=1)
    prediction, state, info = learner.step(state, x_t, target_t, weight_t)
    predictions, state, info = learner.steps(state, xs, targets, weights)   # a chunk, one scan

The learner owns nothing mutable: `state` is a pytree (parameters, optimizer state, network
state, the rule's traces or tbptt's window, the dropout key) that orbax saves and restores
(`lru_rtrl.learner.saving`). Each step predicts *before* it learns (prequential evaluation),
accumulates the rule's online gradient, and applies an optimizer update every K steps:
K = config.streaming.update_every (0 means 1) for the online rules, the window
config.tbptt.window for `tbptt`. The online rules run through the streaming engine's
`learn_step` — the very function its in-stream updates (`online_updates`) use — so the
learner and the engine cannot drift apart; `tbptt` runs through `window.window_step`.

Shapes: B streams side by side (independent rows), one device. x_t [B, F] floating
([B] int ids for token tasks), target_t [B, *output_shape[:-1]] int, weight_t [B] (0: this
prediction carries no loss), reset_t [B] (1: that row's stream starts anew). `steps` takes
the same with a time axis after the batch axis ([B, T, ...]).
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Tuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from lru_rtrl import compat, experiment
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.engines.streaming import init_stream_state, learn_step
from lru_rtrl.errors import ConfigError
from lru_rtrl.learner import inputs as inputs_lib
from lru_rtrl.learner.window import init_window_state, window_step
from lru_rtrl.model.network import fresh_start

LearnerState = Dict[str, Any]


def stream_spec(input_dim: int, num_classes: int, *, input_kind: str = "real",
                name: str = "stream") -> TaskSpec:
    """A per-step classification spec for a hand-fed stream: one prediction per step."""
    return TaskSpec(name, seq_len=1, input_kind=input_kind, input_dim=input_dim,
                    output_shape=(num_classes,), target_kind="per_step")


class OnlineLearner:
    """A model, an optimizer and an update period K; see the module docstring."""

    def __init__(self, model, optimizer: optax.GradientTransformation, update_every: int = 1):
        """`model` on a streaming engine (lru_rtrl.compat says what a learner can run);
        `update_every` K >= 1 (tbptt updates at the end of each window instead)."""
        compat.check(structure=model.cells[0].structure, rule=model.rule, engine=model.engine,
                     spec=model.spec, pooling=model.arch.pooling, learner=True)
        if isinstance(update_every, bool) or int(update_every) != update_every \
                or update_every < 1:
            raise ConfigError(f"The learner's update period (config.streaming.update_every) "
                              f"must be an integer >= 1, got {update_every!r}.")
        rule = model.rule
        self.model = model
        self.optimizer = optimizer
        self.update_every = rule.window if rule.window is not None else int(update_every)
        self.is_training = model.arch.dropout > 0
        self._step = jax.jit(self._step_impl)
        self._steps = jax.jit(self._steps_impl)
        self._predict = jax.jit(self._predict_impl)
        self._predict_steps = jax.jit(self._predict_steps_impl)

    @classmethod
    def from_config(cls, config: ml_collections.ConfigDict, spec: Optional[TaskSpec] = None,
                    optimizer: Optional[optax.GradientTransformation] = None
                    ) -> "OnlineLearner":
        """The learner of an experiment config, built by lru_rtrl.experiment: config.model,
        config.rule (and its options, e.g. config.tbptt), config.engine (one that streams),
        config.train's optimizer (config.train.num_steps = the stream length the schedule
        spans), K = config.streaming.update_every (0: 1). `spec` defaults to the spec of
        config.data's task."""
        run = experiment.assemble(config, spec=spec, learner=True)
        return cls(run.model, optimizer or run.optimizer,
                   max(1, int(config.streaming.update_every)))

    # --- state ---------------------------------------------------------------------------
    def init(self, rng: jax.Array, batch_size: int, params=None) -> LearnerState:
        """A fresh learner for `batch_size` independent streams (new parameters unless given)."""
        init_rng, key = jax.random.split(rng)
        if params is None:
            params = experiment.init_params(self.model, init_rng)
        if self.model.rule.window is not None:
            stream = init_window_state(self.model, params, batch_size, self.update_every)
        else:
            stream = init_stream_state(self.model, params, batch_size)
        return {"params": params, "opt_state": self.optimizer.init(params), "stream": stream,
                "key": key}

    def batch_size(self, state: LearnerState) -> int:
        return int(jax.tree_util.tree_leaves(state["stream"]["carry"])[0].shape[0])

    def memory_bytes(self, state: LearnerState) -> Dict[str, int]:
        """Bytes held between steps: params, optimizer, network_state (states and pooling),
        rule_state (the traces of an online rule; tbptt's window buffer and start state),
        accumulators (the gradient summed since the last update: online rules only) and
        carried = network_state + rule_state, what the rule itself costs on a stream."""
        size = lambda tree: int(sum(np.asarray(a).nbytes  # noqa: E731
                                    for a in jax.tree_util.tree_leaves(tree)))
        stream = state["stream"]
        network = size(stream["carry"])
        rule = size({k: v for k, v in stream.items() if k in ("traces", "start", "buffer")})
        accumulators = size({k: v for k, v in stream.items()
                             if k in ("grad_theta", "grad_rest")})
        return {"params": size(state["params"]), "optimizer": size(state["opt_state"]),
                "network_state": network, "rule_state": rule, "accumulators": accumulators,
                "carried": network + rule}

    # --- stepping ------------------------------------------------------------------------
    def _dtype(self, state):
        return jax.tree_util.tree_leaves(state["params"])[0].dtype

    def _learn(self, state, slice_t):
        """One step on checked arrays (traced): (logits_t, state, info)."""
        model, params = self.model, state["params"]
        trained = model.trained_mask(params)
        stream = state["stream"]
        rng = state["key"] if self.is_training else None
        if model.rule.window is not None:
            params, opt_state, stream, stats, updated, logits = window_step(
                model, self.optimizer, self.update_every, params, state["opt_state"], stream,
                slice_t, rng, is_training=self.is_training, trained=trained)
        else:
            at_boundary = (stream["position"] + 1) % self.update_every == 0
            params, opt_state, stream, stats, updated, logits = learn_step(
                model, self.optimizer, params, state["opt_state"], stream, slice_t, rng,
                at_boundary, is_training=self.is_training, trained=trained)
        info = dict(stats, updated=updated)
        return logits, dict(state, params=params, opt_state=opt_state, stream=stream), info

    def _step_impl(self, state, slice_t):
        return self._learn(state, slice_t)

    def _steps_impl(self, state, chunk):
        def body(s, slice_t):
            logits, s, info = self._learn(s, slice_t)
            return s, (logits, info)
        time_major = jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), chunk)
        state, (logits, info) = jax.lax.scan(body, state, time_major)
        return jnp.swapaxes(logits, 0, 1), state, info

    def step(self, state: LearnerState, x_t, target_t, weight_t, reset_t=None
             ) -> Tuple[jax.Array, LearnerState, Dict[str, jax.Array]]:
        """Predicts, then learns from (x_t, target_t, weight_t); see the module docstring.

        Returns (logits_t [B, *output_shape] made before learning, state, info) with info
        {"loss_sum", "weight", "correct"} (sums over the batch) and "updated" (bool).
        """
        slice_t = inputs_lib.step_inputs(self.model.spec, self.batch_size(state),
                                         self._dtype(state), x_t, target_t, weight_t, reset_t)
        return self._step(state, slice_t)

    def steps(self, state: LearnerState, xs, targets, weights, resets=None):
        """T steps in one jitted scan, the same as T calls of `step`: xs [B, T, F],
        targets [B, T, ...], weights [B, T], resets [B, T]. Returns (logits [B, T, *out],
        state, info with a leading time axis [T])."""
        # T from the weights [B, T] (the simplest array), else from xs.
        time = (int(np.shape(weights)[1]) if np.ndim(weights) == 2
                else int(np.shape(xs)[1]) if np.ndim(xs) >= 2 else -1,)
        chunk = inputs_lib.step_inputs(self.model.spec, self.batch_size(state),
                                       self._dtype(state), xs, targets, weights, resets,
                                       time=time)
        return self._steps(state, chunk)

    def _predict_impl(self, state, slice_t):
        stream = state["stream"]
        reset = fresh_start(slice_t["resets"], stream["position"])
        carry, logits, _ = self.model.step(state["params"], None, stream["carry"],
                                           slice_t["inputs"], slice_t["mask"], False,
                                           reset_t=reset)
        # The position counts the steps this stream has taken (the first one starts a segment).
        return logits, dict(state, stream=dict(stream, carry=carry,
                                               position=stream["position"] + 1))

    def predict(self, state: LearnerState, x_t, reset_t=None):
        """Prediction only (no gradient, no traces, no update): (logits_t, state) with the
        network state and the stream's step count advanced. For inference once learning
        stops: traces and tbptt's window are left as they were, so do not interleave it with
        `step` on one stream."""
        batch = self.batch_size(state)
        target = np.zeros((batch,) + tuple(self.model.spec.output_shape[:-1]), np.int32)
        slice_t = inputs_lib.step_inputs(self.model.spec, batch, self._dtype(state), x_t,
                                         target, np.zeros((batch,), np.float32), reset_t)
        return self._predict(state, slice_t)

    def _predict_steps_impl(self, state, chunk):
        def body(s, slice_t):
            logits, s = self._predict_impl(s, slice_t)
            return s, logits
        time_major = jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), chunk)
        state, logits = jax.lax.scan(body, state, time_major)
        return jnp.swapaxes(logits, 0, 1), state

    def predict_steps(self, state: LearnerState, xs, resets=None):
        """`predict` over a chunk xs [B, T, ...] in one jitted scan: (logits [B, T, ...],
        state)."""
        batch, steps = self.batch_size(state), int(np.shape(xs)[1])
        target = np.zeros((batch, steps) + tuple(self.model.spec.output_shape[:-1]), np.int32)
        chunk = inputs_lib.step_inputs(self.model.spec, batch, self._dtype(state), xs, target,
                                       np.zeros((batch, steps), np.float32), resets,
                                       time=(steps,))
        return self._predict_steps(state, chunk)

    @functools.cached_property
    def describe(self) -> str:
        rule = self.model.rule
        return (f"OnlineLearner: rule {rule.name!r}" +
                (f" (window {rule.window})" if rule.window else "") +
                f", update every {self.update_every} steps, "
                f"{len(self.model.cells)} x {type(self.model.cells[0]).__name__}")
