"""The Long Range Arena release: downloaded once, verified, and only what the loaders read
extracted.

    python -m lru_rtrl.data.download lra --data_dir=lra_release     # the command
    # or the first use of listops / aan / pathfinder / pathx with data.download on

The release is one gzipped tar (`lra_release.gz`, several GB) at `LRA_URL`; the environment
variable `LRU_RTRL_LRA_URL` (or the command's `--url`) names another copy: a mirror's URL,
or a path on a shared disk. In `data_dir` it leaves

    lra_release.gz            the verified archive, kept: the parts of other tasks are
                              extracted from it on their first use (delete it when done)
    lra_release.gz.sha256     its SHA-256, recorded when it was first verified; checked
                              whenever the archive is read again, so later damage is found
    listops-1000/  tsv_data/  pathfinder32/curv_contour_length_14/  ...
                              the parts asked for (`Part`), each with only the files the
                              loaders read; `data.data_dir = data_dir` then finds them

How the archive is verified, in order: (1) its length against the server's
`Content-Length` (all of it arrived); (2) its MD5 against the one the server publishes, when
it publishes one (`x-goog-hash` on Google Cloud Storage); (3) the whole gzip stream is read,
so its CRC-32 and length trailer are checked, and every tar header parses; (4) every file
that the asked-for parts need is in it. Only then does the download get its final name and
its SHA-256 recorded. A file that fails is deleted with a one-line `DataError`; extracted
files go to a temporary folder first and each part is renamed into place whole, so neither
a partial archive nor a partial part ever looks complete.

Where a part lies inside the archive is found by name: the part's folder (e.g.
`listops-1000/`) under any prefix; when the archive holds it under several prefixes (the
LRA authors' own setup script reads `lra_release/lra_release/...`), the most deeply nested
complete copy is used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from lru_rtrl.data import fetch, lra_files
from lru_rtrl.data.base import DataError
from lru_rtrl.progress import ProgressBar, size

URL_ENV = "LRU_RTRL_LRA_URL"
ARCHIVE = "lra_release.gz"
SHA256_SUFFIX = ".sha256"
_MARGIN = 64 << 20  # bytes kept free while extracting


@dataclasses.dataclass(frozen=True)
class Part:
    """A folder of the release that a loader reads, and what of it to extract.

    subdir    the folder, relative to the release root (e.g. "listops-1000")
    files     the only files to extract from it (None: every file under it)
    required  names under `subdir` that must be there (a folder: not empty)
    """
    subdir: str
    files: Optional[Tuple[str, ...]] = None
    required: Tuple[str, ...] = ()

    def wants(self, relative: str) -> bool:
        """Whether the file `relative` (to `subdir`) is extracted."""
        return self.files is None or relative in self.files

    def missing(self, directory: str) -> List[str]:
        """The required names that `directory` (a copy of `subdir`) lacks."""
        names = self.required or self.files or ()
        result = []
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.exists(path) or (os.path.isdir(path) and not os.listdir(path)):
                result.append(name)
        return result


def url() -> str:
    """The release's URL: $LRU_RTRL_LRA_URL when set, else the LRA authors' copy."""
    return os.environ.get(URL_ENV) or lra_files.LRA_URL


def how_to_download(data_dir: str) -> str:
    """What to run where there is internet, for the folder `data_dir`."""
    return (f"On a machine with internet run `python -m lru_rtrl.data.download lra "
            f"--data_dir={data_dir}` and copy that folder here (or {lra_files.HOW_TO_GET_BY_HAND}); "
            f"--config.data.download=False never tries to download.")


class DamagedArchive(DataError):
    """The archive's bytes are not a whole, unchanged gzipped tar."""


class MissingParts(DamagedArchive):
    """A whole gzipped tar that lacks a folder asked for (the wrong file, or a folder the
    release does not have)."""


