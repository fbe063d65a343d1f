"""A sweep expanded into runs: names, launcher command lines, and the manifest `<root>/sweep.json`.

Every grid point is checked against its config before anything runs: `get_config(arg)` is
built and the overrides applied, so a misspelt key or a wrong type fails here, with the
key's name, instead of in the 40th job on a cluster. The same resolved config gives each run
its table row (the values of `sweep.rows`, including keys the grid leaves at their default).

A run's name lists the keys that vary across the sweep (short names when unambiguous) and the
seed, e.g. `rule=bptt,lr=0.001,seed=0`; its workdir is `<root>/<name>`. Names only depend on
the sweep definition, so running the same sweep again finds (and skips) finished runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shlex
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lru_rtrl.sweeps.loading import SweepConfigError, load_config_module
from lru_rtrl.sweeps.spec import Grid, Sweep

MANIFEST = "sweep.json"
LAUNCHER = os.path.join("launch", "main.py")
ARG_KEY = "arg"  # the pseudo-key of the config argument (`configs/copy.py:<arg>`)

Pairs = Tuple[Tuple[str, Any], ...]


@dataclasses.dataclass(frozen=True)
class Run:
    """One launcher invocation of a sweep."""
    name: str
    arg: Optional[str]
    overrides: Pairs          # (config key, value), in grid order
    seed: int
    row: Pairs                # (row key, value in the resolved config)
    configuration: str        # identifies the configuration (all seeds share it)
    launcher: str = LAUNCHER  # the script that runs it (the sweep's `launcher`)

    def workdir(self, root: str) -> str:
        return os.path.join(root, self.name)

    def argv(self, config_path: str, root: str, python: str = "python",
             launcher: Optional[str] = None) -> List[str]:
        launcher = launcher or self.launcher
        config = f"{config_path}:{self.arg}" if self.arg else config_path
        flags = [f"--config.{key}={format_value(value)}" for key, value in self.overrides]
        return ([python, launcher, f"--config={config}"] + flags +
                [f"--config.seed={self.seed}", f"--workdir={self.workdir(root)}"])

    def command(self, config_path: str, root: str, python: str = "python") -> str:
        return " ".join(shlex.quote(a) for a in self.argv(config_path, root, python))

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.name, "arg": self.arg, "overrides": [list(p) for p in self.overrides],
                "seed": self.seed, "row": [list(p) for p in self.row],
                "configuration": self.configuration, "launcher": self.launcher}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Run":
        return cls(name=data["name"], arg=data["arg"],
                   overrides=tuple(tuple(p) for p in data["overrides"]), seed=int(data["seed"]),
                   row=tuple(tuple(p) for p in data["row"]),
                   configuration=data["configuration"],
                   launcher=data.get("launcher", LAUNCHER))


def format_value(value: Any) -> str:
    """A scalar as `--config.key=` reads it back (floats round-trip through repr)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def lookup(config, key: str) -> Any:
    """The value of the dotted `key` in a ConfigDict (`arg` is not a config key)."""
    node = config
    for part in key.split("."):
        try:
            node = node[part]
        except (KeyError, AttributeError, TypeError):
            raise SweepConfigError(f"{key!r} is not a config key (no {part!r}); see "
                                   "lru_rtrl/config/schema.py for the schema.") from None
    return node


def apply_overrides(config, overrides: Pairs, where: str):
    """`config` with the overrides set, checked like the launcher's --config.* flags."""
    for key, value in overrides:
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = lookup(node, part)
        try:
            lookup(node, leaf)
            node[leaf] = value
        except SweepConfigError:
            raise SweepConfigError(f"{where}: {key!r} is not a config key; see "
                                   "lru_rtrl/config/schema.py for the schema.") from None
        except (TypeError, ValueError) as error:
            raise SweepConfigError(f"{where}: cannot set {key}={value!r}: {error}") from None
    return config


def _points(g: Grid) -> List[Pairs]:
    keys = [key for key, _ in g.axes]
    return [tuple(zip(keys, values)) for values in itertools.product(*[v for _, v in g.axes])]


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+=,-]", "_", text)


