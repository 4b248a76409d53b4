"""Attention layers, one module per family as Keras 3 has them: MultiHeadAttention,
GroupedQueryAttention (also GroupQueryAttention), Attention, AdditiveAttention."""
from .additive_attention import AdditiveAttention
from .attention import Attention
from .grouped_query_attention import GroupedQueryAttention, GroupQueryAttention
from .multi_head_attention import MultiHeadAttention

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention",
           "GroupQueryAttention"]
