"""Neural-network ops: batch-norm statistics, dropout, fused cross-entropies."""
from __future__ import annotations

from .core import apply  # noqa: F401
