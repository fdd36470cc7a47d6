"""The documentation stays true: every settings key is in the configuration reference."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from ecs_platform.settings import StackSettings

from .conftest import ROOT


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        inner = [a for a in (field.annotation, *typing.get_args(field.annotation)) if isinstance(a, type)]
        nested = next((a for a in inner if issubclass(a, BaseModel)), None)
        if nested is not None and not typing.get_args(field.annotation):
            found += keys(nested, f"{key}.")
        else:
            found.append(key)
    return found


def test_every_settings_key_is_documented() -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = [k for k in keys(StackSettings) if f"`{k}`" not in reference]
    assert not missing
