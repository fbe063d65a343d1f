"""The one answer to "can these run together?": core structure, rule, engine, task, pooling,
learner, optimizer groups.

    compat.check(structure=cell.structure, rule=rule, engine=engine, spec=spec,
                 pooling="pool_st", learner=False, optimizer_groups="standard",
                 update_every=0)

raises `UnsupportedCombinationError` with why and what to use instead, or returns None.
`problems(...)` returns every reason, for tables and tests. Every caller asks this function —
the model builder (and through it the launchers, the bench, the tests), the online learner,
config validation after plugins are loaded — so the answers cannot drift apart.

It reads only what the parts declare, never their names:
  rule     `online` (it can run one step at a time), `jacobian` ("full", "diagonal", "none":
           the J_t its traces keep; None for a rule without traces), `window` (truncated
           BPTT's K, or None), and its own `check(structure, engine)` hook
  engine   `streams` (one step at a time), `in_stream_updates`, and its own `check(...)` hook
  core     its `CoreStructure` (diagonal, hidden axes, input / output matrices)
  task     `two_tower`
Plugin rules and engines add conditions through their hooks; this module adds none of its
own for a name.
"""

from __future__ import annotations

from typing import Any, List, Optional

from lru_rtrl.choices import OptimizerGroups, Pooling
from lru_rtrl.errors import UnsupportedCombinationError

ONLINE_RULES = "online_full, online_snap, online_truncated, online_spat"
STREAMING_ENGINE = "streaming"


def elementwise_traces(rule: Any, structure: Any) -> bool:
    """Whether `rule` keeps one sensitivity per parameter entry on this core (the diagonal
    Jacobian of SnAp-1, or the exact one of a diagonal core)."""
    jacobian = getattr(rule, "jacobian", None)
    return jacobian == "diagonal" or (jacobian == "full" and structure.diagonal)


def problems(*, structure: Any, rule: Any, engine: Any, spec: Any, pooling: str,
             learner: bool = False, optimizer_groups: Optional[str] = None,
             update_every: int = 0) -> List[str]:
    """Every reason the combination cannot run (empty: it can), each with what to do."""
    found: List[str] = []
    name = getattr(rule, "name", repr(rule))
    window = getattr(rule, "window", None)

    # The rule's traces and the core's declared structure.
    no_axis = [p for p in structure.recurrent if structure.hidden_axis[p] is None]
    if no_axis and elementwise_traces(rule, structure):
        found.append(
            f"Rule {name!r} keeps one sensitivity per parameter entry, which needs every "
            f"recurrent parameter to reach a single hidden unit in one step; {no_axis} declare "
            "no hidden axis. Use online_full (exact RTRL) or online_truncated.")

    # One step at a time: the streaming engines, and the online learner.
    streams = bool(getattr(engine, "streams", False))
    if learner and not streams:
        found.append(
            f"The online learner reads one step at a time, which engine {engine.name!r} does "
            f"not; set config.engine={STREAMING_ENGINE!r}.")
    if streams or learner:
        where = "the online learner" if learner else f"the {engine.name} engine"
        if spec.two_tower:
            found.append(f"Task {spec.name!r} is two-tower (it compares two whole texts), which "
                         f"{where} cannot run step by step; use engine='parallel'.")
        if not Pooling(pooling).streamable:
            streamable = [p.value for p in Pooling if p.streamable]
            found.append(
                f"Pooling {pooling!r} gives a loss that is known only at the end of the "
                f"sequence, so {where} cannot learn it step by step. Use pooling {streamable} "
                "('pool_st' is the running mean with stop-gradient), or engine='parallel'.")
        if window is not None and not learner:
            found.append(
                f"Rule {name!r} (truncated BPTT, window {window}) keeps no traces: it "
                f"backpropagates through a buffered window, which the {engine.name} engine, one "
                "step at a time, does not hold. Use engine='parallel' for batches of sequences, "
                "lru_rtrl.learner.OnlineLearner to learn on a stream with it, or an online rule "
                f"({ONLINE_RULES}) here.")
        elif window is None and not getattr(rule, "online", False):
            found.append(
                f"Rule {name!r} needs the whole trajectory (it is not an online rule), so "
                f"{where} cannot run it. Use engine='parallel', or an online rule "
                f"({ONLINE_RULES}), or tbptt (truncated BPTT over a window).")

    if update_every > 0 and not getattr(engine, "in_stream_updates", False) and not learner:
        found.append(
            f"config.streaming.update_every={update_every} updates the parameters inside the "
            f"stream, which engine {engine.name!r} does not do; use engine={STREAMING_ENGINE!r} "
            "or update_every=0.")

    if optimizer_groups is not None:
        moves = {OptimizerGroups.BDECAY: ("input", structure.input_matrix),
                 OptimizerGroups.BFAST_AND_DECAY: ("input", structure.input_matrix),
                 OptimizerGroups.CSLOW_AND_NODECAY: ("output", structure.output_matrix)}
        if optimizer_groups in moves and not moves[optimizer_groups][1]:
            which = moves[optimizer_groups][0]
            found.append(
                f"config.train.optimizer_groups={optimizer_groups!r} moves the core's {which} "
                f"matrix, which this core does not declare (CoreStructure.{which}_matrix is "
                "empty); use optimizer_groups='standard'.")

    # Conditions a plugin rule or engine adds through its own hook.
    for hook in (lambda: rule.check(structure, engine),
                 lambda: engine.check(rule=rule, structure=structure, spec=spec,
                                      pooling=pooling)):
        try:
            hook()
        except UnsupportedCombinationError as error:
            found.append(str(error))
    return found


def check(**kwargs) -> None:
    """Raises UnsupportedCombinationError with every reason of `problems(**kwargs)`."""
    found = problems(**kwargs)
    if found:
        raise UnsupportedCombinationError(" ".join(found))
