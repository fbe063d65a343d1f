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


def write_lra_archive(path: str, *, prefix: str = "lra_release/lra_release/", seed: int = 0,
                      extra: Optional[Dict[str, bytes]] = None) -> Dict[str, bytes]:
    """A tiny LRA release: a gzipped tar with the release's folders under `prefix` (the LRA
    authors' setup script reads `lra_release/lra_release/...`).

    Holds listops-1000/basic_{train,val,test}.tsv plus a file no loader reads, tsv_data/
    with the AAN pairs, pathfinder32/ (hard and easy) and pathfinder128/ (hard), written by
    the writers above. `extra` adds members {archive name: bytes} as they are. Returns
    {archive name: bytes} of every file member.
    """
    import io  # pylint: disable=import-outside-toplevel
    import tarfile  # pylint: disable=import-outside-toplevel
    import tempfile  # pylint: disable=import-outside-toplevel

    members: Dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as staging:
        write_listops(os.path.join(staging, "listops-1000"),
                      {"train": 24, "validation": 6, "test": 6}, seed=seed)
        with open(os.path.join(staging, "listops-1000", "README.unused"), "w") as handle:
            handle.write("not read by any loader\n")
        write_aan(os.path.join(staging, "tsv_data"), seed=seed)
        write_pathfinder(staging, resolution=32, difficulty="hard", num_files=3, per_file=8,
                         seed=seed)
        write_pathfinder(staging, resolution=32, difficulty="easy", num_files=1, per_file=4,
                         seed=seed + 1)
        write_pathfinder(staging, resolution=128, difficulty="hard", num_files=1, per_file=6,
                         seed=seed + 2)
        for directory, _, files in sorted(os.walk(staging)):
            for name in sorted(files):
                full = os.path.join(directory, name)
                relative = os.path.relpath(full, staging).replace(os.sep, "/")
                with open(full, "rb") as handle:
                    members[prefix + relative] = handle.read()
    members.update(extra or {})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return members


def write_cifar10_binary_archive(path: str, *, num_train: int = 20, num_test: int = 10,
                                 seed: int = 0) -> Dict[str, np.ndarray]:
    """A tiny `cifar-10-binary.tar.gz` in the layout of the real one (what tfds's `cifar10`
    builder downloads and parses): cifar-10-batches-bin/data_batch_{1..5}.bin and
    test_batch.bin (records of 1 label byte + 3,072 pixel bytes, channel-major) and
    batches.meta.txt. Train images are dealt over the five batches. Returns the arrays in
    the order the files hold them ({"train_images": [N, 32, 32, 3], "train_labels": [N],
    "test_images", "test_labels"})."""
    import io  # pylint: disable=import-outside-toplevel
    import tarfile  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(seed)
    arrays, files = {}, {}
    for split, count in (("train", num_train), ("test", num_test)):
        images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        batches = [np.arange(count)] if split == "test" else [
            np.arange(batch, count, 5) for batch in range(5)]
        names = ["test_batch.bin"] if split == "test" else [
            f"data_batch_{batch + 1}.bin" for batch in range(5)]
        for name, rows in zip(names, batches):
            files[name] = b"".join(bytes([labels[i]]) + images[i].transpose(2, 0, 1).tobytes()
                                   for i in rows)
        order = np.concatenate(batches)
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images[order], labels[order]
    files["batches.meta.txt"] = ("\n".join(["airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"])
                                 + "\n").encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return arrays
