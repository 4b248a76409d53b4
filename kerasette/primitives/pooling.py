"""Max and average pooling in 1, 2 and 3 dimensions."""
from __future__ import annotations
