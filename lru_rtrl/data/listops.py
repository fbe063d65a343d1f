"""`listops`: LRA ListOps, the value (0-9) of a nested MIN / MAX / MED / SM expression.

Data (data.source):
  "files"     the LRA release TSVs `listops-1000/basic_{train,val,test}.tsv` (header
              `Source<TAB>Target`), downloaded into data.data_dir on first use when
              data.download is on; or the same files written by
              `python -m lru_rtrl.data.listops_generate --out_dir DIR` (then data_dir = DIR)
  "generate"  the same generator run in memory from data.seed with the `data.generate`
              settings (small variants for tests and smoke runs)

Tokenisation (as in LRA): `]` becomes `X`, parentheses are dropped, whitespace splits. The
15 tokens get ids 1-15 (digits 0-9 -> 1-10, [MIN [MAX [MED [SM -> 11-14, X -> 15), 0 is
padding. `vocab_size` (default 20, the paper's one-hot width) only sets the input
dimension; ids above 15 never occur. Sequences are padded to `max_len` = 2,048 (real ones
are shorter than 2,000 tokens); a longer one is an error, never silently truncated (a cut
expression has another value).
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import ml_collections
import numpy as np

from lru_rtrl.data import listops_trees, lra_files, lra_release, pipeline, tokens
from lru_rtrl.data.base import DataError, TaskSpec
from lru_rtrl.registry import TASKS

TOKENS = tuple(str(d) for d in range(10)) + listops_trees.OPERATORS + ("X",)
TOKEN_IDS = {token: index + 1 for index, token in enumerate(TOKENS)}
NUM_TOKENS = len(TOKENS)  # 15, padding excluded
NUM_CLASSES = 10
SOURCES = ("files", "generate")


def tokenize(source: str) -> List[str]:
    """LRA's ListOps tokens of a source string: `]` -> `X`, no parentheses."""
    return source.replace("]", "X").replace("(", " ").replace(")", " ").split()


def encode(source: str) -> np.ndarray:
    """Token ids [n] uint8 of a source string; raises KeyError on an unknown token."""
    return np.fromiter((TOKEN_IDS[t] for t in tokenize(source)), np.uint8)


def evaluate_tokens(token_list: Sequence[str]) -> int:
    """The value of a tokenised expression (a single digit is its own value)."""
    stack: List[Tuple[str, List[int]]] = []
    result = None
    for token in token_list:
        if token in listops_trees.OPERATORS:
            stack.append((token, []))
        elif token == "X":
            if not stack:
                raise ValueError("closing bracket without an operator")
            operator, values = stack.pop()
            value = listops_trees.apply_operator(operator, values)
            if stack:
                stack[-1][1].append(value)
            elif result is None:
                result = value
            else:
                raise ValueError("more than one expression")
        elif token.isdigit() and len(token) == 1:
            if stack:
                stack[-1][1].append(int(token))
            elif result is None:
                result = int(token)
            else:
                raise ValueError("more than one expression")
        else:
            raise ValueError(f"unknown token {token!r}")
    if stack or result is None:
        raise ValueError("unbalanced expression")
    return result


def evaluate_source(source: str) -> int:
    """The value of an LRA ListOps source string, e.g. `( ( ( [MAX 2 ) 9 ) ] )` -> 9."""
    return evaluate_tokens(tokenize(source))


def read_tsv(path: str, max_len: int) -> Tuple[tokens.Ragged, np.ndarray]:
    """Token ids and labels of one LRA ListOps TSV file; malformed lines are `DataError`s."""
    sequences, labels = [], []
    lines = lra_files.numbered_lines(path)
    first = next(lines, None)
    if first is None or first[1].decode("utf-8", "replace").strip() != listops_trees.HEADER:
        raise lra_files.malformed(
            path, first[0] if first else 1,
            f"expected the header {listops_trees.HEADER!r}, got "
            f"{first[1][:40].decode('utf-8', 'replace') if first else 'an empty file'!r}")
    for number, line in lines:
        fields = line.split(b"\t")
        if len(fields) != 2:
            raise lra_files.malformed(path, number, f"expected 2 tab-separated fields "
                                      f"(Source, Target), found {len(fields)}")
        try:
            label = int(fields[1])
        except ValueError:
            raise lra_files.malformed(path, number,
                                      f"the target {fields[1][:20]!r} is not an integer") from None
        if not 0 <= label < NUM_CLASSES:
            raise lra_files.malformed(path, number, f"the target {label} is not in 0..9")
        try:
            ids = encode(fields[0].decode("utf-8"))
        except (KeyError, UnicodeDecodeError) as error:
            raise lra_files.malformed(path, number, f"unknown token {error}") from None
        if len(ids) == 0:
            raise lra_files.malformed(path, number, "empty expression")
        if len(ids) > max_len:
            raise DataError(f"{path}, line {number}: {len(ids)} tokens, more than data.max_len "
                            f"= {max_len}. Raise data.max_len (ListOps is never truncated).")
        sequences.append(ids)
        labels.append(label)
    if not sequences:
        raise lra_files.empty(path)
    return tokens.Ragged.from_sequences(sequences, np.uint8), np.asarray(labels, np.int64)


