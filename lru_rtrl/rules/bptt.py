"""`bptt`: the exact gradient, by backpropagation through time (offline; O(T) memory)."""

from lru_rtrl.registry import RULES
from lru_rtrl.rules.base import LearningRule


class BPTT(LearningRule):
    """Plain autodiff through the layer's scan; the reference every online rule is measured by."""

    name = "bptt"
    online = False

    def layer_sequence(self, cell, theta, h0, x, resets=None):
        return cell.sequence(theta, h0, x, resets)


RULES.register("bptt", BPTT())
