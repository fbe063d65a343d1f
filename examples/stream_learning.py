"""Learning on a stream, one step at a time: the loop of an agent or a sensor.

    python examples/stream_learning.py [--steps=6000] [--delay=8] [--rule=online_full]

A plain Python loop makes up the stream as it goes (a random symbol each step; the target
is the symbol seen `delay` steps ago, nothing to predict before that), hands each step to
an `OnlineLearner`, and prints the running accuracy of its predictions. Each prediction is
made before the learner sees its target (prequential), so this is a test accuracy. Chance
is 1/8. Nothing is stored: the learner carries its network state and traces (online rules)
or one window (tbptt) from step to step.
"""

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from lru_rtrl.config import load_config  # noqa: E402
from lru_rtrl.learner import OnlineLearner  # noqa: E402

CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "configs", "recall_stream.py")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--delay", type=int, default=8)
    parser.add_argument("--rule", default="online_full",
                        help="online_full, online_snap, online_truncated, online_spat, tbptt")
    parser.add_argument("--window", type=int, default=32, help="K of tbptt")
    args = parser.parse_args()

    config = load_config(CONFIG)     # 1 LRU layer; Adam; an update every 8 steps
    config.rule, config.tbptt.window, config.data.delay = args.rule, args.window, args.delay
    learner = OnlineLearner.from_config(config)
    state = learner.init(jax.random.PRNGKey(0), batch_size=1)     # one stream
    print(learner.describe, "| carried bytes:", learner.memory_bytes(state)["carried"])

    rng = np.random.default_rng(0)
    num_symbols = config.data.num_symbols
    seen = collections.deque(maxlen=args.delay)          # the environment's memory, not ours
    recent = collections.deque(maxlen=500)               # hits of the last 500 predictions
    start = time.time()
    for t in range(args.steps):
        symbol = int(rng.integers(1, num_symbols + 1))
        has_target = len(seen) == args.delay
        target = seen[0] - 1 if has_target else 0            # the class id of s_{t-D}
        seen.append(symbol)
        prediction, state, _ = learner.step(
            state, np.array([symbol], np.int32), np.array([target], np.int32),
            np.array([1.0 if has_target else 0.0], np.float32))
        if has_target:
            recent.append(int(np.argmax(prediction[0])) == target)
        if (t + 1) % 1000 == 0:
            print(f"step {t + 1:6d}: accuracy over the last {len(recent)} predictions "
                  f"{np.mean(recent):.3f} ({(t + 1) / (time.time() - start):.0f} steps/s)")


if __name__ == "__main__":
    main()
