"""Deploy fidelity: the requests the stack would send, against AWS's models and documented limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_platform import validation
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.fidelity.requests import requests_for
from ecs_platform.testing import ProgramRun, run, stack_config

from .conftest import ROOT

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/fedcba9876543210"
ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def program(build: Callable[[], Any]) -> ProgramRun:
    return run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"})


def found(build: Callable[[], Any]) -> list[fidelity.FidelityViolation]:
    return fidelity.check(program(build)).violations


def one(build: Callable[[], Any], resource: str, field: str) -> fidelity.FidelityViolation:
    """The violations on `resource`'s `field`: there must be at least one, and the line names both."""
    matching = [v for v in found(build) if v.resource == resource and field in v.field]
    assert matching, [v.line() for v in found(build)]
    assert resource in matching[0].line() and field in matching[0].line()
    return matching[0]


def container(**overrides: Any) -> dict[str, Any]:
    return {"name": "app", "image": "app:1", "essential": True, **overrides}


def task(name: str = "td", **args: Any) -> aws.ecs.TaskDefinition:
    defaults = dict(family="app", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                    container_definitions=json.dumps([container()]))
    return aws.ecs.TaskDefinition(name, **{**defaults, **args})


def service(name: str = "svc", **args: Any) -> aws.ecs.Service:
    defaults = dict(cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", task_definition="arn:td", desired_count=1,
                    network_configuration={"subnets": ["subnet-a"]})
    return aws.ecs.Service(name, **{**defaults, **args})


def rule(name: str, priority: int, values: list[str]) -> aws.lb.ListenerRule:
    return aws.lb.ListenerRule(name, listener_arn=LISTENER, priority=priority,
                               actions=[{"type": "fixed-response", "fixed_response": {"content_type": "text/plain",
                                                                                      "status_code": "200"}}],
                               conditions=[{"path_pattern": {"values": values}}])


# The project's stacks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_requests_are_all_valid(stack: str, request) -> None:
    report = fidelity.check(request.getfixturevalue(stack))
    assert report.violations == []


def test_every_api_the_issue_names_is_exercised(prod: ProgramRun) -> None:
    operations = set(fidelity.check(prod).operations)
    assert {
        "ecs:RegisterTaskDefinition", "ecs:CreateService", "ecs:CreateCluster", "ecs:PutClusterCapacityProviders",
        "elbv2:CreateLoadBalancer", "elbv2:CreateTargetGroup", "elbv2:CreateListener", "elbv2:CreateRule",
        "cloudwatch:PutMetricAlarm", "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy", "sqs:CreateQueue", "iam:CreateRole", "iam:PutRolePolicy",
    } <= operations


def test_container_definitions_reach_the_model_whole(prod: ProgramRun) -> None:
    (api,) = [r for r in requests_for(prod.resources)
              if r.label == "ecs:RegisterTaskDefinition" and r.resource.name == "api-task"]
    (main,) = [c for c in api.params["containerDefinitions"] if c["name"] == "api"]
    assert main["logConfiguration"]["options"]["mode"] == "non-blocking"
    assert main["secrets"][0]["valueFrom"].startswith("arn:aws:")


# What the models catch -----------------------------------------------------------------------------------------


def test_misspelt_container_definition_key_is_caught() -> None:
    definitions = json.dumps([container(memoryReservaton=128)])
    violation = one(lambda: task(container_definitions=definitions), "td", "containerDefinitions[0]")
    assert "memoryReservaton" in violation.message and violation.operation == "ecs:RegisterTaskDefinition"


def test_wrong_type_in_a_container_definition_is_caught() -> None:
    definitions = json.dumps([container(stopTimeout="120")])
    one(lambda: task(container_definitions=definitions), "td", "containerDefinitions[0].stopTimeout")


def test_value_outside_an_enum_is_caught() -> None:
    violation = one(lambda: service(propagate_tags="EVERYTHING"), "svc", "propagateTags")
    assert "TASK_DEFINITION" in violation.message


def test_unknown_queue_attribute_value_range_is_caught() -> None:
    one(lambda: aws.sqs.Queue("q", receive_wait_time_seconds=25), "q", "ReceiveMessageWaitTimeSeconds")


