"""From finished runs to the results: read every run, select per row, write table and plots.

    rows, files = make_report(sweep, runs, root, config_path, out_dir)

writes `<out_dir>/results.md`, `<out_dir>/results.json` and, when asked, the PNG plots of
`plots.py`. Runs that have not finished are left out (the table says how many seeds count).
"""

from __future__ import annotations

import json
import os
from typing import List, Optional, Sequence, Tuple

from lru_rtrl.sweeps import tables
from lru_rtrl.sweeps.expand import Run
from lru_rtrl.sweeps.results import RunResult, read_run
from lru_rtrl.sweeps.select import RowResult, select_rows
from lru_rtrl.sweeps.spec import Sweep

TABLE_MD = "results.md"
TABLE_JSON = "results.json"


def read_all(sweep: Sweep, runs: Sequence[Run], root: str) -> List[RunResult]:
    return [read_run(run, root, select_split=sweep.select_split,
                     select_metric=sweep.select_metric, report_split=sweep.report_split,
                     curve_metrics=sweep.curve_metrics) for run in runs]


def make_report(sweep: Sweep, runs: Sequence[Run], root: str, config_path: str,
                out_dir: Optional[str] = None, plots: Optional[bool] = None
                ) -> Tuple[List[RowResult], List[str]]:
    """(rows, files written). `plots=None` follows `sweep.plots`."""
    out_dir = out_dir or root
    os.makedirs(out_dir, exist_ok=True)
    results = read_all(sweep, runs, root)
    rows = select_rows(results, sweep.metrics)
    files = []
    path = os.path.join(out_dir, TABLE_MD)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(tables.markdown(sweep, rows))
    files.append(path)
    data = tables.to_json(sweep, rows, config_path)
    data["status"] = {s: sum(r.status == s for r in results)
                      for s in ("done", "failed", "incomplete", "missing")}
    path = os.path.join(out_dir, TABLE_JSON)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    files.append(path)
    if sweep.plots if plots is None else plots:
        from lru_rtrl.sweeps import plots as plots_lib  # matplotlib only when plotting
        files += plots_lib.plot_all(rows, out_dir, sweep.select_split, sweep.curve_metrics,
                                    title=f"sweep {sweep.name} ({config_path})")
    return rows, files


def status_line(results_json: str) -> str:
    with open(results_json, encoding="utf-8") as handle:
        status = json.load(handle)["status"]
    return ", ".join(f"{count} {name}" for name, count in status.items() if count)
