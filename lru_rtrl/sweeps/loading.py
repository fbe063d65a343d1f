"""Reads a config file (`configs/<task>.py`) for the sweep tools: its `get_config` and `get_sweep`."""

from __future__ import annotations

import os
import types
from typing import List

from lru_rtrl.config.files import ConfigFileError, load_config_file
from lru_rtrl.errors import ConfigError
from lru_rtrl.sweeps.spec import Sweep


class SweepConfigError(ConfigError):
    """A config file that cannot be read, or that defines no sweeps."""


def load_config_module(path: str) -> types.ModuleType:
    """The config file at `path` as a module."""
    try:
        return load_config_file(path)
    except ConfigFileError as error:
        raise SweepConfigError(str(error)) from None


def files_with_sweeps(directory: str) -> List[str]:
    """The config files in `directory` that define get_sweep (read as text, not imported)."""
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith(".py") and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                if "\ndef get_sweep(" in handle.read():
                    found.append(path)
    return found


def load_sweep(path: str, name: str) -> Sweep:
    """`get_sweep(name)` of the config file at `path`, checked to be a `Sweep` named `name`."""
    module = load_config_module(path)
    get_sweep = getattr(module, "get_sweep", None)
    if not callable(get_sweep):
        others = files_with_sweeps(os.path.dirname(path) or ".")
        raise SweepConfigError(
            f"{path} defines no get_sweep(name), so it has no sweeps. Config files with "
            f"sweeps next to it: {', '.join(others) or 'none'}.")
    sweep = get_sweep(name)
    if not isinstance(sweep, Sweep):
        raise SweepConfigError(f"{path}: get_sweep({name!r}) returned {type(sweep).__name__}, "
                               "not a lru_rtrl.sweeps.spec.Sweep.")
    if sweep.name != name:
        raise SweepConfigError(f"{path}: get_sweep({name!r}) returned the sweep {sweep.name!r}.")
    return sweep
