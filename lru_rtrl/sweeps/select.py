"""Model selection as the paper does it: per table row, the configuration with the lowest
validation loss (each run's best, averaged over seeds); then its test metrics over seeds.

Only finished runs count. A configuration with a failed run (a divergence, typically at too
high a learning rate) ranks below every configuration whose runs all finished: a setting
that diverges for some seeds is not one we would pick. Standard deviations are over seeds
with Bessel's correction (n - 1), so with 3 seeds they are wide; n is always shown.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from lru_rtrl.sweeps.expand import ARG_KEY
from lru_rtrl.sweeps.results import RunResult

Pairs = Tuple[Tuple[str, Any], ...]


@dataclasses.dataclass
class Stat:
    """mean ± std over n seeds (std is nan for n < 2; mean is nan for n = 0)."""
    mean: float
    std: float
    n: int
    values: List[float]

    @classmethod
    def of(cls, values: Sequence[float]) -> "Stat":
        values = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not values:
            return cls(math.nan, math.nan, 0, [])
        std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
        return cls(float(np.mean(values)), std, len(values), values)

    def to_json(self) -> Dict[str, Any]:
        def clean(value: float):
            return value if math.isfinite(value) else None  # JSON has no NaN

        return {"mean": clean(self.mean), "std": clean(self.std), "n": self.n,
                "values": self.values}


@dataclasses.dataclass
class Candidate:
    """One configuration of a row, with all its runs (one per seed)."""
    configuration: str
    settings: Dict[str, Any]          # every override, plus the config argument
    runs: List[RunResult]

    @property
    def done(self) -> List[RunResult]:
        return [r for r in self.runs if r.status == "done" and r.select_value is not None]

    @property
    def failed(self) -> List[RunResult]:
        return [r for r in self.runs if r.status == "failed"]

    @property
    def score(self) -> float:
        """Mean best validation loss over finished seeds; inf if any seed failed or none ran."""
        values = [r.select_value for r in self.done]
        if self.failed or not values or not all(math.isfinite(v) for v in values):
            return math.inf
        return float(np.mean(values))


@dataclasses.dataclass
class RowResult:
    row: Pairs
    candidates: List[Candidate]
    chosen: Optional[Candidate]
    varying: List[str]                # keys that differ between this row's candidates
    at_best: Dict[str, Stat]          # report-split metrics at each run's best evaluation
    final: Dict[str, Stat]            # report-split metrics at each run's last evaluation
    select: Stat                      # the chosen configuration's best validation losses

    def label(self) -> Dict[str, Any]:
        return dict(self.row)

    def chosen_settings(self) -> Dict[str, Any]:
        if self.chosen is None:
            return {}
        return {k: self.chosen.settings.get(k, "default") for k in self.varying}


def _settings(result: RunResult) -> Dict[str, Any]:
    settings = dict(result.run.overrides)
    settings[ARG_KEY] = result.run.arg
    return settings


def select_rows(results: Sequence[RunResult], metrics: Sequence[str]) -> List[RowResult]:
    """One `RowResult` per distinct row of `results`, rows in order of first appearance."""
    rows: Dict[Pairs, Dict[str, Candidate]] = {}
    for result in results:
        row = tuple(tuple(p) for p in result.run.row)
        candidates = rows.setdefault(row, {})
        key = result.run.configuration
        if key not in candidates:
            candidates[key] = Candidate(key, _settings(result), [])
        candidates[key].runs.append(result)

    out = []
    for row, by_name in rows.items():
        candidates = list(by_name.values())
        keys: List[str] = []
        for c in candidates:
            keys.extend(k for k in c.settings if k not in keys)
        varying = [k for k in keys
                   if len({repr(c.settings.get(k, "default")) for c in candidates}) > 1]
        ranked = sorted(candidates, key=lambda c: c.score)  # stable: grid order breaks ties
        chosen = next((c for c in ranked if c.done), None)
        runs = chosen.done if chosen else []
        out.append(RowResult(
            row=row, candidates=candidates, chosen=chosen, varying=varying,
            at_best={m: Stat.of([r.at_best.get(m) for r in runs]) for m in metrics},
            final={m: Stat.of([r.final.get(m) for r in runs]) for m in metrics},
            select=Stat.of([r.select_value for r in runs])))
    return out
