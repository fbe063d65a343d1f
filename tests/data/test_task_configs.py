"""Registration of every task, the config files (paper settings, smoke variants), list_tasks."""


import numpy as np
import pytest

from lru_rtrl.config import base_config
from lru_rtrl.config.files import load_config_file
from lru_rtrl import list_tasks
from lru_rtrl.data.base import Task, TaskSpec
from lru_rtrl.registry import TASKS
from repo_helpers import repo_path

TASK_NAMES = ["aan", "copy", "digits", "fashion_mnist", "imdb", "listops", "pathfinder",
              "pathx", "psmnist", "recall_stream", "scifar", "scifar_gray", "selective_copy",
              "smnist"]
# configs/copy.py and configs/selective_copy.py train per-step recall tasks (tested with them);
# configs/recall_stream.py is a stream (tests/launch/test_stream.py).
CONFIG_TASKS = [name for name in TASK_NAMES
                if name not in ("copy", "selective_copy", "recall_stream")]


def load_config_module(task):
    return load_config_file(repo_path("configs", f"{task}.py"))


def test_every_task_is_registered_as_a_task_class():
    base_config("copy")  # Loads the built-ins.
    assert set(TASK_NAMES) <= set(TASKS.names())
    for name in TASK_NAMES:
        entry = TASKS.get(name)
        assert isinstance(entry, type) and issubclass(entry, Task)
        assert entry.default_config().task == name
        assert base_config(name).data.task == name


@pytest.mark.parametrize("task", CONFIG_TASKS)
def test_config_files_build_and_their_data_options_are_accepted(task):
    module = load_config_module(task)
    for arg in (None, "smoke"):
        config = module.get_config(arg)
        assert config.data.task == task and config.rule == "online_full"
        # Two towers compare whole-text features: their loss is known only at the end.
        assert config.model.pooling == ("pool" if task == "aan" else "pool_st")
        assert config.train.optimizer_groups == "Bfast_and_decay"
        TASKS.get(task)(config.data)  # Every data option is one the task knows.
    smoke = module.get_config("smoke")
    assert smoke.model.d_model <= 16 and 0 < smoke.train.num_steps <= 10
    with pytest.raises(ValueError, match="smoke"):
        module.get_config("huge")


@pytest.fixture()
def smoke_data(tfds_dir, lra_dir, mnist_idx_dir):
    """data_dir of each smoke config's fixture data (None: the config needs no files)."""
    return {"smnist": tfds_dir, "psmnist": tfds_dir, "scifar": tfds_dir,
            "scifar_gray": tfds_dir, "imdb": tfds_dir, "fashion_mnist": mnist_idx_dir,
            "aan": lra_dir, "pathfinder": lra_dir, "pathx": lra_dir, "listops": None,
            "digits": None}


@pytest.mark.parametrize("task", CONFIG_TASKS)
def test_smoke_configs_give_full_batches(task, smoke_data):
    config = load_config_module(task).get_config("smoke")
    if smoke_data[task] is not None:
        config.data.data_dir = smoke_data[task]
    instance = TASKS.get(task)(config.data)
    spec = instance.spec
    assert isinstance(spec, TaskSpec)
    batch_size = config.train.batch_size
    assert instance.steps_per_epoch(batch_size) >= 1
    batch = next(instance.batches("train", batch_size, seed=config.seed))
    assert batch["mask"].shape == (batch_size, spec.seq_len)
    if spec.input_kind == "real":
        assert batch["inputs"].shape == (batch_size, spec.seq_len, spec.input_dim)
    else:
        assert batch["inputs"].shape == (batch_size, spec.seq_len)
        assert batch["inputs"].max() < spec.input_dim
    assert batch["targets"].max() < spec.num_classes
    for split in ("validation", "test"):
        batches = list(instance.batches(split, batch_size, seed=0, shuffle=False,
                                        drop_remainder=False))
        assert sum(float(b["weights"].sum()) for b in batches) == instance.num_examples(split)
        assert all(np.isfinite(b["inputs"]).all() for b in batches)


def test_list_tasks_command_lists_every_task(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # a wide terminal: the one-row-per-task table
    assert list_tasks.main([]) == 0
    output = capsys.readouterr().out
    for name in TASK_NAMES:
        assert f"\n{name} " in output
    assert "apt-get install dataset-fashion-mnist" in output
    assert "lra_release.gz" in output and "listops_generate" in output


@pytest.mark.parametrize("width", [60, 100])
def test_list_tasks_fits_the_terminal(capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    assert list_tasks.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= width
    for name in TASK_NAMES:  # each task heads its own block, its fields indented below
        assert name in lines
    text = " ".join(line.strip() for line in lines)
    assert "apt-get install dataset-fashion-mnist" in text and "lra_release.gz" in text


def test_docs_table_is_the_list_tasks_table():
    text = open(repo_path("docs", "tasks.md")).read()
    start = text.index("<!-- tasks-table:start -->\n") + len("<!-- tasks-table:start -->\n")
    end = text.index("<!-- tasks-table:end -->")
    assert text[start:end].strip() == list_tasks.markdown_table(), (
        "docs/tasks.md is out of date: paste `python -m lru_rtrl.list_tasks --markdown` "
        "between its table markers.")
