"""Exporting models to run where Python is not: ONNX.

``model.export(path, format="onnx")`` (Keras 3's method) and
``kerasette.export.export_onnx(model, path)``. The package sits on the top
floor, above models: it reads a model's graph; models never import it. The
method finds this exporter through the format registry in
``models.exporting``, which this package fills when it is imported (the
top-level ``kerasette`` package imports it).
"""
from ..models import exporting as _exporting
from .onnx import DEFAULT_OPSET, export_onnx, to_onnx_model
from .onnx_graph import ExportError

_exporting.register_format("onnx", export_onnx)

__all__ = ["export_onnx", "to_onnx_model", "ExportError", "DEFAULT_OPSET"]
