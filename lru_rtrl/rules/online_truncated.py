"""`online_truncated`: 1-step truncated backpropagation — M_t = I_t (the recurrent Jacobian is 0)."""

from lru_rtrl.registry import RULES
from lru_rtrl.rules.online import OnlineRule

RULES.register("online_truncated", OnlineRule("online_truncated", jacobian="none"))
