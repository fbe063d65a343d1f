"""lru_rtrl.compat, the one answer to "can these run together?", as a table.

Each row names the parts by what they are (core, rule, engine, task, pooling, learner,
optimizer groups, in-stream updates) and the answer: None (runs) or a phrase of the refusal.
A second test asks about every registered core x rule x engine x pooling and checks that every
refusal says what to use instead.
"""

import dataclasses

import pytest

from lru_rtrl import compat
from lru_rtrl.cores.base import CoreStructure
from lru_rtrl.data.base import TaskSpec
from lru_rtrl.errors import UnsupportedCombinationError
from lru_rtrl.registry import CORES, ENGINES, RULES
from lru_rtrl.rules.base import LearningRule
from lru_rtrl.rules.tbptt import TBPTT

PER_STEP = TaskSpec("toy", 5, "real", 3, (4,), "per_step")
TWO_TOWER = TaskSpec("pairs", 5, "tokens", 9, (2,), "sequence", two_tower=True)
# A core whose recurrent parameter reaches every unit (no hidden axis), e.g. a plugin's.
NO_AXIS = dataclasses.replace(CORES.get("linear_rnn").structure,
                              hidden_axis={"A": None, "B": 0})
NO_AXIS_DIAGONAL = dataclasses.replace(NO_AXIS, diagonal=True)


class _PickyEngine:
    """A plugin engine with a condition of its own."""
    name, streams, in_stream_updates = "picky", False, False

    def check(self, *, rule, structure, spec, pooling):
        if pooling == "last":
            raise UnsupportedCombinationError("picky refuses pooling 'last'; use 'pool'.")


class _PickyRule(LearningRule):
    name, online, jacobian = "picky_rule", True, None

    def check(self, structure, engine):
        if structure.complex_state:
            raise UnsupportedCombinationError("picky_rule needs a real state; use 'gru'.")


def _question(core="lru", rule="online_full", engine="parallel", pooling="none",
              spec=PER_STEP, learner=False, groups=None, update_every=0):
    """compat's keyword arguments; parts may be given by registered name."""
    return dict(structure=core if isinstance(core, CoreStructure) else CORES.get(core).structure,
                rule=rule if not isinstance(rule, str) else RULES.get(rule),
                engine=engine if not isinstance(engine, str) else ENGINES.get(engine),
                spec=spec, pooling=pooling, learner=learner, optimizer_groups=groups,
                update_every=update_every)


def _ask(*args, **kwargs):
    return compat.problems(**_question(*args, **kwargs))


TABLE = [
    # (row name, question, None or a phrase of the answer)
    ("parallel runs every rule", dict(rule="bptt"), None),
    ("streaming an online rule", dict(engine="streaming"), None),
    ("streaming SnAp-1 on a dense core", dict(core="gru", rule="online_snap",
                                             engine="streaming"), None),
    ("streaming bptt", dict(rule="bptt", engine="streaming"), "needs the whole trajectory"),
    ("streaming tbptt", dict(rule=TBPTT(4), engine="streaming"), "keeps no traces"),
    ("tbptt in the learner", dict(rule=TBPTT(4), engine="streaming", learner=True), None),
    ("bptt in the learner", dict(rule="bptt", engine="streaming", learner=True),
     "needs the whole trajectory"),
    ("learner on a parallel engine", dict(learner=True), "config.engine='streaming'"),
    ("streaming mean pooling", dict(engine="streaming", pooling="pool"),
     "known only at the end"),
    ("learner with mean pooling", dict(engine="streaming", pooling="pool", learner=True),
     "the online learner cannot learn it step by step"),
    ("streaming last pooling", dict(engine="streaming", pooling="last"), None),
    ("streaming a two-tower task", dict(engine="streaming", pooling="last", spec=TWO_TOWER),
     "two-tower"),
    ("parallel a two-tower task", dict(pooling="pool", spec=TWO_TOWER), None),
    ("SnAp-1 without hidden axes", dict(core=NO_AXIS, rule="online_snap"),
     "declare no hidden axis"),
    ("full RTRL without hidden axes (dense)", dict(core=NO_AXIS, rule="online_full"), None),
    ("online_full without hidden axes (diagonal)", dict(core=NO_AXIS_DIAGONAL),
     "declare no hidden axis"),
    ("in-stream updates on parallel", dict(update_every=4), "updates the parameters inside"),
    ("in-stream updates on streaming", dict(engine="streaming", update_every=4), None),
    ("B groups on the GRU", dict(core="gru", groups="Bfast_and_decay"), "input matrix"),
    ("B groups on the RG-LRU", dict(core="rglru", groups="Bdecay"), "input matrix"),
    ("C groups on the GRU", dict(core="gru", groups="Cslow_and_nodecay"), None),
    ("B groups on the LRU", dict(groups="Bfast_and_decay"), None),
    ("a plugin engine's own condition", dict(engine=_PickyEngine(), pooling="last"),
     "picky refuses pooling 'last'"),
    ("a plugin rule's own condition", dict(rule=_PickyRule()), "needs a real state"),
    ("a plugin rule, satisfied", dict(core="gru", rule=_PickyRule()), None),
]


@pytest.mark.parametrize("name, question, answer", TABLE, ids=[row[0] for row in TABLE])
def test_the_table(name, question, answer):
    found = _ask(**question)
    if answer is None:
        assert found == [], (name, found)
    else:
        assert len(found) == 1 and answer in found[0], (name, found)
        with pytest.raises(UnsupportedCombinationError, match=answer.replace("'", ".")):
            compat.check(**_question(**question))


def test_every_registered_combination_gets_an_answer_that_says_what_to_do():
    instead = ("use", "Use", "set ")
    for core in CORES.names():
        for rule in RULES.names():
            for engine in ENGINES.names():
                for pooling in ("none", "pool_st", "pool", "last"):
                    for learner in (False, True):
                        for problem in _ask(core, rule, engine, pooling, learner=learner):
                            assert any(word in problem for word in instead), problem
    # The parallel engine runs every registered rule on every core.
    for core in CORES.names():
        for rule in RULES.names():
            assert _ask(core, rule) == [], (core, rule)
