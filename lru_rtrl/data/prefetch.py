"""Background-thread prefetching of batches.

Building a batch (gathering rows, normalising, padding) is numpy work that mostly releases
the GIL, so one producer thread keeps a few batches ready while the training step runs on
the accelerator (or on the other CPU core). The order of the items never changes: the
thread only runs ahead of the consumer.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # How often a blocked producer checks whether the consumer went away.


class _Raised:
    """Carries an exception from the producer thread to the consumer."""

    def __init__(self, error: BaseException):
        self.error = error


_DONE = object()


def prefetch(items: Iterable[T], size: int) -> Iterator[T]:
    """Yields `items` in order while a daemon thread computes up to `size` of them ahead.

    `size <= 0` iterates in the calling thread. An exception raised while producing an item
    is re-raised in the consumer at that item's position. Closing (or dropping) the returned
    generator stops the thread at its next item.
    """
    if size <= 0:
        yield from items
        return

    buffer: "queue.Queue[object]" = queue.Queue(maxsize=size)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # pylint: disable=broad-except
            put(_Raised(error))

    thread = threading.Thread(target=produce, name="lru_rtrl-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
