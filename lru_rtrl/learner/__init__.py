"""Learning on an endless stream, one step at a time (see learner.py)."""

from lru_rtrl.learner.inputs import StreamInputError  # noqa: F401
from lru_rtrl.learner.learner import OnlineLearner, stream_spec  # noqa: F401
from lru_rtrl.learner.saving import restore, save  # noqa: F401
