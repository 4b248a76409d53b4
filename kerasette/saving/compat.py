"""Configs of Keras 2, tf.keras and Keras 3 made acceptable to kerasette's classes.

The code lives on the layers floor (``kerasette.layers.config_compat``),
beside layer deserialization, which needs it; this module keeps the old path.
"""
from ..layers.config_compat import (accepted_arguments, filter_config, mask_only_layers,  # noqa: F401
                                    normalize_entry, normalize_layer_config)
