"""Permuted sequential MNIST (784 steps, one fixed pixel permutation, 10 classes).

configs/smnist.py's experiment on the permuted task. The permutation is the bit-reversal
one, as in the paper's code (--config.data.permutation=random draws one from
data.permutation_seed instead, independent of the training and data seeds). Data: tfds
`mnist` (--config.data.data_dir; downloaded on first use), or the MNIST IDX files
(--config.data.source=idx --config.data.data_dir=DIR). `get_config("smoke")` is a tiny
variant.
"""

from lru_rtrl.config import sibling_config


def get_config(arg=None):
    return sibling_config(__file__, "smnist.py", arg, task="psmnist")
