"""`online_spat`: spatial backpropagation only — no temporal credit at all.

Like `online_truncated`, but the h_{t-1} path is cut, so the parameters that act on h_{t-1}
only (λ's ν_log and θ_log for the LRU, A for the linear RNN, U_r, U_z, U_n for the GRU) get
no gradient. The model builder reports them. The gated cores (rglru, mingru) declare none —
each of their recurrent parameters also moves the drive — so there `online_spat` equals
`online_truncated`, and the model builder warns so.
"""

from lru_rtrl.registry import RULES
from lru_rtrl.rules.online import OnlineRule

RULES.register("online_spat",
               OnlineRule("online_spat", jacobian="none", cut_hidden_to_hidden=True))
