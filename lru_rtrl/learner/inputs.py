"""What a learner's `step` / `steps` accept, checked before anything reaches jit.

Users feed a learner by hand, from an environment or a sensor loop: a wrong shape or dtype
must fail at once with a message naming what was expected, not deep inside XLA. Checked
arrays are also cast to one dtype, so that the jitted step compiles once per batch size.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import jax.numpy as jnp
import numpy as np

from lru_rtrl import errors
from lru_rtrl.data.base import TaskSpec


# An input of the wrong shape or dtype for the learner; the message says what is expected.
StreamInputError = errors.StreamInputError


def _check(name: str, value, shape: Tuple[int, ...], kind: str, what: str):
    array = np.asarray(value) if not hasattr(value, "dtype") else value
    kinds = {"float": "a floating", "int": "an integer", "number": "a numeric"}
    ok_kind = {"float": np.issubdtype(array.dtype, np.floating),
               "int": np.issubdtype(array.dtype, np.integer),
               "number": np.issubdtype(array.dtype, np.number)
               or np.issubdtype(array.dtype, np.bool_)}[kind]
    if tuple(array.shape) != tuple(shape) or not ok_kind:
        raise StreamInputError(
            f"{name} must have shape {tuple(shape)} and {kinds[kind]} dtype ({what}); got "
            f"shape {tuple(array.shape)} and dtype {array.dtype}.")
    return array


def step_inputs(spec: TaskSpec, batch_size: int, dtype, x, target, weight,
                reset: Optional[object], time: Tuple[int, ...] = ()) -> Dict[str, jnp.ndarray]:
    """Checks and casts one step's (or, with time=(T,), a chunk's) inputs.

    Shapes, with lead = (B,) + time:
      x       lead + (F,) floating, or lead integer token ids for a "tokens" task
      target  lead + output_shape[:-1], integer class ids
      weight  lead, the loss weight of each prediction (0: no loss, e.g. no label yet)
      reset   lead or None, 1 where that row's stream starts anew before this step
    """
    lead = (batch_size,) + tuple(time)
    axes = "[batch" + (", time" if time else "")
    if spec.input_kind == "tokens":
        x = _check("x", x, lead, "int", f"{axes}] token ids below {spec.input_dim}")
        x = jnp.asarray(x, jnp.int32)
    else:
        x = _check("x", x, lead + (spec.input_dim,), "float", f"{axes}, input_dim]")
        x = jnp.asarray(x, dtype)
    target_shape = lead + tuple(spec.output_shape[:-1])
    target = _check("target", target, target_shape, "int",
                    f"{axes}{', ' if spec.output_shape[:-1] else ''}"
                    f"{', '.join(map(str, spec.output_shape[:-1]))}] class ids below "
                    f"{spec.num_classes}")
    weight = _check("weight", weight, lead, "number", f"{axes}]")
    reset = (jnp.zeros(lead, dtype) if reset is None
             else jnp.asarray(_check("reset", reset, lead, "number", f"{axes}]"), dtype))
    return {"inputs": x, "mask": jnp.ones(lead, dtype),
            "targets": jnp.asarray(target, jnp.int32), "weights": jnp.asarray(weight, dtype),
            "resets": reset}
