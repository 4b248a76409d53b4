"""Shape ops, slicing and indexing."""
from __future__ import annotations

from .core import apply  # noqa: F401
