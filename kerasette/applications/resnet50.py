"""``kerasette.applications.resnet50``: Keras' module of that name, ResNet50 with its
preprocessing and decoding (the same functions as ``kerasette.applications.resnet``)."""
from .resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
