"""The documentation stays true: every settings key is in the configuration reference."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from ecs_platform.settings import StackSettings

from .conftest import ROOT


def _model(annotation: object) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    return next((a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None)


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key a stack file may write: nested sections are walked, maps of sections get a `<name>` segment,
    lists of sections are documented as one key."""
    found = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        origin = typing.get_origin(field.annotation)
        nested = _model(field.annotation)
        if origin is dict and nested is not None:
            found += keys(nested, f"{key}.<name>.")
        elif nested is not None and origin is not list:
            found += keys(nested, f"{key}.")
        else:
            found.append(key)
    return found


def test_every_settings_key_is_documented() -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = [k for k in keys(StackSettings) if f"`{k}`" not in reference]
    assert not missing


def test_the_walk_reaches_nested_and_mapped_sections() -> None:
    found = keys(StackSettings)
    assert "network.azCount" in found
    assert "services.<name>.autoscaling.minTasks" in found
    assert "workers.<name>.scaling.mode" in found
