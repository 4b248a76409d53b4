"""Reductions with axis and keepdims, argmax/argmin, cumsum."""
from __future__ import annotations
