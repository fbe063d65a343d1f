"""End-to-end tests of the launcher on the copy task's smoke config (offline, tiny, 4 steps).

In-process runs call `launch/main.py`'s `run(config, workdir)` on the 4 fake CPU devices of
tests/conftest.py; the command-line and multi-process tests start subprocesses with their
own device counts.
"""

import glob
import json
import logging
import os
import shutil
import socket
import subprocess
import sys

import chex
import numpy as np
import pytest

from lru_rtrl.config import validate
from lru_rtrl.training import loop
from lru_rtrl.training.writers import read_jsonl
from repo_helpers import REPO, repo_path, task_config

# The real launcher end to end (compiles a model per run).
pytestmark = pytest.mark.slow

MAIN = repo_path("launch", "main.py")
COPY = repo_path("configs", "copy.py")


def smoke(**overrides):
    config = task_config("copy", "smoke")
    for path, value in overrides.items():
        section = config
        *parents, leaf = path.split(".")
        for parent in parents:
            section = section[parent]
        section[leaf] = value
    return config


def final_params(workdir):
    """Params of the newest checkpoint in `workdir` (structure from the checkpoint itself)."""
    import orbax.checkpoint as ocp
    root = os.path.join(workdir, "checkpoints", "latest")
    step = max(int(d) for d in os.listdir(root) if d.isdigit())
    restored = ocp.PyTreeCheckpointer().restore(os.path.join(root, str(step), "state"))
    return step, restored["params"]


def rows(workdir, split):
    return {row["step"]: row for row in read_jsonl(workdir) if row["split"] == split}


@pytest.fixture(scope="module")
def parallel_run(launcher, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("parallel"))
    return workdir, launcher.run(smoke(), workdir)


def test_parallel_run_writes_metrics_checkpoints_and_summary(parallel_run):
    workdir, summary = parallel_run
    assert summary["step"] == 4
    assert set(summary["final"]) == {"validation", "test"}
    assert 0.0 <= summary["final"]["validation"]["bit_accuracy"] <= 1.0
    splits = {row["split"] for row in read_jsonl(workdir)}
    assert {"train", "validation", "test", "align", "params", "best_validation"} <= splits
    assert sorted(rows(workdir, "train")) == [1, 2, 3, 4]
    assert sorted(rows(workdir, "align")) == [0, 2]
    assert "recurrence/block_0/abs_lambda_mean" in rows(workdir, "params")[4]
    assert glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    assert os.path.isdir(os.path.join(workdir, "checkpoints", "latest", "4"))
    assert os.listdir(os.path.join(workdir, "checkpoints", "best"))
    with open(os.path.join(workdir, "summary.json")) as handle:
        assert json.load(handle)["step"] == 4


class Preempted(Exception):
    pass


def _stop_after(monkeypatch, count, poison_at=None):
    """Makes the loop's data stream raise Preempted after `count` batches (or feed NaN
    inputs at batch index `poison_at`)."""
    real = loop.train_batches

    def batches(task, config, topo, start_step, steps_per_epoch):
        for index, batch in enumerate(real(task, config, topo, start_step, steps_per_epoch)):
            if start_step + index == count:
                raise Preempted(f"simulated preemption before step {count}")
            if start_step + index == poison_at:
                batch = dict(batch, inputs=np.full_like(batch["inputs"], np.nan))
            yield batch
    monkeypatch.setattr(loop, "train_batches", batches)


def test_resume_continues_exactly_like_an_uninterrupted_run(launcher, parallel_run, tmp_path,
                                                            monkeypatch):
    full_dir, _ = parallel_run
    workdir = str(tmp_path)
    with monkeypatch.context() as patch:
        _stop_after(patch, 2)
        with pytest.raises(Preempted):
            launcher.run(smoke(), workdir)
    assert sorted(rows(workdir, "train")) == [1, 2]
    summary = launcher.run(smoke(), workdir)  # same workdir: resumes at step 2
    assert summary["step"] == 4
    step, params = final_params(workdir)
    full_step, full = final_params(full_dir)
    assert step == full_step == 4
    chex.assert_trees_all_close(params, full, rtol=1e-6, atol=1e-7)
    for split, steps in (("train", (3, 4)), ("align", (2,)), ("validation", (4,))):
        resumed, uninterrupted = rows(workdir, split), rows(full_dir, split)
        for s in steps:
            for key, value in uninterrupted[s].items():
                if isinstance(value, float) and key != "steps_per_sec":  # wall clock
                    np.testing.assert_allclose(resumed[s][key], value, rtol=1e-5, err_msg=key)


