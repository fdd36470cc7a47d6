"""The service models fidelity validates requests against: each operation's cut of botocore's model, kept in the
user's cache per botocore version, is the whole model as far as that operation's request goes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from ecs_platform.testing import ProgramRun
from ecs_platform.toolchain.fidelity import models
from ecs_platform.toolchain.fidelity.requests import requests_for


def described(shape: Shape, seen: frozenset[str] = frozenset()) -> Any:
    """Everything validation reads of a shape, members and all (a recursive shape is named where it recurs)."""
    if shape.name in seen:
        return shape.name
    seen = seen | {shape.name}
    about: dict[str, Any] = {"type": shape.type_name, "metadata": shape.metadata, "enum": getattr(shape, "enum", None),
                             "required": shape.required_members if isinstance(shape, StructureShape) else None}
    if isinstance(shape, StructureShape):
        about["members"] = {key: described(member, seen) for key, member in shape.members.items()}
    elif isinstance(shape, ListShape):
        about["member"] = described(shape.member, seen)
    elif isinstance(shape, MapShape):
        about["key"], about["value"] = described(shape.key, seen), described(shape.value, seen)
    return about


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    return tmp_path


def test_each_operations_cut_describes_its_request_as_the_whole_model_does(prod: ProgramRun, cache: Path) -> None:
    operations = {(r.service, r.operation) for r in requests_for(prod.resources)}
    assert len(operations) > 20
    for service, name in sorted(operations):
        whole = ServiceModel(models._service_data(service), service_name=service).operation_model(name)
        cut = ServiceModel(models._operation_data(service, name), service_name=service).operation_model(name)
        assert described(cut.input_shape) == described(whole.input_shape), (service, name)


def test_a_cut_is_kept_in_the_users_cache_per_botocore_version_and_read_from_there(cache: Path) -> None:
    import botocore

    models._operation_data("sqs", "CreateQueue")
    kept = cache / "ecs-platform" / f"botocore-{botocore.__version__}" / "sqs.CreateQueue.json"
    data = json.loads(kept.read_text())
    data["metadata"]["serviceId"] = "read from the cache"
    kept.write_text(json.dumps(data))
    assert models._operation_data("sqs", "CreateQueue")["metadata"]["serviceId"] == "read from the cache"


def test_a_damaged_cut_is_made_again(cache: Path) -> None:
    models._operation_data("sqs", "CreateQueue")
    (kept,) = (cache / "ecs-platform").glob("*/sqs.CreateQueue.json")
    kept.write_text('{"metadata": ')
    assert "CreateQueue" in models._operation_data("sqs", "CreateQueue")["operations"]
    assert json.loads(kept.read_text())["operations"].keys() == {"CreateQueue"}


def test_nothing_is_cached_where_the_user_has_models_of_their_own(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "models"))
    assert "CreateQueue" in models._operation_data("sqs", "CreateQueue")["operations"]
    assert not (cache / "ecs-platform").exists()
