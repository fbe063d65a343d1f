"""What the tests enumerate, read from the registries: a core, rule or engine that a plugin
registers is tested by registering it (and loading it before the tests are collected).

    @parameterized.product(core=matrix.cores(), rule=matrix.online_rules())

and the one closeness check every exactness test uses (`assert_close`: the worst parameter,
named, against a relative tolerance).
"""

from __future__ import annotations

from typing import Dict, Tuple

from lru_rtrl.registry import CORES, ENGINES, RULES
from lru_rtrl.testing import oracle

# Options that send a core through its richer path in the tests (the linear RNN's identity
# ρ would leave the nonlinearity untested); a core not listed runs with its defaults.
TEST_OPTIONS: Dict[str, Dict[str, object]] = {"linear_rnn": {"nonlinearity": "tanh"}}


def cores() -> Tuple[str, ...]:
    """Every registered core."""
    return tuple(CORES.names())


def diagonal_cores() -> Tuple[str, ...]:
    return tuple(name for name in CORES.names() if CORES.get(name).structure.diagonal)


def options(core: str) -> Dict[str, object]:
    return dict(TEST_OPTIONS.get(core, {}))


def online_rules() -> Tuple[str, ...]:
    """The registered rules that keep traces (a declared Jacobian): the online family."""
    return tuple(name for name in RULES.names()
                 if RULES.get(name).online and RULES.get(name).jacobian is not None)


def exact_in_layer_rule(core: str) -> str:
    """online_full on a diagonal core, SnAp-1 on a dense one (full RTRL there is costly)."""
    return "online_full" if CORES.get(core).structure.diagonal else "online_snap"


def streaming_engines() -> Tuple[str, ...]:
    return tuple(name for name in ENGINES.names() if ENGINES.get(name).streams)


def assert_close(got, want, rtol: float) -> None:
    """Every parameter of `got` within `rtol` (relative to its largest entry) of `want`."""
    errors = oracle.per_leaf_relative_error(got, want)
    worst = max(errors, key=errors.get)
    assert errors[worst] < rtol, f"worst parameter {worst}: {errors[worst]:.2e} >= {rtol:.0e}"

