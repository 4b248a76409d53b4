"""Unary math, comparisons and logical ops, cast, where, clip."""
from __future__ import annotations