def _spoil(checkpoint_dir):
    """Makes a saved checkpoint unreadable (as a disk fault or a killed writer would)."""
    shutil.rmtree(os.path.join(checkpoint_dir, "state"))


def _assert_each_step_once(workdir):
    seen = [(row["step"], row["split"]) for row in read_jsonl(workdir)]
    assert len(seen) == len(set(seen)), sorted(seen)


def test_unusable_checkpoints_are_told_and_metrics_keep_each_step_once(
        launcher, parallel_run, tmp_path, caplog):
    full_dir, _ = parallel_run
    workdir = str(tmp_path / "run")
    shutil.copytree(full_dir, workdir)
    latest = os.path.join(workdir, "checkpoints", "latest")
    assert sorted(os.listdir(latest)) == ["2", "4"]
    # The newest one is unusable: fall back to step 2 and write steps 3-4 once more.
    _spoil(os.path.join(latest, "4"))
    with caplog.at_level(logging.INFO):
        assert launcher.run(smoke(), workdir)["step"] == 4
    assert "latest/4 is unusable" in caplog.text and "Dropped" in caplog.text
    _assert_each_step_once(workdir)
    assert sorted(rows(workdir, "train")) == [1, 2, 3, 4]
    # None is usable: say so plainly, and where they went, and start again.
    caplog.clear()
    for step in os.listdir(latest):
        _spoil(os.path.join(latest, step))
    with caplog.at_level(logging.INFO):
        assert launcher.run(smoke(), workdir)["step"] == 4
    assert "No usable checkpoint in " in caplog.text
    assert "all 2 were unusable and have been moved to " in caplog.text
    assert "checkpoints/corrupt/latest_2_" in caplog.text
    assert "Training starts again from step 0." in caplog.text
    _assert_each_step_once(workdir)
    assert sorted(rows(workdir, "train")) == [1, 2, 3, 4]


def test_nan_stops_with_a_message_and_a_usable_checkpoint(launcher, tmp_path, monkeypatch):
    workdir = str(tmp_path)
    _stop_after(monkeypatch, 100, poison_at=2)
    with pytest.raises(loop.TrainingDiverged) as error:
        launcher.run(smoke(), workdir)
    message = str(error.value)
    assert "NaN/Inf at step 2" in message
    assert "checkpoints/latest/2" in message and "config.train.lr" in message
    assert os.listdir(os.path.join(workdir, "checkpoints", "latest")) == ["2"]
    step, params = final_params(workdir)
    assert step == 2
    chex.assert_tree_all_finite(params)


def test_early_stopping_keeps_the_best_checkpoint(launcher, tmp_path, monkeypatch):
    losses = iter([1.0, 0.5, 0.7, 0.9, 0.9, 0.9])
    monkeypatch.setattr(loop, "evaluate", lambda *args: {"loss": next(losses), "accuracy": 0.5})
    summary = launcher.run(smoke(**{"train.eval_every_steps": 1, "train.patience": 1,
                                    "train.eval_splits": ("validation",)}), str(tmp_path))
    assert summary["stopped_early"] and summary["best_step"] == 2
    assert os.listdir(os.path.join(str(tmp_path), "checkpoints", "best")) == ["2"]
    assert summary["step"] == 3


def test_streaming_engine_trains_in_the_loop_like_the_parallel_engine(launcher, parallel_run,
                                                                       tmp_path):
    # The same rule's gradient from the other engine: the whole loop (train, alignment,
    # evaluation, checkpoints) ends at the parallel run's parameters and metrics.
    summary = launcher.run(smoke(engine="streaming"), str(tmp_path))
    assert summary["step"] == 4
    _, params = final_params(str(tmp_path))
    _, parallel = final_params(parallel_run[0])
    chex.assert_trees_all_close(params, parallel, rtol=1e-5, atol=1e-6)
    for split, metrics in parallel_run[1]["final"].items():
        np.testing.assert_allclose(summary["final"][split]["loss"], metrics["loss"], rtol=1e-5)


