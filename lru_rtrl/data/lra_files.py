"""Locating the Long Range Arena release files and reporting what is missing or malformed.

The LRA release is one archive, `lra_release.gz` (a gzipped tar), linked from the README of
https://github.com/google-research/long-range-arena (direct link:
https://storage.googleapis.com/long-range-arena/lra_release.gz). Extracted, it holds a
folder `lra_release/` with `listops-1000/`, `tsv_data/` (AAN retrieval) and
`pathfinder{32,64,128,256}/`. `data.data_dir` may name that folder or the folder above it;
a task's own subfolder may also be given directly. With `data.download` on, a release that
is not there is downloaded on first use (`lru_rtrl.data.lra_release`).
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from lru_rtrl.data.base import DataError

LRA_URL = "https://storage.googleapis.com/long-range-arena/lra_release.gz"
LRA_REPO = "https://github.com/google-research/long-range-arena"
HOW_TO_GET_BY_HAND = (f"download the LRA release {LRA_URL} (linked from {LRA_REPO}), extract "
                      f"it with `tar xzf lra_release.gz`, and set data.data_dir to the "
                      f"extracted lra_release folder")
HOW_TO_GET = (f"Get it with `python -m lru_rtrl.data.download lra --data_dir=DIR` (downloads, "
              f"verifies and extracts it; then data.data_dir=DIR), or {HOW_TO_GET_BY_HAND}.")


def candidate_dirs(data_dir: str, subdir: str) -> List[str]:
    """Where `subdir` of the release may be, given `data.data_dir` (most specific first)."""
    root = os.path.expanduser(data_dir or ".")
    return [os.path.join(root, subdir), os.path.join(root, "lra_release", subdir)]


def find_dir(task: str, data_dir: str, subdir: str, required: Sequence[str],
             extra_help: str = "", fetch: Optional[Callable[[], None]] = None) -> str:
    """The first candidate directory that holds every file (or folder) in `required`.

    Also accepts `data_dir` itself when it holds them. When none does and no candidate holds
    part of them, `fetch` (if given) is called to put them in `data_dir/subdir` (it downloads
    the release: `lru_rtrl.data.lra_release`). Otherwise raises a `DataError` naming the
    expected paths and where to download them.
    """
    candidates = [os.path.expanduser(data_dir)] if data_dir else []
    candidates += candidate_dirs(data_dir, subdir)
    for directory in candidates:
        if all(os.path.exists(os.path.join(directory, name)) for name in required):
            return directory
    partial = any(os.path.exists(os.path.join(d, n)) for d in candidates for n in required)
    if fetch is not None and not partial:
        fetch()
        return find_dir(task, data_dir, subdir, required, extra_help)
    for directory in candidates:
        present = [n for n in required if os.path.exists(os.path.join(directory, n))]
        if present:  # The right folder, but incomplete: name exactly what is missing.
            missing = [n for n in required if n not in present]
            raise DataError(
                f"Task {task!r}: {directory} holds {', '.join(present)} but not "
                f"{', '.join(missing)}; restore the missing file(s) from the same source "
                f"(the LRA release {LRA_URL}, or the generator that wrote the others).")
    expected = os.path.join(candidate_dirs(data_dir, subdir)[0], required[0])
    raise DataError(
        f"Task {task!r}: LRA data not found: expected {expected} (also looked for "
        f"{', '.join(required)} in {', '.join(repr(c) for c in candidates)}). "
        f"{HOW_TO_GET}{' ' + extra_help if extra_help else ''}")


def numbered_lines(path: str) -> Iterator[Tuple[int, bytes]]:
    """(line number from 1, line without its end-of-line) of a binary file, skipping blanks."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield number, line


def empty(path: str) -> DataError:
    """A data file that parses but holds no examples (e.g. only a header)."""
    return DataError(f"{path} holds no examples (no data lines). Download or generate it "
                     "again.")


def malformed(path: str, line: int, problem: str) -> DataError:
    return DataError(f"{path}, line {line}: {problem}. The file is malformed; download or "
                     f"generate it again.")
