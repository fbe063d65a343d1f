"""What a recurrent core is: pure step math (a `Cell`) plus a generic Haiku module around it.

A core is a step `h_t = f(h_{t-1}, x_t; θ)` and a readout `y_t = g(h_t, x_t; φ)`. The math
lives in a `Cell`: a plain, immutable Python object whose methods are pure functions of
explicit parameter dicts. Rules, engines and the oracle call these functions under
`jax.vjp`, `jax.jacfwd` and `custom_vjp` backward passes, where Haiku state must not be
touched, so cells never call `hk.get_parameter`. The Haiku module `RecurrentCore` creates the
parameters (with the cell's initialiser) and runs the cell — over a whole sequence through the
learning rule's surrogate, or one step at a time.

Every cell declares its `CoreStructure`, the only thing rules know about a core.

Segment starts. A step may start a new segment (a new sequence inside a stream, or the first
step of a fresh one): `reset` is 1 there, and the step forgets h_{t-1}. By default that is the
plain step from a zero state; a cell whose recurrence defines its own segment start (the
RG-LRU sets a_t = 0, so its first input is not scaled by sqrt(1 − a_t²)) overrides
`step_with_reset` / `sequence` and sets `distinct_segment_start`. Either way the Jacobian
∂h_t/∂h_{t-1} is 0 at a reset, which is how rules and the oracle cut traces there.

Shapes: h: [..., N] (any leading batch / time axes), x: [..., H], y: [..., H_out];
reset: [...] (the leading axes of h), 1.0 at a segment start, else 0.0.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple

import haiku as hk
import jax
import jax.numpy as jnp
import ml_collections

from lru_rtrl.choices import Scan
from lru_rtrl.errors import ConfigError

Params = Dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class CoreStructure:
    """The facts about a core that learning rules may use.

    Attributes:
      diagonal: the recurrent Jacobian ∂f/∂h_{t-1} is diagonal (element-wise recurrence).
      recurrent: names of the parameters θ of the step f (the "rec" optimizer group draws
        from these); all other parameters of the core belong to the readout g.
      hidden_axis: for each recurrent parameter, the axis that indexes the hidden unit it
        feeds in one step (each entry of a recurrent parameter reaches exactly one unit in one
        step — SnAp-1 and the element-wise traces rely on it); None for a parameter that
        reaches every unit (none of the built-in cores has one).
      hidden_to_hidden: recurrent parameters that act on h_{t-1} only (λ, A, U); `online_spat`
        cuts the h_{t-1} path and so leaves them without gradient.
      complex_state: h is complex (the LRU).
      input_matrix: the parameters of the input matrix "B" (the LRU's B_re, B_im; the dense
        RNN's B), which the paper's optimizer-group variants move (Bdecay,
        Bfast_and_decay); () when the core has none.
      output_matrix: the parameters of the output matrix "C" (Cslow_and_nodecay).
    """
    diagonal: bool
    recurrent: Tuple[str, ...]
    hidden_axis: Mapping[str, Optional[int]]
    hidden_to_hidden: Tuple[str, ...]
    complex_state: bool = False
    input_matrix: Tuple[str, ...] = ()
    output_matrix: Tuple[str, ...] = ()

    def __post_init__(self):
        missing = set(self.recurrent) - set(self.hidden_axis)
        if missing:
            raise ValueError(f"hidden_axis lacks the recurrent parameters {sorted(missing)}")
        stray = set(self.hidden_to_hidden) - set(self.recurrent)
        if stray:
            raise ValueError(f"hidden_to_hidden names non-recurrent parameters {sorted(stray)}")
        stray = set(self.input_matrix) - set(self.recurrent)
        if stray:
            raise ValueError(f"input_matrix names non-recurrent parameters {sorted(stray)}")


@dataclasses.dataclass(frozen=True)
class Cell(abc.ABC):
    """The pure math of one core. Subclasses are frozen dataclasses of static settings.

    Attributes:
      d_in: H, the width of the input x_t.
      d_hidden: N, the size of the state h_t.
      d_out: H_out, the width of the output y_t.
      scan: how linear recurrences over time run (`choices.Scan`: auto | sequential |
        associative): the diagonal cores' forward scan and the reverse recursion of the
        diagonal rules. A static setting of the cell, keyword-only.
    """
    d_in: int
    d_hidden: int
    d_out: int
    scan: str = dataclasses.field(default=Scan.AUTO, kw_only=True)

    structure: ClassVar[CoreStructure]
    # True when a segment start is more than the step from a zero state (see the module
    # docstring): callers must then mark the first step of a fresh sequence as a reset,
    # where for other cells a reset from the zero state changes nothing.
    distinct_segment_start: ClassVar[bool] = False

    def __post_init__(self):
        if self.scan not in Scan.values():
            raise ConfigError(f"config.model.scan must be one of {Scan.values()}, got "
                             f"{self.scan!r}.")

    @classmethod
    def from_config(cls, d_in: int, d_hidden: int, d_out: int,
                    options: ml_collections.ConfigDict, *, scan: str = Scan.AUTO) -> "Cell":
        """Builds the cell from `config.model.<core name>` (a ConfigDict of its options)."""
        return cls(d_in=d_in, d_hidden=d_hidden, d_out=d_out, scan=scan, **dict(options))

    # --- parameters -------------------------------------------------------------------
    @abc.abstractmethod
    def init_params(self, key: jax.Array, dtype=jnp.float32) -> Params:
        """All parameters (recurrent θ and readout φ), as real arrays, from one PRNG key."""

    def state_dtype(self, real_dtype=jnp.float32):
        """The dtype of h for parameters of `real_dtype` (complex for complex-state cores)."""
        if self.structure.complex_state:
            return jnp.result_type(real_dtype, jnp.complex64)
        return jnp.dtype(real_dtype)

    def initial_state(self, batch_shape: Tuple[int, ...], real_dtype=jnp.float32) -> jax.Array:
        """Zeros [*batch_shape, N] of `state_dtype(real_dtype)`."""
        return jnp.zeros(tuple(batch_shape) + (self.d_hidden,), self.state_dtype(real_dtype))

    def split(self, params: Mapping[str, jax.Array]) -> Tuple[Params, Params]:
        """(θ, φ): the recurrent parameters and the readout parameters."""
        theta = {k: v for k, v in params.items() if k in self.structure.recurrent}
        phi = {k: v for k, v in params.items() if k not in self.structure.recurrent}
        return theta, phi

    # --- the math -----------------------------------------------------------------------
    @abc.abstractmethod
    def step(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        """h_t = f(h_{t-1}, x_t; θ), broadcasting over leading axes: [..., N], [..., H] -> [..., N]."""

    @abc.abstractmethod
    def readout(self, phi: Params, h: jax.Array, x: jax.Array) -> jax.Array:
        """y_t = g(h_t, x_t; φ): [..., N], [..., H] -> [..., H_out] (real)."""

    @abc.abstractmethod
    def jacobian_diagonal(self, theta: Params, h_prev: jax.Array, x: jax.Array) -> jax.Array:
        """The analytic diagonal of ∂f/∂h_{t-1} at (h_{t-1}, x_t): [..., N]."""

    def decay_moduli(self, theta: Params):
        """The moduli of the recurrence's decays for the evaluation logs (numpy, host values),
        e.g. the LRU's |λ|; None for a core whose decay depends on the input or state."""
        del theta
        return None

    def step_with_reset(self, theta: Params, h_prev: jax.Array, x: jax.Array,
                        reset: Optional[jax.Array]) -> jax.Array:
        """`step`, except where reset [...] is 1: a segment starts and h_{t-1} is forgotten.

        The default steps from h_{t-1}·(1 − reset), so ∂h_t/∂h_{t-1} is 0 at a reset; a cell
        with its own segment start overrides this (and `sequence`) consistently.
        """
        if reset is None:
            return self.step(theta, h_prev, x)
        return self.step(theta, h_prev * keep_factor(reset, h_prev), x)

    def sequence(self, theta: Params, h0: jax.Array, x: jax.Array,
                 resets: Optional[jax.Array] = None) -> jax.Array:
        """All states of a sequence: h0 [B, N], x [B, T, H], resets [B, T] or None -> h [B, T, N].

        The default scans `step_with_reset` sequentially; diagonal cores override it with a
        linear recurrence run by `self.scan` (a reset sets that step's coefficient to 0).
        """
        xs = jnp.moveaxis(x, 1, 0)
        if resets is None:
            def body(h, x_t):
                h = self.step(theta, h, x_t)
                return h, h

            _, h = jax.lax.scan(body, h0, xs)
        else:
            def body_reset(h, inputs):
                x_t, r_t = inputs
                h = self.step_with_reset(theta, h, x_t, r_t)
                return h, h

            _, h = jax.lax.scan(body_reset, h0, (xs, jnp.moveaxis(resets, 1, 0)))
        return jnp.moveaxis(h, 0, 1)


def keep_factor(reset: jax.Array, like: jax.Array) -> jax.Array:
    """(1 − reset)[..., None] in `like`'s dtype: 0 where a segment starts, else 1."""
    return (1.0 - reset)[..., None].astype(like.dtype)


class RecurrentCore(hk.Module):
    """Haiku module running a `Cell`: creates its parameters, then runs it.

    `__call__(x [B, T, H], rule) -> y [B, T, H_out]` runs the whole sequence through the
    learning rule's surrogate; `step(x_t [B, H], h_prev [B, N]) -> (y_t, h_t)` runs one step
    (the `hk.RNNCore` convention of output first, new state second).
    """

    def __init__(self, cell: Cell, *, name: Optional[str] = None):
        super().__init__(name=name)
        self.cell = cell

    def params(self) -> Params:
        """Creates (at init) or fetches the cell's parameters under this module's name."""
        initial: Dict[str, Any] = {}
        if hk.running_init():
            initial = self.cell.init_params(hk.next_rng_key())
        shapes = jax.eval_shape(self.cell.init_params, jax.random.PRNGKey(0))
        return {name: hk.get_parameter(name, spec.shape, spec.dtype,
                                       init=lambda *_, n=name: initial[n])
                for name, spec in shapes.items()}

    def initial_state(self, batch_size: int, real_dtype=jnp.float32) -> jax.Array:
        return self.cell.initial_state((batch_size,), real_dtype)

    def __call__(self, x: jax.Array, rule, resets: Optional[jax.Array] = None,
                 h0: Optional[jax.Array] = None) -> jax.Array:
        """x [B, T, H] -> y [B, T, H_out] through `rule`'s surrogate, from h0 [B, N] (zeros
        when None) with segment starts `resets` [B, T] (None: none)."""
        theta, phi = self.cell.split(self.params())
        if h0 is None:
            h0 = self.cell.initial_state(x.shape[:1], x.dtype)
        h = rule.layer_sequence(self.cell, theta, h0, x, resets)
        return self.cell.readout(phi, h, x)

    def step(self, x_t: jax.Array, h_prev: jax.Array,
             perturbation: Optional[jax.Array] = None,
             reset: Optional[jax.Array] = None) -> Tuple[jax.Array, jax.Array]:
        """One step. `perturbation` [B, N] is added to h_t: its gradient is the spatial error.
        `reset` [B] is 1 where a segment starts (h_prev is forgotten there).

        The streaming engine and the oracle differentiate the single-step network with
        respect to this zero-valued perturbation, with h_{t-1} a constant, to read off
        δ_t = ∂ℓ_t/∂h_t through same-time paths only. (Unrolled with the state flowing through,
        the same step gives the BPTT reference.)
        """
        theta, phi = self.cell.split(self.params())
        h = self.cell.step_with_reset(theta, h_prev, x_t, reset)
        if perturbation is not None:
            h = h + perturbation.astype(h.dtype)
        return self.cell.readout(phi, h, x_t), h
