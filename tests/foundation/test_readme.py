"""The README's promises that code can check: the quick start is two commands, CI runs exactly
the README's test command, and the task table is the one the code prints."""

import re

from lru_rtrl.data import list_tasks
from repo_helpers import repo_path



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


def test_readme_task_table_is_current():
    readme = _read("README.md")
    start = readme.index("<!-- tasks-table:start -->\n") + len("<!-- tasks-table:start -->\n")
    end = readme.index("<!-- tasks-table:end -->")
    assert readme[start:end].strip() == list_tasks.markdown_table(), (
        "README.md's task table is out of date: paste `python -m lru_rtrl.data.list_tasks "
        "--markdown` between the tasks-table markers.")
