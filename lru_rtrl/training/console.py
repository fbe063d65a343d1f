"""What a person sees on the console during a run: a short time stamp and the message, the
libraries' INFO chatter dropped, TensorFlow's start-up banners discarded.

    from lru_rtrl.training import console
    console.setup()                   # in an absl main(): format and filter the absl handler
    console.quiet_tensorflow_import()

Metrics never go to the console (they go to TensorBoard and metrics.jsonl); the training
loop prints one progress line per log point.
"""

from __future__ import annotations

import importlib.util
import logging as std_logging
import os
import sys
import time

from absl import logging

# Libraries whose INFO lines are noise at a terminal (orbax: a dozen lines per checkpoint;
# JAX: the backends it did not find). Their warnings and errors still show.
LIBRARIES = ("/orbax/", "/jax/", "/jaxlib/", "/tensorflow/", "/clu/", "/tensorflow_datasets/")


class QuietLibraries(std_logging.Filter):
    """Drops INFO records logged from inside the LIBRARIES."""

    def filter(self, record: std_logging.LogRecord) -> bool:
        return record.levelno >= std_logging.WARNING or not any(
            part in record.pathname for part in LIBRARIES)


class ConsoleFormat(std_logging.Formatter):
    """`12:03:04 message`, with the level named for warnings and errors."""

    def format(self, record: std_logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = "" if record.levelno < std_logging.WARNING else f"{record.levelname}: "
        return f"{stamp} {level}{record.getMessage()}"


def setup() -> None:
    """INFO verbosity (or more, if asked with --verbosity), the format and the filter."""
    logging.set_verbosity(max(logging.get_verbosity(), logging.INFO))
    handler = logging.get_absl_handler()
    handler.addFilter(QuietLibraries())
    handler.setFormatter(ConsoleFormat())


def quiet_tensorflow_import() -> None:
    """Imports TensorFlow (tensorflow-datasets and CLU's TensorBoard writer use it) with the
    banners its C++ runtime prints at start-up discarded.

    They are written to the process's stderr file descriptor before any logging is set up, so
    neither TF_CPP_MIN_LOG_LEVEL nor Python can silence them; the descriptor is pointed at
    /dev/null for the import only. A failing import still raises as usual.
    """
    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        import tensorflow  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    finally:
        os.dup2(saved, 2)
        os.close(saved)
