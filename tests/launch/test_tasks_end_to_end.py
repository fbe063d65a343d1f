"""Every task through the real launcher, and the offline tasks learning for a few hundred steps.

The data are the tiny files in each real external format that tests/conftest.py writes
(random content: these runs prove that the pipeline, model and launcher fit together, not
accuracy); digits, copy and generated ListOps are real or faithful data and must learn.
"""


import numpy as np
import pytest

from lru_rtrl.registry import TASKS
from lru_rtrl.training.writers import read_jsonl
from repo_helpers import task_config

# Every task through the real launcher.
pytestmark = pytest.mark.slow

TASKS_WITH_FILES = ("smnist", "psmnist", "scifar", "scifar_gray", "imdb", "listops", "aan",
                    "pathfinder", "pathx", "digits", "copy", "selective_copy")


@pytest.mark.parametrize("task", TASKS_WITH_FILES)
def test_every_task_runs_through_the_launcher(task, launcher, tmp_path, tfds_dir, lra_dir):
    config = task_config(task, "smoke")
    if "data_dir" in config.data:
        config.data.data_dir = tfds_dir if task in ("smnist", "psmnist", "scifar",
                                                     "scifar_gray", "imdb") else lra_dir
    if task == "listops":  # the smoke variant generates; here the files are read
        config.data.source = "files"
        config.data.generate = TASKS.get("listops").default_config().generate
    if task in ("pathfinder", "pathx"):
        config.data.val_fraction, config.data.test_fraction = 0.2, 0.2
    config.train.num_steps = 2
    config.train.batch_size = 4
    config.train.eval_batch_size = 4
    summary = launcher.run(config, str(tmp_path))
    assert summary["step"] == 2
    for split in config.train.eval_splits:
        assert np.isfinite(summary["final"][split]["loss"]), (task, split)
    assert TASKS.get(task) is not None


def _learning_curve(workdir):
    rows = [r for r in read_jsonl(workdir) if r["split"] == "train"]
    return np.array([r["loss"] for r in rows])


@pytest.mark.parametrize("task,steps", [("digits", 300), ("copy", 300), ("listops", 200)])
def test_offline_tasks_learn(task, steps, launcher, tmp_path):
    config = task_config(task, "smoke")
    config.train.num_steps = steps
    config.train.log_every_steps = 25
    config.train.eval_every_steps = steps
    config.train.lr = 1e-2
    config.model.d_model = 32
    config.model.d_hidden = 16
    if task == "digits":
        # The loss at the last step (pool_st averages in the uninformative first rows).
        config.model.pooling = "last"
        config.data.max_train_examples = config.data.max_eval_examples = -1
    if task == "copy":
        config.data.num_train = 2000
    summary = launcher.run(config, str(tmp_path))
    curve = _learning_curve(str(tmp_path))
    assert curve[-2:].mean() < 0.8 * curve[:2].mean(), curve
    if task == "digits":
        # Real digits: far above the 10% of chance after 300 tiny steps.
        assert summary["final"]["test"]["accuracy"] > 0.4, summary["final"]["test"]
