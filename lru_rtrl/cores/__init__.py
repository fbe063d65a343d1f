"""Recurrent cores. Importing this package registers `lru`, `linear_rnn`, `gru`, `rglru` and
`mingru` in CORES."""

from lru_rtrl.cores.base import Cell, CoreStructure, RecurrentCore  # noqa: F401
from lru_rtrl.cores.gru import GRU, GRUCell  # noqa: F401
from lru_rtrl.cores.linear_rnn import LinearRNN, LinearRNNCell  # noqa: F401
from lru_rtrl.cores.lru import LRU, LRUCell  # noqa: F401
from lru_rtrl.cores.mingru import MinGRU, MinGRUCell  # noqa: F401
from lru_rtrl.cores.rglru import RGLRU, RGLRUCell  # noqa: F401
from lru_rtrl.cores.scan import linear_recurrence  # noqa: F401
