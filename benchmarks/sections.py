"""docs/benchmarks.md is written by several benchmark scripts, each owning one `## ` section of it."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, heading: str, text: str) -> None:
    """Write ``text`` (starting with ``heading``) in place of that section of ``path``, or after the rest when the
    file has no such section; every other section stays as it is."""
    current = path.read_text() if path.exists() else ""
    head, marker, tail = current.partition(heading)
    rest = tail.split("\n## ", 1)[1] if marker and "\n## " in tail else ""
    path.write_text(head.rstrip() + "\n\n" + text + (("\n## " + rest) if rest else ""))
