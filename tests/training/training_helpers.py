"""Shared set-up of the training tests (imported by name; pytest puts this folder on sys.path):
the copy task's smoke config and a bundle of tiny step functions."""

import jax

from lru_rtrl import experiment
from lru_rtrl.training import steps
from repo_helpers import task_config

def copy_config(arg="smoke"):
    """configs/copy.py's `get_config(arg)`."""
    return task_config("copy", arg)


class Bundle:
    """A model, its optimizer, step functions and a first state / batch for the copy task."""

    def __init__(self, config, *, micro_batches=1, total_updates=10):
        config.train.grad_accum_steps = micro_batches
        self.config = config
        self.task = experiment.task_of(config)
        run = experiment.assemble(config, spec=self.task.spec, total_updates=total_updates,
                                  rng=jax.random.PRNGKey(0))
        self.model, self.params = run.model, run.params
        self.optimizer, self.labels, self.schedules = run.optimizer, run.labels, run.schedules
        self.fns = experiment.step_functions(run)
        self.state = steps.init_state(self.optimizer, self.params)

    def batches(self, count, batch_size=4):
        it = self.task.batches("train", batch_size, seed=0, epoch=0)
        return [next(it) for _ in range(count)]
