"""Write one benchmark's section of benchmarks/RESULTS.md, between its begin and end markers.

Each benchmark owns the text between its two HTML comments; a run replaces
that text and keeps every other section. A file without the markers gets the
section appended.
"""
from __future__ import annotations


def write_section(path: str, begin: str, end: str, text: str) -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of ``path``'s section."""
    import os
    current = "# Benchmark results\n"
    if os.path.exists(path):
        with open(path) as handle:
            current = handle.read()
    if begin in current and end in current:
        current = current[:current.index(begin)] + text + current[current.index(end) + len(end):]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as handle:
        handle.write(current)
