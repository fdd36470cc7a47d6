"""The naming tables match what the components create, so the name-length bounds settings enforce are honest."""

from __future__ import annotations

import re

import pytest

from ecs_platform import LoadBalancer, QueueWorker, WebService, WorkerScalingMode, naming
from ecs_platform.testing import ProgramRun
from ecs_platform.testing import run as run_program

from .helpers import PLACEMENT


def suffixes(run: ProgramRun, name: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for resource in run.resources:
        if resource.type in naming.NAME_LIMITS and resource.custom:
            found.setdefault(resource.type, set()).add(resource.name.removeprefix(name))
    return found


def covered(found: dict[str, set[str]], table: dict[str, tuple[str, ...]]) -> bool:
    return all(suffix in table.get(type_, ()) for type_, names in found.items() for suffix in names
               if type_ != "aws:ecs/taskDefinition:TaskDefinition")


WEB = {"placement": PLACEMENT, "listener_arn": "arn:l", "load_balancer_security_group_id": "sg-1",
       "load_balancer_arn_suffix": "app/x/1", "task": {"image": "x:1", "secrets": {
           "DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}},
       "priority": 1, "path_patterns": ["/x/*"], "autoscaling": {"memory_target_percent": 80, "requests_per_target": 9}}


def test_web_service_children_are_in_the_table(run_component) -> None:
    found = suffixes(run_component(lambda: WebService("api", WEB)), "api")
    assert covered(found, naming.WEB_SERVICE_CHILDREN)
    assert "-tg" in found["aws:lb/targetGroup:TargetGroup"]


@pytest.mark.parametrize("mode", list(WorkerScalingMode))
def test_queue_worker_children_are_in_the_table(run_component, mode) -> None:
    args = {"placement": PLACEMENT, "task": {"image": "x:1"}, "scaling": {"mode": mode}}
    assert covered(suffixes(run_component(lambda: QueueWorker("orders", args)), "orders"), naming.QUEUE_WORKER_CHILDREN)


def test_load_balancer_children_are_in_the_table(run_component) -> None:
    args = {"vpc_id": "vpc-1", "vpc_cidr_block": "10.0.0.0/16", "public_subnet_ids": ["a", "b"],
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x", "access_logs": True}
    assert covered(suffixes(run_component(lambda: LoadBalancer("web", args)), "web"), naming.LOAD_BALANCER_CHILDREN)


def test_longest_service_name_fills_its_target_group_name_exactly(run_component) -> None:
    name = "s" * naming.MAX_WEB_SERVICE_NAME
    run = run_component(lambda: WebService(name, WEB))
    assert len(run.one("aws:lb/targetGroup:TargetGroup").outputs["name"]) == 32


def test_component_refuses_a_name_one_character_too_long(run_component) -> None:
    with pytest.raises(ValueError, match=f"at most {naming.MAX_WEB_SERVICE_NAME}"):
        run_component(lambda: WebService("s" * (naming.MAX_WEB_SERVICE_NAME + 1), WEB))


ECS_FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
"""RegisterTaskDefinition `family`: up to 255 letters, numbers, underscores and hyphens."""


def test_task_family_of_a_stack_named_with_a_dot_is_valid_for_ecs() -> None:
    # Pulumi allows letters, digits, -, _ and . in a stack name; an ECS family only letters, digits, - and _.
    stack = run_program(lambda: QueueWorker("orders", {"placement": PLACEMENT, "task": {"image": "x:1"}}),
                project="test", stack="prod.eu-1", config={"aws:region": "us-east-1"})
    family = stack.one("aws:ecs/taskDefinition:TaskDefinition").inputs["family"]
    assert ECS_FAMILY.match(family) and family.startswith("test-prod-eu-1-orders-")


def test_task_families_stay_distinct_and_within_255_characters() -> None:
    dotted, dashed = naming.task_family("p", "prod.eu-1", "api"), naming.task_family("p", "prod-eu-1", "api")
    assert dotted != dashed and dashed == "p-prod-eu-1-api"
    longest = naming.task_family("p." * 60, "s." * 50, "api")
    assert ECS_FAMILY.match(longest) and len(longest) <= 255
