"""The errors a user can cause, as one family: launchers print these as one line.

Anything a user can get wrong — a config value, a name, a combination that cannot work, data
that is missing or malformed, a stream input of the wrong kind, a broken plugin, an unusable
workdir or checkpoint — raises a subclass of `UserError` whose message says what to do.
Every other exception is a bug in the library and keeps its traceback
(`launch/main.py` and `launch/stream.py` tell the two apart by this class alone).

The subclasses also derive from the built-in exception that matches their kind
(`ValueError`, `RuntimeError`, ...), so code that caught those before still does. This module
imports nothing from lru_rtrl.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake a user can make; the message says what to do instead."""


class ConfigError(UserError, ValueError):
    """An invalid config key, value or setting; the message names the key."""


class UnsupportedCombinationError(UserError, ValueError):
    """A (core, rule, engine, task, pooling, learner) combination that cannot work; the message
    says why and what to use instead (lru_rtrl.compat)."""


class DataError(UserError, RuntimeError):
    """Missing, malformed or unusable data; the message says what to do."""


class StreamInputError(UserError, ValueError):
    """A value fed to a learner (or a stream launcher) that it cannot take; the message names
    the value and the step."""
