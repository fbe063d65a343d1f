"""Command that fetches a task's data ahead of training (on a machine with internet).

    python -m lru_rtrl.data.download lra --data_dir=lra_release      # the LRA release
    python -m lru_rtrl.data.download lra --parts=listops,pathfinder64 # only those folders
    python -m lru_rtrl.data.download cifar10 --data_dir=~/tensorflow_datasets   # a tfds one

`lra` downloads the Long Range Arena release (progress bar, free-disk check, resumes an
interrupted download: run it again), verifies it and extracts the folders the loaders read
(`lru_rtrl.data.lra_release`); train with `--config.data.data_dir=DIR`. `--parts` names
what to extract: listops, aan, pathfinder (32 x 32, the tasks' default difficulty hard),
pathx (128 x 128, hard), pathfinder32 / 64 / 128 / 256 (every difficulty). `--url` (or
$LRU_RTRL_LRA_URL) fetches another copy of the release. A tensorflow-datasets name
(mnist, fashion_mnist, cifar10, imdb_reviews) is downloaded and prepared with tfds, as the
tasks do on first use. Copy DIR to machines without internet. Not imported by
`lru_rtrl.data`, so that `python -m` runs it once; it needs no plugins.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Dict, List, Optional, Sequence

from lru_rtrl.data import aan, listops, lra_release, pathfinder, tfds_source
from lru_rtrl.errors import UserError

TFDS_DATASETS = ("mnist", "fashion_mnist", "cifar10", "imdb_reviews")
DEFAULT_PARTS = ("listops", "aan", "pathfinder", "pathx")


def release_parts() -> Dict[str, List[lra_release.Part]]:
    """The names `--parts` takes, each with the folders of the release it extracts."""
    hard = pathfinder.DIFFICULTIES["hard"]  # the tasks' default difficulty
    every = list(pathfinder.DIFFICULTIES.values())
    parts = {"listops": [listops.release_part()], "aan": [aan.release_part()],
             "pathfinder": [pathfinder.release_part(f"pathfinder32/{hard}")],
             "pathx": [pathfinder.release_part(f"pathfinder128/{hard}")]}
    for resolution in pathfinder.RESOLUTIONS:
        parts[f"pathfinder{resolution}"] = [
            pathfinder.release_part(f"pathfinder{resolution}/{d}") for d in every]
    return parts


def fetch_lra(data_dir: str, names: Sequence[str], url: Optional[str]) -> List[str]:
    """Downloads (if needed) and extracts the parts `names`; returns the folders extracted."""
    table = release_parts()
    unknown = [n for n in names if n not in table]
    if unknown:
        raise UserError(f"Unknown --parts {', '.join(unknown)}; choose among "
                        f"{', '.join(table)}.")
    parts = [part for name in names for part in table[name]]
    return lra_release.ensure(data_dir, parts, source=url)


def fetch_tfds(name: str, data_dir: Optional[str]) -> str:
    """Downloads and prepares tfds dataset `name` (nothing when it is prepared already);
    returns its folder."""
    return tfds_source.ensure_prepared(name, data_dir)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lru_rtrl.data.download",
        description="Download a task's data: the LRA release, or a tensorflow-datasets "
                    "dataset.")
    parser.add_argument("what", choices=("lra",) + TFDS_DATASETS,
                        help="lra (listops, aan, pathfinder, pathx) or a tfds dataset")
    parser.add_argument("--data_dir", default=None,
                        help="where the data go (lra: default ./lra_release, the tasks' "
                             "default data.data_dir; tfds: default $TFDS_DATA_DIR or "
                             "~/tensorflow_datasets)")
    parser.add_argument("--parts", default=",".join(DEFAULT_PARTS),
                        help="lra only: the folders to extract, comma-separated, among "
                             f"{', '.join(release_parts())} (default: %(default)s)")
    parser.add_argument("--url", default=None,
                        help=f"lra only: where the release is (default ${lra_release.URL_ENV} "
                             f"or the LRA authors' copy)")
    args = parser.parse_args(argv)
    try:
        if args.what == "lra":
            data_dir = os.path.expanduser(args.data_dir or "lra_release")
            names = [n.strip() for n in args.parts.split(",") if n.strip()]
            done = fetch_lra(data_dir, names, args.url)
            print(f"{'extracted ' + ', '.join(done) if done else 'already there: ' + args.parts}"
                  f" in {os.path.abspath(data_dir)}; train with "
                  f"--config.data.data_dir={data_dir}")
        else:
            folder = fetch_tfds(args.what, args.data_dir)
            print(f"{args.what} is prepared in {folder}")
    except UserError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
