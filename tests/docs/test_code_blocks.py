"""Every code block of README.md and docs/*.md that is Python or a shell command of ours runs.

Blocks are collected from the Markdown itself; a new block needs a way to run here (the test
of an unknown command or Python block fails and says so), so an example can never break
unnoticed. Shell commands run in a subprocess from the repository root, with outputs sent to
a temporary folder and long runs shortened (marker `doc`; `pytest -m doc tests`):

  python launch/main.py ...     2 steps of a tiny model (`REDUCED_RUN`), data from the test
                                fixtures' folders
  python launch/stream.py ...   a short stream
  python -m lru_rtrl.sweeps ... `--print_only`: the sweep is expanded against its config file
                                (names, variants, keys) and its manifest written
  python -m lru_rtrl.bench ...  `--preset=smoke`
  python -m lru_rtrl.data.download lra ...
                                from a server on 127.0.0.1 serving a tiny release
                                (`--url`), into a temporary folder
  python launch/stream_report.py / python -m lru_rtrl.bench.report
                                on runs / JSON made here

Python blocks run with a prelude that gives the names the prose around them assumes (a
stream of a few steps, a user's cell). Blocks in other languages (console output, ini
snippets, the layer picture) are not code to run. The quick start's install commands are
CI's own (`.ci/run`); the training command after the install runs here like the others.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest

from repo_helpers import REPO, repo_path

pytestmark = [pytest.mark.doc, pytest.mark.slow]

RUNNABLE = ("bash", "sh", "python")
# Overrides that make any launcher run a few seconds long.
REDUCED_RUN = ["--config.train.num_steps=2", "--config.train.eval_every_steps=2",
               "--config.train.log_every_steps=1", "--config.train.grad_alignment_every=0",
               "--config.model.n_layers=1", "--config.model.d_model=8",
               "--config.model.d_hidden=8", "--config.train.eval_batch_size=-1",
               "--config.train.batch_size=2", "--config.train.warmup_epochs=0"]


@dataclasses.dataclass(frozen=True)
class Block:
    file: str
    index: int
    lang: str
    body: str

    @property
    def name(self) -> str:
        return f"{self.file}#{self.index}"


def blocks() -> List[Block]:
    found = []
    names = ["README.md"] + [os.path.join("docs", n) for n in sorted(os.listdir(repo_path("docs")))
                             if n.endswith(".md")]
    for name in names:
        with open(repo_path(name), encoding="utf-8") as handle:
            text = handle.read()
        for index, (lang, body) in enumerate(re.findall(r"```(\w*)\n(.*?)```", text, re.S)):
            if lang in RUNNABLE:
                found.append(Block(name, index, lang, body))
    return found


def shell_commands(body: str) -> List[str]:
    """The commands of a shell block: continuations joined, comments and blank lines out,
    `a && b` split."""
    joined = re.sub(r"\\\n\s*", " ", body)
    commands = []
    for line in joined.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        commands += [part.strip() for part in line.split("&&")]
    return commands


class Runner:
    """Runs one command of a doc block, with its outputs under `tmp`."""

    def __init__(self, tmp, fixtures: Dict[str, str]):
        self.tmp = tmp
        self.fixtures = fixtures
        # As a user runs them: one CPU device (not the test session's fake devices).
        self.env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
        self.env.update(JAX_PLATFORMS="cpu",
                        PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def call(self, argv: List[str], timeout: int = 600) -> str:
        result = subprocess.run([sys.executable, *argv], cwd=REPO, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{' '.join(argv)} failed:\n{output[-4000:]}"
        return output

    def path(self, name: str) -> str:
        """A new path under tmp (each command of a block gets its own)."""
        self.count = getattr(self, "count", 0) + 1
        target = os.path.join(str(self.tmp), f"{self.count}_{name}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        return target

    # --- one handler per command of ours -------------------------------------------------
    def run(self, command: str) -> None:
        argv = shlex.split(command)
        if argv[:3] == ["nice", "-n", "10"]:
            argv = argv[3:]
        if argv[0] in ("python3.11",) or argv[0].endswith("/pip"):
            return  # creating the venv and installing: what .ci/run does on every CI run
        if argv[0].endswith("python") or argv[0] == "python":
            argv = argv[1:]
        else:
            raise AssertionError(f"no way to run the documented command {command!r} in "
                                 "tests/docs/test_code_blocks.py; add one")
        if argv[:2] == ["-m", "pytest"]:
            return  # the test command itself: CI runs exactly it (test_readme checks that)
        if argv[0] == "launch/main.py":
            self.main(argv[1:])
        elif argv[0] == "launch/stream.py":
            self.stream(argv[1:])
        elif argv[0] == "launch/stream_report.py":
            self.stream_report(argv[1:])
        elif argv[:2] == ["-m", "lru_rtrl.sweeps"]:
            self.sweeps(argv[2:])
        elif argv[:2] == ["-m", "lru_rtrl.bench.report"]:
            self.bench_report(argv[2:])
        elif argv[:2] == ["-m", "lru_rtrl.bench"]:
            self.bench(argv[2:])
        elif argv[:3] == ["-m", "lru_rtrl.data.download", "lra"]:
            self.download_lra(argv[3:])
        else:
            raise AssertionError(f"no way to run the documented command {command!r}; add one "
                                 "to tests/docs/test_code_blocks.py")

    def _data_dir(self, args: List[str]) -> List[str]:
        """A documented data_dir (the user's own folder) becomes the test fixtures'."""
        out = []
        for arg in args:
            if arg.startswith("--config.data.data_dir="):
                config = next((a for a in args if a.startswith("--config=")), "")
                kind = "lra" if any(t in config for t in ("listops", "pathfinder", "pathx",
                                                          "aan")) else "tfds"
                arg = f"--config.data.data_dir={self.fixtures[kind]}"
            out.append(arg)
        return out

    def main(self, args: List[str]) -> None:
        args = [a for a in self._data_dir(args) if not a.startswith("--workdir=")]
        config = next((a for a in args if a.startswith("--config=")), "")
        if "scifar" in config and not any(a.startswith("--config.data.data_dir") for a in args):
            args.append(f"--config.data.data_dir={self.fixtures['tfds']}")
        if "listops" in config:  # the release's files: the fixture's (the smoke set is small)
            args += [f"--config.data.data_dir={self.fixtures['lra']}/lra_release",
                     "--config.data.max_len=64"]
        self.call(["launch/main.py", *args, *REDUCED_RUN,
                   f"--workdir={self.path('main_run')}"])

    def stream(self, args: List[str]) -> None:
        self.call(["launch/stream.py", *args, "--config.train.num_steps=100",
                   "--config.data.chunk_len=50", "--config.train.eval_every_steps=50",
                   f"--workdir={self.path('stream_run')}"])

    def sweeps(self, args: List[str]) -> None:
        args = [re.sub(r"^--root=.*", f"--root={self.path('sweep_root')}", a)
                for a in args if not a.startswith("--out=")]
        self.call(["-m", "lru_rtrl.sweeps", *[a for a in args if a != "--print_only"],
                   "--print_only"])

    def stream_report(self, args: List[str]) -> None:
        # Two tiny finished sweeps stand in for the study's roots.
        roots = []
        for i, _ in enumerate(a for a in args if a.startswith("--root=")):
            root = self.path(f"stream_sweep_{i}")
            self.call(["-m", "lru_rtrl.sweeps", "--config=configs/recall_stream.py",
                       "--sweep=smoke", f"--root={root}", "--noplots"])
            roots.append(f"--root={root}")
        self.call(["launch/stream_report.py", *roots, f"--out={self.path('report')}"])

    def bench(self, args: List[str]) -> None:
        args = [a for a in args if not a.startswith(("--json_out=", "--preset="))]
        self.call(["-m", "lru_rtrl.bench", *args, "--preset=smoke",
                   f"--json_out={self.path('bench.json')}"])

    def download_lra(self, args: List[str]) -> None:
        from lru_rtrl.data import testing_files
        from lru_rtrl.testing import http_server
        archive = self.path("lra_release.gz")
        testing_files.write_lra_archive(archive)
        with open(archive, "rb") as handle:
            data = handle.read()
        args = [a for a in args if not a.startswith(("--data_dir=", "--url="))]
        with http_server.serve({"/lra_release.gz": data}, md5=True) as server:
            output = self.call(["-m", "lru_rtrl.data.download", "lra", *args,
                                f"--data_dir={self.path('lra')}",
                                f"--url={server.url('/lra_release.gz')}"])
        assert "extracted listops-1000" in output, output

    def bench_report(self, args: List[str]) -> None:
        copied = []
        for arg in args:
            if arg.startswith("--docs="):
                copy = self.path("docs_copy.md")
                shutil.copy(repo_path(arg[len("--docs="):]), copy)
                arg = f"--docs={copy}"
            copied.append(arg)
        self.call(["-m", "lru_rtrl.bench.report", *copied])


# Python blocks: the names the prose around each assumes, keyed by the block's first line.
PRELUDES = {
    # README "Running a task": a config file of one's own, trained by the launcher.
    "from lru_rtrl.config import apply_variant, base_config, lra_lru": "config_file",
    # README / docs/streaming.md: the learner, fed a few steps of the recall stream.
    "learner = OnlineLearner.from_config(": (
        "import jax, numpy as np\n"
        "from lru_rtrl.config import load_config\n"
        "from lru_rtrl.learner import OnlineLearner\n"
        "stream = [(np.ones((8, 1), np.int32) * t % 8, np.zeros(8, np.int32),\n"
        "           np.ones(8, np.float32)) for t in range(3)]\n"
        "stream = [(x[:, 0], y, w) for x, y, w in stream]\n"),
    "import jax": (
        "import numpy as np, os, tempfile\n"
        "os.chdir(tempfile.mkdtemp()); os.symlink(REPO + '/configs', 'configs')\n"
        "x_t, target_t, weight_t = np.array([1], np.int32), np.array([0], np.int32), "
        "np.ones(1, np.float32)\n"
        "xs, targets, weights = np.ones((1, 4), np.int32), np.zeros((1, 4), np.int32), "
        "np.ones((1, 4), np.float32)\n"),
    # A plugin module of one's own, loaded through config.plugins (the prose's command).
    "# my_rules.py": "plugin_file",
    # docs/plugins.md: a user's cell, checked against its declared structure.
    "from lru_rtrl.testing.structure import check_core_structure": (
        "from lru_rtrl.cores import LRUCell as MyCell\n"),
}


def _prelude(block: Block):
    for first, prelude in PRELUDES.items():
        if block.body.lstrip().startswith(first):
            return prelude
    raise AssertionError(f"{block.name}: no way to run this Python block; add a prelude to "
                         "tests/docs/test_code_blocks.py")


def run_python(block: Block, runner: Runner) -> None:
    prelude = _prelude(block)
    if prelude == "config_file":
        path = runner.path("my_config.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(block.body)
        runner.call(["launch/main.py", f"--config={path}:smoke", *REDUCED_RUN,
                     f"--config.data.data_dir={runner.fixtures['tfds']}",
                     f"--workdir={runner.path('own_config_run')}"])
        return
    if prelude == "plugin_file":
        path = runner.path("my_rules.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(block.body)
        runner.call(["launch/main.py", "--config=configs/copy.py:smoke",
                     f"--config.plugins=('{path}',)", "--config.rule=online_snap_like",
                     f"--workdir={runner.path('plugin_run')}"])
        return
    code = f"REPO = {REPO!r}\n" + prelude + block.body
    runner.call(["-c", code])


BLOCKS = blocks()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_documented_code_runs(block, tmp_path, tfds_dir, lra_dir):
    runner = Runner(tmp_path, {"tfds": tfds_dir, "lra": lra_dir})
    if block.lang == "python":
        run_python(block, runner)
        return
    for command in shell_commands(block.body):
        runner.run(command)


def test_every_runnable_block_is_collected():
    # The collector sees the blocks a reader sees: at least the README's quick start, its
    # config-file example and the plugin example.
    names = {b.name.split("#")[0] for b in BLOCKS}
    assert "README.md" in names and "docs/plugins.md" in names, names
    assert any(b.body.lstrip().startswith("# my_rules.py") for b in BLOCKS)
