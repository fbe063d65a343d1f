"""LRA Image: grayscale CIFAR-10, 1,024 steps of one normalised channel.

Not in the paper's tables: configs/scifar.py's experiment (LRU 4 x 256/128, pool_st,
Bfast_and_decay, online_full, 180 epochs) on the grayscale task. Data: tfds `cifar10`
(downloaded on first use). `get_config("smoke")` is a tiny variant.
"""

from lru_rtrl.config import sibling_config


def get_config(arg=None):
    return sibling_config(__file__, "scifar.py", arg, task="scifar_gray")
