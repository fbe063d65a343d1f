"""Engines. Importing this package registers `parallel` and `streaming` in ENGINES."""

from lru_rtrl.engines import parallel, streaming  # noqa: F401
from lru_rtrl.engines.base import Engine  # noqa: F401
