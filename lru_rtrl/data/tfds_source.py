"""Reads a whole tensorflow-datasets split into numpy arrays; prepares it first if needed.

tensorflow-datasets is imported only here and only when a split is read; iteration later is
pure numpy. A dataset that is not prepared under `data_dir` is downloaded and prepared there
on first use (`download=True`, the tasks' `data.download`), with tfds's own machinery and
progress bars: `builder.download_and_prepare`, from the dataset's source URLs (not from
Google Cloud Storage's prepared copies), sizes and checksums checked by tfds against its
registered ones. The source hosts are probed first (`lru_rtrl.data.network`): offline, the
run stops within seconds with one line saying which host did not answer, instead of tfds's
minutes of retries. With `download=False` nothing is fetched: a dataset that is not prepared
raises a `DataError` at once with the command that prepares it (run where there is
internet).
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from typing import Dict, Optional

import numpy as np

from lru_rtrl.data import network
from lru_rtrl.data.base import DataError
from lru_rtrl.progress import size

_CHUNK = 1024  # Examples per tf.data batch while reading a split into memory.


def how_to_prepare(name: str, data_dir: Optional[str]) -> str:
    target = f", data_dir={data_dir!r}" if data_dir else ""
    return (
        f"Prepare it once on a machine with internet access: "
        f"python -m lru_rtrl.data.download {name}"
        f"{' --data_dir=' + data_dir if data_dir else ''} (or `tfds build {name}"
        f"{' --data_dir ' + data_dir if data_dir else ''}`, or python -c \"import "
        f"tensorflow_datasets as tfds; tfds.builder('{name}'{target}).download_and_prepare()\"), "
        f"then copy the {name}/ folder into the data_dir of this config "
        f"({data_dir or 'default: $TFDS_DATA_DIR or ~/tensorflow_datasets'}).")


def _import_tfds(name: str):
    try:
        import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        raise DataError(
            f"Reading {name!r} needs tensorflow-datasets: pip install tensorflow-datasets "
            f"tensorflow-cpu ({error}).") from error
    return tfds


def _builder(tfds, name: str, data_dir: Optional[str]):
    try:
        return tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # pylint: disable=broad-except
        raise DataError(f"tensorflow-datasets cannot build {name!r}: {error}. "
                        f"{how_to_prepare(name, data_dir)}") from error


def source_urls(builder) -> Dict[str, int]:
    """{url: size in bytes} of what preparing `builder` downloads, as tfds registers it
    (its checksums file); empty when tfds does not know."""
    infos = builder.url_infos or {}
    return {url: int(info.size) for url, info in infos.items()}


def prepare(builder, data_dir: Optional[str], stream=None) -> None:
    """Downloads and prepares `builder`'s dataset under its data_dir (tfds's progress bars).

    Probes the source hosts first; raises a one-line `DataError` when they do not answer
    or when tfds fails (a broken download, a checksum that differs from tfds's record).
    """
    name = builder.name
    urls = source_urls(builder)
    where = f"{builder.data_dir}"
    hosts = sorted({urllib.parse.urlsplit(u).hostname or u for u in urls})
    not_prepared = (f"tensorflow-datasets dataset {name!r} is not prepared under "
                    f"{data_dir or 'the default data_dir'} (looked in {where})")
    web = [u for u in urls if urllib.parse.urlsplit(u).scheme in ("http", "https", "ftp")]
    reason = network.unreachable(web) if web else None
    if reason is not None:
        raise DataError(
            f"{not_prepared}, and it cannot be downloaded from here: {reason} (this machine "
            f"seems to be offline). {how_to_prepare(name, data_dir)} "
            f"--config.data.download=False skips the download attempt.")
    total = sum(urls.values())
    what = f" ({size(total)} from {', '.join(hosts)})" if total else ""
    stream = stream if stream is not None else sys.stderr
    stream.write(f"Downloading tensorflow-datasets {name!r}{what} and preparing it in {where} "
                 f"(once; data.download=False turns this off)\n")
    stream.flush()
    tfds = _import_tfds(name)
    try:
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
            try_download_gcs=False))
    except Exception as error:  # pylint: disable=broad-except
        message = " ".join(str(error).split())  # tfds's messages span lines
        raise DataError(
            f"Downloading and preparing tensorflow-datasets {name!r} in {where} failed: "
            f"{type(error).__name__}: {message[:500]}. Run again to retry (tfds reuses what "
            f"it downloaded). {how_to_prepare(name, data_dir)}") from error


def _read(builder, name: str, split: str, data_dir: Optional[str]):
    """The tf.data dataset of `split`, or the DataError of a dataset that is not prepared."""
    try:
        # `as_dataset` reads only prepared files; it never downloads (tfds raises
        # AssertionError at once for a dataset that is not prepared). Fixed-size chunks
        # rather than batch_size=-1, which also works under tfds.testing.mock_data.
        return builder.as_dataset(split=split, batch_size=_CHUNK, shuffle_files=False)
    except (AssertionError, FileNotFoundError) as error:
        raise NotPrepared(
            f"tensorflow-datasets dataset {name!r} is not prepared under "
            f"{data_dir or 'the default data_dir'} (looked in {builder.data_dir}). "
            f"{how_to_prepare(name, data_dir)}") from error
    except ValueError as error:
        raise DataError(f"tensorflow-datasets dataset {name!r} has no split {split!r}: "
                        f"{error}") from error


class NotPrepared(DataError):
    """A tfds dataset that is not prepared under its data_dir."""


def ensure_prepared(name: str, data_dir: Optional[str]) -> str:
    """Prepares tfds dataset `name` under `data_dir` unless it is; returns its folder."""
    data_dir = os.path.expanduser(data_dir) if data_dir else None
    tfds = _import_tfds(name)
    builder = _builder(tfds, name, data_dir)
    try:
        _read(builder, name, "train", data_dir)  # builds a tf.data pipeline, reads nothing
    except NotPrepared:
        prepare(builder, data_dir)
    return builder.data_dir


def load_split(name: str, split: str, data_dir: Optional[str],
               download: bool = True) -> Dict[str, np.ndarray]:
    """Every example of `split` of tfds dataset `name`, as a dict of numpy arrays [N, ...].

    Prepares the dataset first when it is not and `download` is on. Text features come back
    as an object array of `bytes`.
    """
    data_dir = os.path.expanduser(data_dir) if data_dir else None
    tfds = _import_tfds(name)
    builder = _builder(tfds, name, data_dir)
    try:
        dataset = _read(builder, name, split, data_dir)
    except NotPrepared:
        if not download:
            raise
        prepare(builder, data_dir)
        builder = _builder(tfds, name, data_dir)  # with the prepared dataset_info
        dataset = _read(builder, name, split, data_dir)
    try:
        chunks = list(tfds.as_numpy(dataset))
    except Exception as error:  # pylint: disable=broad-except
        raise DataError(f"Reading the {split} split of tensorflow-datasets dataset {name!r} in "
                        f"{builder.data_dir} failed: {error}. The prepared files may be damaged; "
                        f"prepare the dataset again.") from error
    if not chunks:
        raise DataError(f"The {split} split of tensorflow-datasets dataset {name!r} in "
                        f"{builder.data_dir} is empty.")
    return {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}
