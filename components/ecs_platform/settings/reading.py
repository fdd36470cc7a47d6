"""Reading a stack's config: the engine's flat config map parsed into :class:`StackSettings`, the namespaces and AWS
provider keys a stack file may use, and every validation error turned into one line naming the key as the stack
file writes it."""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Optional

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from .. import validation
from .base import KeyProblem, KeyProblems, SettingsError
from .scheduled_tasks import ScheduledTaskSettings
from .services import ServiceSettings
from .stack import StackSettings
from .workers import WorkerSettings


def parse(config: Mapping[str, str], namespace: str) -> StackSettings:
    """Settings from a flat config map as the Pulumi engine passes it to a program (``PULUMI_CONFIG``): keys are
    ``namespace:key`` and structured values are JSON text.

    Raises :class:`SettingsError` with one line naming the first bad key.
    """
    prefix = f"{namespace}:"
    data: dict[str, Any] = {key[len(prefix):]: _decode(value) for key, value in config.items() if key.startswith(prefix)}
    _check_namespaces(config, namespace)
    if "aws:region" in config:
        data["aws:region"] = config["aws:region"]
    data["aws:*"] = provider_options(config)
    try:
        return StackSettings.model_validate(data)
    except ValidationError as error:
        raise _problems(error, namespace) from None


# Config namespaces a stack of this project may use besides its own: the AWS provider's, and Pulumi's own.
_OTHER_NAMESPACES = ("aws", "pulumi")
# aws: keys the platform sets itself.
_PLATFORM_PROVIDER_KEYS = {"region": "aws:region is read separately", "defaultTags": "use ecs-platform:tags"}


def _check_namespaces(config: Mapping[str, str], namespace: str) -> None:
    """Refuse a key no one reads (a misspelt namespace drops a whole section silently otherwise)."""
    for key in config:
        space, _, name = key.partition(":")
        if space == namespace or space == "pulumi":
            continue
        if space == "aws":
            if name not in _PLATFORM_PROVIDER_KEYS and name not in aws_provider_keys():
                raise SettingsError(key, "not a setting of the AWS provider"
                                    f"{validation.did_you_mean(name, aws_provider_keys())}")
            if name == "defaultTags":
                raise SettingsError(key, "the platform sets the provider's default tags; use ecs-platform:tags")
            continue
        suggestion = validation.did_you_mean(space, (namespace, *_OTHER_NAMESPACES))
        if suggestion:
            suggestion = f"; did you mean {suggestion.split()[-1].rstrip('?')}:{name}?"
        raise SettingsError(key, f"unknown config namespace {space!r}: this project reads {namespace}: and aws: "
                                 f"keys{suggestion}")


def aws_provider_keys() -> dict[str, str]:
    """The AWS provider's config keys (camelCase, as a stack file writes them) and their argument names, from the
    provider's own Python arguments."""
    import inspect

    import pulumi_aws as aws

    names = [n for n in inspect.signature(aws.ProviderArgs.__init__).parameters if n != "__self__"]
    return {to_camel(n): n for n in names}


def provider_options(config: Mapping[str, str]) -> dict[str, Any]:
    """The stack file's aws: keys other than the region and default tags, as arguments of ``aws.Provider`` (the
    program's explicit provider does not read the aws: namespace by itself)."""
    keys = aws_provider_keys()
    options: dict[str, Any] = {}
    for key, value in config.items():
        space, _, name = key.partition(":")
        if space == "aws" and name in keys and name not in _PLATFORM_PROVIDER_KEYS:
            options[keys[name]] = _provider_value(value)
    return options


def _provider_value(value: str) -> Any:
    """Structured values and JSON scalars (true, 3) as the provider's typed arguments take them."""
    if isinstance(value, str) and (value[:1] in ("{", "[") or value in ("true", "false") or value.isdigit()):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def from_pulumi_config() -> StackSettings:
    """Settings of the running stack, read from the config the engine passed (namespace: the project name)."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    try:
        settings = parse(merged, pulumi.get_project())
    except SettingsError as error:
        where = f" (stack file Pulumi.{pulumi.get_stack()}.yaml)"
        (key, message), *more = error.problems
        raise SettingsError(key, message + where, [(k, m + where) for k, m in more]) from None
    for warning in settings.warnings(pulumi.get_project()):
        pulumi.log.warn(warning)
    return settings


def _decode(value: Any) -> Any:
    """The engine passes objects and arrays as JSON text and scalars as plain strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


_WORKLOAD_FIELDS = {"services": "service", "workers": "worker", "scheduled_tasks": "scheduled task"}
_WORKLOAD_KEYS = {
    field: {f.alias or n for n, f in model.model_fields.items()}
    for field, model in (("services", ServiceSettings), ("workers", WorkerSettings),
                         ("scheduled_tasks", ScheduledTaskSettings))
}
"""The keys of each kind of workload: written where a workload's name goes, one is misplaced, not a name."""


