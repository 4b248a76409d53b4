"""Matrix products: matmul (batched), dot, tensordot, einsum."""
from __future__ import annotations
