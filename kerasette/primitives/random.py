"""Random draws with an explicit generator: dropout masks."""
from __future__ import annotations
