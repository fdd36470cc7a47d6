"""Validate API requests against AWS's own service models, as shipped in botocore.

botocore's ParamValidator checks what the SDK checks before sending: unknown and missing members, types, and
minimum lengths and values. The service models say more than that (enums, maximum lengths and values), which AWS
checks on arrival; :func:`model_errors` adds those from the same shapes.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import botocore
from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator


@functools.lru_cache(maxsize=None)
def _loader() -> Loader:
    return Loader()


@functools.lru_cache(maxsize=None)
def _service_data(service: str) -> dict[str, Any]:
    """The service's newest model, as a botocore session loads it (its loader's ``service-2`` data); no client,
    waiter or documentation machinery is loaded for it."""
    return _loader().load_service_model(service, "service-2")


@functools.lru_cache(maxsize=None)
def operation(service: str, name: str) -> OperationModel:
    return ServiceModel(_operation_data(service, name), service_name=service).operation_model(name)


def _operation_data(service: str, name: str) -> dict[str, Any]:
    """The service model cut down to one operation and the shapes its request is made of. Reading a whole model
    (EC2's is megabytes of JSON) took most of a plan's fidelity check, so each cut is kept in the user's cache,
    per botocore version: botocore's own files never change within one. A model path of the user's own
    (``AWS_DATA_PATH``) may replace them, so then nothing is cached."""
    cached = _cache_file(service, name)
    if cached is not None:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(cached.read_text())
    data = _service_data(service)
    operation_data = data["operations"][name]
    shapes: dict[str, Any] = {}
    pending = [operation_data["input"]["shape"]] if "input" in operation_data else []
    while pending:
        shape_name = pending.pop()
        if shape_name in shapes:
            continue
        shape = shapes[shape_name] = data["shapes"][shape_name]
        pending += [member["shape"] for member in shape.get("members", {}).values()]
        pending += [shape[key]["shape"] for key in ("member", "key", "value") if key in shape]
    cut = {"metadata": data["metadata"], "operations": {name: operation_data}, "shapes": shapes}
    if cached is not None:
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=cached.parent, delete=False, suffix=".tmp") as out:
                json.dump(cut, out)
            os.replace(out.name, cached)
    return cut


def _cache_file(service: str, name: str) -> Optional[Path]:
    if os.environ.get("AWS_DATA_PATH"):
        return None
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "ecs-platform" / f"botocore-{botocore.__version__}" / f"{service}.{name}.json"


def validate(service: str, name: str, params: dict[str, Any]) -> list[str]:
    """Every problem AWS would find in the request's shape, one message each."""
    model = operation(service, name)
    params = typed(params, model.input_shape)
    report = ParamValidator().validate(params, model.input_shape)
    errors = report.generate_report().splitlines() if report.has_errors() else []
    return errors + list(_constraints(params, model.input_shape, ""))


def typed(value: Any, shape: Shape) -> Any:
    """Numbers as the provider sends them. Values cross Pulumi's wire as protobuf doubles; the provider converts
    them back by its schema, so a whole double in an integer field is an integer. A fractional one stays a float
    (and fails validation, as it would at the provider)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {k: typed(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [typed(v, shape.member) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: typed(v, shape.value) for k, v in value.items()}
    if shape.type_name in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _constraints(value: Any, shape: Shape, path: str) -> Iterator[str]:
    """Enum, maximum length and maximum value of every member the model constrains."""
    if value is None:
        return
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, member in shape.members.items():
            if key in value:
                yield from _constraints(value[key], member, f"{path}.{key}" if path else key)
        return
    if isinstance(shape, ListShape) and isinstance(value, list):
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            yield f"Invalid length for parameter {path}: {len(value)} items, valid max length: {shape.metadata['max']}"
        for index, item in enumerate(value):
            yield from _constraints(item, shape.member, f"{path}[{index}]")
        return
    if isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            yield from _constraints(key, shape.key, f"{path} key {key!r}")
            yield from _constraints(item, shape.value, f"{path}.{key}")
        return
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            yield f"Invalid value for parameter {path}: {value!r}, valid values: {_some(value, shape.enum)}"
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            yield f"Invalid length for parameter {path}: {len(value)}, valid max length: {shape.metadata['max']}"
        pattern = shape.metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            yield f"Invalid value for parameter {path}: {value!r} does not match the pattern {pattern}"
    elif shape.type_name in ("integer", "long", "double", "float") and isinstance(value, (int, float)):
        if "max" in shape.metadata and value > shape.metadata["max"]:
            yield f"Invalid value for parameter {path}: {value}, valid max value: {shape.metadata['max']}"


def _some(value: str, choices: list[str], shown: int = 8) -> str:
    """The valid values, or for a long list (EC2's 900 instance types) the closest few and how many there are."""
    if len(choices) <= shown:
        return ", ".join(choices)
    close = difflib.get_close_matches(value, choices, n=shown, cutoff=0.5)
    return f"{', '.join(close) or ', '.join(choices[:shown])} and {len(choices) - len(close or choices[:shown])} more"


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # some model patterns use syntax Python's re does not read; AWS checks those itself


def _matches(pattern: str, value: str) -> bool:
    """A model pattern constrains the whole value."""
    compiled = _compiled(pattern)
    return compiled is None or compiled.fullmatch(value) is not None
