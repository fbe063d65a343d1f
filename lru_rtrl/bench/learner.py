"""The online learner's cost per step: what an agent or a sensor loop feels.

For each rule and batch size, `OnlineLearner.step` (predict, then learn: one Python call
per stream step, results fetched) is timed against `OnlineLearner.predict` (the same network
step, no gradient) on the model of configs/recall_stream.py; also `steps` against
`predict_steps` over a chunk of 256 steps (one jitted scan: the compute without Python's
per-call dispatch), per step. Latencies are medians over `repeats` rounds of `calls`
consecutive calls, the four kinds taking turns in each round, after a compiling call.
Printed by `python -m lru_rtrl.bench` after the engine table.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Dict, List, Sequence

import jax
import numpy as np

CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "configs", "recall_stream.py")


def _time_interleaved(named_calls: Dict[str, tuple], repeats: int) -> Dict[str, float]:
    """Median over repeats of the mean seconds per call, for each name: {name: (call, calls)}.

    The calls take turns within each repeat (A, B, C, D, A, B, ...), so a change of load on a
    shared machine falls on all of them alike and their ratios stay meaningful; each call's
    result is fetched."""
    samples = {name: [] for name in named_calls}
    for _ in range(repeats):
        for name, (call, calls) in named_calls.items():
            start = time.perf_counter()
            for _ in range(calls):
                jax.block_until_ready(call())
            samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(rules: Sequence[str], batch_sizes: Sequence[int], *, window: int = 32,
            calls: int = 200, chunk: int = 256, repeats: int = 7) -> List[Dict]:
    from lru_rtrl.config import load_config
    from lru_rtrl.learner import OnlineLearner
    records = []
    for rule in rules:
        for batch in batch_sizes:
            config = load_config(CONFIG)
            config.rule, config.tbptt.window = rule, window
            learner = OnlineLearner.from_config(config)
            state = learner.init(jax.random.PRNGKey(0), batch)
            spec = learner.model.spec
            rng = np.random.default_rng(0)
            x = rng.integers(1, spec.input_dim, (batch,)).astype(np.int32)
            target = rng.integers(0, spec.num_classes, (batch,)).astype(np.int32)
            weight = np.ones((batch,), np.float32)
            holder = {"state": state}

            def learn():
                out, holder["state"], _ = learner.step(holder["state"], x, target, weight)
                return out

            def predict():
                out, _ = learner.predict(holder["state"], x)
                return out

            xs = rng.integers(1, spec.input_dim, (batch, chunk)).astype(np.int32)
            ys = rng.integers(0, spec.num_classes, (batch, chunk)).astype(np.int32)
            ws = np.ones((batch, chunk), np.float32)

            def learn_chunk():
                out, holder["state"], _ = learner.steps(holder["state"], xs, ys, ws)
                return out

            def predict_chunk():
                return learner.predict_steps(holder["state"], xs)[0]

            for call in (learn, predict, learn_chunk, predict_chunk):  # compile
                jax.block_until_ready(call())
            seconds = _time_interleaved({"learn": (learn, calls), "predict": (predict, calls),
                                         "learn_chunk": (learn_chunk, 1),
                                         "predict_chunk": (predict_chunk, 1)}, repeats)
            step_s, predict_s = seconds["learn"], seconds["predict"]
            chunk_s = seconds["learn_chunk"] / chunk
            chunk_predict_s = seconds["predict_chunk"] / chunk
            memory = learner.memory_bytes(holder["state"])
            records.append(dict(rule=rule if rule != "tbptt" else f"tbptt K={window}",
                                batch_size=batch, step_us=step_s * 1e6,
                                predict_us=predict_s * 1e6, chunk_step_us=chunk_s * 1e6,
                                chunk_predict_us=chunk_predict_s * 1e6,
                                learn_over_predict=step_s / predict_s,
                                chunk_learn_over_predict=chunk_s / chunk_predict_s,
                                carried_bytes=memory["carried"]))
    return records


def table(records: List[Dict]) -> str:
    lines = ["| rule | batch | step µs | predict µs | step / predict | in a chunk: step µs "
             "| predict µs | step / predict | carried bytes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in records:
        lines.append(f"| {r['rule']} | {r['batch_size']} | {r['step_us']:.0f} | "
                     f"{r['predict_us']:.0f} | {r['learn_over_predict']:.2f} | "
                     f"{r['chunk_step_us']:.1f} | {r['chunk_predict_us']:.1f} | "
                     f"{r['chunk_learn_over_predict']:.2f} | {r['carried_bytes']:,} |")
    return "\n".join(lines)
