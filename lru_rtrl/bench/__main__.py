"""`python -m lru_rtrl.bench`: time and memory of every rule and engine, side by side.

For each setting (engine, rule, T) it compiles one gradient step (or the forward pass alone,
rule "forward"), reports compile time, the median step time, XLA's buffer size of the
compiled step, the process's peak RSS (each setting in a fresh process with --isolate) and,
for the streaming engine, the memory formula's prediction; then ratios to `bptt` (parallel
engine, same T) and to the forward pass. Prints a Markdown table and writes JSON.

    python -m lru_rtrl.bench                          # the paper's sizes, ~8 min on 2 CPU cores
    python -m lru_rtrl.bench --preset=quick           # small sizes, seconds
    python -m lru_rtrl.bench --parallel_T=1024 --streaming_T= --rules=bptt,online_full

Runs unchanged on GPU / TPU (memory then also shows the allocator's peak).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Dict, List

from absl import app, flags

PRESETS = {
    # The sizes of the cores/rules and streaming issues: 4 layers, 256 / 128, batch 8.
    "paper": dict(n_layers=4, d_model=256, d_hidden=128, batch_size=8,
                  parallel_T="256,1024,4096", streaming_T="1024,4096,16384"),
    "quick": dict(n_layers=2, d_model=32, d_hidden=16, batch_size=4,
                  parallel_T="64,256", streaming_T="64,256"),
}

FLAGS = flags.FLAGS
flags.DEFINE_enum("preset", "paper", list(PRESETS), "Sizes to measure.")
flags.DEFINE_string("rules", "bptt,online_full,online_snap,online_truncated,online_spat",
                    "Rules for the parallel engine (bptt is the reference).")
flags.DEFINE_string("streaming_rules", "online_full",
                    "Rules for the streaming engine at every streaming T.")
flags.DEFINE_string("streaming_rules_first_T",
                    "online_snap,online_truncated,online_spat",
                    "Rules measured on the streaming engine at the first streaming T only.")
flags.DEFINE_string("parallel_T", None, "Comma-separated T for the parallel engine.")
flags.DEFINE_string("streaming_T", None, "Comma-separated T for the streaming engine.")
flags.DEFINE_string("core", "lru", "Core to benchmark.")
flags.DEFINE_string("scan", "auto", "Scan implementation for diagonal cores.")
flags.DEFINE_integer("repeats", 3, "Timed repetitions per setting (median reported).")
flags.DEFINE_bool("isolate", True, "Run each setting in its own process (clean peak RSS).")
flags.DEFINE_string("json_out", "bench_results.json", "Where to write the records.")
flags.DEFINE_string("run_one", None, "Internal: measure one JSON-encoded setting and print it.")


def _settings() -> List[Dict]:
    preset = dict(PRESETS[FLAGS.preset])
    parallel_t = FLAGS.parallel_T if FLAGS.parallel_T is not None else preset.pop("parallel_T")
    streaming_t = FLAGS.streaming_T if FLAGS.streaming_T is not None else preset.pop("streaming_T")
    preset.pop("parallel_T", None)
    preset.pop("streaming_T", None)
    common = dict(preset, core=FLAGS.core, scan=FLAGS.scan, repeats=FLAGS.repeats)
    settings = []
    for t in [int(v) for v in parallel_t.split(",") if v]:
        settings.append(dict(common, engine="parallel", rule="forward", seq_len=t))
        for rule in FLAGS.rules.split(","):
            settings.append(dict(common, engine="parallel", rule=rule, seq_len=t))
    streaming = [int(v) for v in streaming_t.split(",") if v]
    for i, t in enumerate(streaming):
        rules = FLAGS.streaming_rules.split(",")
        if i == 0:
            rules += [r for r in FLAGS.streaming_rules_first_T.split(",") if r]
        for rule in rules:
            # The streaming engine's long runs are timed once: they are long enough.
            settings.append(dict(common, engine="streaming", rule=rule, seq_len=t,
                                 repeats=1 if t > 2048 else common["repeats"]))
    return settings


def _measure_in_process(setting: Dict) -> Dict:
    from lru_rtrl.bench.measure import Setting, run  # JAX starts here, not in the parent.
    import lru_rtrl.plugins
    lru_rtrl.plugins.load_builtins()
    return run(Setting(**setting))


def _measure(setting: Dict) -> Dict:
    if not FLAGS.isolate:
        return _measure_in_process(setting)
    command = [sys.executable, "-m", "lru_rtrl.bench", f"--run_one={json.dumps(setting)}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"Measuring {setting} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fmt(value, spec=".1f"):
    return "–" if value is None else format(value, spec)


def table(records: List[Dict]) -> str:
    """Markdown table with ratios to parallel bptt and to the forward pass at the same T."""
    reference = {r["seq_len"]: r for r in records
                 if r["engine"] == "parallel" and r["rule"] == "bptt"}
    forward = {r["seq_len"]: r for r in records if r["rule"] == "forward"}
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
    streaming = {}
    for r in records:
        if r["engine"] == "streaming":
            streaming.setdefault(r["rule"], []).append(r)
    for rule, runs in streaming.items():
        runs = sorted(runs, key=lambda r: r["seq_len"])
        if len(runs) > 1 and runs[0]["xla_mib"]:
            lines.append(
                f"\nstreaming {rule}: XLA memory at T={runs[-1]['seq_len']} is "
                f"{runs[-1]['xla_mib'] / runs[0]['xla_mib']:.3f}x that at T={runs[0]['seq_len']} "
                f"(peak RSS {runs[-1]['rss_mib'] / runs[0]['rss_mib']:.3f}x)")
    return "\n".join(lines)


def main(argv):
    del argv
    if FLAGS.run_one:
        print(json.dumps(_measure_in_process(json.loads(FLAGS.run_one))))
        return
    settings = _settings()
    records = []
    start = time.time()
    for i, setting in enumerate(settings):
        record = _measure(setting)
        records.append(record)
        print(f"[{i + 1}/{len(settings)} {time.time() - start:5.0f}s] {setting['engine']} "
              f"{setting['rule']} T={setting['seq_len']}: step {record['step_s']:.3f}s, "
              f"XLA {_fmt(record['xla_mib'])} MiB", flush=True)
    first = records[0]
    header = (f"Measured on {first['backend']} ({first['device']}, {os.cpu_count()} CPU cores): "
              f"{first['core']}, {first['n_layers']} layers, d_model {first['d_model']}, "
              f"d_hidden {first['d_hidden']}, batch {first['batch_size']}, "
              f"{first['params']:,} parameters; {time.time() - start:.0f} s in all.")
    print("\n" + header + "\n\n" + table(records))
    with open(FLAGS.json_out, "w") as f:
        json.dump({"header": header, "records": records}, f, indent=1)
    print(f"\nWrote {FLAGS.json_out}")


if __name__ == "__main__":
    app.run(main)
