"""ListOps trees as Long Range Arena generates them: sampling, values, text, TSV files.

A ListOps example is a random expression tree over the digits 0-9 with the operators
MIN, MAX, MED (integer part of the median; an even count averages the two middle values)
and SM (sum modulo 10); the label is its value. Sampling, as in LRA:

  * the root is at depth 1; a node at depth < max_depth (10) is a leaf with probability
    leaf_prob (0.75), otherwise an operator, chosen uniformly, with a uniform number of
    children in [2, max_args] (max_args 10); a node at max_depth is always a leaf;
  * a tree's length counts 1 per leaf and 2 per operator (its token and closing bracket),
    which is exactly its number of tokens after tokenisation;
  * trees are drawn until there are enough distinct ones with min_length < length <
    max_length (500 and 2,000); the first num_train go to train, then validation, then test.

Each application is written with extra parentheses, operands one at a time:
MAX(2, 9) is `( ( ( [MAX 2 ) 9 ) ] )`. Files are the LRA TSVs `basic_{train,val,test}.tsv`
with the header `Source<TAB>Target`. The command `python -m lru_rtrl.data.listops_generate`
writes a dataset.

A draw is abandoned as soon as its length reaches max_length: such a tree would be
rejected anyway, so the distribution of the kept trees is unchanged and sampling is faster.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from lru_rtrl.errors import ConfigError

OPERATORS = ("[MIN", "[MAX", "[MED", "[SM")
FILE_NAMES = {"train": "basic_train.tsv", "validation": "basic_val.tsv",
              "test": "basic_test.tsv"}
HEADER = "Source\tTarget"
_MAX_STALE_DRAWS = 1_000_000

# A tree is a digit (leaf) or (operator, children).
Tree = Union[int, Tuple[str, Tuple["Tree", ...]]]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sampling settings; the defaults are LRA's."""
    min_length: int = 500     # exclusive lower bound on the length
    max_length: int = 2000    # exclusive upper bound
    max_depth: int = 10
    max_args: int = 10
    leaf_prob: float = 0.75

    def check(self) -> None:
        if not 0 <= self.min_length < self.max_length - 1:
            raise ConfigError(f"Need 0 <= min_length < max_length - 1, got {self.min_length}, "
                             f"{self.max_length}.")
        if self.max_depth < 1 or self.max_args < 2 or not 0.0 <= self.leaf_prob <= 1.0:
            raise ConfigError(f"Need max_depth >= 1, max_args >= 2 and leaf_prob in [0, 1]: "
                             f"{self}.")
        longest = 1  # The longest tree the depth and branching allow.
        for _ in range(self.max_depth - 1):
            longest = 2 + self.max_args * longest
        if self.leaf_prob >= 1.0:
            longest = 1
        if longest <= self.min_length:
            raise ConfigError(f"No tree can be longer than {longest} tokens with these settings, "
                             f"so min_length {self.min_length} can never be exceeded: {self}.")


def apply_operator(operator: str, values: Sequence[int]) -> int:
    """The value of `operator` applied to digit `values`."""
    if not values:
        raise ValueError(f"{operator} has no operands")
    if operator == "[MIN":
        return min(values)
    if operator == "[MAX":
        return max(values)
    if operator == "[MED":
        ordered = sorted(values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) // 2  # Integer part of the mean.
    if operator == "[SM":
        return sum(values) % 10
    raise ValueError(f"unknown operator {operator!r}")


def evaluate(tree: Tree) -> int:
    if isinstance(tree, int):
        return tree
    operator, children = tree
    return apply_operator(operator, [evaluate(child) for child in children])


def to_source(tree: Tree) -> str:
    """The LRA text of `tree`, e.g. `( ( ( [MAX 2 ) 9 ) ] )`."""
    if isinstance(tree, int):
        return str(tree)
    operator, children = tree
    return ("( " * (len(children) + 1) + operator
            + "".join(f" {to_source(child)} )" for child in children) + " ] )")


def length(tree: Tree) -> int:
    if isinstance(tree, int):
        return 1
    return 2 + sum(length(child) for child in tree[1])


class _TooLong(Exception):
    pass


def sample_tree(rng: random.Random, settings: Settings = Settings(),
                limit: Optional[int] = None) -> Tree:
    """One tree drawn by the LRA procedure; raises `_TooLong` once its length reaches `limit`."""
    used = [0]

    def draw(depth: int) -> Tree:
        if depth >= settings.max_depth or rng.random() < settings.leaf_prob:
            used[0] += 1
            if limit is not None and used[0] >= limit:
                raise _TooLong
            return rng.randrange(10)
        used[0] += 2
        if limit is not None and used[0] >= limit:
            raise _TooLong
        operator = rng.choice(OPERATORS)
        count = rng.randint(2, settings.max_args)
        return operator, tuple(draw(depth + 1) for _ in range(count))

    return draw(1)


def generate(num_examples: int, settings: Settings = Settings(), seed: int = 0,
             progress: Optional[Callable[[int, int], None]] = None) -> List[Tuple[str, int]]:
    """`num_examples` distinct (source, value) pairs with min_length < length < max_length."""
    settings.check()
    rng = random.Random(seed)
    seen = set()
    examples: List[Tuple[str, int]] = []
    attempts = stale = 0
    while len(examples) < num_examples:
        attempts += 1
        stale += 1
        if stale > _MAX_STALE_DRAWS:
            raise ValueError(
                f"No new distinct tree in {_MAX_STALE_DRAWS} draws after {len(examples)} "
                f"examples: these settings ({settings}) allow too few distinct trees for "
                f"{num_examples} examples. Widen the length bounds or ask for fewer examples.")
        try:
            tree = sample_tree(rng, settings, limit=settings.max_length)
        except _TooLong:
            continue
        if length(tree) <= settings.min_length:
            continue
        source = to_source(tree)
        if source in seen:
            continue
        seen.add(source)
        stale = 0
        examples.append((source, evaluate(tree)))
        if progress is not None:
            progress(len(examples), attempts)
    return examples


def generate_splits(sizes: Dict[str, int], settings: Settings = Settings(), seed: int = 0,
                    progress: Optional[Callable[[int, int], None]] = None
                    ) -> Dict[str, List[Tuple[str, int]]]:
    """Distinct examples for each split (no tree appears in two splits), in `sizes` order."""
    examples = generate(sum(sizes.values()), settings, seed, progress)
    result, start = {}, 0
    for split, size in sizes.items():
        result[split] = examples[start:start + size]
        start += size
    return result


def write_tsv(path: str, examples: Sequence[Tuple[str, int]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(HEADER + "\n")
        for source, value in examples:
            handle.write(f"{source}\t{value}\n")