def _problems(error: ValidationError, namespace: str) -> SettingsError:
    """Every problem of a stack file, one (key, message) each, the misplaced and misspelt keys first."""
    problems = error.errors(include_url=False)
    # A misspelt key also leaves its right spelling missing: report the misspelling, with its suggestion.
    misspelt = {tuple(p["loc"][:-1]) for p in problems if p["type"] == "extra_forbidden"}
    problems = [p for p in problems if not (p["type"] == "missing" and tuple(p["loc"][:-1]) in misspelt)]
    found: list[tuple[str, str]] = []
    # A workload's key written one level too far left reads as a workload of that name: say so, once, and drop
    # what the misreading makes of it.
    misplaced: set[tuple[Any, ...]] = set()
    for p in problems:
        loc = p["loc"]
        if len(loc) >= 2 and loc[0] in _WORKLOAD_FIELDS and str(loc[1]) in _WORKLOAD_KEYS[loc[0]] \
                and tuple(loc[:2]) not in misplaced:
            misplaced.add(tuple(loc[:2]))
            section = _as_written(loc[:1], keep_last=False)[0]
            found.append((f"{namespace}:{section}.{loc[1]}",
                          f"misplaced: {loc[1]} is a key of a {_WORKLOAD_FIELDS[loc[0]]}, not a "
                          f"{_WORKLOAD_FIELDS[loc[0]]} of its own; indent it under the {_WORKLOAD_FIELDS[loc[0]]} it "
                          "belongs to"))
    problems = [p for p in problems if tuple(p["loc"][:2]) not in misplaced]
    for p in sorted(problems, key=lambda p: p["type"] != "extra_forbidden"):
        blamed = p.get("ctx", {}).get("error")
        for each in (blamed.problems if isinstance(blamed, KeyProblems) else [blamed]):
            one = {**p, "ctx": {**p.get("ctx", {}), "error": each}} if isinstance(blamed, KeyProblems) else p
            found.append((_key_path(one, namespace), _describe(one)))
    unique = list(dict.fromkeys(found))
    return SettingsError(*unique[0], unique[1:])


def _key_path(problem: Mapping[str, Any], namespace: str) -> str:
    loc = _as_written(problem["loc"], keep_last=problem["type"] == "extra_forbidden")
    blamed = problem.get("ctx", {}).get("error")
    if isinstance(blamed, KeyProblem):
        loc.append(blamed.key)
    if not loc:
        return namespace
    head, *rest = loc
    path = head if ":" in str(head) else f"{namespace}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _as_written(loc: tuple[Any, ...], keep_last: bool) -> list[Any]:
    """The path with field names turned into the camelCase keys a stack file uses (defaults are validated under
    their Python names). The key of an unknown-key error is kept exactly as the user wrote it."""
    written: list[Any] = []
    annotation: Any = StackSettings
    for index, part in enumerate(loc):
        model = _strip_optional(annotation)
        if _is_model(model) and part in model.model_fields and not (keep_last and index == len(loc) - 1):
            written.append(model.model_fields[part].alias or part)
        else:
            written.append(part)
        annotation = _descend(annotation, part)
    return written


def _describe(problem: Mapping[str, Any]) -> str:
    kind, ctx, given = problem["type"], problem.get("ctx", {}), problem.get("input")
    if kind == "extra_forbidden":
        key, parent = str(problem["loc"][-1]), problem["loc"][:-1]
        allowed = _allowed_keys(parent)
        misplaced = _misplaced(key, parent)
        if misplaced:
            return misplaced
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f"did you mean {hint[0]}? " if hint else ""
        return f"unknown key; {suggestion}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", problem["msg"])).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"allowed: {ctx['expected'].replace(chr(39), '')}; got {given!r}"
    expected = {
        "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
        "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "a string",
        "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys", "dict_type": "a mapping",
        "list_type": "a list",
    }.get(kind)
    if expected:
        return f"expected {expected}; got {given!r}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("above", "gt"), "less_than": ("below", "lt")}.get(kind)
    if bounds:
        return f"must be {bounds[0]} {ctx[bounds[1]]}; got {given!r}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return problem["msg"].replace("Value", "value").replace("List", "list")
    return problem["msg"]


def _misplaced(key: str, parent: tuple[Any, ...]) -> Optional[str]:
    """Where ``key``, unknown at ``parent``, belongs: one level up, or one level down under a section of
    ``parent``; None when it belongs to neither."""
    def written(loc: tuple[Any, ...]) -> str:
        return ".".join(str(part) for part in _as_written(loc, keep_last=False))

    if len(parent) >= 1 and key in _allowed_keys(parent[:-1]):
        return f"misplaced: {key} belongs one level up, under {written(parent[:-1]) or 'the top of the stack file'}"
    annotation = _strip_optional(_descend_path(parent))
    if _is_model(annotation):
        for name, field in annotation.model_fields.items():
            child = field.alias or name
            if key in _allowed_keys((*parent, child)) and _is_model(_strip_optional(field.annotation)):
                return f"misplaced: {key} belongs one level down, under {written((*parent, child))}"
    return None


def _descend_path(loc: tuple[Any, ...]) -> Any:
    annotation: Any = StackSettings
    for part in loc:
        annotation = _descend(annotation, part)
    return annotation


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys a settings model accepts at ``loc``, walking the annotations down the path."""
    annotation: Any = StackSettings
    for part in loc:
        annotation = _descend(annotation, part)
    annotation = _strip_optional(annotation)
    if not _is_model(annotation):
        return []
    # `aws:*` is where the provider's keys land, not something a stack file writes.
    return [field.alias or name for name, field in annotation.model_fields.items() if field.alias != "aws:*"]


def _descend(annotation: Any, part: Any) -> Any:
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if _is_model(annotation):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
    return None


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        remaining = [a for a in typing.get_args(annotation) if a is not type(None)]
        return remaining[0] if len(remaining) == 1 else annotation
    return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
