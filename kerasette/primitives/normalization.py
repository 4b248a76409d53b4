"""Batch-normalization statistics."""
from __future__ import annotations
