"""Tasks and data pipelines; importing this package registers every built-in task."""

from lru_rtrl.data.base import Batch, DataError, Task, TaskSpec  # noqa: F401