def _short_names(keys: Sequence[str]) -> Dict[str, str]:
    """The last dotted part of each key, unless two keys share it."""
    last = [key.split(".")[-1] for key in keys]
    return {key: (short if last.count(short) == 1 else key) for key, short in zip(keys, last)}


def expand(sweep: Sweep, config_path: str) -> List[Run]:
    """Every run of `sweep` (configurations in grid order, seeds innermost)."""
    module = load_config_module(config_path)
    points = []  # (arg, overrides, resolved config)
    for g in sweep.grids:
        for overrides in _points(g):
            try:
                # A fresh (locked) config per point: overrides must not leak between points.
                config = module.get_config(g.arg)
            except ValueError as error:
                raise SweepConfigError(
                    f"{config_path}: get_config({g.arg!r}) failed: {error}") from None
            apply_overrides(config, overrides, f"{config_path}:{g.arg or ''} sweep {sweep.name}")
            points.append((g.arg, overrides, config))

    # Keys that vary across the sweep name the runs; `arg` only when there are several.
    keys: List[str] = []
    for _, overrides, _ in points:
        for key, _ in overrides:
            if key not in keys:
                keys.append(key)
    varying = [k for k in keys
               if len({repr(dict(o).get(k, "<unset>")) for _, o, _ in points}) > 1]
    if len({arg for arg, _, _ in points}) > 1:
        varying.insert(0, ARG_KEY)
    short = _short_names(varying)
    short[ARG_KEY] = "cfg"

    runs: List[Run] = []
    seen: Dict[str, Tuple[Optional[str], Pairs]] = {}
    for arg, overrides, config in points:
        values = dict(overrides)
        values[ARG_KEY] = arg
        parts = [f"{short[k]}={format_value(values[k])}" for k in varying if k in values]
        configuration = _clean(",".join(parts)) or "default"
        if configuration in seen:
            raise SweepConfigError(f"Sweep {sweep.name}: two grid points are the same "
                                   f"configuration ({configuration}); remove the duplicate.")
        seen[configuration] = (arg, overrides)
        row = tuple((key, arg if key == ARG_KEY else _plain(lookup(config, key)))
                    for key in sweep.rows)
        for seed in sweep.seeds:
            name = f"{configuration},seed={seed}" if parts else f"seed={seed}"
            runs.append(Run(name=name, arg=arg, overrides=overrides, seed=seed, row=row,
                            configuration=configuration, launcher=sweep.launcher))
    return runs


def _plain(value: Any) -> Any:
    return value if isinstance(value, (bool, int, float, str)) or value is None else str(value)


# --- the manifest ---------------------------------------------------------------------------

def sweep_to_json(sweep: Sweep) -> Dict[str, Any]:
    data = dataclasses.asdict(sweep)
    data["grids"] = [{"arg": g.arg, "axes": [[k, list(v)] for k, v in g.axes]}
                     for g in sweep.grids]
    return data


def sweep_from_json(data: Dict[str, Any]) -> Sweep:
    fields = {f.name for f in dataclasses.fields(Sweep)}
    kwargs = {k: v for k, v in data.items() if k in fields}
    kwargs["grids"] = tuple(Grid(arg=g["arg"], axes=tuple((k, tuple(v)) for k, v in g["axes"]))
                            for g in data["grids"])
    for key in ("seeds", "rows", "metrics", "curve_metrics"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return Sweep(**kwargs)


def write_manifest(root: str, sweep: Sweep, config_path: str, runs: Sequence[Run]) -> str:
    """`<root>/sweep.json`: the sweep, its config file and its runs (what collect reads)."""
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, MANIFEST)
    data = {"config": config_path, "sweep": sweep_to_json(sweep),
            "runs": [r.to_json() for r in runs]}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(tmp, path)
    return path


def read_manifest(root: str) -> Tuple[Sweep, str, List[Run]]:
    path = os.path.join(root, MANIFEST)
    if not os.path.isfile(path):
        raise SweepConfigError(
            f"No {MANIFEST} in {root}: it is written by `python -m lru_rtrl.sweeps "
            "--config=... --sweep=... --root=DIR` (with or without --print_only). Or give "
            "--config and --sweep to collect.")
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return (sweep_from_json(data["sweep"]), data["config"],
            [Run.from_json(r) for r in data["runs"]])
