"""Writers of tiny data files in each real external format, for tests and offline demos.

Each writer produces exactly what the matching loader reads from a user's disk (MNIST IDX
files, a prepared tensorflow-datasets folder, LRA ListOps / AAN TSVs, Pathfinder metadata
and PNGs), filled with seeded random content. They let the real loaders, and the launcher
on every task, run offline; the content is noise, never a basis for accuracy claims.
"""

from __future__ import annotations

import os
import random
from typing import Dict, Optional, Sequence

import numpy as np

from lru_rtrl.data import aan, idx, listops_trees, pathfinder


def write_mnist_idx(directory: str, *, num_train: int = 20, num_test: int = 10, seed: int = 0,
                    compress: bool = True, size: int = 28) -> Dict[str, np.ndarray]:
    """The four MNIST IDX files; returns the arrays written (train/test images and labels)."""
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)
    arrays = {}
    suffix = ".gz" if compress else ""
    for split, count in (("train", num_train), ("test", num_test)):
        images = rng.integers(0, 256, (count, size, size), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        image_stem, label_stem = idx.MNIST_FILES[split]
        idx.write_idx(os.path.join(directory, image_stem + suffix), images)
        idx.write_idx(os.path.join(directory, label_stem + suffix), labels)
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return arrays


def write_tfds_prepared(name: str, data_dir: str, examples: Dict[str, Sequence[dict]]) -> str:
    """A prepared tensorflow-datasets folder for registered dataset `name` under `data_dir`.

    `examples` maps split names to lists of feature dicts in the dataset's own feature spec
    (e.g. {"image": uint8 [28, 28, 1], "label": int} for mnist). Writes the TFRecord shards
    and the dataset_info.json / features.json that `tfds.builder(...).as_dataset` reads.
    Returns the version folder.
    """
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel

    builder = tfds.builder(name, data_dir=data_dir)
    features = builder.info.features
    os.makedirs(builder.data_dir, exist_ok=True)
    split_infos = []
    for split, rows in examples.items():
        template = tfds.core.ShardedFileTemplate(
            data_dir=builder.data_dir, template="{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
            dataset_name=builder.name, split=split, filetype_suffix="tfrecord")
        path = os.path.join(builder.data_dir,
                            f"{builder.name}-{split}.tfrecord-00000-of-00001")
        with tf.io.TFRecordWriter(path) as writer:
            for number, row in enumerate(rows):
                if "id" in features.keys() and "id" not in row:  # cifar10 has an id feature.
                    row = dict(row, id=f"{split}_{number:05d}")
                writer.write(features.serialize_example(row))
        split_infos.append(tfds.core.SplitInfo(
            name=split, shard_lengths=[len(rows)], num_bytes=os.path.getsize(path),
            filename_template=template))
    builder.info.set_splits(tfds.core.SplitDict(split_infos))
    builder.info.write_to_directory(builder.data_dir)
    return builder.data_dir


def random_images(count: int, shape: Sequence[int], num_classes: int, seed: int = 0):
    """Feature dicts {"image", "label"} with random pixels and labels cycling over classes."""
    rng = np.random.default_rng(seed)
    return [{"image": rng.integers(0, 256, tuple(shape), dtype=np.uint8),
             "label": i % num_classes} for i in range(count)]


def random_reviews(count: int, seed: int = 0, max_len: int = 60):
    """Feature dicts {"text", "label"} of printable ASCII text (imdb_reviews' spec)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        length = int(rng.integers(1, max_len))
        text = bytes(rng.integers(32, 127, length, dtype=np.uint8)).decode("ascii")
        rows.append({"text": text, "label": i % 2})
    return rows


def write_listops(directory: str, sizes: Optional[Dict[str, int]] = None, *, seed: int = 0,
                  settings: Optional[listops_trees.Settings] = None) -> Dict[str, list]:
    """basic_{train,val,test}.tsv with real (generated) ListOps examples; returns them."""
    sizes = sizes or {"train": 16, "validation": 4, "test": 4}
    settings = settings or listops_trees.Settings(min_length=4, max_length=60)
    splits = listops_trees.generate_splits(sizes, settings, seed=seed)
    os.makedirs(directory, exist_ok=True)
    for split, examples in splits.items():
        listops_trees.write_tsv(
            os.path.join(directory, listops_trees.FILE_NAMES[split]), examples)
    return splits


def write_aan(directory: str, sizes: Optional[Dict[str, int]] = None, *, seed: int = 0,
              max_text: int = 80) -> Dict[str, list]:
    """new_aan_pairs.{train,eval,test}.tsv (label, id1, id2, text1, text2); returns the rows."""
    sizes = sizes or {"train": 12, "validation": 4, "test": 4}
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:'\"()0123456789"
    os.makedirs(directory, exist_ok=True)
    written = {}
    for split, count in sizes.items():
        rows = []
        for i in range(count):
            texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, max_text)))
                     for _ in range(2)]
            rows.append((float(i % 2), f"P{i:02d}-{rng.randint(1000, 9999)}",
                         f"P{i:02d}-{rng.randint(1000, 9999)}", texts[0], texts[1]))
        with open(os.path.join(directory, aan.FILE_NAMES[split]), "w", encoding="utf-8",
                  newline="\n") as handle:
            for row in rows:
                handle.write("\t".join(str(field) for field in row) + "\n")
        written[split] = rows
    return written


def write_pathfinder(root: str, *, resolution: int = 32, difficulty: str = "hard",
                     num_files: int = 2, per_file: int = 5, seed: int = 0) -> Dict[str, np.ndarray]:
    """pathfinder{res}/{difficulty folder}/ with metadata/*.npy text files and PNGs in imgs/.

    Returns {"pixels": [N, res, res] uint8, "labels": [N]} in metadata order.
    """
    from PIL import Image  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(seed)
    base = os.path.join(root, f"pathfinder{resolution}",
                        pathfinder.difficulty_folder(difficulty))
    os.makedirs(os.path.join(base, "metadata"), exist_ok=True)
    all_pixels, all_labels = [], []
    for file_index in range(num_files):
        folder = f"imgs/{file_index}"
        os.makedirs(os.path.join(base, folder), exist_ok=True)
        lines = []
        for i in range(per_file):
            pixels = rng.integers(0, 256, (resolution, resolution), dtype=np.uint8)
            label = int(rng.integers(0, 2))
            name = f"sample_{i}.png"
            Image.fromarray(pixels).save(os.path.join(base, folder, name))
            # The release's lines carry more fields; the loader reads 0, 1 and 3.
            lines.append(f"{folder} {name} {i} {label} 14 1.8 1 6 2 2\n")
            all_pixels.append(pixels)
            all_labels.append(label)
        with open(os.path.join(base, "metadata", f"{file_index}.npy"), "w") as handle:
            handle.writelines(lines)
    return {"pixels": np.stack(all_pixels), "labels": np.asarray(all_labels)}
