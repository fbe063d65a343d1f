"""The README's and the docs' promises that code can check: the quick start is two commands,
CI runs exactly the README's test command, the README stays a front door, links resolve,
nothing points outside the repository, and the benchmark tables are the bench's JSON."""

import os
import re

from lru_rtrl.bench import report
from repo_helpers import REPO, repo_path


def _read(*parts):
    with open(repo_path(*parts), encoding="utf-8") as handle:
        return handle.read()


def quick_start_commands():
    readme = _read("README.md")
    section = readme[readme.index("## Quick start"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_main_job_then_tests():
    main_job, tests = quick_start_commands()
    assert main_job.endswith("launch/main.py")  # the offline default, no --config needed
    assert "pytest" in tests and "constraints.txt" in main_job and "constraints.txt" in tests


def test_ci_runs_exactly_the_readme_test_command():
    ci = [line.strip() for line in _read(".ci", "run").splitlines()]
    marker = ci.index("# README test command (keep identical to the README's quick start):")
    assert ci[marker + 1] == quick_start_commands()[1]


def test_readme_is_a_front_door():
    # What it is, the quick start, what is inside, how to run / sweep / bench / extend, links;
    # the details live in docs/.
    lines = _read("README.md").splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines; move details to docs/."


def _markdown_files():
    names = ["README.md"] + [os.path.join("docs", n) for n in sorted(os.listdir(repo_path("docs")))
                             if n.endswith(".md")]
    return names


def test_every_relative_link_in_the_docs_resolves():
    for name in _markdown_files():
        folder = os.path.dirname(repo_path(name))
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _read(name)):
            if "://" in target:
                continue
            assert os.path.exists(os.path.join(folder, target)), f"{name} links to {target}"


def test_nothing_points_at_files_outside_the_repository():
    # The team's working notes are not part of the repository; docs/ holds what users need.
    outside = re.compile(r"\.\./shared|\bPAPER\.md|\bDESIGN\.md")
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("runs", "build")
                   and not d.endswith(".egg-info") and d != "__pycache__"]
        for name in files:
            if name.endswith((".py", ".md", ".cfg", ".toml", ".txt")) or name in ("BUILD", "run"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8", errors="replace") as handle:
                    for number, line in enumerate(handle, 1):
                        assert not outside.search(line), f"{path}:{number}: {line.strip()}"


def test_benchmark_tables_in_the_docs_are_the_bench_json():
    blocks = report.blocks_in(repo_path("docs", "benchmarks.md"))
    assert blocks, "docs/benchmarks.md has no bench:<name> blocks"
    for name, text in blocks.items():
        path = repo_path("docs", "bench", f"{name}.json")
        assert text.strip() == report.docs_block(path).strip(), (
            f"docs/benchmarks.md's block {name} is out of date: run python -m "
            f"lru_rtrl.bench.report --json={os.path.relpath(path, REPO)} "
            "--docs=docs/benchmarks.md")
