"""`pathfinder` (LRA, 32 x 32 -> 1,024 steps) and `pathx` (128 x 128 -> 16,384 steps).

Are the two marked dots joined by a path? Files of the LRA release (downloaded into
data.data_dir on first use when data.download is on; only the folder read is extracted):
`pathfinder{32,64,128,256}/{curv_baseline,curv_contour_length_9,curv_contour_length_14}/`
with `metadata/*.npy` files that are in fact text: one line per image, space-separated,
field 0 the image folder (e.g. `imgs/0`), field 1 the PNG name, field 3 the label (0/1).
Images are grayscale PNGs.

`data.difficulty` picks the folder: easy (curv_baseline), intermediate
(curv_contour_length_9) or hard (curv_contour_length_14, LRA's choice and the default),
or a folder name directly; `data.resolution` picks pathfinder32/64/128/256. The release
has no splits: all metadata lines (files in numeric order) are split with the data seed into
test (`test_fraction` of all images), validation (`val_fraction` of all images) and train:
80/10/10 by default, the paper's code's split (its seed-42 draw cannot be matched: another
random generator). Pixels are read row-major, one per step, scaled to [-1, 1] by default
(`normalize = symmetric`).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
from typing import Dict, List, Tuple

import numpy as np

from lru_rtrl.data import images, lra_files, lra_release, pipeline
from lru_rtrl.data.base import DataError
from lru_rtrl.registry import TASKS

DIFFICULTIES = {"easy": "curv_baseline", "intermediate": "curv_contour_length_9",
                "hard": "curv_contour_length_14"}
RESOLUTIONS = (32, 64, 128, 256)


def difficulty_folder(difficulty: str) -> str:
    if difficulty in DIFFICULTIES:
        return DIFFICULTIES[difficulty]
    if difficulty in DIFFICULTIES.values():
        return difficulty
    raise DataError(f"data.difficulty must be one of {', '.join(DIFFICULTIES)} (or a folder "
                    f"name {', '.join(DIFFICULTIES.values())}), got {difficulty!r}.")


def _numeric_order(name: str) -> Tuple[int, str]:
    match = re.match(r"(\d+)", name)
    return (int(match.group(1)) if match else 1 << 62, name)


def read_metadata(directory: str) -> List[Tuple[str, int, str, int]]:
    """(image path, label, metadata file, line) for every line of `directory/metadata/*.npy`."""
    metadata_dir = os.path.join(directory, "metadata")
    names = sorted((n for n in os.listdir(metadata_dir) if n.endswith(".npy")),
                   key=_numeric_order)
    if not names:
        raise DataError(f"{metadata_dir} holds no metadata .npy files. {lra_files.HOW_TO_GET}")
    entries = []
    for name in names:
        path = os.path.join(metadata_dir, name)
        for number, line in lra_files.numbered_lines(path):
            fields = line.split()
            if len(fields) < 4:
                raise lra_files.malformed(path, number, f"expected at least 4 space-separated "
                                          f"fields (folder, png, _, label), found {len(fields)}")
            try:
                label = int(fields[3])
            except ValueError:
                raise lra_files.malformed(
                    path, number, f"the label {fields[3][:20]!r} is not an integer") from None
            if label not in (0, 1):
                raise lra_files.malformed(path, number, f"the label {label} is not 0 or 1")
            try:
                image = os.path.join(directory, fields[0].decode(), fields[1].decode())
            except UnicodeDecodeError:
                raise lra_files.malformed(path, number, "the image path is not text") from None
            entries.append((image, label, path, number))
    return entries


def read_png(path: str, resolution: int, origin: str) -> np.ndarray:
    """A grayscale PNG as [resolution, resolution] uint8."""
    from PIL import Image  # pylint: disable=import-outside-toplevel
    try:
        with Image.open(path) as image:
            if image.mode != "L":
                image = image.convert("L")
            pixels = np.asarray(image, np.uint8)
    except FileNotFoundError:
        raise DataError(f"{origin} names the image {path}, which does not exist. The release "
                        f"is incomplete; extract it again. {lra_files.HOW_TO_GET}") from None
    except OSError as error:
        raise DataError(f"{path} (named by {origin}) is not a readable PNG: {error}") from None
    if pixels.shape != (resolution, resolution):
        raise DataError(f"{path} (named by {origin}) is {pixels.shape[1]}x{pixels.shape[0]}, "
                        f"expected {resolution}x{resolution}.")
    return pixels


def read_images(entries, resolution: int, workers: int) -> np.ndarray:
    """Decodes every image of `entries` ([N, res, res] uint8), in threads (PIL drops the GIL)."""
    pixels = np.zeros((len(entries), resolution, resolution), np.uint8)

    def decode(index: int) -> None:
        image, _, path, number = entries[index]
        pixels[index] = read_png(image, resolution, f"{path}, line {number}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        for _ in pool.map(decode, range(len(entries)), chunksize=256):
            pass
    return pixels


def release_part(subdir: str) -> lra_release.Part:
    """What the loader reads of the LRA release for `subdir`, e.g.
    pathfinder32/curv_contour_length_14: every file (metadata and the PNGs)."""
    return lra_release.Part(subdir, required=("metadata",))


@TASKS.register("pathfinder")
class Pathfinder(images.ImageTask):
    """LRA Pathfinder, one pixel per step, 2 classes."""

    NAME = "pathfinder"
    NUM_CLASSES = 2
    CHANNELS = 1
    about = dict(T="1024 (32x32)", input="1 pixel (real)", classes="2",
                 data="LRA `pathfinder32/<difficulty>/`: metadata + PNGs",
                 get="arrives by itself on first use (LRA release `lra_release.gz`)")

    @staticmethod
    def default_config():
        return Pathfinder._config("pathfinder", 32)

    @staticmethod
    def _config(task: str, resolution: int):
        return images.image_config(
            task, data_dir="lra_release", download=True, resolution=resolution,
            difficulty="hard",
            normalize="symmetric", val_fraction=0.1, test_fraction=0.1,
            workers=0)  # 0: one decoding thread per CPU core

    def __init__(self, data_config=None):
        super().__init__(data_config)
        if self.config.resolution not in RESOLUTIONS:
            raise DataError(f"data.resolution must be one of {RESOLUTIONS}, got "
                            f"{self.config.resolution}.")
        difficulty_folder(self.config.difficulty)

    def image_shape(self) -> Tuple[int, int, int]:
        return self.config.resolution, self.config.resolution, 1

    def _read(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        config = self.config
        subdir = f"pathfinder{config.resolution}/{difficulty_folder(config.difficulty)}"
        directory = lra_files.find_dir(
            self.NAME, config.data_dir, subdir, ["metadata"],
            fetch=lra_release.fetcher(self.NAME, config.data_dir, release_part(subdir),
                                      config.download))
        entries = read_metadata(directory)
        pixels = read_images(entries, config.resolution, config.workers or os.cpu_count() or 1)
        labels = np.asarray([label for _, label, _, _ in entries], np.int64)
        if config.val_fraction + config.test_fraction >= 1.0:
            raise DataError(f"{self.NAME}: data.val_fraction + data.test_fraction must be below "
                            f"1 (both are fractions of all images), got {config.val_fraction} + "
                            f"{config.test_fraction}.")
        rest, test = pipeline.holdout(len(labels), config.test_fraction, config.seed)
        # val_fraction of *all* images: a fraction val / (1 - test) of the rest.
        kept, held = pipeline.holdout(len(rest), config.val_fraction / (1 - config.test_fraction),
                                      config.seed + 1)
        train, validation = rest[kept], rest[held]
        if len(test) == 0 or len(train) == 0:
            raise DataError(f"{self.NAME}: {len(labels)} images are too few to split into "
                            f"train and test (test_fraction {config.test_fraction}).")
        splits = {"train": (pixels[train], labels[train]), "test": (pixels[test], labels[test])}
        if config.val_fraction > 0:  # else validation is evaluated on test (ImageTask)
            splits["validation"] = (pixels[validation], labels[validation])
        return splits


@TASKS.register("pathx")
class PathX(Pathfinder):
    """LRA Path-X: Pathfinder at 128 x 128, hard split, 16,384 steps."""

    NAME = "pathx"
    about = dict(T="16384 (128x128)", input="1 pixel (real)", classes="2",
                 data="LRA `pathfinder128/curv_contour_length_14/`: metadata + PNGs",
                 get="arrives by itself on first use (LRA release `lra_release.gz`)")

    @staticmethod
    def default_config():
        return Pathfinder._config("pathx", 128)
