"""Reading config files (`configs/<task>.py`) by path, as the launcher and the sweep tools do.

    from lru_rtrl.config.files import load_config
    config = load_config("configs/copy.py:paper")      # get_config("paper") of that file

`sibling_config` lets one config file reuse another's experiment (psmnist.py is smnist.py on
another task).

Config files are loaded under a private module name (a config file named `copy.py` must not
shadow the standard library's `copy`). A missing file, a file that does not parse, and a file
without `get_config` raise `ConfigFileError` with one line saying which and where.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import types
from typing import Optional, Tuple

import ml_collections

from lru_rtrl.errors import ConfigError


class ConfigFileError(ConfigError):
    """A config file that is missing, does not parse, or is not a config file."""


def split_spec(spec: str) -> Tuple[str, Optional[str]]:
    """'configs/copy.py:paper' -> ('configs/copy.py', 'paper'); no ':' -> (spec, None)."""
    path, sep, arg = spec.partition(":")
    return path, (arg if sep else None)


def load_config_file(path: str) -> types.ModuleType:
    """The config file at `path` as a module (it must define get_config(arg))."""
    if not os.path.isfile(path):
        raise ConfigFileError(f"No config file {path!r} (give the path of a configs/<task>.py "
                              "file, relative to where you run the command).")
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:8]
    name = f"_lru_rtrl_config_{os.path.splitext(os.path.basename(path))[0]}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise ConfigFileError(f"Config file {path} does not parse: {error.msg} at line "
                              f"{error.lineno}.") from error
    if not callable(getattr(module, "get_config", None)):
        raise ConfigFileError(f"{path} defines no get_config(arg): is it a config file?")
    return module


def load_config(spec: str) -> ml_collections.ConfigDict:
    """`get_config(arg)` of the file in `spec` ('path' or 'path:arg')."""
    path, arg = split_spec(spec)
    return load_config_file(path).get_config(arg)


def sibling_config(this_file: str, name: str, arg: Optional[str] = None,
                   **kwargs) -> ml_collections.ConfigDict:
    """`get_config(arg, **kwargs)` of the config file `name` in the folder of `this_file`.

    How one config file reuses another's experiment, e.g. configs/psmnist.py:
    `sibling_config(__file__, "smnist.py", arg, task="psmnist")`.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(this_file)), name)
    return load_config_file(path).get_config(arg, **kwargs)
