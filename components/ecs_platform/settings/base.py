"""The shared base of the settings models: the error a bad stack file raises, the problems a model-level check
blames on one key, the stack-file boolean, and the helpers that turn a component's own check into a settings
validator."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Optional

import pulumi
from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class SettingsError(pulumi.RunError):
    """Bad stack configuration: one line per problem, each naming its key. A RunError, so the Pulumi CLI prints the
    message and no traceback."""

    def __init__(self, key: str, message: str, more: Sequence[tuple[str, str]] = ()) -> None:
        self.problems: list[tuple[str, str]] = [(key, message), *more]
        super().__init__("\n".join(f"{k}: {m}" for k, m in self.problems))
        self.key = key


class KeyProblems(ValueError):
    """Several KeyProblems a model-level check found at once."""

    def __init__(self, problems: list["KeyProblem"]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class KeyProblem(ValueError):
    """Raised by a model-level check to put the blame on one of the model's keys."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _component_check(problem_of: Callable[[Any], Optional[str]], key: str) -> Any:
    """A field validator that refuses what a component's own check refuses (its message without the component's
    key, which the settings' key path replaces); an absent value is not checked."""
    def check(cls: Any, value: Any) -> Any:
        problem = problem_of(value) if value is not None else None
        if problem:
            raise ValueError(problem.removeprefix(f"{key} "))
        return value
    return classmethod(check)


def _strict_bool(value: Any) -> Any:
    """true or false, as YAML 1.2 and the Pulumi CLI write them (a top-level value arrives as the text "true"), not
    the yes/no/on/off/1/0 that pydantic would read as booleans: `deletionProtection: no` is a mistake, said so."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value in (True, "true")
    raise ValueError(f"expected true or false; got {value!r}")


Bool = Annotated[bool, BeforeValidator(_strict_bool)]
"""A stack-file boolean."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True, validate_default=True)


_SECTION_KEY = re.compile(r"^([a-z_]+)\.([a-z0-9_]+) (.*)$")
_STACK_WIDE = ("minimum_healthy_percent", "maximum_percent", "steady_state_timeout_minutes")
"""Deployment keys a stack file sets under serviceDefaults, not per service."""


def _blame(problem: str, prefix: str = "") -> KeyProblem:
    """A component's one-line problem (``deployment.bake_time_minutes must be ...``) blamed on the stack-file key
    that said it (``services.api.deployment.bakeTimeMinutes``)."""
    match = _SECTION_KEY.match(problem)
    if not match:
        return KeyProblem(prefix.rstrip("."), problem)
    section, key, rest = match.groups()
    if section == "deployment" and key in _STACK_WIDE:
        return KeyProblem(f"{prefix}deployment.strategy", f"serviceDefaults.{to_camel(key)} {rest}")
    return KeyProblem(f"{prefix}{to_camel(section)}.{to_camel(key)}", rest)
