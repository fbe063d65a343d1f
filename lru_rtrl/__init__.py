"""lru_rtrl: online learning of long-range dependencies with real-time recurrent learning.

Train deep recurrent networks (stacks of Linear Recurrent Units above all) with gradients
formed while the sequence is read: exact RTRL inside each layer, spatial backpropagation
between layers (Zucchet et al., NeurIPS 2023). See README.md and docs/design.md.
"""

__version__ = "0.1.0"
