"""Selective copying (docs/gated_cores.md): recall k = 4 of V = 8 tokens scattered among noise
in T = 64 steps, in order, after a go token. Generated offline from data.seed.

Longer sequences: `--config.data.seq_len=256` (or more; also `data.n_tokens`, `data.vocab`).

get_config(arg):
  None / "quick"  2 layers of width 32 (LRU 32/32: 13,448 parameters), no dropout, batch 32,
                  lr 3e-3, the step budget of the "cores" study: sized for 2 CPU cores
  "smoke"         tiny, for tests (a few steps)

get_sweep(name) (`python -m lru_rtrl.sweeps --config=configs/selective_copy.py --sweep=NAME
--root=DIR`):
  "cores"   lru, rglru, mingru, gru x bptt, online_full (online_snap for the dense GRU),
            online_truncated, 3 seeds (36 runs), at matched parameter counts (2 layers,
            d_model 32): lru 32/32 13,448; rglru 32/32 13,512; mingru 32/43 13,492;
            gru 32/21 13,190
  "inits"   the initialisations that are not the defaults, at the "cores" budget: rglru with
            the Griffin paper's sentence (init=paper), gru with PyTorch's (init=pytorch),
            x the same 3 rules, 3 seeds (18 runs); "cores" has the default rows
  "mingru_init"  minGRU's initialisations compared over 5 seeds (what chose its default):
            the paper's sentence (init=paper), the released code's (init=reference), and
            the released code's whole cell (its init, the candidate transform g, no D skip)
            x the 3 rules (45 runs)
  "smoke"   2 tiny runs (rglru, online_full and bptt), to try the runner (tests)
"""

from lru_rtrl.config import apply_variant, base_config, shrink_for_smoke


def get_config(arg=None):
    config = base_config("selective_copy")
    config.model.n_layers = 2
    config.model.d_model = 32
    config.model.d_hidden = 32
    config.model.dropout = 0.0
    config.train.batch_size = 32
    config.train.lr = 3e-3
    return apply_variant(config, arg, {"quick": _quick, "smoke": _smoke}, default="quick",
                         where="configs/selective_copy.py")


def _quick(config):
    """The "cores" study's budget (docs/gated_cores.md gives its wall time on 2 CPU cores)."""
    config.train.num_steps = 1200
    config.train.eval_every_steps = 300
    config.train.grad_alignment_every = 300
    config.train.log_every_steps = 100


def _smoke(config):
    shrink_for_smoke(config, d_model=8, d_hidden=8)
    config.model.core = "rglru"
    config.train.eval_every_steps = 2
    config.train.grad_alignment_every = 2
    config.data.seq_len = 16
    config.data.num_train = 64
    config.data.num_validation = 8
    config.data.num_test = 8


# --- sweeps (lru_rtrl/sweeps) ----------------------------------------------------------------

# Matched parameter counts (2 layers, d_model 32, full GLU): d_hidden per core.
D_HIDDEN = {"lru": 32, "rglru": 32, "mingru": 43, "gru": 21}
# The exact in-layer rule: online_full on the diagonal cores, SnAp-1 on the dense GRU.
_EXACT_IN_LAYER = {"lru": "online_full", "rglru": "online_full", "mingru": "online_full",
                   "gru": "online_snap"}


def get_sweep(name):
    """The sweep `name` (see the module docstring); an unknown name lists the known ones."""
    from lru_rtrl.sweeps.spec import choose
    return choose(name, {"cores": _cores, "inits": _inits, "mingru_init": _mingru_init,
                         "smoke": _smoke_sweep}, "configs/selective_copy.py")


def _rules(core):
    return ["bptt", _EXACT_IN_LAYER[core], "online_truncated"]


def _cores():
    from lru_rtrl.sweeps.spec import Sweep, grid
    grids = tuple(
        grid("quick", {"model.core": core, "model.d_hidden": D_HIDDEN[core],
                       "rule": ["bptt", _EXACT_IN_LAYER[core], "online_truncated"]})
        for core in D_HIDDEN)
    return Sweep(
        name="cores", grids=grids, seeds=(0, 1, 2), rows=("model.core", "rule"),
        metrics=("accuracy", "sequence_exact_accuracy", "loss"),
        curve_metrics=("loss", "accuracy"), report_final=True, plots=True,
        description="Selective copying (T 64, k 4, V 8): LRU, RG-LRU, minGRU and GRU, 2 layers "
                    "of width 32 at ~13.2-13.5k parameters, with BPTT, the exact in-layer "
                    "online rule (online_full; SnAp-1 for the GRU) and 1-step truncation; "
                    "batch 32, lr 3e-3, 1,200 steps, 3 seeds, alignment to BPTT every 300 steps.")


def _inits():
    from lru_rtrl.sweeps.spec import Sweep, grid
    grids = (grid("quick", {"model.core": "rglru", "model.d_hidden": D_HIDDEN["rglru"],
                            "model.rglru.init": "paper", "rule": _rules("rglru")}),
             grid("quick", {"model.core": "gru", "model.d_hidden": D_HIDDEN["gru"],
                            "model.gru.init": "pytorch", "rule": _rules("gru")}))
    return Sweep(
        name="inits", grids=grids, seeds=(0, 1, 2), rows=("model.core", "rule"),
        metrics=("accuracy", "sequence_exact_accuracy", "loss"),
        curve_metrics=("loss", "accuracy"), report_final=True, plots=True,
        description="Selective copying at the 'cores' budget with the initialisations that "
                    "are not the defaults: RG-LRU as the Griffin paper's sentence (sigma(Lambda)"
                    "^c uniform on [0.9, 0.999]) and the GRU as PyTorch (U(+-1/sqrt(N))); "
                    "3 rules, 3 seeds. The default rows are the 'cores' sweep's.")


def _mingru_init():
    from lru_rtrl.sweeps.spec import Sweep, grid
    base = {"model.core": "mingru", "model.d_hidden": D_HIDDEN["mingru"],
            "rule": _rules("mingru")}
    grids = (grid("quick", dict(base, **{"model.mingru.init": ["paper", "reference"]})),
             grid("quick", dict(base, **{"model.mingru.init": "reference",
                                         "model.mingru.candidate": "g",
                                         "model.mingru.skip": False})))
    return Sweep(
        name="mingru_init", grids=grids, seeds=(0, 1, 2, 3, 4),
        rows=("model.mingru.init", "model.mingru.candidate", "model.mingru.skip", "rule"),
        metrics=("accuracy", "sequence_exact_accuracy", "loss"),
        curve_metrics=("loss", "accuracy"), report_final=True, plots=True,
        description="minGRU on selective copying at the 'cores' budget, 5 seeds: LeCun-normal "
                    "weights and zero biases (init=paper) against the released code's "
                    "U(+-1/sqrt(H)) weights and biases (init=reference), and the released "
                    "cell as a whole (its init, the positive candidate g, no D skip); bptt, "
                    "online_full, online_truncated.")


def _smoke_sweep():
    from lru_rtrl.sweeps.spec import Sweep, grid
    return Sweep(
        name="smoke", grids=(grid("smoke", {"rule": ["online_full", "bptt"]}),),
        seeds=(0,), rows=("rule",), report_final=True, plots=True,
        metrics=("accuracy", "sequence_exact_accuracy", "loss"),
        description="Two runs of the smoke config: a test of the sweep machinery.")
