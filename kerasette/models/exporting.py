"""``Model.export``'s formats, registered by the packages that write them.

Exporters sit above models (they read models' graphs), so ``Model.export``
cannot import them: each exporter registers itself here under Keras 3's
format name when it is imported (``kerasette.export`` registers "onnx").
"""
from __future__ import annotations

__all__ = ["register_format", "export_model", "FORMATS"]

#: format name -> function(model, filepath, verbose=..., **kwargs)
FORMATS: dict = {}

#: Keras 3's formats that need TensorFlow, JAX or PyTorch, which kerasette does not have
_ELSEWHERE = ("tf_saved_model", "litert", "openvino")


def register_format(name: str, function) -> None:
    FORMATS[name] = function


def export_model(model, filepath, format="onnx", verbose=True, **kwargs):
    if format in FORMATS:
        return FORMATS[format](model, filepath, verbose=verbose, **kwargs)
    if format in _ELSEWHERE:
        raise ValueError(f"format={format!r} needs TensorFlow's runtime, which kerasette does not use; "
                         f"kerasette exports {sorted(FORMATS)}")
    raise ValueError(f"Unrecognized format={format!r}. kerasette exports {sorted(FORMATS)}")
