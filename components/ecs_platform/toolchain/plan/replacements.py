"""Which inputs of a resource force its replacement: the provider's ForceNew facts, as a data file.

``replacements.json`` (next to this module) is written by ``scripts/replacement_facts.py`` from the provider's own
sources and a short overlay of the replacements those sources do not mark; it names the pulumi-aws version it
describes. Paths are the engine's camelCase property paths, ``[*]`` standing for any element of a list
(``encryptionConfigurations[*].kmsKey``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

DATA = Path(__file__).with_name("replacements.json")

Path_ = tuple[str, ...]
"""A property path split into parts: names, ``[*]`` for any element, or ``[N]`` for one."""

_PART = re.compile(r"[^.\[\]]+|\[\*\]|\[\d+\]")


def split(path: str) -> Path_:
    """``actions[0].forward.targetGroups[*].weight`` -> ``('actions', '[0]', 'forward', 'targetGroups', '[*]',
    'weight')``."""
    return tuple(_PART.findall(path))


def join(parts: Path_) -> str:
    text = ""
    for part in parts:
        text += part if part.startswith("[") else (f".{part}" if text else part)
    return text


def _same(pattern: str, part: str) -> bool:
    return pattern == part or (pattern == "[*]" and part.startswith("["))


def covers(pattern: Path_, path: Path_) -> bool:
    """Whether ``path`` is ``pattern`` or lies inside it (``[*]`` in the pattern matches any index)."""
    return len(pattern) <= len(path) and all(_same(p, q) for p, q in zip(pattern, path))


@dataclass(frozen=True)
class Facts:
    version: str
    """The pulumi-aws version the facts describe."""
    resources: dict[str, tuple[Path_, ...]]
    conditional: dict[str, tuple[tuple[Path_, dict[str, Any]], ...]] = field(default_factory=dict)
    """Replace-on paths that apply only when the resource's inputs have the given values
    (``userData`` when ``userDataReplaceOnChange`` is true)."""

    def replace_paths(self, type_: str) -> Optional[tuple[Path_, ...]]:
        """The replace-on paths of ``type_``; None when the type is not described (then nothing is assumed)."""
        return self.resources.get(type_)

    def _patterns(self, type_: str, inputs: Optional[dict[str, Any]]) -> list[Path_]:
        found = list(self.resources.get(type_, ()))
        for pattern, when in self.conditional.get(type_, ()):
            if inputs is not None and all(inputs.get(k) == v for k, v in when.items()):
                found.append(pattern)
        return found

    def replaces(self, type_: str, path: Path_, inputs: Optional[dict[str, Any]] = None) -> Optional[Path_]:
        """The replace-on path a change at ``path`` falls under, or None (an update in place); ``inputs`` (the new
        ones) decide the conditional replacements."""
        for pattern in self._patterns(type_, inputs):
            if covers(pattern, path):
                return pattern
        return None

    def replaces_property(self, type_: str, prop: str) -> Optional[Path_]:
        """The replace-on path under the top-level property ``prop``, when a change of that whole property (its
        value unknown until an upstream replacement) may force a replacement."""
        for pattern in self.resources.get(type_, ()):
            if pattern[0] == prop:
                return pattern
        return None


@lru_cache(maxsize=None)
def load(path: Optional[str] = None) -> Facts:
    data: dict[str, Any] = json.loads(Path(path or DATA).read_text())
    resources = {type_: tuple(split(p) for p in entry["replaceOnChanges"])
                 for type_, entry in data["resources"].items()}
    conditional = {type_: tuple((split(c["path"]), c["when"]) for c in entry.get("replaceOnChangesWhen", []))
                   for type_, entry in data["resources"].items()}
    return Facts(version=data["provider"]["version"], resources=resources, conditional=conditional)


__all__ = ["DATA", "Facts", "covers", "join", "load", "split"]
