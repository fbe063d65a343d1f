"""Command that writes a ListOps dataset in the LRA format (`lru_rtrl.data.listops_trees`).

    python -m lru_rtrl.data.listops_generate --out_dir DIR           # 96k / 2k / 2k
    python -m lru_rtrl.data.listops_generate --out_dir DIR --num_train 1000 --num_val 100 \\
        --num_test 100 --min_length 20 --max_length 200                # a small variant

writes DIR/basic_{train,val,test}.tsv (docs/tasks.md has its time for 100k trees); train
with `--config.data.data_dir=DIR` of configs/listops.py. Not imported by `lru_rtrl.data`,
so that `python -m` runs it once.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from lru_rtrl.data import listops_trees
from lru_rtrl.data.listops_trees import Settings
from lru_rtrl.progress import ProgressBar


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lru_rtrl.data.listops_generate",
        description="Write a ListOps dataset (LRA procedure) as basic_{train,val,test}.tsv.")
    parser.add_argument("--out_dir", required=True,
                        help="output folder (use it as data.data_dir of the listops task)")
    parser.add_argument("--num_train", type=int, default=96_000)
    parser.add_argument("--num_val", type=int, default=2_000)
    parser.add_argument("--num_test", type=int, default=2_000)
    defaults = Settings()
    parser.add_argument("--min_length", type=int, default=defaults.min_length,
                        help="exclusive lower bound on the number of tokens")
    parser.add_argument("--max_length", type=int, default=defaults.max_length,
                        help="exclusive upper bound on the number of tokens")
    parser.add_argument("--max_depth", type=int, default=defaults.max_depth)
    parser.add_argument("--max_args", type=int, default=defaults.max_args)
    parser.add_argument("--leaf_prob", type=float, default=defaults.leaf_prob)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    settings = Settings(args.min_length, args.max_length, args.max_depth, args.max_args,
                        args.leaf_prob)
    try:
        settings.check()
    except ValueError as error:
        parser.error(str(error))
    sizes = {"train": args.num_train, "validation": args.num_val, "test": args.num_test}
    bar = ProgressBar(sum(sizes.values()), "trees")

    def progress(count: int, attempts: int) -> None:
        bar.update(count, f"({attempts:,} draws)")

    splits = listops_trees.generate_splits(sizes, settings, args.seed, progress)
    bar.done()
    os.makedirs(args.out_dir, exist_ok=True)
    for split, examples in splits.items():
        path = os.path.join(args.out_dir, listops_trees.FILE_NAMES[split])
        listops_trees.write_tsv(path, examples)
        print(f"wrote {len(examples)} examples to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
