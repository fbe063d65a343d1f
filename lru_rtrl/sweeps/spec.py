"""What a sweep is: plain data that a config file returns from `get_sweep(name)`.

A sweep is the union of grids, each the cartesian product of config overrides on top of one
`get_config(arg)`, repeated for every seed; plus how to read the results: which config keys
name a row of the results table (the rest of the grid is searched over, the best point
chosen by validation loss, as the paper does) and which test metrics to report.

    from lru_rtrl.sweeps.spec import Sweep, grid

    def get_sweep(name):
        if name == "fig2_ef":
            return Sweep(
                name="fig2_ef",
                grids=(grid("paper", {"rule": ["bptt", "online_full"],
                                      "train.lr": [1e-3, 2e-3]}),),
                seeds=(0, 1, 2, 3, 4),
                rows=("rule",),                     # one table row per rule, lr selected
                metrics=("bit_accuracy", "loss"))
        raise ValueError(...)

Override keys are the dotted paths of `--config.<key>=value` (`train.lr`, `model.lru.r_min`);
a row key may be any config key, whether the grid sets it or the base config does. Values
must be scalars (int, float, str, bool): they become command-line flags.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional, Tuple

from lru_rtrl.errors import ConfigError

SCALARS = (bool, int, float, str)


@dataclasses.dataclass(frozen=True)
class Grid:
    """The cartesian product of `axes` ((key, values) pairs) on top of `get_config(arg)`."""
    arg: Optional[str]
    axes: Tuple[Tuple[str, Tuple[Any, ...]], ...]

    def __post_init__(self):
        keys = [key for key, _ in self.axes]
        if len(set(keys)) != len(keys):
            raise ConfigError(f"A grid names a key twice: {keys}")
        for key, values in self.axes:
            if key == "seed":
                raise ConfigError("Seeds are not a grid axis: give them as Sweep(seeds=...).")
            if not values:
                raise ConfigError(f"Grid axis {key!r} has no values.")
            for value in values:
                if not isinstance(value, SCALARS):
                    raise TypeError(f"Grid axis {key!r}: {value!r} is not a scalar (int, "
                                     "float, str or bool); overrides become command-line flags.")


def grid(arg: Optional[str] = None, axes: Optional[Mapping[str, Any]] = None) -> Grid:
    """A `Grid`; a scalar in `axes` is a one-value axis (a fixed override)."""
    items = []
    for key, values in (axes or {}).items():
        if isinstance(values, SCALARS):
            values = (values,)
        items.append((key, tuple(values)))
    return Grid(arg=arg, axes=tuple(items))


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A sweep: grids × seeds, and how its results table is made.

    name           the name `get_sweep` answers to
    grids          the union of these grids is the set of configurations
    seeds          every configuration runs once per seed (`--config.seed`)
    rows           config keys whose values name a table row; every other key that varies
                   inside a row is a hyperparameter, chosen per row by `select_metric`
    metrics        metrics of `report_split` shown in the table (the first is the headline)
    select_split   the split whose `select_metric` (lower is better) chooses the configuration:
                   the mean over seeds of each run's best value
    report_split   the split reported at each run's best-`select_split` evaluation
    report_final   also show `report_split` at the last evaluation
    plots          learning curves (`curve_metrics` of `select_split`) and per-layer
                   alignment to BPTT are drawn when the table is made
    description    one paragraph: what the sweep reproduces, what was assumed
    launcher       the script each run executes, relative to the repository (launch/main.py;
                   launch/stream.py for stream studies); it takes --config, --config.* and
                   --workdir, and writes metrics.jsonl and summary.json there
    """
    name: str
    grids: Tuple[Grid, ...]
    seeds: Tuple[int, ...] = (0,)
    rows: Tuple[str, ...] = ("rule",)
    metrics: Tuple[str, ...] = ("accuracy", "loss")
    select_split: str = "validation"
    select_metric: str = "loss"
    report_split: str = "test"
    report_final: bool = False
    plots: bool = False
    curve_metrics: Tuple[str, ...] = ("loss", "accuracy")
    description: str = ""
    launcher: str = "launch/main.py"

    def __post_init__(self):
        if not self.grids:
            raise ConfigError(f"Sweep {self.name!r} has no grids.")
        if not self.seeds:
            raise ConfigError(f"Sweep {self.name!r} has no seeds.")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"Sweep {self.name!r} repeats a seed: {self.seeds}")
        if not self.metrics:
            raise ConfigError(f"Sweep {self.name!r} reports no metrics.")
        for field in ("grids", "seeds", "rows", "metrics", "curve_metrics"):
            if not isinstance(getattr(self, field), tuple):
                object.__setattr__(self, field, tuple(getattr(self, field)))

    @property
    def num_configurations(self) -> int:
        total = 0
        for g in self.grids:
            size = 1
            for _, values in g.axes:
                size *= len(values)
            total += size
        return total


def describe(sweep: Sweep) -> str:
    """One line: name, configurations × seeds = runs."""
    configs = sweep.num_configurations
    return (f"{sweep.name}: {configs} configurations x {len(sweep.seeds)} seeds = "
            f"{configs * len(sweep.seeds)} runs; rows by {', '.join(sweep.rows) or '-'}")


class UnknownSweepError(ConfigError):
    """A sweep name that a config file does not define (the message lists the known ones)."""


def choose(name: str, sweeps: Mapping[str, Callable[[], Sweep]], where: str) -> Sweep:
    """`sweeps[name]()`, or an error listing the names `where` (a config file) knows."""
    if name not in sweeps:
        raise UnknownSweepError(f"{where} has no sweep {name!r}; known: "
                                f"{', '.join(sorted(sweeps))}.")
    return sweeps[name]()
