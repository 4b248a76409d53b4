"""Activation functions: relu family, sigmoid family, elu/selu/gelu, softplus, softsign, swish, softmax, log_softmax."""
from __future__ import annotations