def test_broken_iam_policy_document_is_caught() -> None:
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:GetObject",
                                                              "Resource": "*"}]})
    violation = one(lambda: aws.iam.RolePolicy("p", role="r", policy=bad), "p", "PolicyDocument")
    assert "Effect" in violation.message


def test_trust_policy_with_a_resource_is_caught() -> None:
    bad = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Resource": "*"}]})
    one(lambda: aws.iam.Role("role", assume_role_policy=bad), "role", "AssumeRolePolicyDocument")


# The documented constraints the models do not express ----------------------------------------------------------


def test_fargate_size_outside_the_table_is_caught() -> None:
    violation = one(lambda: task(cpu="256", memory="4096"), "td", "cpu/memory")
    assert "cpu 256 allows memory 512, 1024 or 2048" in violation.message


def test_launch_type_with_a_capacity_provider_strategy_is_caught() -> None:
    one(lambda: service(launch_type="FARGATE",
                        capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}]),
        "svc", "launchType")


def test_grace_period_without_a_load_balancer_is_caught() -> None:
    one(lambda: service(task_definition=task().arn, health_check_grace_period_seconds=60), "svc",
        "healthCheckGracePeriodSeconds")


def test_grace_period_with_a_task_definition_outside_the_program_is_not_judged() -> None:
    # Whether "arn:td" has a container health check is not something this program can tell.
    assert not [v for v in found(lambda: service(health_check_grace_period_seconds=60))
                if v.field == "healthCheckGracePeriodSeconds"]


def test_grace_period_with_a_container_health_check_passes() -> None:
    def build() -> None:
        check = {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3}
        definition = task(container_definitions=json.dumps([container(healthCheck=check)]))
        service(task_definition=definition.arn, health_check_grace_period_seconds=60)
    assert not [v for v in found(build) if v.field == "healthCheckGracePeriodSeconds"]


def test_instance_target_group_for_awsvpc_tasks_is_caught() -> None:
    def build() -> None:
        group = aws.lb.TargetGroup("tg", port=8080, protocol="HTTP", vpc_id="vpc-1", target_type="instance")
        definition = task()
        service(task_definition=definition.arn, load_balancers=[
            {"target_group_arn": group.arn, "container_name": "app", "container_port": 8080}])
    one(build, "tg", "TargetType")


def test_duplicate_listener_rule_priority_is_caught() -> None:
    def build() -> None:
        rule("first", 10, ["/a/*"])
        rule("second", 10, ["/b/*"])
    (violation,) = [v for v in found(build) if v.field == "Priority"]
    other = {"first": "second", "second": "first"}[violation.resource]
    assert f"priority 10 is already used on this listener by {other}" in violation.message


def test_more_than_five_condition_values_are_caught() -> None:
    one(lambda: rule("wide", 10, [f"/p{i}/*" for i in range(6)]), "wide", "Conditions")


@pytest.mark.parametrize(
    ("build", "resource", "field"),
    [
        (lambda: aws.lb.LoadBalancer("a-load-balancer-name-too-long", subnets=["s-1", "s-2"]),
         "a-load-balancer-name-too-long", "name"),
        (lambda: aws.lb.TargetGroup("checkout-recommendations-tg", port=80, protocol="HTTP", vpc_id="v"),
         "checkout-recommendations-tg", "name"),
        (lambda: aws.iam.Role("r" * 57, assume_role_policy=ALLOW), "r" * 57, "name"),
        (lambda: aws.sqs.Queue("q" * 73), "q" * 73, "name"),
        (lambda: aws.cloudwatch.LogGroup("g" * 505), "g" * 505, "name"),
    ],
    ids=["load balancer 32", "target group 32", "role 64", "queue 80", "log group 512"],
)
def test_names_too_long_once_pulumi_adds_its_suffix_are_caught(build, resource: str, field: str) -> None:
    violation = one(build, resource, field)
    assert "AWS allows" in violation.message


def test_name_exactly_at_the_limit_passes() -> None:
    assert not [v for v in found(lambda: aws.lb.TargetGroup("a" * 24, port=80, protocol="HTTP", vpc_id="v"))
                if v.field == "name"]


@pytest.mark.parametrize("period", [45, 90])
def test_alarm_period_that_is_not_10_30_or_a_minute_multiple_is_caught(period: int) -> None:
    one(lambda: aws.cloudwatch.MetricAlarm("alarm", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                                           metric_name="CPUUtilization", namespace="AWS/ECS", period=period,
                                           statistic="Average", threshold=1), "alarm", "Period")


