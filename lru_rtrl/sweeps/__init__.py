"""Experiment sweeps: the paper's experiments as data next to the task configs, run and tabulated.

  spec.py      `Sweep` / `grid`: what a config file's `get_sweep(name)` returns
  loading.py   reads a config file's `get_config` / `get_sweep` by path
  expand.py    a sweep -> runs (names, launcher command lines) and the manifest sweep.json
  runner.py    runs them one after the other, skipping finished ones
  results.py   one run's metrics.jsonl -> best-validation and final metrics, curves
  select.py    per row, the configuration with the lowest mean best validation loss
  tables.py    Markdown and JSON results tables
  plots.py     learning curves and alignment to BPTT (matplotlib, the `plots` extra)
  report.py    read + select + write, shared by the two commands:

    python -m lru_rtrl.sweeps --config=configs/copy.py --sweep=fig2_ef --root=DIR [--print_only]
    python -m lru_rtrl.sweeps.collect --root=DIR

Importing this package loads neither JAX nor matplotlib.
"""

from lru_rtrl.sweeps.spec import Grid, Sweep, UnknownSweepError, choose, grid

__all__ = ["Grid", "Sweep", "UnknownSweepError", "choose", "grid"]
