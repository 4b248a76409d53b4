"""Placeholder: filled in by the image-layers work."""
__all__ = []