def step_policy(steps: list[dict[str, Any]]) -> Callable[[], Any]:
    return lambda: aws.appautoscaling.Policy(
        "steps", policy_type="StepScaling", resource_id="service/main/app", scalable_dimension="ecs:service:DesiredCount",
        service_namespace="ecs", step_scaling_policy_configuration={"adjustment_type": "ChangeInCapacity",
                                                                    "step_adjustments": steps})


def test_overlapping_steps_are_caught() -> None:
    violation = one(step_policy([
        {"metric_interval_lower_bound": "0", "metric_interval_upper_bound": "500", "scaling_adjustment": 1},
        {"metric_interval_lower_bound": "400", "scaling_adjustment": 5}]), "steps", "StepAdjustments")
    assert "overlap" in violation.message


def test_steps_with_a_gap_are_caught() -> None:
    violation = one(step_policy([
        {"metric_interval_lower_bound": "0", "metric_interval_upper_bound": "100", "scaling_adjustment": 1},
        {"metric_interval_lower_bound": "400", "scaling_adjustment": 5}]), "steps", "StepAdjustments")
    assert "gap" in violation.message


def test_scaling_minimum_above_maximum_is_caught() -> None:
    one(lambda: aws.appautoscaling.Target("target", min_capacity=5, max_capacity=2, resource_id="service/main/app",
                                          scalable_dimension="ecs:service:DesiredCount", service_namespace="ecs"),
        "target", "MinCapacity")


# Property: any valid settings make a stack AWS would accept ----------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9]{0,19}[a-z0-9]", fullmatch=True)
SIZES = st.sampled_from([(cpu, memory) for cpu, memories in validation.FARGATE_MEMORY.items() for memory in memories])
PATHS = st.lists(st.from_regex(r"/[a-z]{1,12}/\*", fullmatch=True), min_size=1, max_size=3, unique=True)


@st.composite
def stack_settings(draw) -> dict[str, str]:
    base = stack_config(ROOT / "Pulumi.dev.yaml", "ecs-platform")
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    services = {}
    for priority, name in enumerate(names[:-1] or names, start=1):
        cpu, memory = draw(SIZES)
        low = draw(st.integers(min_value=1, max_value=4))
        high = draw(st.integers(min_value=low, max_value=12))
        # Each service routes its own paths: settings refuse a path that another service already routes.
        services[name] = {
            "image": "example/app:1.0", "cpu": cpu, "memory": memory,
            "pathPatterns": [f"/{name}{path}" for path in draw(PATHS)],
            "priority": priority * 10, "desiredCount": draw(st.integers(min_value=low, max_value=high)),
            "autoscaling": {"minTasks": low, "maxTasks": high}, "user": "1000", "scratchPaths": ["/tmp"],
        }
    workers = {}
    if len(names) > 1:
        cpu, memory = draw(SIZES)
        workers[names[-1]] = {"image": "example/worker:1.0", "cpu": cpu, "memory": memory, "user": "1000",
                              "scaling": {"mode": draw(st.sampled_from(["steps", "backlog"])),
                                          "maxTasks": draw(st.integers(min_value=1, max_value=50))}}
    base["ecs-platform:services"] = json.dumps(services)
    base["ecs-platform:workers"] = json.dumps(workers)
    base["ecs-platform:network"] = json.dumps({"azCount": draw(st.integers(min_value=2, max_value=6)),
                                               "natGateways": draw(st.sampled_from(["single", "onePerAz",
                                                                                    "instance"]))})
    # A backlog worker reads the running task count, which only Container Insights publishes.
    backlog = any(w["scaling"]["mode"] == "backlog" for w in workers.values())
    cluster = json.loads(base["ecs-platform:cluster"])
    cluster["containerInsights"] = "enabled" if backlog else draw(st.sampled_from(["enabled", "disabled"]))
    base["ecs-platform:cluster"] = json.dumps(cluster)
    return base


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=stack_settings())
def test_any_valid_settings_make_a_stack_aws_would_accept(config: dict[str, str]) -> None:
    stack = run(ROOT, project="ecs-platform", stack="generated", config=config)
    assert [v.line() for v in fidelity.check(stack).violations] == []

