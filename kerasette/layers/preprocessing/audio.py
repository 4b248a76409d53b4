"""Placeholder: filled in by the audio-layers work."""
__all__ = []