@contextlib.contextmanager
def _lock(directory: str) -> Iterator[None]:
    """One process at a time fetches into `directory` (hosts sharing a file system)."""
    try:
        import fcntl  # pylint: disable=import-outside-toplevel
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(os.path.join(directory, ".lra_release.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _locate(name: str, parts: Sequence[Part]) -> Optional[Tuple[str, Part, str]]:
    """(prefix, part, path relative to the part) of archive member `name`, if a part wants
    it. The prefix is what comes before the part's folder (e.g. "lra_release/lra_release/")."""
    if name.startswith("/") or any(piece in ("..", ".", "") for piece in name.split("/")):
        return None  # nothing outside the part's folder is ever written
    for part in parts:
        folder = part.subdir.strip("/")
        if name.startswith(folder + "/"):
            start = 0
        else:
            start = name.find("/" + folder + "/") + 1
            if start == 0:
                continue
        relative = name[start + len(folder) + 1:]
        if relative and part.wants(relative):
            return name[:start], part, relative
    return None


class _CountingReader:
    """A binary file that counts and hashes what is read from it (the compressed bytes)."""

    def __init__(self, handle):
        self.handle = handle
        self.count = 0
        self.sha256 = hashlib.sha256()

    def read(self, amount: int = -1) -> bytes:
        block = self.handle.read(amount)
        self.count += len(block)
        self.sha256.update(block)
        return block

    def readable(self) -> bool:
        return True


def _check_room(directory: str, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed + _MARGIN:
        raise DataError(f"Not enough free disk space in {directory} to extract the LRA release: "
                        f"the next file needs {size(needed)} and {size(_MARGIN)} are kept "
                        f"free, {size(free)} are free. Free some space and run again (the "
                        f"archive is kept, it is not downloaded again).")


def extract(archive: str, data_dir: str, parts: Sequence[Part], *,
            expected_sha256: Optional[str] = None, stream=None, label: str = "") -> str:
    """Reads the whole archive once and moves each part of `parts` into `data_dir`.

    Returns the archive's SHA-256. Raises `DamagedArchive` when the gzip or tar stream is
    broken, the SHA-256 differs from `expected_sha256`, or a part is incomplete in it;
    nothing is left in `data_dir` then (a part already there is never touched).
    """
    os.makedirs(data_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".lra_extract-", dir=data_dir)
    prefixes: Dict[str, str] = {}  # archive prefix -> its folder under `work`
    try:
        total = os.path.getsize(archive)
        bar = ProgressBar(total, f"extracting {label or os.path.basename(archive)}",
                          unit="B", stream=stream)
        with open(archive, "rb") as raw:
            reader = _CountingReader(raw)
            try:
                with gzip.GzipFile(fileobj=reader, mode="rb") as unzipped:
                    with tarfile.open(fileobj=unzipped, mode="r|") as tar:
                        for member in tar:
                            bar.update(reader.count)
                            found = _locate(member.name, parts) if member.isfile() else None
                            if found is None:
                                continue
                            prefix, part, relative = found
                            root = prefixes.setdefault(
                                prefix, os.path.join(work, str(len(prefixes))))
                            target = os.path.join(root, part.subdir, relative)
                            os.makedirs(os.path.dirname(target), exist_ok=True)
                            _check_room(data_dir, member.size)
                            source = tar.extractfile(member)
                            with open(target, "wb") as out:
                                shutil.copyfileobj(source, out, 1 << 20)
                    # Read to the end, so that gzip checks its CRC-32 and length trailer.
                    while unzipped.read(1 << 20):
                        pass
                while reader.read(1 << 20):  # bytes after the gzip stream: hashed too
                    pass
            except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
                if isinstance(error, OSError) and error.errno is not None:
                    # Disk full, permissions: the archive is not at fault, and is kept.
                    raise DataError(f"Extracting {archive} into {data_dir} failed: {error}. "
                                    f"Fix that and run again (the archive is kept).") from None
                raise DamagedArchive(
                    f"{archive} is damaged: {type(error).__name__}: {error}.") from None
        bar.done()
        digest = reader.sha256.hexdigest()
        if expected_sha256 and digest != expected_sha256:
            raise DamagedArchive(
                f"{archive} changed since it was verified: its SHA-256 is {digest}, "
                f"{expected_sha256} was recorded in {archive + SHA256_SUFFIX}.")
        chosen = []
        for part in parts:
            # The most deeply nested complete copy (see the module docstring).
            candidates = sorted(prefixes, key=lambda p: -p.count("/"))
            copies = [os.path.join(prefixes[p], part.subdir) for p in candidates]
            complete = [c for c in copies if os.path.isdir(c) and not part.missing(c)]
            if not complete:
                seen = sorted({p.rstrip("/") or "." for p in prefixes})
                raise MissingParts(
                    f"{archive} holds no complete {part.subdir}/ (it needs "
                    f"{', '.join(part.required or part.files or ('files',))}; parts found "
                    f"under: {', '.join(seen) or 'nothing'}). Is it the LRA release?")
            chosen.append((part, complete[0]))
        for part, source in chosen:
            target = os.path.join(data_dir, part.subdir)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(target) and not os.listdir(target):
                os.rmdir(target)
            os.rename(source, target)
        return digest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def read_sha256(archive: str) -> Optional[str]:
    """The SHA-256 recorded beside `archive`, if any."""
    try:
        with open(archive + SHA256_SUFFIX, encoding="utf-8") as handle:
            return handle.read().split()[0]
    except (OSError, IndexError):
        return None


def write_sha256(archive: str, digest: str) -> None:
    with open(archive + SHA256_SUFFIX, "w", encoding="utf-8") as handle:
        handle.write(f"{digest}  {os.path.basename(archive)}\n")


def ensure(data_dir: str, parts: Sequence[Part], *, source: Optional[str] = None,
           stream=None) -> List[str]:
    """Makes every part of `parts` present in `data_dir`, downloading the release if needed.

    Parts already there are left alone. Returns the subdirs that were extracted now.
    `source` is the URL (default `url()`). Every failure is a one-line `DataError`.
    """
    data_dir = os.path.abspath(os.path.expanduser(data_dir or "."))
    source = source or url()
    advice = how_to_download(data_dir)
    if not os.path.exists(os.path.join(data_dir, ARCHIVE)):
        fetch.check_reachable(source, advice)  # offline: fail before creating anything
    os.makedirs(data_dir, exist_ok=True)
    with _lock(data_dir):
        todo = [p for p in parts if p.missing(os.path.join(data_dir, p.subdir))]
        if not todo:
            return []
        archive = os.path.join(data_dir, ARCHIVE)
        if os.path.exists(archive):
            recorded = read_sha256(archive)
            try:
                digest = extract(archive, data_dir, todo, expected_sha256=recorded,
                                 stream=stream)
            except MissingParts:
                raise
            except DamagedArchive as error:
                raise DamagedArchive(f"{error} Delete {archive} (and {archive}"
                                     f"{SHA256_SUFFIX}) and run again to download it "
                                     f"again.") from None
            if recorded is None:  # an archive put here by hand: record it now
                write_sha256(archive, digest)
            return [p.subdir for p in todo]
        note = (f"Fetching the LRA release from {source} into {data_dir} (once; the folders "
                f"the loaders read are extracted from it; data.download=False turns this off)")
        result = fetch.download(source, archive + ".part", label=ARCHIVE, advice=advice,
                                note=note, stream=stream)
        try:
            digest = extract(result.path, data_dir, todo, expected_sha256=result.sha256,
                             stream=stream, label=ARCHIVE)
        except MissingParts as error:
            # A whole file, but not verified: it keeps its temporary name (nothing looks
            # complete), and a run that asks for folders it has needs no new download.
            raise MissingParts(f"The download of {source} failed verification: {error} It is "
                               f"kept as {result.path}, unverified.") from None
        except DamagedArchive as error:
            fetch.discard(result.path)
            raise DamagedArchive(f"The download of {source} failed verification: {error} It "
                                 f"was deleted; run again to download it again.") from None
        fetch.commit(result, archive)
        write_sha256(archive, digest)
        return [p.subdir for p in todo]


def fetcher(task: str, data_dir: str, part: Part, download: bool):
    """The `fetch` of `lra_files.find_dir` for `task` (None when `download` is off): puts
    `part` into `data_dir`, or raises a one-line `DataError` that names the task."""
    if not download:
        return None

    def fetch_part() -> None:
        where = os.path.abspath(os.path.expanduser(data_dir or "."))
        try:
            ensure(where, [part])
        except DataError as error:
            raise type(error)(f"Task {task!r}: the LRA data are not in {where}, and fetching "
                              f"the release failed: {error}") from error
    return fetch_part
