"""The parallel engine: the whole sequence at once, the rule's surrogates inside each layer.

`jax.value_and_grad` of the masked loss of the model's sequence pass, where every recurrent
layer runs through `rule.layer_sequence`. Time and memory are those of BPTT, O(T·N) per layer.
"""

from __future__ import annotations

import jax

from lru_rtrl.engines.base import Engine, mask_frozen
from lru_rtrl.registry import ENGINES
from lru_rtrl.training import losses


def sequence_loss(model, params, rng, batch, *, is_training=True, rule=None, normalizer=None):
    """(loss, stats) of the model's whole-sequence pass under `rule` (default: the model's)."""
    logits = model.apply(params, rng, batch, is_training, rule)
    return losses.sequence_loss(logits, batch, model.spec, model.options["pooling"], normalizer)


class ParallelEngine(Engine):
    name = "parallel"

    def gradient(self, model, params, rng, batch, *, normalizer=None, is_training=True,
                 rule=None):
        (loss, stats), grads = jax.value_and_grad(sequence_loss, argnums=1, has_aux=True)(
            model, params, rng, batch, is_training=is_training, rule=rule, normalizer=normalizer)
        return loss, stats, mask_frozen(grads, model.trained_mask(params, rule))


ENGINES.register("parallel", ParallelEngine())
