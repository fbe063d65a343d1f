"""One measurement: compile and run a jitted step for (engine, rule, T), time it, size it.

Memory is reported two ways:
  xla_mib   the compiled step's buffers as XLA's buffer assignment sizes them (arguments +
            outputs + temporaries): deterministic, the same on every run, and what a device
            must hold; ratios are taken on it.
  batch_mib the input batch's share of xla_mib (inputs, mask, targets: B·T·(F + 1) floats
            and B labels). A stream fed in chunks never holds it, so the streaming engine's
            own memory, the one that must not grow with T, is xla_mib - batch_mib.
  rss_mib   the process's peak resident memory while compiling and running this one
            measurement (only meaningful when each measurement runs in its own process,
            `--isolate`; includes the Python / JAX runtime).
  device_peak_mib  on GPU / TPU, the allocator's peak bytes in use (None on CPU).
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from typing import Dict, List, Optional

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl import experiment
from lru_rtrl.config import base_config
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.engines.base import split_recurrent
from lru_rtrl.model import count_params


@dataclasses.dataclass
class Setting:
    """What is measured: sizes of the paper's benchmark by default (4 x 256/128, B = 8)."""
    engine: str
    rule: str          # "forward" measures the inference pass alone
    seq_len: int
    core: str = "lru"
    n_layers: int = 4
    d_model: int = 256
    d_hidden: int = 128
    batch_size: int = 8
    input_dim: int = 3
    num_classes: int = 10
    scan: str = "auto"
    repeats: int = 3
    plugins: List[str] = dataclasses.field(default_factory=list)  # imported before building

    def label(self) -> str:
        return f"{self.engine}/{self.rule}/T={self.seq_len}"


def _peak_rss_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _device_peak_mib() -> Optional[float]:
    stats = jax.devices()[0].memory_stats() if jax.default_backend() != "cpu" else None
    if not stats or "peak_bytes_in_use" not in stats:
        return None
    return stats["peak_bytes_in_use"] / 2**20


def build(setting: Setting):
    """(jitted function, its arguments, model, params) for a setting."""
    spec = TaskSpec("bench", setting.seq_len, "real", setting.input_dim,
                    (setting.num_classes,), "sequence")
    config = base_config("copy")
    model = config.model
    model.core, model.n_layers = setting.core, setting.n_layers
    model.d_model, model.d_hidden = setting.d_model, setting.d_hidden
    model.pooling, model.scan = "pool_st", setting.scan
    config.rule = "bptt" if setting.rule == "forward" else setting.rule
    config.engine = setting.engine
    model = experiment.model_of(config, spec, batch_size=setting.batch_size)
    params = experiment.init_params(model, jax.random.PRNGKey(0))
    rng = np.random.default_rng(0)
    batch = {
        "inputs": jnp.asarray(rng.normal(size=(setting.batch_size, setting.seq_len,
                                               setting.input_dim)), jnp.float32),
        "mask": jnp.ones((setting.batch_size, setting.seq_len), jnp.float32),
        "targets": jnp.asarray(rng.integers(0, setting.num_classes, setting.batch_size)),
    }
    key = jax.random.PRNGKey(1)
    if setting.rule == "forward":
        fn = jax.jit(lambda p, b, k: model.apply(p, k, b, is_training=True))
    else:
        fn = jax.jit(lambda p, b, k: model.engine.gradient(model, p, k, b))
    return fn, (params, batch, key), model, params


def predicted_streaming_mib(model, params, batch_size: int) -> float:
    """The streaming engine's memory formula: parameters, gradients, states and traces.

    params + gradient accumulator: 2·|θ|·4 bytes; per layer: state B·N, pooling carry B·D and
    traces B·|θ_rec| (×N for dense full RTRL), complex64 (8 bytes) for complex states. The
    batch itself (B·T·F floats) and one step's activations come on top.
    """
    total = 2 * count_params(params) * 4
    thetas, _ = split_recurrent(model, params)
    for cell, theta in zip(model.cells, thetas):
        state_bytes = 8 if cell.structure.complex_state else 4
        total += batch_size * cell.d_hidden * state_bytes
        # eval_shape gives the traces' sizes without allocating them.
        shapes = jax.eval_shape(lambda th, c=cell: model.rule.init_traces(c, th, batch_size), theta)
        total += sum(int(np.prod(s.shape)) * s.dtype.itemsize
                     for s in jax.tree_util.tree_leaves(shapes))
    total += batch_size * model.arch.d_model * 4
    return total / 2**20


def run(setting: Setting) -> Dict[str, object]:
    """Compiles and times one setting; returns a JSON-ready record."""
    fn, args, model, params = build(setting)
    start = time.perf_counter()
    compiled = fn.lower(*args).compile()
    compile_s = time.perf_counter() - start
    analysis = compiled.memory_analysis()
    xla_bytes = None
    if analysis is not None:
        xla_bytes = (analysis.temp_size_in_bytes + analysis.argument_size_in_bytes
                     + analysis.output_size_in_bytes - analysis.alias_size_in_bytes)
    jax.block_until_ready(compiled(*args))  # warm-up
    times = []
    for _ in range(max(1, setting.repeats)):
        start = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - start)
    record = dataclasses.asdict(setting)
    record.update(
        backend=jax.default_backend(), device=str(jax.devices()[0].device_kind),
        params=count_params(params), compile_s=compile_s,
        step_s=float(np.median(times)), step_ms_per_token=float(np.median(times)) / setting.seq_len * 1e3,
        xla_mib=None if xla_bytes is None else xla_bytes / 2**20,
        rss_mib=_peak_rss_mib(), device_peak_mib=_device_peak_mib())
    batch_mib = sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(args[1])) / 2**20
    record["batch_mib"] = batch_mib
    if setting.engine == "streaming" and setting.rule != "forward":
        record["predicted_mib"] = predicted_streaming_mib(
            model, params, setting.batch_size) + batch_mib
    return record
