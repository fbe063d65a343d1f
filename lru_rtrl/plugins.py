"""Plugin loading: importing a plugin module registers its cores, rules, engines or tasks.

Two routes, loaded the same way:
  (a) modules listed in a config (`config.plugins = ("my_pkg.my_rules", "path/to/file.py")`);
  (b) installed distributions that declare an entry point in the group `lru_rtrl.plugins`,
      e.g. in their setup.cfg:

          [options.entry_points]
          lru_rtrl.plugins =
              my_rules = my_pkg.my_rules

A plugin that fails to import raises `PluginError` naming the plugin and the route that
asked for it, with the original exception chained.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from types import ModuleType
from typing import Iterable, List

from lru_rtrl.errors import UserError

ENTRY_POINT_GROUP = "lru_rtrl.plugins"


class PluginError(UserError, ImportError):
    """A plugin could not be loaded."""


def load_builtins() -> None:
    """Imports the library's own cores, rules, engines and tasks so that they register."""
    # Local imports: each of these modules registers its entries on import.
    import lru_rtrl.cores  # noqa: F401
    import lru_rtrl.rules  # noqa: F401
    import lru_rtrl.engines  # noqa: F401
    import lru_rtrl.data  # noqa: F401


def load_module(spec: str, *, origin: str = "config.plugins") -> ModuleType:
    """Imports one plugin given as a dotted module name or as a path to a `.py` file."""
    if not isinstance(spec, str) or not spec.strip():
        raise PluginError(f"Plugin entry {spec!r} in {origin} must be a module name or a .py path.")
    try:
        if spec.endswith(".py"):
            return _import_file(spec)
        return importlib.import_module(spec)
    except PluginError:
        raise
    except Exception as error:  # pylint: disable=broad-except
        raise PluginError(
            f"Plugin {spec!r} (from {origin}) failed to load: {type(error).__name__}: {error}. "
            f"Fix the plugin or remove it from {origin}.") from error


def _import_file(path: str) -> ModuleType:
    """Imports a .py file under its own stem as module name.

    Using the stem (not a made-up name) means that the same plugin reached by both routes —
    a path in config.plugins and an installed entry point — is imported, and registers, once.
    """
    if not os.path.isfile(path):
        raise PluginError(f"Plugin file {path!r} does not exist (from config.plugins).")
    path = os.path.abspath(path)
    name = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(name)
    if existing is not None:
        if _same_source(getattr(existing, "__file__", "") or "", path):
            # The same plugin reached by two routes (e.g. installed with pip, so its entry
            # point loaded the installed copy, and listed by path in config.plugins).
            return existing
        raise PluginError(
            f"Plugin file {path!r} would be imported as module {name!r}, but a different module "
            f"of that name is already loaded ({getattr(existing, '__file__', existing)!r}) "
            "with different contents. Rename one of the two, or load only one.")
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _same_source(loaded: str, path: str) -> bool:
    """Whether the module loaded from `loaded` is the file at `path` (same file or same bytes)."""
    if not loaded or not os.path.isfile(loaded):
        return False
    if os.path.abspath(loaded) == path:
        return True
    with open(loaded, "rb") as first, open(path, "rb") as second:
        return first.read() == second.read()


def entry_point_plugins() -> List[importlib.metadata.EntryPoint]:
    """The entry points that installed distributions declare in the `lru_rtrl.plugins` group."""
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)


def load_entry_points() -> List[ModuleType]:
    """Loads every installed plugin; a broken one raises `PluginError` naming it."""
    loaded = []
    for entry_point in entry_point_plugins():
        dist = getattr(entry_point, "dist", None)
        origin = f"entry point {entry_point.name!r} = {entry_point.value!r}"
        if dist is not None:
            origin += f" of the installed distribution {dist.name!r}"
        try:
            loaded.append(entry_point.load())
        except Exception as error:  # pylint: disable=broad-except
            raise PluginError(
                f"Plugin {entry_point.name!r} ({origin}) failed to load: "
                f"{type(error).__name__}: {error}. Fix or uninstall that distribution.") from error
    return loaded


def load_plugins(modules: Iterable[str] = (), *, entry_points: bool = True) -> List[ModuleType]:
    """Loads built-ins, then installed entry-point plugins, then the listed modules, in order.

    Safe to call more than once: Python caches imported modules, so registration runs once.
    """
    load_builtins()
    loaded = load_entry_points() if entry_points else []
    for spec in modules or ():
        loaded.append(load_module(spec))
    return loaded
