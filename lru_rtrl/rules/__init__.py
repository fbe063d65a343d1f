"""Learning rules. Importing this package registers `bptt`, `online_full`, `online_snap`,
`online_truncated`, `online_spat` and `tbptt` in RULES."""

from lru_rtrl.rules import bptt, online_full, online_snap, online_spat, online_truncated  # noqa: F401
from lru_rtrl.rules import tbptt  # noqa: F401
from lru_rtrl.rules.base import LearningRule, UnsupportedCombinationError  # noqa: F401
from lru_rtrl.rules.online import OnlineRule  # noqa: F401
