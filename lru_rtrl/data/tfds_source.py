"""Reads a whole tensorflow-datasets split into numpy arrays, offline and failing fast.

tensorflow-datasets is imported only here and only when a split is read; iteration later is
pure numpy. We never download: a dataset that is not prepared under `data_dir` raises a
`DataError` at once with the command that prepares it (run where there is internet).
"""

from __future__ import annotations

import os
from typing import Dict, Optional

import numpy as np

from lru_rtrl.data.base import DataError

_CHUNK = 1024  # Examples per tf.data batch while reading a split into memory.


def how_to_prepare(name: str, data_dir: Optional[str]) -> str:
    target = f", data_dir={data_dir!r}" if data_dir else ""
    return (
        f"Prepare it once on a machine with internet access: "
        f"python -c \"import tensorflow_datasets as tfds; tfds.builder('{name}'{target})"
        f".download_and_prepare()\" (or `tfds build {name}"
        f"{' --data_dir ' + data_dir if data_dir else ''}`), then copy the "
        f"{name}/ folder into the data_dir of this config "
        f"({data_dir or 'default: $TFDS_DATA_DIR or ~/tensorflow_datasets'}).")


def load_split(name: str, split: str, data_dir: Optional[str]) -> Dict[str, np.ndarray]:
    """Every example of `split` of tfds dataset `name`, as a dict of numpy arrays [N, ...].

    Text features come back as an object array of `bytes`.
    """
    data_dir = os.path.expanduser(data_dir) if data_dir else None
    try:
        import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        raise DataError(
            f"Reading {name!r} needs tensorflow-datasets: pip install tensorflow-datasets "
            f"tensorflow-cpu ({error}).") from error
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # pylint: disable=broad-except
        raise DataError(f"tensorflow-datasets cannot build {name!r}: {error}. "
                        f"{how_to_prepare(name, data_dir)}") from error
    try:
        # `as_dataset` reads only prepared files; it never downloads, so offline it fails
        # at once (tfds raises AssertionError for a dataset that is not prepared). Fixed-size
        # chunks rather than batch_size=-1, which also works under tfds.testing.mock_data.
        dataset = builder.as_dataset(split=split, batch_size=_CHUNK, shuffle_files=False)
    except (AssertionError, FileNotFoundError) as error:
        raise DataError(
            f"tensorflow-datasets dataset {name!r} is not prepared under "
            f"{data_dir or 'the default data_dir'} (looked in {builder.data_dir}). "
            f"{how_to_prepare(name, data_dir)}") from error
    except ValueError as error:
        raise DataError(f"tensorflow-datasets dataset {name!r} has no split {split!r}: "
                        f"{error}") from error
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
