"""Matrix products."""
from __future__ import annotations

from .core import apply  # noqa: F401