def test_a_plugin_engine_trains_through_the_launcher(launcher, parallel_run, tmp_path):
    # The example engine plugin, loaded by config.plugins, runs the whole loop (train,
    # alignment, evaluation, checkpoints) and trains exactly like the parallel engine.
    remat = repo_path("examples", "plugins", "lru_rtrl_remat.py")
    summary = launcher.run(smoke(engine="parallel_remat", plugins=(remat,)), str(tmp_path))
    assert summary["step"] == 4
    _, params = final_params(str(tmp_path))
    _, parallel = final_params(parallel_run[0])
    chex.assert_trees_all_close(params, parallel, rtol=1e-5, atol=1e-6)


def test_batch_that_does_not_split_over_the_devices(launcher, tmp_path):
    with pytest.raises(ValueError, match=r"config.train.batch_size=6 must be a positive "
                                         r"multiple of 4.*4 device\(s\)"):
        launcher.run(smoke(**{"train.batch_size": 6}), str(tmp_path))


def test_unknown_rule_is_named(launcher, tmp_path):
    with pytest.raises(validate.ConfigError, match="config.rule: Unknown learning rule 'bpt'"):
        launcher.run(smoke(rule="bpt"), str(tmp_path))


def _env(devices):
    env = dict(os.environ, JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_command_line_with_in_stream_updates(tmp_path):
    workdir = str(tmp_path / "run")
    result = subprocess.run(
        [sys.executable, MAIN, "--config=" + COPY + ":smoke",
         "--config.engine=streaming", "--config.streaming.update_every=3",
         f"--workdir={workdir}"], env=_env(1), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    train_rows = rows(workdir, "train")
    # T = 11, loss on the recall window (steps 7-10): windows [6, 9) and [9, 11) update.
    assert train_rows[1]["updates"] == 2.0
    assert os.path.isdir(os.path.join(workdir, "checkpoints", "latest", "4"))
    # What a person sees: one progress line per log point (every step here) with one rate,
    # one line per evaluation (steps 2 and 4), no library chatter or TF banners.
    lines = (result.stdout + result.stderr).splitlines()
    progress = [line for line in lines if " | loss " in line and "steps/s" in line]
    assert [line.split()[2] for line in progress] == ["1/4", "2/4", "3/4", "4/4"], lines
    assert sum(" | validation loss " in line for line in lines) == 2 + 1  # + the Done line
    assert len(lines) <= 12 and max(len(line) for line in lines) <= 200, lines
    for noise in ("oneDNN", "Setting work unit", "tensorflow", "orbax", "Saved the"):
        assert not any(noise in line for line in lines), noise


@pytest.mark.parametrize("config_flag", [
    [], ["--config=" + COPY + ":smoke"]])
def test_command_line_rejects_an_unknown_key(tmp_path, config_flag):
    result = subprocess.run(
        [sys.executable, MAIN, *config_flag, "--config.train.lr_facter=2",
         f"--workdir={tmp_path}"], env=_env(1), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "Unknown config key in --config.train.lr_facter=2: 'lr_facter'." in result.stderr
    assert "Traceback" not in result.stderr


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_train_like_one(parallel_run, tmp_path):
    """Two jax.distributed processes (1 CPU device each, each reading its half of every batch)
    end where the single-process run on 4 devices ends."""
    workdir = str(tmp_path)
    address = f"127.0.0.1:{_free_port()}"
    command = [sys.executable, MAIN,
               "--config=" + COPY + ":smoke",
               f"--workdir={workdir}", f"--coordinator_address={address}", "--num_processes=2"]
    procs = [subprocess.Popen(command + [f"--process_id={i}"], env=_env(1),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output[-3000:]
    assert "process 1 of 2" in outputs[1]
    full_dir, _ = parallel_run
    step, params = final_params(workdir)
    full_step, full = final_params(full_dir)
    assert step == full_step == 4
    chex.assert_trees_all_close(params, full, rtol=1e-5, atol=1e-6)
    for s in (1, 4):
        np.testing.assert_allclose(rows(workdir, "train")[s]["loss"],
                                   rows(full_dir, "train")[s]["loss"], rtol=1e-5)
    np.testing.assert_allclose(rows(workdir, "test")[4]["loss"],
                               rows(full_dir, "test")[4]["loss"], rtol=1e-5)
