"""Elementwise math: arithmetic with numpy broadcasting, unary functions,
comparisons and logical ops (no gradient), cast, where and clip."""
from __future__ import annotations

from .core import apply


def add(x, y):
    return apply("add", x, y)


def subtract(x, y):
    return apply("subtract", x, y)


def multiply(x, y):
    return apply("multiply", x, y)


def divide(x, y):
    return apply("divide", x, y)


def negative(x):
    return apply("negative", x)


def power(x, y):
    return apply("power", x, y)


def ones_like(x):
    return apply("ones_like", x)


def zeros_like(x):
    return apply("zeros_like", x)
