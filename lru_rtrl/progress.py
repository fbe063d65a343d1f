"""A progress bar for long work that is not training (generators, sweeps, the bench).

    bar = ProgressBar(total=100_000, label="trees")
    for i in range(100_000):
        ...
        bar.update(i + 1)              # redraws at most every `interval` seconds
    bar.done()

On a terminal the bar is redrawn in place (`trees [#####-----] 50% 50,000/100,000 12s ETA
12s`); in a log file (not a TTY) it writes one such line every 10% instead, so logs stay short.
With `unit="B"` the counts are bytes, shown with their rate (`lra_release.gz [##--] 12%
1.2 GB/9.8 GB 3.4 MB/s 6m01s ETA 42m`); `initial` is what was done before (a resumed
download), kept out of the rate and the ETA. Standard library only.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Optional, TextIO


def duration(seconds: float) -> str:
    """'1h02m', '3m05s' or '42s' ('?' when unknown: NaN or infinite)."""
    if not math.isfinite(seconds):
        return "?"
    seconds = int(max(seconds, 0))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def size(count: float) -> str:
    """A byte count in decimal units: '512 B', '3.4 MB', '9.80 GB'."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        value = count / scale
        if value >= 0.9995:  # what rounds to 1.00 or more
            return f"{value:.2f} {unit}" if value < 9.995 else f"{value:.1f} {unit}"
    return f"{int(count)} B"


class ProgressBar:
    """Counts `total` units of work and shows how far, how long and how long to go."""

    def __init__(self, total: int, label: str = "", *, stream: Optional[TextIO] = None,
                 interval: float = 0.5, width: int = 20, unit: str = "", initial: int = 0):
        if unit not in ("", "B"):
            raise ValueError(f"unit must be '' (a count) or 'B' (bytes), got {unit!r}")
        self.total = max(int(total), 1)
        self.unit = unit
        self.initial = int(initial)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.width = width
        self.start = time.time()
        self.count = self.initial
        self._last_draw = 0.0
        self._last_decile = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, note: str = "") -> str:
        """The bar as one line of text (without a newline)."""
        fraction = min(self.count / self.total, 1.0)
        filled = int(round(fraction * self.width))
        elapsed = time.time() - self.start
        done = self.count - self.initial  # this session's work: the rate and the ETA
        eta = elapsed / done * (self.total - self.count) if done > 0 else float("nan")
        if self.unit == "B":
            rate = f" {size(done / elapsed)}/s" if done > 0 and elapsed > 0 else ""
            amount = f"{size(self.count)}/{size(self.total)}{rate}"
        else:
            amount = f"{self.count:,}/{self.total:,}"
        text = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
                f"{fraction * 100:3.0f}% {amount} {duration(elapsed)}")
        if 0 < self.count < self.total:
            text += f" ETA {duration(eta)}"
        return f"{text} {note}".rstrip()

    def update(self, count: int, note: str = "") -> None:
        """Sets the units done so far (and an optional note shown after the bar)."""
        self.count = min(int(count), self.total)
        now = time.time()
        if self._tty:
            if now - self._last_draw >= self.interval or self.count == self.total:
                self.stream.write("\r" + self.line(note) + "\x1b[K")
                self.stream.flush()
                self._last_draw = now
            return
        decile = int(10 * self.count / self.total)
        if decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(self.line(note) + "\n")
            self.stream.flush()

    def done(self, note: str = "") -> None:
        """Shows the finished bar (and ends the line on a terminal)."""
        self.update(self.total, note)
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
