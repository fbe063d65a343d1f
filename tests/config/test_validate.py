"""Config validation: every message names the offending key."""

import pytest

from lru_rtrl.config import validate
from lru_rtrl.training import devices
from repo_helpers import repo_path, task_config


def _config(**overrides):
    config = task_config("copy", "smoke")
    for path, value in overrides.items():
        section = config
        *parents, leaf = path.split(".")
        for parent in parents:
            section = section[parent]
        section[leaf] = value
    return config


def test_the_shipped_configs_are_valid():
    for arg in ("smoke", "quick", "paper"):
        validate.check_config(task_config("copy", arg))


def test_unknown_keys_are_named_with_a_suggestion():
    config = _config()
    config.unlock()
    config.train.lr_facter = 2.0
    config.model.lru.r_mn = 0.5
    with pytest.raises(validate.ConfigError) as error:
        validate.check_config(config)
    message = str(error.value)
    assert "Unknown config key config.train.lr_facter. Did you mean config.train." in message
    assert "Unknown config key config.model.lru.r_mn. Did you mean config.model.lru.r_min" \
        in message


def test_a_locked_config_rejects_unknown_overrides_by_name():
    with pytest.raises(AttributeError, match="lr_facter"):
        _config().train.lr_facter = 2.0


@pytest.mark.parametrize("key,value,message", [
    ("train.lr", -1e-3, "config.train.lr must be > 0, got -0.001"),
    ("train.rec_lr_factor", -1.0, "config.train.rec_lr_factor must be >= 0"),
    ("train.weight_decay", -0.1, "config.train.weight_decay must be >= 0"),
    ("train.optimizer_groups", "Bslow",
     "Unknown config.train.optimizer_groups 'Bslow'; choose one of standard"),
    ("train.batch_size", 0, "config.train.batch_size must be >= 1"),
    ("train.grad_accum_steps", 0, "config.train.grad_accum_steps must be >= 1"),
    ("train.min_lr_factor", 2.0, "config.train.min_lr_factor must be in [0, 1]"),
    ("train.patience", 0, "config.train.patience must be >= 1 (or -1"),
    ("train.eval_splits", ("train",), "config.train.eval_splits must name splits"),
    ("model.dropout", 1.0, "config.model.dropout must be in [0, 1)"),
    ("model.n_layers", 0, "config.model.n_layers must be >= 1"),
    ("model.pooling", "max", "config.model.pooling must be one of"),
    ("model.block", "glu", "config.model.block must be one of"),
])
def test_invalid_values(key, value, message):
    with pytest.raises(validate.ConfigError) as error:
        validate.check_config(_config(**{key: value}))
    assert message in str(error.value)


@pytest.mark.parametrize("key,value,message", [
    ("rule", "online_fulll", "config.rule: Unknown learning rule 'online_fulll'. Did you mean "
                             "'online_full'?"),
    ("model.core", "lstm", "config.model.core: Unknown core 'lstm'."),
    ("engine", "stream", "config.engine: Unknown engine 'stream'. Did you mean 'streaming'?"),
])
def test_unknown_names(key, value, message):
    with pytest.raises(validate.ConfigError) as error:
        validate.check_names(_config(**{key: value}))
    assert message in str(error.value)
    assert "Known" in str(error.value)


def test_values_are_checked_without_importing_jax():
    # Config errors must come before the start-up cost of JAX (issue: light configs).
    import subprocess
    import sys
    code = ("import sys; from lru_rtrl.config import validate; from repo_helpers import "
            "task_config; validate.check_config(task_config('copy', 'paper')); "
            "print(sorted(m for m in ('jax', 'haiku', 'optax', 'tensorflow') if m in "
            "sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=repo_path("tests"))
    assert out.stdout.strip() == "[]", out.stderr


def test_batch_must_split_over_devices():
    topo = devices.Topology(process_index=0, process_count=2, local_devices=4)
    with pytest.raises(ValueError) as error:
        devices.check_divisible(12, topo)
    message = str(error.value)
    assert "config.train.batch_size=12 must be a positive multiple of 8" in message
    assert "8 device(s) (2 process(es) x 4 local)" in message
    assert devices.check_divisible(16, topo) == 2
    with pytest.raises(ValueError, match="x 2 micro-batches"):
        devices.check_divisible(8, topo, micro_batches=2)


def test_unknown_variant_names_the_file_and_the_known_ones():
    from lru_rtrl.config import UnknownVariantError
    with pytest.raises(UnknownVariantError) as error:
        task_config("copy", "smok")
    message = str(error.value)
    assert "configs/copy.py has no variant 'smok'. Did you mean 'smoke'?" in message
    assert "paper, quick, repro, smoke, table1_gru1" in message


def test_configs_that_share_an_experiment_resolve_like_it():
    # scifar_gray is scifar's experiment on another task; psmnist is smnist's.
    for copy, original in (("scifar_gray", "scifar"), ("psmnist", "smnist")):
        a, b = task_config(copy).to_dict(), task_config(original).to_dict()
        assert a["data"]["task"] == copy
        a.pop("data"), b.pop("data")
        assert a == b


def test_zero_steps_is_an_error_not_a_fallback_to_epochs():
    with pytest.raises(validate.ConfigError, match=r"num_steps must be > 0, or -1 to train for "
                                                    r"config.train.num_epochs epochs; got 0"):
        validate.check_config(_config(**{"train.num_steps": 0}))


@pytest.mark.parametrize("task, variant, key, value, why", [
    # The smoke variant generates ListOps in memory: a data_dir would be read by nothing.
    ("listops", "smoke", "data_dir", "/data/lra", "data.source='generate' makes ListOps"),
    ("listops", None, "generate.num_train", 10, "data.source='files' reads the TSV files"),
    ("smnist", None, "permutation_seed", 7, "data.permute is False"),
])
def test_a_setting_that_cannot_take_effect_is_an_error(task, variant, key, value, why):
    config = task_config(task, variant)
    section = config.data
    *parents, leaf = key.split(".")
    for parent in parents:
        section = section[parent]
    section[leaf] = value
    with pytest.raises(validate.ConfigError) as error:
        validate.check_config(config)
    assert f"config.data.{key}={value!r} has no effect: {why}" in str(error.value)


def test_every_shipped_config_sets_only_options_that_take_effect():
    import glob
    from lru_rtrl.config.files import load_config_file
    from lru_rtrl.config.variants import UnknownVariantError
    checked = 0
    for path in sorted(glob.glob(repo_path("configs", "*.py"))):
        module = load_config_file(path)
        for variant in (None, "smoke", "quick", "paper", "repro"):
            try:
                config = module.get_config(variant)
            except UnknownVariantError:
                continue
            validate.check_config(config)
            checked += 1
    assert checked >= 27  # every config file with its smoke / quick / paper / repro variants


def test_data_download_is_a_switch_and_false_is_welcome_where_nothing_downloads():
    import ml_collections
    config = task_config("scifar", "smoke")
    config.data = ml_collections.ConfigDict(dict(config.data.to_dict(), download="no"))
    with pytest.raises(validate.ConfigError, match="config.data.download must be True"):
        validate.check_config(config)
    # A cluster's "never download" holds trivially for generated ListOps: not an error.
    config = task_config("listops", "smoke")
    config.data.download = False
    validate.check_config(config)
