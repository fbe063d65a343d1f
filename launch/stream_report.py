"""The table and plot of a stream study: accuracy vs delay per rule, with carried memory.

    python launch/stream_report.py --root=runs/delays [--root=runs/equal_memory ...] \
        --out=docs/streaming

Reads every finished run under each --root (summary.json and config.json of
launch/stream.py), and writes `<out>/delays.md` (a Markdown table: one row per rule with its
carried bytes, one column per delay, the final accuracy's mean ± std over seeds, std with
n - 1) and `<out>/delays.png` (accuracy vs delay, one line per rule, ± std as error bars).
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections import defaultdict

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from absl import app, flags  # noqa: E402

_ROOT = flags.DEFINE_multi_string("root", None, "A sweep's root (one workdir per run); "
                                  "repeat to put several sweeps in one table.", required=True)
_OUT = flags.DEFINE_string("out", None, "Where delays.md and delays.png go.", required=True)


def rule_name(config) -> str:
    return f"tbptt K={config['tbptt']['window']}" if config["rule"] == "tbptt" \
        else config["rule"]


def collect(roots):
    """{rule: {delay: [accuracy per seed]}}, {rule: carried bytes}, chance accuracy."""
    accuracy, carried, chance = defaultdict(lambda: defaultdict(list)), {}, None
    paths = [path for root in roots
             for path in sorted(glob.glob(os.path.join(root, "*", "summary.json")))]
    for summary_path in paths:
        workdir = os.path.dirname(summary_path)
        with open(summary_path, encoding="utf-8") as handle:
            summary = json.load(handle)
        with open(os.path.join(workdir, "config.json"), encoding="utf-8") as handle:
            config = json.load(handle)
        rule = rule_name(config)
        accuracy[rule][int(config["data"]["delay"])].append(summary["final"]["test"]["accuracy"])
        carried[rule] = summary["memory"]["carried"]
        chance = 1.0 / config["data"]["num_symbols"]
    return accuracy, carried, chance


def mean_std(values):
    """(mean, std with n - 1; None for one value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


def _rule_order(rule: str):
    # online rules first, then tbptt by window
    if rule.startswith("tbptt K="):
        return (1, int(rule.split("=")[1]), rule)
    return (0, 0, rule)


def table(accuracy, carried) -> str:
    delays = sorted({d for per in accuracy.values() for d in per})
    lines = ["| rule | carried bytes | " + " | ".join(f"D = {d}" for d in delays) + " |",
             "|---|---:|" + "---:|" * len(delays)]
    seeds = sorted({len(v) for per in accuracy.values() for v in per.values()})
    for rule in sorted(accuracy, key=_rule_order):
        cells = []
        for d in delays:
            values = accuracy[rule].get(d, [])
            if not values:
                cells.append("–")
                continue
            mean, std = mean_std(values)
            cells.append(f"{mean:.3f}" if std is None else f"{mean:.3f} ± {std:.3f}")
        lines.append(f"| {rule} | {carried[rule]:,} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Seeds per cell: {', '.join(map(str, seeds))}; mean ± std (n - 1).")
    return "\n".join(lines)


def plot(accuracy, chance, path: str) -> None:
    from lru_rtrl.sweeps.plots import pyplot
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for rule in sorted(accuracy, key=_rule_order):
        delays = sorted(accuracy[rule])
        stats = [mean_std(accuracy[rule][d]) for d in delays]
        axis.errorbar(delays, [m for m, _ in stats], yerr=[s or 0.0 for _, s in stats],
                      marker="o", capsize=3, label=rule)
    if chance:
        axis.axhline(chance, color="grey", linestyle=":", label="chance")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("delay D (steps)")
    axis.set_ylabel("accuracy, last quarter of the stream")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv):
    del argv
    accuracy, carried, chance = collect(_ROOT.value)
    if not accuracy:
        sys.exit(f"No finished runs (summary.json) under {', '.join(_ROOT.value)}.")
    os.makedirs(_OUT.value, exist_ok=True)
    text = table(accuracy, carried)
    with open(os.path.join(_OUT.value, "delays.md"), "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    plot(accuracy, chance, os.path.join(_OUT.value, "delays.png"))
    print(text)


if __name__ == "__main__":
    app.run(main)
