"""Mistakes a user makes on the command line end with one line, a non-zero exit code, no
traceback and no half-made workdir (through the real launcher, in a subprocess)."""

import os
import subprocess
import sys

import pytest

from repo_helpers import REPO, repo_path

MAIN = repo_path("launch", "main.py")
COPY = repo_path("configs", "copy.py")
LISTOPS = repo_path("configs", "listops.py")


def _launch(*args, cwd=REPO):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, MAIN, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _assert_one_line_error(result, *expected):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if "Error" in line]
    assert len(errors) == 1 and errors[0].startswith("Error: "), output  # printed once
    for text in expected:
        assert text in errors[0], output


def _syntax_error_config(tmp_path):
    path = tmp_path / "broken_config.py"
    path.write_text("def get_config(arg=None)\n    return None\n")
    return str(path)


def _broken_plugin(tmp_path):
    path = tmp_path / "broken_plugin.py"
    path.write_text("raise RuntimeError('boom at import')\n")
    return f"--config.plugins=('{path}',)"


SLOW = pytest.mark.slow  # each case is a whole process: the fast tier keeps two


@pytest.mark.parametrize("make_args, expected", [
    pytest.param(lambda tmp: ["--config=configs/nope.py"], ["No config file 'configs/nope.py'"],
                 marks=SLOW),
    pytest.param(lambda tmp: ["--config=" + _syntax_error_config(tmp)],
                 ["broken_config.py does not parse: expected ':' at line 1"], marks=SLOW),
    pytest.param(lambda tmp: ["--config=configs/copy.py:smok"],
                 ["has no variant 'smok'. Did you mean 'smoke'?"], marks=SLOW),
    (lambda tmp: ["--config=configs/copy.py:smoke", "--config.train.num_steps=0"],
     ["config.train.num_steps must be > 0, or -1"]),
    # The smoke variant generates ListOps: a data_dir would be silently ignored.
    pytest.param(lambda tmp: ["--config=configs/listops.py:smoke",
                              "--config.data.data_dir=/data/lra"],
                 ["config.data.data_dir='/data/lra' has no effect: data.source='generate'"],
                 marks=SLOW),
    pytest.param(lambda tmp: ["--config=configs/copy.py:smoke", _broken_plugin(tmp)],
                 ["broken_plugin.py' (from config.plugins) failed to load: RuntimeError: "
                  "boom at import"], marks=SLOW),
    # A combination that cannot work stops before the devices start or data is read.
    pytest.param(lambda tmp: ["--config=configs/copy.py:smoke", "--config.model.core=gru",
                              "--config.train.optimizer_groups=Bfast_and_decay"],
                 ["optimizer_groups='Bfast_and_decay' moves the core's input matrix"],
                 marks=SLOW),
], ids=["missing_config", "syntax_error", "bad_variant", "zero_steps", "ignored_data_dir",
        "broken_plugin", "unsupported_combination"])
def test_a_mistake_is_one_line_and_leaves_no_workdir(tmp_path, make_args, expected):
    workdir = tmp_path / "run"
    result = _launch(*make_args(tmp_path), f"--workdir={workdir}")
    _assert_one_line_error(result, *expected)
    assert not workdir.exists()


@pytest.mark.slow
def test_a_workdir_that_is_a_file(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("not a directory")
    result = _launch("--config=" + COPY + ":smoke", f"--workdir={path}")
    _assert_one_line_error(result, f"--workdir={path} is a file, not a directory")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/sys") or os.access("/proc/sys", os.W_OK),
                    reason="needs a directory this user cannot write to (/proc/sys)")
def test_a_workdir_that_cannot_be_written():
    result = _launch("--config=" + COPY + ":smoke", "--workdir=/proc/sys/lru_rtrl_run")
    _assert_one_line_error(result, "cannot be written: /proc/sys is not writable")


@pytest.mark.slow
def test_a_bug_is_not_a_user_mistake(tmp_path):
    # A ValueError from inside the library (here a plugin rule's surrogate) is a bug: it keeps
    # its traceback instead of passing for a one-line user error.
    plugin = tmp_path / "buggy_rule.py"
    plugin.write_text(
        "from lru_rtrl.registry import RULES\n"
        "from lru_rtrl.rules.bptt import BPTT\n"
        "class Buggy(BPTT):\n"
        "    name = 'buggy'\n"
        "    def layer_sequence(self, *args, **kwargs):\n"
        "        raise ValueError('an internal bug')\n"
        "RULES.register('buggy', Buggy())\n")
    result = _launch("--config=" + COPY + ":smoke", f"--config.plugins=('{plugin}',)",
                     "--config.rule=buggy", f"--workdir={tmp_path / 'run'}")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ValueError: an internal bug" in result.stderr
    assert not any(line.startswith("Error: ") for line in result.stderr.splitlines())


@pytest.mark.slow
def test_the_traceback_is_there_when_asked_for(tmp_path):
    result = _launch("--config=" + COPY + ":smoke", _broken_plugin(tmp_path), "--verbosity=1",
                     f"--workdir={tmp_path / 'run'}")
    assert result.returncode != 0 and "Traceback" in result.stderr
