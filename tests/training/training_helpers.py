"""Shared set-up of the training tests (imported by name; pytest puts this folder on sys.path):
the copy task's smoke config and a bundle of tiny step functions."""

import jax

from lru_rtrl.model import build_model, dummy_batch
from lru_rtrl.registry import TASKS
from lru_rtrl.training import alignment, optim, steps
from repo_helpers import task_config

def copy_config(arg="smoke"):
    """configs/copy.py's `get_config(arg)`."""
    return task_config("copy", arg)


class Bundle:
    """A model, its optimizer, step functions and a first state / batch for the copy task."""

    def __init__(self, config, *, micro_batches=1, total_updates=10):
        self.config = config
        self.task = TASKS.get("copy")(config.data)
        self.model = build_model(config.model, self.task.spec, config.rule, config.engine)
        self.params = self.model.init(jax.random.PRNGKey(0), dummy_batch(self.task.spec, 1))
        self.optimizer, self.labels, self.schedules = optim.make_optimizer(
            config.train, self.model, self.params, total_updates)
        self.fns = steps.make_steps(
            self.model, self.optimizer, micro_batches=micro_batches,
            update_every=config.streaming.update_every,
            alignment_groups=alignment.groups(self.model, self.params))
        self.state = steps.init_state(self.optimizer, self.params)

    def batches(self, count, batch_size=4):
        it = self.task.batches("train", batch_size, seed=0, epoch=0)
        return [next(it) for _ in range(count)]
