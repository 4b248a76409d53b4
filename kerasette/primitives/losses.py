"""Fused losses: softmax and sigmoid cross-entropy."""
from __future__ import annotations
