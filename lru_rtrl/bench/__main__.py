"""`python -m lru_rtrl.bench`: time and memory of every rule and engine, side by side.

For each setting (engine, rule, T) it compiles one gradient step (or the forward pass alone,
rule "forward"), reports compile time, the median step time, XLA's buffer size of the
compiled step, the process's peak RSS (each setting in a fresh process with --isolate) and,
for the streaming engine, the memory formula's prediction; then ratios to `bptt` (parallel
engine, same T) and to the forward pass. Prints a Markdown table and writes JSON
(`python -m lru_rtrl.bench.report` turns JSON files into the tables of docs/benchmarks.md).
Then the online learner's step latency at batch 1 and 8 and its ratio to a prediction-only
step (lru_rtrl/bench/learner.py).

    python -m lru_rtrl.bench                          # the paper's sizes (docs/benchmarks.md)
    python -m lru_rtrl.bench --preset=quick           # small sizes, one process
    python -m lru_rtrl.bench --preset=smoke           # tiny: every code path once
    python -m lru_rtrl.bench --learner_only           # the online learner's step latency
    python -m lru_rtrl.bench --core=gru --parallel_T=1024 --streaming_T= --rules=bptt,online_snap
    python -m lru_rtrl.bench --plugins=examples/plugins/lru_rtrl_remat.py \
        --parallel_engines=parallel,parallel_remat    # a plugin engine next to the built-in

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

from lru_rtrl.bench import report
from lru_rtrl.progress import duration

# The learner's latency table: calls per timing, the chunk length of `steps`, repeats.
_LEARNER = dict(learner_calls=200, learner_chunk=256, learner_repeats=7)
PRESETS = {
    # The sizes of the paper's benchmark: 4 layers, 256 / 128, batch 8; one process each.
    "paper": dict(n_layers=4, d_model=256, d_hidden=128, batch_size=8,
                  parallel_T="256,1024,4096", streaming_T="1024,4096,16384", isolate=True,
                  **_LEARNER),
    # Small sizes in one process: a check that everything runs, not a measurement to quote.
    "quick": dict(n_layers=2, d_model=32, d_hidden=16, batch_size=4,
                  parallel_T="128", streaming_T="128,512", isolate=False, **_LEARNER),
    # Tiny: every code path once (the docs' commands are tested with it).
    "smoke": dict(n_layers=1, d_model=8, d_hidden=4, batch_size=2, parallel_T="16",
                  streaming_T="16", isolate=False, learner_calls=3, learner_chunk=8,
                  learner_repeats=1),
}

FLAGS = flags.FLAGS
flags.DEFINE_enum("preset", "paper", list(PRESETS), "Sizes to measure.")
flags.DEFINE_string("rules", "bptt,online_full,online_snap,online_truncated,online_spat",
                    "Rules for the parallel engine (bptt is the reference).")
flags.DEFINE_string("parallel_engines", "parallel",
                    "Engines measured like the parallel one (a plugin's engine needs --plugins); "
                    "engines after the first measure only --extra_engine_rules.")
flags.DEFINE_string("extra_engine_rules", "bptt,online_full",
                    "Rules measured on the engines after the first of --parallel_engines.")
flags.DEFINE_string("streaming_rules", "online_full",
                    "Rules for the streaming engine at every streaming T.")
flags.DEFINE_string("streaming_rules_first_T",
                    "online_snap,online_truncated,online_spat",
                    "Rules measured on the streaming engine at the first streaming T only.")
flags.DEFINE_string("parallel_T", None, "Comma-separated T for the parallel engines.")
flags.DEFINE_string("streaming_T", None, "Comma-separated T for the streaming engine.")
flags.DEFINE_string("core", "lru", "Core to benchmark.")
flags.DEFINE_string("scan", "auto", "Scan implementation for diagonal cores.")
flags.DEFINE_integer("repeats", 3, "Timed repetitions per setting (median reported).")
flags.DEFINE_bool("isolate", None, "Run each setting in its own process (clean peak RSS); "
                  "default: yes for the paper preset, no for quick.")
flags.DEFINE_list("plugins", [], "Plugin modules or .py files to import (engines, rules, cores).")
flags.DEFINE_string("json_out", None, "Where to write the records (default: "
                    "runs/bench/<core>_<preset>.json; runs/ is not tracked by git).")
flags.DEFINE_string("learner_rules", "online_full,online_truncated,tbptt",
                    "Rules of the online learner's step-latency table (configs/recall_stream.py "
                    "model; tbptt with K = 32); empty: no learner table.")
flags.DEFINE_list("learner_batches", ["1", "8"], "Batch sizes of the learner's latency table.")
flags.DEFINE_bool("learner_only", False, "Measure only the online learner's latency.")
flags.DEFINE_string("run_one", None, "Internal: measure one JSON-encoded setting and print it.")


def _split(text: str) -> List[str]:
    return [v for v in text.split(",") if v]


def _settings() -> List[Dict]:
    preset = dict(PRESETS[FLAGS.preset])
    parallel_t = FLAGS.parallel_T if FLAGS.parallel_T is not None else preset["parallel_T"]
    streaming_t = FLAGS.streaming_T if FLAGS.streaming_T is not None else preset["streaming_T"]
    common = {k: preset[k] for k in ("n_layers", "d_model", "d_hidden", "batch_size")}
    common.update(core=FLAGS.core, scan=FLAGS.scan, repeats=FLAGS.repeats,
                  plugins=list(FLAGS.plugins))
    engines = _split(FLAGS.parallel_engines)
    settings = []
    for t in [int(v) for v in _split(parallel_t)]:
        settings.append(dict(common, engine=engines[0], rule="forward", seq_len=t))
        for i, engine in enumerate(engines):
            for rule in _split(FLAGS.rules if i == 0 else FLAGS.extra_engine_rules):
                settings.append(dict(common, engine=engine, rule=rule, seq_len=t))
    for i, t in enumerate([int(v) for v in _split(streaming_t)]):
        rules = _split(FLAGS.streaming_rules)
        if i == 0:
            rules += _split(FLAGS.streaming_rules_first_T)
        for rule in rules:
            # The streaming engine's long runs are timed once: they are long enough.
            settings.append(dict(common, engine="streaming", rule=rule, seq_len=t,
                                 repeats=1 if t > 2048 else common["repeats"]))
    return settings


def _measure_in_process(setting: Dict) -> Dict:
    from lru_rtrl import plugins  # JAX starts here, not in the parent.
    from lru_rtrl.bench.measure import Setting, run
    plugins.load_plugins(setting.get("plugins", ()), entry_points=False)
    return run(Setting(**setting))


def _measure(setting: Dict, isolate: bool) -> Dict:
    if not isolate:
        return _measure_in_process(setting)
    command = [sys.executable, "-m", "lru_rtrl.bench", f"--run_one={json.dumps(setting)}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"Measuring {setting} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv):
    del argv
    if FLAGS.run_one:
        print(json.dumps(_measure_in_process(json.loads(FLAGS.run_one))))
        return
    isolate = FLAGS.isolate if FLAGS.isolate is not None else PRESETS[FLAGS.preset]["isolate"]
    json_out = FLAGS.json_out or os.path.join("runs", "bench", f"{FLAGS.core}_{FLAGS.preset}.json")
    settings = [] if FLAGS.learner_only else _settings()
    records = []
    start = time.time()
    for i, setting in enumerate(settings):
        record = _measure(setting, isolate)
        records.append(record)
        elapsed = time.time() - start
        eta = elapsed / (i + 1) * (len(settings) - i - 1)
        print(f"[{i + 1}/{len(settings)} {duration(elapsed)}, ETA {duration(eta)}] "
              f"{setting['engine']} {setting['rule']} T={setting['seq_len']}: step "
              f"{record['step_s']:.3f}s, XLA {report._fmt(record['xla_mib'])} MiB", flush=True)
    data = {"records": records}
    if records:
        first = records[0]
        data["header"] = (
            f"Measured on {first['backend']} ({first['device']}, {os.cpu_count()} CPU cores): "
            f"{first['core']}, {first['n_layers']} layers, d_model {first['d_model']}, "
            f"d_hidden {first['d_hidden']}, batch {first['batch_size']}, "
            f"{first['params']:,} parameters; {time.time() - start:.0f} s in all.")
        print("\n" + report.render(data))
    if FLAGS.learner_rules:
        from lru_rtrl.bench import learner  # JAX starts here
        preset = PRESETS[FLAGS.preset]
        data["learner"] = learner.measure(_split(FLAGS.learner_rules),
                                          [int(b) for b in FLAGS.learner_batches],
                                          calls=preset["learner_calls"],
                                          chunk=preset["learner_chunk"],
                                          repeats=preset["learner_repeats"])
        print("\nOnline learner (lru_rtrl.learner, configs/recall_stream.py model), latency "
              "of one step called from Python:\n" + learner.table(data["learner"]))
    os.makedirs(os.path.dirname(os.path.abspath(json_out)), exist_ok=True)
    with open(json_out, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    print(f"\nWrote {json_out}")


if __name__ == "__main__":
    app.run(main)
