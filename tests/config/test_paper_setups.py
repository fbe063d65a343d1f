"""The paper's table setups resolve to what its released yaml files state.

The expected values are written here, table by table, with the yaml files they come from
(docs/paper.md and docs/paper_departures.md list them; the defects of that code are not
reproduced). A config file that drifts from the paper fails here with the key's name.
"""

import jax
import numpy as np
import optax
import pytest

from lru_rtrl import experiment
from lru_rtrl.registry import TASKS
from lru_rtrl.training import optim
from repo_helpers import task_config

# Table 1 (copy task) yaml files: the LRU row and the dense rows share these settings.
TABLE1_COMMON = {"train.batch_size": 50, "train.num_epochs": 25, "train.lr": 1e-3,
                 "train.weight_decay": 0.0, "train.warmup_epochs": 0.0,
                 "train.optimizer_groups": "standard", "model.dropout": 0.1,
                 "model.pooling": "none", "model.block": "full_glu"}
TABLE1 = {
    # variant of configs/copy.py: (what the row's yaml states)
    "paper": {"model.core": "lru", "model.n_layers": 4, "model.d_model": 128,
              "model.d_hidden": 64, "train.rec_lr_factor": 0.5},
    "table1_linear_rnn": {"model.core": "linear_rnn", "model.n_layers": 4,
                          "model.d_model": 146, "model.d_hidden": 64,
                          "train.rec_lr_factor": 1.0},
    "table1_gru4": {"model.core": "gru", "model.n_layers": 4, "model.d_model": 91,
                    "model.d_hidden": 91, "train.rec_lr_factor": 1.0},
    "table1_gru1": {"model.core": "gru", "model.n_layers": 1, "model.d_model": 134,
                    "model.d_hidden": 134, "model.block": "none", "model.readout_units": 1072,
                    "train.rec_lr_factor": 1.0},
}

# Table 2 (table2_*.yaml): LRU, 4 layers, pool_st, Bfast_and_decay, recurrent lr factor 0.5,
# the loss averaged per sequence, early stopping with patience 30. Where the paper searched a
# grid, the config holds the grid's first value and the sweep the rest.
TABLE2_COMMON = {"model.core": "lru", "model.n_layers": 4, "model.pooling": "pool_st",
                 "train.optimizer_groups": "Bfast_and_decay", "train.rec_lr_factor": 0.5,
                 "train.loss_average": "sequence", "train.patience": 30, "rule": "online_full"}
TABLE2 = {
    "scifar": {"model.d_model": 256, "model.d_hidden": 128, "model.dropout": 0.1,
               "model.lru.r_min": 0.9, "model.lru.r_max": 0.999, "train.batch_size": 100,
               "train.num_epochs": 180, "train.warmup_epochs": 18.0, "train.lr": 1e-3,
               "train.weight_decay": 0.1, "data.val_fraction": 0.01},
    "imdb": {"model.d_model": 64, "model.d_hidden": 64, "model.dropout": 0.1,
             "model.lru.r_min": 0.0, "model.lru.r_max": 1.0, "train.batch_size": 32,
             "train.num_epochs": 35, "train.warmup_epochs": 0.0, "train.lr": 1e-3,
             "train.weight_decay": 0.05, "data.max_len": 4096, "data.val_fraction": 0.0},
    "listops": {"model.d_model": 256, "model.d_hidden": 128, "model.dropout": 0.0,
                "model.lru.r_min": 0.0, "model.lru.r_max": 1.0, "train.batch_size": 32,
                "train.num_epochs": 40, "train.warmup_epochs": 4.0, "train.lr": 1e-3,
                "train.weight_decay": 0.05, "data.max_len": 2048, "data.vocab_size": 20},
}

# Table 3 (table3.yaml): sCIFAR with a dense linear RNN, standard groups (A and B at the
# recurrent factor 0.5), weight decay grid {0.1, 0.2}.
TABLE3 = {"model.core": "linear_rnn", "model.n_layers": 4, "model.d_model": 294,
          "model.d_hidden": 128, "model.pooling": "pool_st",
          "train.optimizer_groups": "standard", "train.rec_lr_factor": 0.5,
          "train.loss_average": "sequence", "train.patience": 30, "train.batch_size": 100,
          "train.num_epochs": 180, "train.warmup_epochs": 18.0, "train.weight_decay": 0.1}


def _get(config, dotted):
    value = config
    for part in dotted.split("."):
        value = value[part]
    return value


def _assert_settings(config, expected, where):
    for key, value in expected.items():
        got = _get(config, key)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, \
            f"{where}: config.{key} is {got!r}, the paper's yaml says {value!r}"


@pytest.mark.parametrize("variant", sorted(TABLE1))
def test_table1_rows(variant):
    _assert_settings(task_config("copy", variant), {**TABLE1_COMMON, **TABLE1[variant]},
                     f"configs/copy.py:{variant}")


@pytest.mark.parametrize("task", sorted(TABLE2))
def test_table2_columns(task):
    _assert_settings(task_config(task), {**TABLE2_COMMON, **TABLE2[task]}, f"configs/{task}.py")


def test_table3():
    _assert_settings(task_config("scifar", "table3"), TABLE3, "configs/scifar.py:table3")


@pytest.mark.slow  # builds and steps two optimizers on a GRU model
def test_gru_rows_update_as_the_papers_grouping_would():
    # The paper's code puts every GRU weight in the regular group; ours in the recurrent one.
    # At Table 1's settings (recurrent factor 1, no weight decay) the two are one optimizer:
    # three updates from the same gradients agree bit for bit.
    config = task_config("copy", "table1_gru4")
    config.model.d_model = config.model.d_hidden = 8   # the sizes do not matter here
    config.model.n_layers = 1
    spec = TASKS.get("copy")(config.data).spec
    config.rule = "bptt"
    model = experiment.model_of(config, spec)
    params = experiment.init_params(model, jax.random.PRNGKey(0))
    ours, labels, lrs = optim.make_optimizer(config.train, model, params, 100)
    core_paths = set(model.core_modules(params))
    papers_labels = {m: {n: ("regular" if m in core_paths and label == "rec" else label)
                         for n, label in names.items()} for m, names in labels.items()}
    assert any(label == "rec" for names in labels.values() for label in names.values())
    papers = optax.multi_transform(
        {"regular": optax.adamw(lrs["lr"], weight_decay=config.train.weight_decay),
         "no_decay": optax.adam(lrs["lr"])}, papers_labels)
    states = [ours.init(params), papers.init(params)]
    for step in range(3):
        grads = jax.tree_util.tree_map(
            lambda p, k=step: jax.random.normal(jax.random.PRNGKey(k), p.shape), params)
        updates = []
        for i, opt in enumerate((ours, papers)):
            update, states[i] = opt.update(grads, states[i], params)
            updates.append(update)
        for a, b in zip(jax.tree_util.tree_leaves(updates[0]),
                        jax.tree_util.tree_leaves(updates[1])):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
