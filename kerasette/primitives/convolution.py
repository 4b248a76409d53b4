"""Convolutions as im2col through stride tricks plus one BLAS matmul."""
from __future__ import annotations
