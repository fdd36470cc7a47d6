"""Checking a component's args dict against its TypedDict before anything is registered.

A TypedDict is not checked at runtime, so `{"min_task": 3}` would be ignored silently when the components are used
from another project. :func:`check_keys` refuses keys the args type does not declare, at every level (nested
TypedDicts, lists of them), with the closest declared key suggested, and required keys that are missing.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Any


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (list, tuple) or getattr(origin, "__name__", "") == "Sequence"


def _is_mapping(annotation: Any) -> bool:
    return typing.get_origin(annotation) is dict


def _typed_dict(annotation: Any) -> Any:
    """The TypedDict an annotation stands for, through NotRequired, Optional and pulumi.Input; None for a list or
    a dict of them."""
    if typing.is_typeddict(annotation):
        return annotation
    if _is_sequence(annotation) or _is_mapping(annotation):
        return None
    for arg in typing.get_args(annotation):
        found = _typed_dict(arg)
        if found is not None:
            return found
    return None


def _item_typed_dict(annotation: Any) -> Any:
    """The TypedDict of the items of a list annotation, through the same wrappers, or None."""
    if _is_sequence(annotation):
        args = typing.get_args(annotation)
        return _typed_dict(args[0]) if args else None
    for arg in typing.get_args(annotation):
        found = _item_typed_dict(arg)
        if found is not None:
            return found
    return None


def _value_typed_dict(annotation: Any) -> Any:
    """The TypedDict of the values of a ``dict[str, TypedDict]`` annotation, through the same wrappers, or None."""
    if _is_mapping(annotation):
        args = typing.get_args(annotation)
        return _typed_dict(args[1]) if len(args) == 2 else None
    if _is_sequence(annotation) or typing.is_typeddict(annotation):
        return None
    for arg in typing.get_args(annotation):
        found = _value_typed_dict(arg)
        if found is not None:
            return found
    return None


def check_keys(kind: str, args: Any, args_type: Any, path: str = "args") -> None:
    """Raise ValueError naming the first key of ``args`` that ``args_type`` does not declare, or a missing
    required key. Values that are not plain mappings (Outputs, resources) are not looked into."""
    if not isinstance(args, Mapping):
        return
    # The annotations as declared: evaluating them would trip on pulumi.Input's forward reference to Output.
    hints = dict(args_type.__annotations__)
    for key, value in args.items():
        if key not in hints:
            hint = difflib.get_close_matches(str(key), list(hints), n=1, cutoff=0.6)
            suggestion = f"; did you mean {hint[0]}?" if hint else f"; allowed: {', '.join(sorted(hints))}"
            raise ValueError(f"{kind} {path}: unknown key {key!r}{suggestion}")
        nested = _typed_dict(hints[key])
        if nested is not None:
            check_keys(kind, value, nested, f"{path}.{key}")
            continue
        values = _value_typed_dict(hints[key])
        if values is not None and isinstance(value, Mapping):
            for name, element in value.items():
                check_keys(kind, element, values, f"{path}.{key}.{name}")
            continue
        item = _item_typed_dict(hints[key])
        if item is not None and isinstance(value, (list, tuple)):
            for index, element in enumerate(value):
                check_keys(kind, element, item, f"{path}.{key}[{index}]")
    for key in sorted(getattr(args_type, "__required_keys__", ())):
        if key not in args:
            raise ValueError(f"{kind} {path}: {key!r} is required")
