"""The table and plot of a stream study: accuracy vs delay per rule, with carried memory.

    python launch/stream_report.py --root=/work/runs/delays --out=docs/streaming

Reads every finished run under --root (summary.json and config.json of launch/stream.py),
averages the final accuracy over seeds per (rule, delay), and writes `<out>/delays.md`
(a Markdown table: one row per rule with its carried bytes, one column per delay) and
`<out>/delays.png` (accuracy vs delay, one line per rule).
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

_ROOT = flags.DEFINE_string("root", None, "The sweep's root (one workdir per run).",
                            required=True)
_OUT = flags.DEFINE_string("out", None, "Where delays.md and delays.png go.", required=True)


def rule_name(config) -> str:
    return f"tbptt K={config['tbptt']['window']}" if config["rule"] == "tbptt" \
        else config["rule"]


def collect(root: str):
    """{rule: {delay: [accuracy per seed]}}, {rule: carried bytes}, chance accuracy."""
    accuracy, carried, chance = defaultdict(lambda: defaultdict(list)), {}, None
    for summary_path in sorted(glob.glob(os.path.join(root, "*", "summary.json"))):
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


def table(accuracy, carried) -> str:
    delays = sorted({d for per in accuracy.values() for d in per})
    lines = ["| rule | carried bytes | " + " | ".join(f"D = {d}" for d in delays) + " |",
             "|---|---:|" + "---:|" * len(delays)]
    for rule in sorted(accuracy):
        cells = []
        for d in delays:
            values = accuracy[rule].get(d, [])
            cells.append(f"{sum(values) / len(values):.3f}" if values else "–")
        lines.append(f"| {rule} | {carried[rule]:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(accuracy, chance, path: str) -> None:
    from lru_rtrl.sweeps.plots import pyplot
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for rule in sorted(accuracy):
        delays = sorted(accuracy[rule])
        means = [sum(accuracy[rule][d]) / len(accuracy[rule][d]) for d in delays]
        axis.plot(delays, means, marker="o", label=rule)
    if chance:
        axis.axhline(chance, color="grey", linestyle=":", label="chance")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("delay D (steps)")
    axis.set_ylabel("accuracy, last quarter of the stream")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv):
    del argv
    accuracy, carried, chance = collect(_ROOT.value)
    if not accuracy:
        sys.exit(f"No finished runs (summary.json) under {_ROOT.value}.")
    os.makedirs(_OUT.value, exist_ok=True)
    text = table(accuracy, carried)
    with open(os.path.join(_OUT.value, "delays.md"), "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    plot(accuracy, chance, os.path.join(_OUT.value, "delays.png"))
    print(text)


if __name__ == "__main__":
    app.run(main)
