"""The component schema other languages consume, generated in-process by the Pulumi SDK."""

from __future__ import annotations

import pytest

from ecs_platform.provider import PACKAGE, schema


@pytest.fixture(scope="module")
def package() -> dict:
    return schema()


def test_schema_publishes_every_component_under_the_package_token(package: dict) -> None:
    assert package["name"] == PACKAGE
    assert set(package["resources"]) == {
        "ecs-platform:index:Network",
        "ecs-platform:index:LoadBalancer",
        "ecs-platform:index:Cluster",
        "ecs-platform:index:WebService",
        "ecs-platform:index:QueueWorker",
        "ecs-platform:index:ScheduledTask",
        "ecs-platform:index:ImageRepository",
        "ecs-platform:index:RegistryScanning",
        "ecs-platform:index:Topic",
        "ecs-platform:index:FileSystem",
    }
    assert all(r["isComponent"] for r in package["resources"].values())


def test_load_balancer_requires_only_what_has_no_default(package: dict) -> None:
    resource = package["resources"]["ecs-platform:index:LoadBalancer"]
    # publicSubnetIds (internet-facing) or privateSubnetIds (internal): the constructor says which is missing.
    assert sorted(resource["requiredInputs"]) == ["vpcCidrBlock", "vpcId"]


def test_choices_are_enums_with_the_stack_file_values(package: dict) -> None:
    nat = package["types"]["ecs-platform:index:NatGatewayStrategy"]
    assert [v["value"] for v in nat["enum"]] == ["single", "onePerAz", "instance"]
    protocol = package["resources"]["ecs-platform:index:LoadBalancer"]["inputProperties"]["protocol"]
    assert protocol["$ref"] == "#/types/ecs-platform:index:ListenerProtocol"


def test_every_input_and_output_is_documented(package: dict) -> None:
    for token, resource in package["resources"].items():
        for section in ("inputProperties", "properties"):
            for name, prop in resource[section].items():
                assert prop.get("description"), f"{token}.{name}"


def test_outputs_a_consumer_needs_are_published(package: dict) -> None:
    outputs = {token.rsplit(":", 1)[1]: set(r["properties"]) for token, r in package["resources"].items()}
    assert {"vpcId", "publicSubnetIds", "privateSubnetIds"} <= outputs["Network"]
    assert {"listenerArn", "securityGroupId", "dnsName", "arnSuffix"} <= outputs["LoadBalancer"]
    assert {"clusterName", "clusterArn"} <= outputs["Cluster"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@pytest.mark.parametrize("component", ["Network", "LoadBalancer", "Cluster", "WebService", "QueueWorker"])
def test_every_arg_and_output_of_the_python_component_is_in_the_schema_with_a_type(package: dict,
                                                                                    component: str) -> None:
    import ecs_platform

    cls = getattr(ecs_platform, component)
    args = getattr(ecs_platform, f"{component}Args")
    resource = package["resources"][f"ecs-platform:index:{component}"]
    inputs, outputs = resource["inputProperties"], resource["properties"]
    assert {_camel(k) for k in args.__annotations__} == set(inputs)
    declared = {k for k, v in cls.__annotations__.items() if "Output" in str(v)}
    assert {_camel(k) for k in declared} == set(outputs)
    for prop in [*inputs.values(), *outputs.values()]:
        assert prop.get("description") and ("type" in prop or "$ref" in prop), prop


def test_nested_arg_types_are_published_with_described_properties(package: dict) -> None:
    for token in ("ecs-platform:index:Placement", "ecs-platform:index:TaskArgs", "ecs-platform:index:WorkerScaling"):
        properties = package["types"][token]["properties"]
        assert properties and all(p.get("description") for p in properties.values()), token
