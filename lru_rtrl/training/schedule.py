"""The learning-rate schedule: linear warm-up, then cosine decay that ends exactly at the minimum.

With `W` warm-up updates out of `N`, update `c` (0-based, the optimizer's own count) uses

    c < W:   peak · (c + 1) / W                      (reaches the peak at c = W - 1)
    c >= W:  min + (peak - min) · ½ (1 + cos(π p)),  p = (c - W) / (N - 1 - W)

so the first decay update runs at the peak and the last one (c = N - 1) at `min`, not earlier
(the reference code reached its minimum W updates before the end). The warm-up starts at
peak / W rather than 0 so that no update is wasted. Past N the rate stays at `min`.
"""

from __future__ import annotations

import jax.numpy as jnp
import optax

from lru_rtrl.errors import ConfigError


def warmup_cosine(peak: float, total_updates: int, warmup_updates: int = 0,
                  min_factor: float = 0.0) -> optax.Schedule:
    """The schedule of the module docstring; `min_factor` x `peak` is the final rate."""
    if total_updates < 1:
        raise ConfigError(f"The schedule needs at least one update, got {total_updates} "
                         "(config.train.num_steps / num_epochs).")
    if not 0 <= warmup_updates < total_updates:
        raise ConfigError(
            f"The warm-up ({warmup_updates} updates, config.train.warmup_epochs) must be shorter "
            f"than training ({total_updates} updates).")
    if not 0.0 <= min_factor <= 1.0:
        raise ConfigError(f"config.train.min_lr_factor must be in [0, 1], got {min_factor}.")
    floor = peak * min_factor
    decay_span = total_updates - 1 - warmup_updates

    def schedule(count):
        count = jnp.asarray(count, jnp.float32)
        warm = peak * (count + 1.0) / max(warmup_updates, 1)
        if decay_span > 0:
            progress = jnp.clip((count - warmup_updates) / decay_span, 0.0, 1.0)
        else:  # A single decay update: it is the last one, so it runs at the minimum.
            progress = jnp.ones_like(count)
        cosine = floor + (peak - floor) * 0.5 * (1.0 + jnp.cos(jnp.pi * progress))
        return jnp.where(count < warmup_updates, warm, cosine)

    return schedule
