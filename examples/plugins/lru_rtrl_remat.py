"""Example plugin: the `parallel_remat` engine (trade compute for memory).

The parallel engine stores every activation of the forward pass for the backward pass. This
engine instead keeps only each residual block's input [B, T, D] and recomputes the block —
norm, core, GLU, dropout with the same masks — during the backward pass (`hk.remat`, i.e.
`jax.checkpoint` on each block). The gradient is the parallel engine's, for every rule; the
activation memory per block shrinks to one [B, T, D] array, for about one more forward pass
of compute. Measure it with

    python -m lru_rtrl.bench --plugins=examples/plugins/lru_rtrl_remat.py \
        --parallel_engines=parallel,parallel_remat

Select it in a config with

    config.plugins = ("examples/plugins/lru_rtrl_remat.py",)   # or the module name
    config.engine = "parallel_remat"

or install the example plugins (`pip install ./examples/plugins`) to have it in every run.

It shows what an engine provides: a name, what it accepts (`check`, inherited here: the
parallel engine runs every rule, pooling and task) and how it computes a gradient (here
only the sequence pass changes: `logits`).
"""

from lru_rtrl.engines.parallel import ParallelEngine
from lru_rtrl.registry import ENGINES


class RematParallelEngine(ParallelEngine):
    """The parallel engine with each residual block recomputed in the backward pass."""

    name = "parallel_remat"

    def logits(self, model, params, rng, batch, *, is_training, rule):
        return model.apply(params, rng, batch, is_training, rule, remat=True)


ENGINES.register("parallel_remat", RematParallelEngine())
