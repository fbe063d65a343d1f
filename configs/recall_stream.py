"""Delayed recall on an endless stream (docs/streaming.md): learned online, prequentially.

The target at step t is the symbol seen D steps earlier (8 symbols, chance 1/8). Run with
`python launch/stream.py --config=configs/recall_stream.py --workdir=DIR` (an online
learner on B independent streams, metrics every config.train.eval_every_steps steps); the
stream is config.train.num_steps steps long, fed in chunks of config.data.chunk_len.

get_config(arg):
  None / "study"  1 LRU layer (d_model 32, N = 64, |λ| in [0.9, 0.999]), 8 streams,
                  20,000 steps, Adam lr 3e-3 constant, an update every 8 steps (online rules)
  "smoke"         tiny, for tests

get_sweep(name):
  "delays"  D in {4, 8, 16, 32, 64, 128} x {online_full, online_truncated, online_spat,
            tbptt K = 8, tbptt K = 32}; seeds and stream length as docs/streaming.md says
  "reference"  tbptt with a window of 256 steps at D in {16, 32, 64, 128}: every
            dependency fits in most windows, so this is BPTT's reach on the stream, the
            upper reference for what this model can learn at each delay
  "equal_memory"  tbptt with the window whose carried bytes equal online_full's (K = 1,683)
            at every delay: what truncated BPTT does with online_full's memory
  "smoke"   2 tiny runs, to try the runner (tests)
"""

from lru_rtrl.config import apply_variant, base_config
from lru_rtrl.sweeps.spec import Sweep, grid

DELAYS = (4, 8, 16, 32, 64, 128)
STREAM_LAUNCHER = "launch/stream.py"
REFERENCE_WINDOW = 256
SEEDS = (0, 1, 2)
# tbptt carries the window's inputs and states: 10,304 + 160·K bytes for this model and 8
# streams; online_full carries its traces, 279,584 bytes (OnlineLearner.memory_bytes). Equal at
# K = (279,584 - 10,304) / 160 = 1,683 (tests/learner/test_learner.py checks the equality).
EQUAL_MEMORY_WINDOW = 1683


def get_config(arg=None):
    config = base_config("recall_stream")
    config.rule = "online_full"
    config.engine = "streaming"           # the online rules' in-stream updates (tbptt: windows)
    config.model.n_layers = 1
    config.model.d_model = 32
    config.model.d_hidden = 64
    config.model.dropout = 0.0
    config.model.lru.r_min = 0.9
    config.model.lru.r_max = 0.999
    config.train.batch_size = 8           # independent streams learned side by side
    config.train.num_steps = 20_000       # stream length (steps)
    config.train.lr = 3e-3
    config.train.min_lr_factor = 1.0      # a constant rate: a stream has no end to decay to
    config.train.eval_every_steps = 1_000  # trailing window of the logged accuracy
    config.streaming.update_every = 8
    config.data.delay = 8
    config.data.chunk_len = 500
    return apply_variant(config, arg, {"study": None, "smoke": _smoke}, default="study",
                         where="configs/recall_stream.py")


def _smoke(config):
    config.model.d_model = 8
    config.model.d_hidden = 8
    config.train.batch_size = 2
    config.train.num_steps = 40
    config.train.eval_every_steps = 20
    config.data.chunk_len = 20
    config.data.delay = 2


def _rules(axes):
    online = dict(axes, rule=["online_full", "online_truncated", "online_spat"])
    tbptt = dict(axes, rule="tbptt", **{"tbptt.window": [8, 32]})
    return online, tbptt


def _window_sweep(name, delays, window, description):
    """tbptt with one window at several delays, 3 seeds (sweeps `reference`, `equal_memory`)."""
    return Sweep(
        name=name,
        grids=(grid(None, {"data.delay": delays, "rule": "tbptt", "tbptt.window": window}),),
        seeds=SEEDS, rows=("data.delay", "rule", "tbptt.window"),
        metrics=("accuracy", "loss"), launcher=STREAM_LAUNCHER, description=description)


def get_sweep(name):
    if name == "delays":
        online, tbptt = _rules({"data.delay": list(DELAYS)})
        return Sweep(
            name="delays", grids=(grid(None, online), grid(None, tbptt)), seeds=SEEDS,
            rows=("data.delay", "rule", "tbptt.window"), metrics=("accuracy", "loss"),
            launcher=STREAM_LAUNCHER,
            description="Delayed recall on an endless stream, learned online (prequential "
                        "accuracy over the last quarter of the stream).")
    if name == "reference":
        return _window_sweep(
            "reference", [16, 32, 64, 128], REFERENCE_WINDOW,
            "BPTT's reach on the stream: tbptt with a 256-step window (a source D steps back "
            "shares the window with its target for (256 - D) of every 256 steps).")
    if name == "equal_memory":
        return _window_sweep(
            "equal_memory", list(DELAYS), EQUAL_MEMORY_WINDOW,
            "tbptt at online_full's memory: a window of 1,683 steps carries 279,584 bytes "
            "like online_full's traces, and updates 11 times in the 20,000-step stream where "
            "online_full updates 2,500 times.")
    if name == "smoke":
        online, tbptt = _rules({"data.delay": 2})
        return Sweep(name="smoke", grids=(grid("smoke", dict(online, rule="online_full")),
                                          grid("smoke", dict(tbptt, **{"tbptt.window": 4}))),
                     rows=("rule",), launcher=STREAM_LAUNCHER)
    raise ValueError(f"configs/recall_stream.py has no sweep {name!r}; known: delays, reference, "
                     "equal_memory, smoke.")
