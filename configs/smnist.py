"""Sequential MNIST (784 steps of one pixel, 10 classes).

Not in the paper's tables: a mid-sized LRU (4 layers, 128/64, r in [0.9, 0.999]) in the
paper's LRA setup (pool_st, Bfast_and_decay, recurrent lr factor 0.5, per-sequence loss
average, patience 30, online_full), 50 epochs of batch 50, lr 2e-3, one warm-up epoch, weight
decay 0.05. Pixels in [0, 1] as the paper's code (psMNIST: its bit-reversal permutation).
Data: tfds `mnist` (--config.data.data_dir; downloaded on first use), or the MNIST IDX
files (--config.data.source=idx --config.data.data_dir=DIR). `get_config("smoke")` is a tiny
variant. configs/psmnist.py and configs/fashion_mnist.py run this experiment on
their tasks.
"""

from lru_rtrl.config import apply_variant, base_config, lra_lru, shrink_for_smoke


def get_config(arg=None, task="smnist"):
    config = lra_lru(base_config(task), d_model=128, d_hidden=64, r_min=0.9, r_max=0.999)
    config.train.num_epochs = 50
    config.train.lr = 2e-3
    config.train.warmup_epochs = 1.0
    config.train.weight_decay = 0.05
    return apply_variant(config, arg, {"smoke": shrink_for_smoke}, where=f"configs/{task}.py")
