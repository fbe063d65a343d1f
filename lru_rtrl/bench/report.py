"""Tables of bench records: Markdown with ratios to BPTT and to the forward pass.

    python -m lru_rtrl.bench.report --json=docs/bench/lru_cpu.json       # print the table
    python -m lru_rtrl.bench.report --json=A.json --json=B.json --docs=docs/benchmarks.md

`--docs` rewrites, in that Markdown file, the block between `<!-- bench:NAME:start -->` and
`<!-- bench:NAME:end -->` (NAME: the JSON file's stem) with the header and table of that JSON
file, so the documentation shows exactly what the bench measured (a test checks it).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Dict, List

from absl import app, flags

from lru_rtrl.errors import ConfigError


def _fmt(value, spec=".1f"):
    return "–" if value is None else format(value, spec)


def table(records: List[Dict]) -> str:
    """Markdown table with ratios to parallel bptt and to the forward pass at the same T."""
    reference = {r["seq_len"]: r for r in records
                 if r["engine"] == "parallel" and r["rule"] == "bptt"}
    forward = {r["seq_len"]: r for r in records
               if r["engine"] == "parallel" and r["rule"] == "forward"}
    lines = ["| engine | rule | T | compile s | step s | ms / token | XLA MiB | peak RSS MiB "
             "| predicted MiB | time / bptt | memory / bptt | time / forward |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in records:
        ref, fwd = reference.get(r["seq_len"]), forward.get(r["seq_len"])
        time_ratio = r["step_s"] / ref["step_s"] if ref else None
        mem_ratio = (r["xla_mib"] / ref["xla_mib"]
                     if ref and r["xla_mib"] and ref["xla_mib"] else None)
        fwd_ratio = r["step_s"] / fwd["step_s"] if fwd else None
        lines.append(
            f"| {r['engine']} | {r['rule']} | {r['seq_len']} | {r['compile_s']:.1f} | "
            f"{r['step_s']:.3f} | {r['step_ms_per_token']:.3f} | {_fmt(r['xla_mib'])} | "
            f"{_fmt(r['rss_mib'], '.0f')} | {_fmt(r.get('predicted_mib'))} | "
            f"{_fmt(time_ratio, '.2f')} | {_fmt(mem_ratio, '.2f')} | {_fmt(fwd_ratio, '.2f')} |")
    return "\n".join(lines)


def flat_memory_lines(records: List[Dict]) -> List[str]:
    """For each streaming rule measured at several T: memory at the longest T / the shortest."""
    streaming: Dict[str, List[Dict]] = {}
    for r in records:
        if r["engine"] == "streaming":
            streaming.setdefault(r["rule"], []).append(r)
    lines = []
    for rule, runs in streaming.items():
        runs = sorted(runs, key=lambda r: r["seq_len"])
        if len(runs) > 1 and runs[0]["xla_mib"]:
            first, last = runs[0], runs[-1]
            line = (f"streaming {rule}: XLA memory at T={last['seq_len']} is "
                    f"{last['xla_mib'] / first['xla_mib']:.3f}x that at T={first['seq_len']} "
                    f"(peak RSS {last['rss_mib'] / first['rss_mib']:.3f}x)")
            if "batch_mib" in first and "batch_mib" in last:
                # The batch is the bench's whole input; a stream fed in chunks never holds it.
                engine_ratio = ((last["xla_mib"] - last["batch_mib"])
                                / (first["xla_mib"] - first["batch_mib"]))
                line += (f"; without the input batch ({first['batch_mib']:.2f} -> "
                         f"{last['batch_mib']:.2f} MiB) {engine_ratio:.3f}x")
            lines.append(line)
    return lines


def render(data: Dict) -> str:
    """Header, table and flat-memory lines of one bench JSON file's content."""
    parts = [data["header"], "", table(data["records"])]
    extra = flat_memory_lines(data["records"])
    if extra:
        parts += [""] + extra
    return "\n".join(parts)


def _markers(name: str):
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def docs_block(path_json: str) -> str:
    with open(path_json, encoding="utf-8") as handle:
        return render(json.load(handle))


def update_docs(doc_path: str, json_paths: List[str]) -> List[str]:
    """Rewrites the marked block of every JSON file in `doc_path`; returns the names done."""
    with open(doc_path, encoding="utf-8") as handle:
        text = handle.read()
    done = []
    for path in json_paths:
        name = os.path.splitext(os.path.basename(path))[0]
        start, end = _markers(name)
        if start not in text or end not in text:
            raise ConfigError(f"{doc_path} has no block {start} ... {end} for {path}; add the "
                             "two marker lines where the table should go.")
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = f"{before}{start}\n{docs_block(path)}\n{end}{after}"
        done.append(name)
    with open(doc_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return done


def blocks_in(doc_path: str) -> Dict[str, str]:
    """{name: the text between its markers} of every bench block in a Markdown file."""
    with open(doc_path, encoding="utf-8") as handle:
        text = handle.read()
    pattern = re.compile(r"<!-- bench:([\w.-]+):start -->\n(.*?)\n<!-- bench:\1:end -->", re.S)
    return {m.group(1): m.group(2) for m in pattern.finditer(text)}


FLAGS = flags.FLAGS
flags.DEFINE_multi_string("json", [], "Bench JSON file(s) written by python -m lru_rtrl.bench.")
flags.DEFINE_string("docs", None, "Markdown file whose bench:<json stem> blocks to rewrite.")


def main(argv):
    del argv
    if not FLAGS.json:
        sys.exit("Give --json=FILE (written by python -m lru_rtrl.bench --json_out=FILE).")
    if FLAGS.docs:
        names = update_docs(FLAGS.docs, FLAGS.json)
        print(f"Rewrote the blocks {', '.join(names)} of {FLAGS.docs}.")
        return
    for path in FLAGS.json:
        print(docs_block(path) + "\n")


if __name__ == "__main__":
    app.run(main)
