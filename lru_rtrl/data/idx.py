"""Reader and writer of the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed).

An IDX file is a big-endian header followed by the raw array:

  bytes 0-1   zero
  byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
              0x0E float64
  byte  3     number of dimensions d
  then d big-endian uint32 sizes, then the elements in row-major order.
"""

from __future__ import annotations

import gzip
import os
from typing import Dict, Optional, Sequence

import numpy as np

from lru_rtrl.data.base import DataError

_TYPES = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"

# The file names of the MNIST distribution (Fashion-MNIST and tfds' downloads use them too).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str) -> np.ndarray:
    """The array stored in IDX file `path` (gzip detected from its content)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise DataError(f"Cannot read IDX file {path}: {error}") from error
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"IDX file {path} is a damaged gzip file: {error}. "
                            f"Download it again.") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()}).")
    dtype = _TYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"IDX file {path} is truncated inside its header.")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"IDX file {path} holds {len(raw) - header} data bytes but its header {shape} "
            f"announces {expected}; the file is truncated or damaged. Download it again.")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray, *, compress: Optional[bool] = None) -> None:
    """Writes `array` as an IDX file (gzip when `compress`, default: `path` ends in .gz)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + array.astype(_TYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    with open(path, "wb") as handle:
        handle.write(gzip.compress(payload, compresslevel=1) if compress else payload)


def find_idx_file(directory: str, stem: str) -> Optional[str]:
    """`directory/stem.gz` or `directory/stem`, whichever exists."""
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def read_mnist_directory(directory: str, *, what: str, how_to_get: str,
                         splits: Sequence[str] = ("train", "test"),
                         ) -> Dict[str, Dict[str, np.ndarray]]:
    """Images [N, 28, 28] uint8 and labels [N] of an MNIST-format directory, per split.

    `what` names the dataset and `how_to_get` says what to do in the error raised when a
    file is missing.
    """
    result = {}
    for split in splits:
        image_stem, label_stem = MNIST_FILES[split]
        paths = [find_idx_file(directory, image_stem), find_idx_file(directory, label_stem)]
        missing = [stem for stem, path in zip((image_stem, label_stem), paths) if path is None]
        if missing:
            if os.path.isdir(directory):
                found = "it contains: " + (", ".join(sorted(os.listdir(directory))[:10]) or
                                           "nothing")
            else:
                found = "no such directory"
            raise DataError(
                f"{what}: {', '.join(m + '[.gz]' for m in missing)} not found in {directory!r} "
                f"({found}). {how_to_get}")
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(
                f"{what}: {paths[0]} holds an array {images.shape} and {paths[1]} an array "
                f"{labels.shape}; expected [N, H, W] images and [N] labels.")
        result[split] = {"image": images, "label": labels}
    return result
