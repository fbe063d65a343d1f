"""Where the repository is, and its config files, for every test (imported by name: pytest
puts tests/ on sys.path for tests/conftest.py; Bazel carries every *_helpers.py)."""

import os

from lru_rtrl.config.files import load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_path(*parts: str) -> str:
    """An absolute path inside the repository."""
    return os.path.join(REPO, *parts)


def task_config(task: str, arg=None):
    """`get_config(arg)` of configs/<task>.py."""
    path = repo_path("configs", f"{task}.py")
    return load_config(f"{path}:{arg}" if arg is not None else path)