def release_part() -> lra_release.Part:
    """What the loader reads of the LRA release."""
    return lra_release.Part("listops-1000", files=tuple(listops_trees.FILE_NAMES.values()))


@TASKS.register("listops")
class ListOps(pipeline.ArrayTask):
    """ListOps expressions as token ids, 10 classes."""

    NAME = "listops"
    about = dict(T="2048 (tokens, padded; < 2000 real)", input="15 tokens + padding (one-hot 20)",
                 classes="10",
                 data="LRA `listops-1000/basic_*.tsv`, or generated",
                 get="arrives by itself on first use (LRA release `lra_release.gz`); or "
                     "offline `python -m lru_rtrl.data.listops_generate --out_dir DIR`")

    @staticmethod
    def default_config():
        return pipeline.common_config(
            "listops", source="files", data_dir="lra_release", download=True, max_len=2048,
            vocab_size=20,
            generate=ml_collections.ConfigDict(dict(
                num_train=96_000, num_validation=2_000, num_test=2_000,
                min_length=500, max_length=2000, max_depth=10, max_args=10, leaf_prob=0.75)))

    @staticmethod
    def unused_options(data_config):
        if data_config.source == "generate":
            # data.download=False is not listed: "never download" holds here too.
            return {"data_dir": "data.source='generate' makes ListOps in memory and reads no "
                                "files; set data.source='files' to read data.data_dir"}
        return {f"generate.{key}": "data.source='files' reads the TSV files in data.data_dir; "
                                   "the generate options apply to data.source='generate'"
                for key in data_config.generate}

    def __init__(self, data_config=None):
        super().__init__(data_config)
        tokens.check_max_len(self.NAME, self.config.max_len, minimum=1)
        if self.config.vocab_size < NUM_TOKENS + 1:
            raise DataError(f"listops: data.vocab_size must be at least {NUM_TOKENS + 1} "
                            f"(15 tokens + padding), got {self.config.vocab_size}.")
        if self.config.source not in SOURCES:
            raise DataError(f"listops: data.source must be one of {SOURCES}, got "
                            f"{self.config.source!r}.")

    @property
    def spec(self) -> TaskSpec:
        return TaskSpec(name=self.NAME, seq_len=self.config.max_len, input_kind="tokens",
                        input_dim=self.config.vocab_size, output_shape=(NUM_CLASSES,),
                        target_kind="sequence", description="ListOps expressions (LRA)")

    def _load(self) -> Dict[str, pipeline.Examples]:
        if self.config.source == "generate":
            return self._generate()
        directory = lra_files.find_dir(
            self.NAME, self.config.data_dir, "listops-1000",
            list(listops_trees.FILE_NAMES.values()),
            extra_help="Or generate ListOps: python -m lru_rtrl.data.listops_generate "
                       "--out_dir DIR, then data.data_dir=DIR.",
            fetch=lra_release.fetcher(self.NAME, self.config.data_dir, release_part(),
                                      self.config.download))
        result = {}
        for split, name in listops_trees.FILE_NAMES.items():
            ragged, labels = read_tsv(f"{directory}/{name}", self.config.max_len)
            result[split] = tokens.TokenExamples(ragged, labels, self.config.max_len)
        return result

    def _generate(self) -> Dict[str, pipeline.Examples]:
        options = self.config.generate
        settings = listops_trees.Settings(
            min_length=options.min_length, max_length=options.max_length,
            max_depth=options.max_depth, max_args=options.max_args,
            leaf_prob=options.leaf_prob)
        if settings.max_length - 1 > self.config.max_len:
            raise DataError(f"listops: generated trees reach {settings.max_length - 1} tokens, "
                            f"more than data.max_len = {self.config.max_len}.")
        try:
            splits = listops_trees.generate_splits(
                {"train": options.num_train, "validation": options.num_validation,
                 "test": options.num_test}, settings, seed=self.config.seed)
        except ValueError as error:
            raise DataError(f"listops: cannot generate data: {error}") from error
        result = {}
        for split, examples in splits.items():
            ragged = tokens.Ragged.from_sequences([encode(s) for s, _ in examples], np.uint8)
            labels = np.asarray([value for _, value in examples], np.int64)
            result[split] = tokens.TokenExamples(ragged, labels, self.config.max_len)
        return result
