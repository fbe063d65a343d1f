"""Parameter paths as data: the one place that knows how modules and parameters are named.

The sequence model's Haiku modules have fixed names (lru_rtrl.model.network):

    model/~/encoder                 the input projection
    model/~/block_{l}/~/norm        layer l's LayerNorm
    model/~/block_{l}/~/core        layer l's recurrent core (its cell's parameters)
    model/~/block_{l}/~/glu_w1|2    layer l's GLU
    model/~/readout_mlp             the optional ReLU readout
    model/~/decoder                 the output projection

Everything that needs a layer index, a role or a short name asks this module instead of
parsing strings itself: roles (`encoder`, `recurrent`, `core_readout`, `block`,
`readout_mlp`, `decoder`), the module of each layer's core, the short names of the
alignment diagnostic (`block_0/core/nu_log`, group `block_0`) and the metric keys built on
them (`align/block_0/cos`).
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence

ROLES = ("encoder", "recurrent", "core_readout", "block", "readout_mlp", "decoder")
ROOT = "model"
BLOCK = "block_"
CORE, NORM, ENCODER, READOUT_MLP, DECODER = "core", "norm", "encoder", "readout_mlp", "decoder"
_LAYER = re.compile(rf"(?:^|/){BLOCK}(\d+)(?:/|$)")


def block_name(layer: int) -> str:
    """The Haiku module name of layer `layer`'s residual block: `block_{layer}`."""
    return f"{BLOCK}{layer}"


def core_module(layer: int) -> str:
    """The full module path of layer `layer`'s core: `model/~/block_{layer}/~/core`."""
    return f"{ROOT}/~/{block_name(layer)}/~/{CORE}"


def layer_of(path: str) -> Optional[int]:
    """The layer index in a module path, short name or metric key (`.../block_3/...`), or None
    when the path lies outside the blocks (encoder, decoder, `all`)."""
    match = _LAYER.search(path)
    return int(match.group(1)) if match else None


def leaf(module: str) -> str:
    """The last part of a module path (`core`, `norm`, `encoder`, ...)."""
    return module.split("/")[-1]


def is_norm(module: str) -> bool:
    """A LayerNorm module (`norm`; Haiku's default name `layer_norm` too)."""
    name = leaf(module)
    return name == NORM or name.endswith("layer_norm")


def core_modules(params: Iterable[str], num_layers: int) -> List[str]:
    """The module path of each layer's core, in layer order; raises if one is missing."""
    paths = [core_module(layer) for layer in range(num_layers)]
    missing = [p for p in paths if p not in set(params)]
    if missing:
        raise ValueError(f"Expected the core modules {paths}; missing {missing}.")
    return paths


def role(module: str, name: str, recurrent: Sequence[Sequence[str]]) -> str:
    """The role of parameter `name` of `module`; `recurrent[l]` names layer l's θ."""
    kind = leaf(module)
    if kind in (ENCODER, READOUT_MLP, DECODER):
        return kind
    layer = layer_of(module)
    if layer is None:
        raise ValueError(f"Parameter {module}/{name} has no role; update "
                         "lru_rtrl.paths.role.")
    if kind == CORE:
        return "recurrent" if name in recurrent[layer] else "core_readout"
    return "block"


def roles(params: Dict[str, Dict[str, object]],
          recurrent: Sequence[Sequence[str]]) -> Dict[str, Dict[str, str]]:
    """{module: {name: role}} for every parameter of a sequence model's params."""
    return {module: {name: role(module, name, recurrent) for name in names}
            for module, names in params.items()}


def short_path(module: str, name: str) -> str:
    """`model/~/block_0/~/core`, `nu_log` -> `block_0/core/nu_log` (the diagnostic's names)."""
    parts = [p for p in module.split("/") if p != "~"]
    if parts and parts[0] == ROOT:
        parts = parts[1:]
    return "/".join(parts + [name])


def layer_group(layer: int) -> str:
    """The alignment group of all of layer `layer`'s parameters: `block_{layer}`."""
    return block_name(layer)


def layer_groups_in(keys: Iterable[str], quantity: str) -> List[tuple]:
    """[(layer, key)] for the keys `block_{l}/<quantity>` (a whole layer's group, not one
    parameter's), sorted by layer."""
    found = []
    for key in keys:
        parsed = alignment_group(key)
        if parsed and parsed[1] == quantity and group_layer(parsed[0]) is not None:
            found.append((group_layer(parsed[0]), key))
    return sorted(found)


ALIGNMENT_QUANTITIES = ("cos", "norm_ratio")
WHOLE_MODEL_GROUPS = ("all", "recurrent")


def alignment_group(key: str) -> Optional[tuple]:
    """(group, quantity) of an alignment metric key `<group>/<quantity>` whose group is a whole
    layer (`block_l`), `all` or `recurrent`; None for any other key (one parameter's)."""
    group, _, quantity = key.rpartition("/")
    if quantity not in ALIGNMENT_QUANTITIES:
        return None
    if group in WHOLE_MODEL_GROUPS or group_layer(group) is not None:
        return group, quantity
    return None


def group_layer(group: str) -> Optional[int]:
    """l for the whole-layer group `block_l`, else None."""
    if group.startswith(BLOCK) and group[len(BLOCK):].isdigit():
        return int(group[len(BLOCK):])
    return None


def group_order(group: str) -> tuple:
    """Sort key of alignment groups: layer 0, 1, ..., 10, then the others by name."""
    layer = group_layer(group)
    return (layer is None, layer if layer is not None else 0, group)


def group_label(group: str) -> str:
    """`block_0` -> `layer 1` (layers counted from the bottom, from 1), others unchanged."""
    layer = group_layer(group)
    return f"layer {layer + 1}" if layer is not None else group
