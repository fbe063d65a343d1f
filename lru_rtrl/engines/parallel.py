"""The parallel engine: the whole sequence at once, the rule's surrogates inside each layer.

`jax.value_and_grad` of the masked loss of the model's sequence pass, where every recurrent
layer runs through `rule.layer_sequence`. Time and memory are those of BPTT, O(T·N) per layer.
It accepts every rule, pooling and task. Subclasses may change how the sequence pass runs by
overriding `logits` (e.g. recomputing activations in the backward pass).
"""

from __future__ import annotations

import jax

from lru_rtrl.engines.base import Engine, mask_frozen
from lru_rtrl.model import losses
from lru_rtrl.registry import ENGINES


class ParallelEngine(Engine):
    name = "parallel"

    def logits(self, model, params, rng, batch, *, is_training, rule):
        """The model's whole-sequence logits under `rule` (None: the model's own)."""
        return model.apply(params, rng, batch, is_training, rule)

    def sequence_loss(self, model, params, rng, batch, *, is_training=True, rule=None,
                      normalizer=None):
        """(loss, stats) of the whole-sequence pass."""
        logits = self.logits(model, params, rng, batch, is_training=is_training, rule=rule)
        return losses.sequence_loss(logits, batch, model.spec, model.arch.pooling, normalizer,
                                    model.loss_average)

    def gradient(self, model, params, rng, batch, *, normalizer=None, is_training=True,
                 rule=None):
        (loss, stats), grads = jax.value_and_grad(self.sequence_loss, argnums=1, has_aux=True)(
            model, params, rng, batch, is_training=is_training, rule=rule, normalizer=normalizer)
        return loss, stats, mask_frozen(grads, model.trained_mask(params, rule))


ENGINES.register("parallel", ParallelEngine())
