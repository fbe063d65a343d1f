"""Plots of a sweep's selected configurations (PNG, matplotlib: the optional `plots` extra).

  learning_curves.png   per row, the selection split's curve metrics against the training
                        step: mean over seeds, with a band of ± one std
  alignment_cos.png     per row whose rule is not bptt, the cosine similarity of each layer's
                        gradient (`block_l/cos`, all parameters of block l) to BPTT's on the
                        same batch, against the step; mean ± std over seeds
  alignment_norm_ratio.png  the same for |g_rule| / |g_bptt| (log scale)

matplotlib is imported only here, and only when a plot is made.
"""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from lru_rtrl import paths
from lru_rtrl.errors import UserError
from lru_rtrl.sweeps.select import RowResult

ALIGN_PREFIX = "align/"


class PlotsUnavailable(UserError, RuntimeError):
    """matplotlib is not installed."""


def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailable(
            "Plots need matplotlib, the optional `plots` extra: pip install -e '.[plots]' (or "
            "pip install matplotlib). The results table does not need it.") from None
    matplotlib.use("Agg")  # Files only; no display on clusters and CI.
    import matplotlib.pyplot as plt
    return plt


def row_label(row: RowResult) -> str:
    return " / ".join(str(v) for _, v in row.row) or "all"


_LINESTYLES = ("-", "--", ":", "-.")


def row_styles(rows: Sequence[RowResult]) -> List[Dict[str, Any]]:
    """A distinct (color, linestyle) per row: rows keyed by two or more settings take their
    color from the first (e.g. the core) and their line style from the rest (e.g. the rule);
    otherwise colors cycle through tab10 and the line style changes every 10 rows."""
    plt = pyplot()
    colors = plt.get_cmap("tab10").colors
    firsts, rests = [], []
    for row in rows:
        values = [v for _, v in row.row]
        first, rest = (values[0], tuple(values[1:])) if values else (None, ())
        firsts += [first] if first not in firsts else []
        rests += [rest] if rest not in rests else []
    grouped = (len(firsts) <= len(colors) and len(rests) <= len(_LINESTYLES)
               and all(len(row.row) > 1 for row in rows))
    styles = []
    for i, row in enumerate(rows):
        if grouped:
            values = [v for _, v in row.row]
            color, style = firsts.index(values[0]), rests.index(tuple(values[1:]))
        else:
            color, style = i % len(colors), (i // len(colors)) % len(_LINESTYLES)
        styles.append(dict(color=colors[color], ls=_LINESTYLES[style]))
    return styles


def mean_band(curves: Sequence[List[Tuple[int, float]]]
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, mean, std) over curves at every step any of them has (std 0 with one curve)."""
    by_step: Dict[int, List[float]] = {}
    for curve in curves:
        for step, value in curve:
            if math.isfinite(value):
                by_step.setdefault(int(step), []).append(value)
    steps = np.array(sorted(by_step), dtype=np.int64)
    mean = np.array([np.mean(by_step[s]) for s in steps])
    std = np.array([np.std(by_step[s], ddof=1) if len(by_step[s]) > 1 else 0.0
                    for s in steps])
    return steps, mean, std


def _runs(row: RowResult):
    return row.chosen.done if row.chosen else []


def _band(ax, steps, mean, std, label, color=None, log=False, ls="-"):
    line, = ax.plot(steps, mean, label=label, color=color, lw=1.6, ls=ls)
    low = mean - std
    if log:  # keep the band on the axis: a std larger than the mean would go negative
        low = np.maximum(low, mean / 10)
    ax.fill_between(steps, low, mean + std, color=line.get_color(), alpha=0.2, lw=0)


def learning_curves(rows: Sequence[RowResult], split: str, metrics: Sequence[str], path: str,
                    title: str = "") -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        log = metric == "loss"
        for row, style in zip(rows, row_styles(rows)):
            curves = [r.curves.get(f"{split}/{metric}", []) for r in _runs(row)]
            curves = [c for c in curves if c]
            if not curves:
                continue
            steps, mean, std = mean_band(curves)
            _band(ax, steps, mean, std, f"{row_label(row)} (n={len(curves)})", log=log,
                  **style)
        ax.set_xlabel("training step")
        ax.set_ylabel(f"{split} {metric}")
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _is_bptt(row: RowResult) -> bool:
    return dict(row.row).get("rule") == "bptt"


def alignment(rows: Sequence[RowResult], path: str, quantity: str = "cos",
              title: str = "") -> str:
    """One panel per non-BPTT row, one line per layer. Returns `path`, or "" if no row logged
    alignment."""
    panels = []
    for row in rows:
        if _is_bptt(row):
            continue
        layers: Dict[int, List[List[Tuple[int, float]]]] = {}
        for run in _runs(row):
            for key, curve in run.curves.items():
                parsed = (paths.alignment_group(key[len(ALIGN_PREFIX):])
                          if key.startswith(ALIGN_PREFIX) else None)
                layer = paths.group_layer(parsed[0]) if parsed else None
                if layer is not None and parsed[1] == quantity and curve:
                    layers.setdefault(layer, []).append(curve)
        if layers:
            panels.append((row, layers))
    if not panels:
        return ""
    plt = pyplot()
    cols = 2 if len(panels) == 4 else min(len(panels), 3)  # 4 panels read best as 2 x 2
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.5 * nrows), squeeze=False,
                             sharey=True)
    cmap = plt.get_cmap("viridis")
    for index, (row, layers) in enumerate(panels):
        ax = axes[index // cols][index % cols]
        count = max(layers) + 1
        for layer in sorted(layers):
            steps, mean, std = mean_band(layers[layer])
            _band(ax, steps, mean, std, f"layer {layer + 1}",
                  color=cmap(layer / max(count - 1, 1) * 0.9), log=quantity != "cos")
        ax.set_title(row_label(row), fontsize=10)
        ax.set_xlabel("training step")
        if quantity == "cos":
            ax.set_ylim(-0.1, 1.05)
            ax.axhline(1.0, color="k", lw=0.6, ls=":")
        else:
            ax.set_yscale("log")
            ax.axhline(1.0, color="k", lw=0.6, ls=":")
        ax.grid(alpha=0.3)
        if index % cols == 0:
            ax.set_ylabel("cosine similarity to BPTT" if quantity == "cos"
                          else "|g| / |g_BPTT|")
        ax.legend(fontsize=7)
    for index in range(len(panels), nrows * cols):
        axes[index // cols][index % cols].axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_all(rows: Sequence[RowResult], out_dir: str, split: str, metrics: Sequence[str],
             title: str = "") -> List[str]:
    """Every plot of the module docstring into `out_dir`; returns the files written."""
    os.makedirs(out_dir, exist_ok=True)
    written = [learning_curves(rows, split, metrics,
                               os.path.join(out_dir, "learning_curves.png"), title)]
    for quantity in ("cos", "norm_ratio"):
        path = alignment(rows, os.path.join(out_dir, f"alignment_{quantity}.png"), quantity,
                         title)
        if path:
            written.append(path)
    return written
