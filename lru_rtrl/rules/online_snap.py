"""`online_snap`: SnAp-1 (Menick et al., 2021) — the recurrent Jacobian replaced by its diagonal.

Traces are shaped like the parameters. For diagonal cores (LRU) the diagonal is the whole
Jacobian, so this rule coincides with `online_full` (computed through a different path; the
tests hold the two to equality).
"""

from lru_rtrl.registry import RULES
from lru_rtrl.rules.online import OnlineRule

RULES.register("online_snap", OnlineRule("online_snap", jacobian="diagonal"))
