"""`online_full`, the paper's rule: exact RTRL inside each layer, spatial errors between layers.

For diagonal cores (LRU) the traces are shaped like the parameters and the rule costs about as
much as the forward pass; for dense cores it is full RTRL (N·|θ| sensitivities per example
in the streaming engine). A one-layer network with a per-step loss gets the exact BPTT
gradient for its recurrent parameters.
"""

from lru_rtrl.registry import RULES
from lru_rtrl.rules.online import OnlineRule

RULES.register("online_full", OnlineRule("online_full", jacobian="full"))
