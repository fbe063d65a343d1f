"""The results table of a sweep: Markdown for people, JSON for programs.

Markdown: one line per row with the selected configuration, the number of seeds, the test
metrics at the best-validation evaluation as mean ± std over seeds (and at the last
evaluation with `report_final`), and the validation loss that chose it; where alignment to
BPTT was logged, each layer's cosine similarity averaged over training; then every
configuration with its validation score, so that the choice can be checked.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence, Tuple

from lru_rtrl import paths
from lru_rtrl.sweeps.expand import ARG_KEY, format_value
from lru_rtrl.sweeps.select import Candidate, RowResult, Stat
from lru_rtrl.sweeps.spec import Sweep

_ALIGN_PREFIX = "align/"


def fmt_stat(stat: Stat, digits: int = 4) -> str:
    """`mean ± std` with `digits` decimals; values below 10^-3 (a solved task's loss) in
    scientific notation, so that they do not all read 0.0000."""
    if stat.n == 0:
        return "–"
    small = 0 < abs(stat.mean) < 1e-3

    def fmt(value: float) -> str:
        return f"{value:.2e}" if small else f"{value:.{digits}f}"

    if math.isnan(stat.std):
        return fmt(stat.mean)
    return f"{fmt(stat.mean)} ± {fmt(stat.std)}"


def _short(key: str) -> str:
    return "config" if key == ARG_KEY else key.split(".")[-1]


def _settings_text(settings: Dict[str, Any]) -> str:
    return ", ".join(f"{_short(k)}={'default' if v is None else format_value(v)}"
                     for k, v in settings.items()) or "–"


def _seeds_text(row: RowResult) -> str:
    if row.chosen is None:
        return "0"
    total, done, failed = (len(row.chosen.runs), len(row.chosen.done),
                           len(row.chosen.failed))
    text = str(done) if done == total else f"{done} of {total}"
    return text + (f" ({failed} failed)" if failed else "")


def _score_text(candidate: Candidate) -> str:
    if candidate.failed:
        return f"{len(candidate.failed)} failed"
    if not candidate.done:
        return "not run"
    return f"{candidate.score:.4f}"


def alignment_summary(rows: Sequence[RowResult], quantity: str = "cos"
                      ) -> List[Tuple[RowResult, Dict[str, Stat]]]:
    """Per row with alignment logs: {group: Stat over seeds of the run's mean over its logged
    steps}, for every layer (`block_l`) and `all`. BPTT rows (trivially 1) are left out."""
    out = []
    for row in rows:
        if dict(row.row).get("rule") == "bptt" or row.chosen is None:
            continue
        per_group: Dict[str, List[float]] = {}
        for run in row.chosen.done:
            for key, curve in run.curves.items():
                parsed = (paths.alignment_group(key[len(_ALIGN_PREFIX):])
                          if key.startswith(_ALIGN_PREFIX) else None)
                values = [v for _, v in curve if math.isfinite(v)]
                if (parsed and parsed[0] != "recurrent" and parsed[1] == quantity
                        and values):
                    per_group.setdefault(parsed[0], []).append(sum(values) / len(values))
        if per_group:
            order = sorted(per_group, key=paths.group_order)
            out.append((row, {g: Stat.of(per_group[g]) for g in order}))
    return out


def _alignment_markdown(rows: Sequence[RowResult]) -> List[str]:
    summary = alignment_summary(rows)
    if not summary:
        return []
    # Rows of different depths (a depth sweep): every layer any row has, then `all`.
    groups = sorted({g for _, stats in summary for g in stats}, key=paths.group_order)
    names = [paths.group_label(g) for g in groups]
    lines = ["", ("Cosine similarity of each layer's gradient to BPTT's on the same batch, "
                  "averaged over the logged steps of a run; mean ± std over seeds:"), "",
             "| row | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for row, stats in summary:
        cells = [fmt_stat(stats[g], 3) if g in stats else "–" for g in groups]
        lines.append(f"| {' / '.join(str(v) for _, v in row.row)} | " + " | ".join(cells) + " |")
    return lines


def markdown(sweep: Sweep, rows: Sequence[RowResult]) -> str:
    split, metrics = sweep.report_split, list(sweep.metrics)
    selects = any(r.varying for r in rows)  # no column of dashes when nothing is chosen
    header = [_short(k) for k in sweep.rows] + (["selected"] if selects else []) + ["seeds"]
    header += [f"{split} {m}" for m in metrics]
    if sweep.report_final:
        header += [f"{split} {m} (final)" for m in metrics]
    header.append(f"{sweep.select_split} {sweep.select_metric}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [format_value(v) for _, v in row.row]
        if selects:
            cells.append(_settings_text(row.chosen_settings()) if row.varying else "–")
        cells.append(_seeds_text(row))
        cells += [fmt_stat(row.at_best[m]) for m in metrics]
        if sweep.report_final:
            cells += [fmt_stat(row.final[m]) for m in metrics]
        cells.append(fmt_stat(row.select))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        f"Sweep `{sweep.name}`. {split.capitalize()} metrics at the evaluation with the lowest "
        f"{sweep.select_split} {sweep.select_metric} of each run"
        + (" (and at the last evaluation, \"final\")" if sweep.report_final else "")
        + "; mean ± std over seeds (std with n - 1). Per row, the configuration with the "
        f"lowest mean best {sweep.select_split} {sweep.select_metric} is selected.",
    ]
    out = [*lines, "", *notes, *_alignment_markdown(rows)]
    if any(len(r.candidates) > 1 for r in rows):
        out += ["", (f"All configurations (mean best {sweep.select_split} "
                     f"{sweep.select_metric}; the selected one in bold):"), "",
                "| " + " | ".join([_short(k) for k in sweep.rows] + ["configuration",
                                                                       "score", "seeds"]) + " |",
                "|" + "---|" * (len(sweep.rows) + 3)]
        for row in rows:
            for c in row.candidates:
                text = _settings_text({k: c.settings.get(k) for k in row.varying})
                if c is row.chosen:
                    text = f"**{text}**"
                out.append("| " + " | ".join([format_value(v) for _, v in row.row] + [
                    text, _score_text(c), f"{len(c.done)}/{len(c.runs)}"]) + " |")
    return "\n".join(out) + "\n"


def to_json(sweep: Sweep, rows: Sequence[RowResult], config_path: str) -> Dict[str, Any]:
    def candidate(c: Candidate) -> Dict[str, Any]:
        score = c.score
        return {"configuration": c.configuration, "settings": c.settings,
                "score": score if math.isfinite(score) else None,
                "runs": [r.to_json() for r in c.runs]}

    table: List[Dict[str, Any]] = []
    for row in rows:
        table.append({
            "row": dict(row.row),
            "selected": row.chosen.configuration if row.chosen else None,
            "selected_settings": row.chosen_settings(),
            "at_best": {m: s.to_json() for m, s in row.at_best.items()},
            "final": {m: s.to_json() for m, s in row.final.items()},
            "select": row.select.to_json(),
            "candidates": [candidate(c) for c in row.candidates]})
    alignment = [{"row": dict(row.row), "cos": {g: st.to_json() for g, st in stats.items()}}
                 for row, stats in alignment_summary(rows)]
    return {"sweep": sweep.name, "config": config_path, "description": sweep.description,
            "alignment_mean_over_training": alignment,
            "select": {"split": sweep.select_split, "metric": sweep.select_metric,
                       "rule": "lowest mean over seeds of each run's best value"},
            "report_split": sweep.report_split, "rows": table}
