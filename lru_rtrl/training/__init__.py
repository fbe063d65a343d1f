"""Losses, optimisation, metrics, train / eval steps, checkpoints and the training loop."""
