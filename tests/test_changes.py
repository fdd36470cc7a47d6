"""The change analysis on its own: two plan reports in, updates, replacements and hazards out (no program run)."""

from __future__ import annotations

from typing import Any

from ecs_platform.toolchain.plan.changes import analyse, leaf_diffs
from ecs_platform.toolchain.plan.review import compare

SG = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"


def item(type_: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    urn = f"urn:pulumi:prod::p::{type_}::{name}"
    return {"type": type_, "name": name, "urn": urn, "id": f"id-{name}", "arn": f"arn:{name}", "inputs": inputs,
            **extra}


def report(*items: dict[str, Any], config: Any = None) -> dict[str, Any]:
    return {"project": "p", "stack": "prod", "resources": {"items": list(items)}, "config": config or {}}


def test_absent_null_and_empty_are_the_same_input() -> None:
    assert list(leaf_diffs({"a": None, "b": []}, {"c": {}})) == []
    assert list(leaf_diffs({"a": {"b": 1}}, {"a": {"b": 2, "c": 3}})) == [("a", "b"), ("a", "c")]


def test_a_replaced_resource_replaces_what_takes_a_force_new_input_from_it() -> None:
    urn = "urn:pulumi:prod::p::" + SG + "::tasks"
    base = report(item(SG, "tasks", {"description": "old", "vpcId": "vpc-1"}),
                  item(RULE, "in", {"securityGroupId": "id-tasks", "fromPort": 80}))
    head = report(item(SG, "tasks", {"description": "new", "vpcId": "vpc-1"}),
                  item(RULE, "in", {"securityGroupId": "id-tasks", "fromPort": 80},
                       propertyDependencies={"securityGroupId": [urn]}))
    changes = {c.head.name: c for c in analyse(base, head).changes}
    assert changes["tasks"].replace_because == ["description"]
    assert changes["in"].replace and changes["in"].cascade_from == f"{SG}::tasks"


def test_an_ignored_input_pointing_at_a_replaced_group_is_a_dangling_reference() -> None:
    # The defect of ignoring a listener rule's whole `actions`: the rule keeps forwarding to the old target group.
    forward = {"actions": [{"type": "forward", "forward": {"targetGroups": [{"arn": "arn:api-tg", "weight": 100}]}}]}
    base = report(item(TG, "api-tg", {"port": 8080}), item(LISTENER_RULE, "api-route", forward))
    head = report(item(TG, "api-tg", {"port": 9090}),
                  item(LISTENER_RULE, "api-route", forward, ignoreChanges=["actions"]))
    (hazard,) = [h for h in analyse(base, head).hazards if h.kind == "dangling"]
    assert hazard.severity == "mandatory" and hazard.resource == f"{LISTENER_RULE}::api-route"


def test_ignoring_only_the_weights_follows_a_replaced_group() -> None:
    forward = {"actions": [{"type": "forward", "forward": {"targetGroups": [{"arn": "arn:api-tg", "weight": 100}]}}]}
    base = report(item(TG, "api-tg", {"port": 8080}), item(LISTENER_RULE, "api-route", forward))
    head = report(item(TG, "api-tg", {"port": 9090}), item(
        LISTENER_RULE, "api-route", forward, ignoreChanges=["actions[0].forward.targetGroups[*].weight"]))
    assert [h for h in analyse(base, head).hazards if h.kind == "dangling"] == []


def test_a_base_report_without_inputs_is_compared_by_digest_only() -> None:
    base = {"resources": {"items": [{"type": SG, "name": "tasks", "digest": "a"}]}}
    head = report(item(SG, "tasks", {"description": "x"}, digest="b"))
    comparison = compare(base, head)
    assert comparison["resources"]["changed"] == [{"type": SG, "name": "tasks", "action": "unknown"}]
    assert comparison["hazards"] == []


def test_a_hazard_names_the_stack_file_key_that_changed() -> None:
    owner = {"owner": "ecs-platform:index:WebService::api"}
    base = report(item(LISTENER_RULE, "api-route", {"listenerArn": "l", "priority": 10}, **owner),
                  item(LISTENER_RULE, "admin-route", {"listenerArn": "l", "priority": 20}),
                  config={"p:services": {"api": {"priority": 10, "cpu": 256}}})
    head = report(item(LISTENER_RULE, "api-route", {"listenerArn": "l", "priority": 20}, **owner),
                  item(LISTENER_RULE, "admin-route", {"listenerArn": "l", "priority": 20}),
                  config={"p:services": {"api": {"priority": 20, "cpu": 512}}})
    (hazard,) = analyse(base, head).hazards
    assert hazard.key == "p:services.api.priority" and "PriorityInUse" in hazard.message


def _network(vpc: str, subnets: list[str]) -> dict[str, Any]:
    return {"p:network": {"existingVpc": {"vpcId": vpc, "privateSubnetIds": subnets}}}


def test_moving_between_two_existing_vpcs_is_refused_naming_the_vpc_id() -> None:
    base = report(config=_network("vpc-11111111", ["subnet-11111111", "subnet-22222222"]))
    head = report(config=_network("vpc-22222222", ["subnet-33333333", "subnet-44444444"]))
    (hazard,) = analyse(base, head).hazards
    assert (hazard.severity, hazard.kind, hazard.key) == ("mandatory", "update-fails", "p:network.existingVpc.vpcId")


def test_leaving_an_existing_vpc_for_a_vpc_of_its_own_is_refused() -> None:
    base = report(config=_network("vpc-11111111", ["subnet-11111111", "subnet-22222222"]))
    head = report(config={"p:network": {"azCount": 2}})
    (hazard,) = analyse(base, head).hazards
    assert hazard.key == "p:network.existingVpc" and "a VPC of its own" in hazard.message


def test_other_subnets_of_the_same_existing_vpc_are_no_hazard() -> None:
    base = report(config=_network("vpc-11111111", ["subnet-11111111", "subnet-22222222"]))
    head = report(config=_network("vpc-11111111", ["subnet-33333333", "subnet-44444444"]))
    assert analyse(base, head).hazards == []
