"""The selective-copying task: layout of inputs, targets and loss weights, sizes, determinism."""

import numpy as np
import pytest

from lru_rtrl.data.base import DataError
from lru_rtrl.data.selective_copy import FIRST_DATA, GO, NOISE
from lru_rtrl.registry import TASKS
from repo_helpers import repo_path, task_config

SMALL = {"num_train": 40, "num_validation": 8, "num_test": 8}


def _task(**options):
    return TASKS.get("selective_copy")({**SMALL, **options})


def test_spec_and_defaults():
    spec = _task().spec
    assert (spec.seq_len, spec.input_kind, spec.input_dim) == (64, "tokens", 11)
    assert (spec.output_shape, spec.target_kind) == ((8,), "per_step")
    defaults = TASKS.get("selective_copy").default_config()
    assert (defaults.seq_len, defaults.n_tokens, defaults.vocab) == (64, 4, 8)


def test_layout_and_loss_weights():
    batch = next(_task().batches("train", 8, seed=0))
    inputs, targets, loss_mask = batch["inputs"], batch["targets"], batch["loss_mask"]
    assert inputs.shape == targets.shape == loss_mask.shape == (8, 64)
    assert inputs.dtype == targets.dtype == np.int32
    np.testing.assert_array_equal(inputs[:, 59], GO)                  # go at T - k - 1
    np.testing.assert_array_equal(inputs[:, 60:], NOISE)              # answer steps: noise
    region = inputs[:, :59]
    is_data = region >= FIRST_DATA
    assert np.all(is_data.sum(axis=1) == 4) and np.all(region[~is_data] == NOISE)
    # The answers are the data tokens in order of appearance, and only they carry loss.
    data_in_order = np.stack([row[row >= FIRST_DATA] - FIRST_DATA for row in region])
    np.testing.assert_array_equal(targets[:, 60:], data_in_order)
    np.testing.assert_array_equal(targets[:, :60], 0)
    expected = np.zeros(64)
    expected[60:] = 1
    np.testing.assert_array_equal(loss_mask, np.broadcast_to(expected, (8, 64)))
    np.testing.assert_array_equal(batch["mask"], 1)
    assert set(np.unique(targets[:, 60:])) <= set(range(8))


def test_positions_cover_the_region_and_tokens_the_vocabulary():
    batch = next(_task(num_train=2000).batches("train", 2000, seed=0, shuffle=False))
    region = batch["inputs"][:, :59]
    counts = (region >= FIRST_DATA).sum(axis=0)                      # uniform over positions
    assert counts.min() > 0.5 * counts.mean() and counts.max() < 1.5 * counts.mean()
    classes = np.bincount(batch["targets"][:, 60:].ravel(), minlength=8)
    assert classes.min() > 0.8 * classes.mean()


def test_generation_is_fixed_by_the_data_seed_and_split():
    def first(seed, split, **extra):
        task = TASKS.get("selective_copy")({**SMALL, "seed": seed, **extra})
        return next(task.batches(split, 8, seed=0, shuffle=False))["inputs"]

    np.testing.assert_array_equal(first(0, "train"), first(0, "train"))
    assert not np.array_equal(first(0, "train"), first(1, "train"))
    assert not np.array_equal(first(0, "validation"), first(0, "test"))
    np.testing.assert_array_equal(first(0, "test"), first(0, "test", num_train=12))


def test_longer_sequences_and_other_sizes():
    task = _task(seq_len=1000, n_tokens=6, vocab=3)
    assert task.spec.seq_len == 1000 and task.spec.input_dim == 6
    assert task.spec.output_shape == (3,)
    batch = next(task.batches("test", 4, seed=0))
    np.testing.assert_array_equal(batch["inputs"][:, 993], GO)
    assert batch["loss_mask"][0].tolist() == [0] * 994 + [1] * 6
    assert np.all((batch["inputs"][:, :993] >= FIRST_DATA).sum(axis=1) == 6)


@pytest.mark.parametrize("options, message", [
    (dict(n_tokens=0), "n_tokens > 0"),
    (dict(vocab=0), "vocab > 0"),
    (dict(seq_len=8, n_tokens=4), "seq_len >= 2 \\* n_tokens \\+ 1 = 9"),
])
def test_bad_sizes_are_rejected(options, message):
    with pytest.raises(DataError, match=message):
        TASKS.get("selective_copy")(options)


# --- configs/selective_copy.py --------------------------------------------------------------

def test_config_variants_build_and_the_task_accepts_their_data_options():
    for arg in (None, "quick", "smoke"):
        config = task_config("selective_copy", arg)
        assert config.data.task == "selective_copy" and config.model.pooling == "none"
        TASKS.get("selective_copy")(config.data)
    smoke = task_config("selective_copy", "smoke")
    assert smoke.model.d_model <= 16 and 0 < smoke.train.num_steps <= 10
    assert smoke.model.core == "rglru"


def test_cores_sweep_is_every_core_and_rule_at_matched_parameter_counts():
    import jax
    from lru_rtrl import experiment
    from lru_rtrl.model import count_params
    from lru_rtrl.sweeps import expand
    from lru_rtrl.sweeps.loading import load_sweep

    path = repo_path("configs", "selective_copy.py")
    runs = expand.expand(load_sweep(path, "cores"), path)
    assert len(runs) == 36 and {run.seed for run in runs} == {0, 1, 2}
    rows = {tuple(value for _, value in run.row) for run in runs}
    assert rows == {(core, rule) for core in ("lru", "rglru", "mingru", "gru")
                    for rule in ("bptt", "online_truncated",
                                 "online_snap" if core == "gru" else "online_full")}
    counts = {}
    for run in runs:
        config = task_config("selective_copy", run.arg)
        expand.apply_overrides(config, run.overrides, "test")
        model = experiment.model_of(config, experiment.task_of(config).spec)
        shapes = jax.eval_shape(lambda key: experiment.init_params(model, key),
                                jax.random.PRNGKey(0))
        counts[config.model.core] = count_params(shapes)
    # The numbers the config's docstring and docs/gated_cores.md state.
    assert counts == {"lru": 13448, "rglru": 13512, "mingru": 13492, "gru": 13190}
