"""Gradient alignment (the paper's Figure 2 diagnostic): how close is a rule's gradient to BPTT's?

For two gradients g (the rule's) and b (BPTT's, same parameters, batch and dropout masks),
each over a group of parameters:

  cos         <g, b> / (|g| |b|)         1 when the rule points where BPTT does
  norm_ratio  |g| / |b|                  1 when it is as large

Groups: every parameter on its own (`block_0/core/nu_log`), every layer (all parameters
under `block_l`), all recurrent parameters, and everything the rule trains (`all`). Frozen
parameters are left out. Keys: `<group>/cos` and `<group>/norm_ratio` (logged under the
split "align").

Pure JAX on pytrees (runs inside the pmapped step, after the gradients are summed).
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import jax.numpy as jnp

from lru_rtrl import paths

_TINY = 1e-30


def groups(model, params) -> Dict[str, List[Tuple[str, str]]]:
    """{group name: [(module, name), ...]} over the parameters the model's rule trains."""
    roles = model.roles(params)
    trained = model.trained_mask(params)
    result: Dict[str, List[Tuple[str, str]]] = {"all": [], "recurrent": []}
    for module in sorted(roles):
        for name in sorted(roles[module]):
            if not trained[module][name]:
                continue
            key = (module, name)
            result["all"].append(key)
            if roles[module][name] == "recurrent":
                result["recurrent"].append(key)
            result[paths.short_path(module, name)] = [key]
            layer = paths.layer_of(module)
            if layer is not None:
                result.setdefault(paths.layer_group(layer), []).append(key)
    return {k: v for k, v in result.items() if v}


def _dot(a, b) -> jnp.ndarray:
    return jnp.sum(a.astype(jnp.float32) * b.astype(jnp.float32))


def alignment(rule_grads, bptt_grads, group_map: Dict[str, List[Tuple[str, str]]]
              ) -> Dict[str, jnp.ndarray]:
    """{`<group>/cos`, `<group>/norm_ratio`} for every group of `group_map`."""
    out = {}
    for group, keys in group_map.items():
        gb = sum(_dot(rule_grads[m][n], bptt_grads[m][n]) for m, n in keys)
        gg = sum(_dot(rule_grads[m][n], rule_grads[m][n]) for m, n in keys)
        bb = sum(_dot(bptt_grads[m][n], bptt_grads[m][n]) for m, n in keys)
        norm_g, norm_b = jnp.sqrt(gg), jnp.sqrt(bb)
        out[f"{group}/cos"] = gb / jnp.maximum(norm_g * norm_b, _TINY)
        out[f"{group}/norm_ratio"] = norm_g / jnp.maximum(norm_b, _TINY)
    return out
