"""One generic name-keyed registry, used for cores, learning rules, engines and tasks.

Entries register themselves by decorator when their module is imported:

    CORES = Registry("core")

    @CORES.register("lru")
    class LRU(...): ...

    CORES.get("lru")      # -> the class
    CORES.names()         # -> ["gru", "linear_rnn", "lru", "mingru", "rglru"]

Registering a name twice is an error unless `replace=True` is passed (so a plugin cannot
silently shadow a built-in), and looking up an unknown name raises an error that lists the
known names and suggests the closest one.

A registry stores; it never imports anything. This module imports nothing from `lru_rtrl`
but its error base class (lru_rtrl.errors), so `names()`, `in` and `get` give the same answers whatever was imported first: an entry
exists once the module that defines it has been imported. The built-ins are registered by
the places that need them (`lru_rtrl.config` imports the tasks; the assembler,
`lru_rtrl.experiment`, and the launchers all of them through `lru_rtrl.plugins`).
"""

from __future__ import annotations

import difflib
from typing import Dict, Generic, Iterator, List, Optional, TypeVar

from lru_rtrl.errors import UserError

T = TypeVar("T")


class RegistryError(UserError, ValueError):
    """Base class of the errors raised by registries (a name a user or a plugin got wrong)."""


class DuplicateNameError(RegistryError):
    """A name was registered twice without `replace=True`."""


class UnknownNameError(RegistryError, KeyError):
    """A look-up used a name nobody registered."""

    def __str__(self) -> str:  # KeyError would otherwise print the message quoted.
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """A mapping from names to registered objects (classes, factories or instances)."""

    def __init__(self, kind: str):
        """`kind` names what is registered ("core", "learning rule", ...) in error messages."""
        self.kind = kind
        self._entries: Dict[str, T] = {}
        self._origins: Dict[str, str] = {}

    def register(self, name: str, obj: Optional[T] = None, *, replace: bool = False):
        """Registers `obj` under `name`; without `obj`, returns a decorator that does it.

        Raises `DuplicateNameError` if `name` is taken and `replace` is False.
        """
        if not isinstance(name, str) or not name:
            raise RegistryError(f"A {self.kind} name must be a non-empty string, got {name!r}.")

        def add(entry: T) -> T:
            origin = _origin_of(entry)
            if name in self._entries and not replace:
                raise DuplicateNameError(
                    f"A {self.kind} named {name!r} is already registered (by "
                    f"{self._origins[name]}); registering it again from {origin} would shadow "
                    f"it. Choose another name, or pass replace=True to replace it on purpose.")
            self._entries[name] = entry
            self._origins[name] = origin
            return entry

        if obj is not None:
            return add(obj)
        return add

    def get(self, name: str) -> T:
        """Returns the entry registered under `name`, or raises `UnknownNameError`."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            pass
        known = self.names()
        message = f"Unknown {self.kind} {name!r}."
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
        if close:
            message += f" Did you mean {close[0]!r}?"
        message += f" Known {self.kind}s: {', '.join(known) if known else '(none registered)'}."
        message += (" A plugin's entries exist only once it is imported: list its module in "
                    "`config.plugins` or install it with a `lru_rtrl.plugins` entry point.")
        raise UnknownNameError(message)

    def unregister(self, name: str) -> None:
        """Removes `name` (used by tests and by plugins that clean up after themselves)."""
        self._entries.pop(name, None)
        self._origins.pop(name, None)

    def names(self) -> List[str]:
        """All registered names, sorted."""
        return sorted(self._entries)

    def items(self):
        return sorted(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


def _origin_of(entry: object) -> str:
    module = getattr(entry, "__module__", None) or type(entry).__module__
    qualname = getattr(entry, "__qualname__", None) or type(entry).__qualname__
    return f"{module}.{qualname}"


# The library's registries. Importing a module that defines an entry registers it.
CORES: Registry = Registry("core")
RULES: Registry = Registry("learning rule")
ENGINES: Registry = Registry("engine")
TASKS: Registry = Registry("task")
