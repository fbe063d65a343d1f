"""Downloads one large file over HTTP(S) to a temporary name: free-disk check, progress,
resume, and the size and checksum the server publishes.

    result = fetch.download(url, "DIR/lra_release.gz.part", label="lra_release.gz")
    ...                     # the caller checks the content, then
    fetch.commit(result, "DIR/lra_release.gz")

`download` returns once `path` holds the whole file and it matches what the server says of
it: its length (`Content-Length`, or the total of `Content-Range`) and, where one is sent,
its MD5 (`x-goog-hash: md5=...` from Google Cloud Storage, which describes the whole object
even in a partial answer; `Content-MD5` of a full answer). A file that does not match is
deleted. Nothing here gives the file its final name: `commit` does, after the caller's own
checks, so a file under the final name is always a verified one.

Resume: an interrupted transfer (a dropped connection, a killed process) leaves the bytes
received in `path` and what the server said (validators, total, published MD5) in
`path + ".json"`. The next call asks only for the rest (`Range: bytes=N-`, with `If-Range`,
so that a file changed on the server is sent whole rather than spliced onto the old bytes);
a server that ignores ranges answers with the whole file and the download starts over.
Within one call a dropped connection is resumed up to `attempts` times. The bytes already
there are read once when a call resumes, to continue the checksums.

`url` may also be a `file://` URL or a plain path (a copy on a shared disk).

Before any byte is written the free space of the folder is checked against what remains to
fetch (plus `reserve`). Standard library only (urllib).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import http.client
import json
import os
import pathlib
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from lru_rtrl.data import network
from lru_rtrl.data.base import DataError
from lru_rtrl.progress import ProgressBar, size

_CHUNK = 1 << 20
RETRY_DELAY = 1.0  # seconds before the first resumption of a broken transfer; doubles
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@dataclasses.dataclass(frozen=True)
class Result:
    """A downloaded file: where, how large, its digests and what the server published."""
    path: str
    size: int
    sha256: str
    md5: str
    published_md5: Optional[str]   # hex, when the server sent one (then equal to md5)


def state_path(path: str) -> str:
    """Where what the server said about a partial download is kept."""
    return path + ".json"


def discard(path: str) -> None:
    """Removes a temporary download and its state (nothing when absent)."""
    for name in (path, state_path(path)):
        if os.path.exists(name):
            os.remove(name)


def commit(result: Result, final: str) -> None:
    """Gives a verified download its final name (atomic on one file system)."""
    os.replace(result.path, final)
    if os.path.exists(state_path(result.path)):
        os.remove(state_path(result.path))


def published_md5(headers: Any, partial: bool) -> Optional[str]:
    """The MD5 (hex) of the whole file that the response headers publish, if any."""
    for value in headers.get_all("x-goog-hash") or []:
        for item in value.split(","):
            key, _, encoded = item.strip().partition("=")
            if key == "md5":
                try:
                    return base64.b64decode(encoded, validate=True).hex()
                except (binascii.Error, ValueError):
                    return None
    content_md5 = headers.get("Content-MD5")
    if content_md5 and not partial:  # of the body: the whole file only in a full answer
        try:
            return base64.b64decode(content_md5, validate=True).hex()
        except (binascii.Error, ValueError):
            return None
    return None


def _load_state(path: str, url: str) -> Dict[str, Any]:
    try:
        with open(state_path(path), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if state.get("url") == url else {}


def _save_state(path: str, state: Dict[str, Any]) -> None:
    with open(state_path(path), "w", encoding="utf-8") as handle:
        json.dump(state, handle)


def _hash_prefix(path: str, count: int):
    """sha256 and md5 of the first `count` bytes of `path` (the part already fetched)."""
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as handle:
        left = count
        while left > 0:
            block = handle.read(min(_CHUNK, left))
            if not block:
                break
            sha256.update(block)
            md5.update(block)
            left -= len(block)
    return sha256, md5


def _check_disk(directory: str, needed: int, url: str, advice: str) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise DataError(
            f"Not enough free disk space in {directory} to download {url}: it needs "
            f"{size(needed)}, {size(free)} are free. Free some space or choose another folder "
            f"(data.data_dir / --data_dir).{' ' + advice if advice else ''}")


def _open(url: str, have: int, state: Dict[str, Any], timeout: float):
    headers = {"User-Agent": "lru_rtrl"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = state.get("etag") or state.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                  timeout=timeout)


def check_reachable(url: str, advice: str = "") -> None:
    """Raises a one-line `DataError` within seconds when the host of `url` does not answer
    (`lru_rtrl.data.network`); nothing for URLs that are not on the network (file://)."""
    if urllib.parse.urlsplit(url).scheme in ("http", "https", "ftp"):
        reason = network.unreachable([url])
        if reason is not None:
            raise DataError(f"Cannot download {url}: {reason}; this machine seems to be "
                            f"offline or the host is down.{' ' + advice if advice else ''}")


def download(url: str, path: str, *, label: str = "", reserve: int = 0, attempts: int = 3,
             timeout: float = 30.0, advice: str = "", note: str = "", stream=None) -> Result:
    """Fetches `url` into `path` (a temporary name), resuming what an earlier call left.

    Raises `DataError` (with `advice` appended) when the host cannot be reached (within
    seconds), the server refuses, the disk is too small, the transfer keeps breaking (the
    bytes received stay for the next call), or the file differs from its published size or
    MD5 (then it is deleted). `note` is written (to `stream`, default stderr) once the host
    answers, before the transfer.
    """
    suffix = f" {advice}" if advice else ""
    if not urllib.parse.urlsplit(url).scheme:  # a plain path
        url = pathlib.Path(os.path.abspath(os.path.expanduser(url))).as_uri()
    check_reachable(url, advice)
    if note:
        (stream or sys.stderr).write(note + "\n")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    state = _load_state(path, url)
    if not state and os.path.exists(path):
        os.remove(path)  # bytes of another URL, or of an unknown source: start over
    label = label or os.path.basename(path)
    problem = ""
    sha256 = md5 = None
    have = -1
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(RETRY_DELAY * 2 ** (attempt - 1), 5.0))
        current = os.path.getsize(path) if os.path.exists(path) else 0
        if have != current or sha256 is None:
            have = current
            sha256, md5 = _hash_prefix(path, have) if have else (hashlib.sha256(),
                                                                 hashlib.md5())
        if have and have == state.get("total"):
            break  # complete already (an earlier call stopped before the checks)
        try:
            response = _open(url, have, state, timeout)
        except urllib.error.HTTPError as error:
            if error.code == 416 and have:  # our bytes are not a prefix of the file any more
                discard(path)
                state, have = {"url": url}, -1
                problem = "the server refused the resumed range"
                continue
            raise DataError(f"Cannot download {url}: the server answers HTTP {error.code} "
                            f"({error.reason}). Check the URL.{suffix}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            problem = str(getattr(error, "reason", error))
            continue
        with response:
            partial = response.status == 206
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if partial and (not match or int(match.group(1)) != have):
                discard(path)  # an answer we cannot place: start over
                state, have = {"url": url}, -1
                problem = "the server answered a range other than the one asked for"
                continue
            if not partial and have:  # the whole file again (no ranges, or it changed)
                have, sha256, md5 = 0, hashlib.sha256(), hashlib.md5()
            total = int(match.group(3)) if partial else int(
                response.headers.get("Content-Length") or -1)
            if total < 0:
                raise DataError(f"Cannot download {url}: the server does not say how large "
                                f"the file is (no Content-Length), so it cannot be checked "
                                f"or resumed.{suffix}")
            state = dict(url=url, total=total, etag=response.headers.get("ETag"),
                         last_modified=response.headers.get("Last-Modified"),
                         published_md5=published_md5(response.headers, partial)
                         or state.get("published_md5"))
            _check_disk(os.path.dirname(os.path.abspath(path)), total - have + reserve, url,
                        advice)
            _save_state(path, state)
            bar = ProgressBar(total, label, unit="B", initial=have, stream=stream)
            problem = ""
            try:
                with open(path, "ab" if have else "wb") as out:
                    while have < total:
                        try:
                            block = response.read(min(_CHUNK, total - have))
                        except (OSError, http.client.HTTPException) as error:
                            problem = f"the connection broke ({type(error).__name__}: {error})"
                            break
                        if not block:
                            break
                        out.write(block)
                        sha256.update(block)
                        md5.update(block)
                        have += len(block)
                        bar.update(have)
            except OSError as error:  # writing: the disk, not the network
                raise DataError(f"Writing {path} failed: {error}. Fix that and run again to "
                                f"resume.{suffix}") from None
            if have < total:
                problem = problem or (f"the connection closed at {size(have)} of "
                                      f"{size(total)}")
                continue
            bar.done()
            break
    else:
        received = os.path.getsize(path) if os.path.exists(path) else 0
        raise DataError(f"Downloading {url} stopped after {attempts} attempts with "
                        f"{size(received)} of {size(state.get('total', 0) or 0)} received "
                        f"({problem}). Run the same command again to resume from there."
                        f"{suffix}")
    result = Result(path=path, size=have, sha256=sha256.hexdigest(), md5=md5.hexdigest(),
                    published_md5=state.get("published_md5"))
    if result.published_md5 and result.published_md5 != result.md5:
        discard(path)
        raise DataError(f"The download of {url} is damaged: its MD5 is {result.md5}, the "
                        f"server publishes {result.published_md5}. It was deleted; run again "
                        f"to download it again.{suffix}")
    return result
