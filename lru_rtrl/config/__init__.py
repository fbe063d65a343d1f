"""Experiment configs: the schema with its defaults, the closed sets of values, validation,
and the helpers config files use. Nothing in this package imports JAX.

    schema.py    base_config(task) and the defaults of every field
    (the closed sets of values, as enums, are lru_rtrl.choices: below every package)
    validate.py  check_config (keys and values) and check_names (registry look-ups)
    variants.py  apply_variant (`configs/copy.py:paper`) and shrink_for_smoke
    presets.py   the paper's recurring setups (e.g. lra_lru)
    files.py     reading config files by path (load_config, sibling_config)
"""

from lru_rtrl.config.schema import (base_config, model_config, streaming_config,  # noqa: F401
                                    train_config)
from lru_rtrl.config.files import load_config, sibling_config  # noqa: F401
from lru_rtrl.config.presets import lra_lru  # noqa: F401
from lru_rtrl.config.variants import (UnknownVariantError, apply_variant,  # noqa: F401
                                      shrink_for_smoke)
