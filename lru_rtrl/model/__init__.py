"""The sequence model (encoder, residual blocks, pooling, decoder) and its builder."""

from lru_rtrl.model.build import Model, build_model, count_params, dummy_batch  # noqa: F401
