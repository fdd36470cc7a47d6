"""The stack outputs are a contract (stack-outputs.schema.json): other stacks read them through a StackReference,
so an export that disappears, is renamed or changes type fails here first."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .conftest import ROOT

CONTRACT = json.loads((ROOT / "stack-outputs.schema.json").read_text())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_exports_exactly_the_contract(request, stack: str) -> None:
    outputs = request.getfixturevalue(stack).outputs
    jsonschema.validate(outputs, CONTRACT)


@pytest.mark.parametrize("change", [
    lambda o: o.pop("listenerArn"),
    lambda o: o.update(clusterArns=o.pop("clusterArn")),
    lambda o: o.update(privateSubnetIds=",".join(o["privateSubnetIds"])),
    lambda o: o["workers"]["orders"].pop("deadLetterQueueUrl"),
], ids=["removed", "renamed", "changed type", "nested key removed"])
def test_the_contract_refuses_a_broken_export(prod, change) -> None:
    outputs = json.loads(json.dumps(prod.outputs))
    change(outputs)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(outputs, CONTRACT)


def test_every_export_is_documented() -> None:
    documented = (ROOT / "docs" / "outputs.md").read_text()
    assert all(f"`{name}`" in documented for name in CONTRACT["properties"])
