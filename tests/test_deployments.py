"""Deployment strategies: rolling as before, and blue/green, canary and linear through the load balancer, with the
alternate target group, the role ECS shifts traffic with, and rollback on the service's alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi_aws as aws
import pytest

from ecs_platform import QueueWorker, WebService
from ecs_platform._service import (
    bake_time_problem,
    deployment_problems,
    deployment_strategy_problem,
    linear_steps,
    progressive_maximum_percent_problem,
    traffic_percent_problem,
)
from ecs_platform.enums import DeploymentStrategy
from ecs_platform.testing import ProgramRun, run
from ecs_platform.toolchain import fidelity
from ecs_platform.web_service import alternate_target_group_problem

from .helpers import LISTENER, PLACEMENT, policy, refusal_of, web_args

SERVICE = "aws:ecs/service:Service"
GROUP = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
ROLE = "aws:iam/role:Role"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def web(run_component, **deployment: Any) -> ProgramRun:
    return run_component(lambda: WebService("api", web_args(deployment=deployment)))


# Rolling ------------------------------------------------------------------------------------------------------


def test_rolling_by_default_is_unchanged(run_component) -> None:
    run = web(run_component)
    service = run.one(SERVICE).inputs
    assert "deploymentConfiguration" not in service and "alarms" not in service
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (100, 200)
    (binding,) = service["loadBalancers"]
    assert "advancedConfiguration" not in binding
    assert [g.name for g in run.of_type(GROUP)] == ["api-tg"]
    assert run.one(RULE).inputs["actions"] == [{"type": "forward", "targetGroupArn": run.one(GROUP).outputs["arn"]}]
    assert run.one(RULE).ignore_changes == []
    assert not [r for r in run.of_type(ROLE) if r.name == "api-traffic"]
    assert not run.of_type(ALARM)


# Canary -------------------------------------------------------------------------------------------------------


def test_canary_shifts_a_share_first_then_the_rest_after_its_bake_time(run_component) -> None:
    run = web(run_component, strategy=DeploymentStrategy.CANARY, canary_percent=5, canary_bake_time_minutes=15,
              bake_time_minutes=20)
    assert run.one(SERVICE).inputs["deploymentConfiguration"] == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "20",
        "canaryConfiguration": {"canaryPercent": 5, "canaryBakeTimeInMinutes": "15"},
    }


def test_canary_starts_the_new_revision_in_an_alternate_target_group_with_the_same_health_check(run_component) -> None:
    run = web(run_component, strategy="canary")
    primary, alternate = run.one(GROUP, "api-tg"), run.one(GROUP, "api-tg-alt")
    same = ("healthCheck", "port", "protocol", "targetType", "vpcId", "deregistrationDelay")
    assert {k: alternate.inputs[k] for k in same} == {k: primary.inputs[k] for k in same}
    (binding,) = run.one(SERVICE).inputs["loadBalancers"]
    assert binding["targetGroupArn"] == primary.outputs["arn"]
    advanced = binding["advancedConfiguration"]
    assert advanced["alternateTargetGroupArn"] == alternate.outputs["arn"]
    assert advanced["productionListenerRule"] == run.one(RULE).outputs["arn"]
    assert advanced["roleArn"] == run.one(ROLE, "api-traffic").outputs["arn"]


def test_the_production_rule_forwards_to_both_groups_and_leaves_the_weights_to_ecs(run_component) -> None:
    run = web(run_component, strategy="canary")
    (action,) = run.one(RULE).inputs["actions"]
    assert action["forward"]["targetGroups"] == [
        {"arn": run.one(GROUP, "api-tg").outputs["arn"], "weight": 100},
        {"arn": run.one(GROUP, "api-tg-alt").outputs["arn"], "weight": 0},
    ]
    # After a deployment ECS has moved the weights; `pulumi up` must not move traffic back to the old revision. The
    # groups stay the program's: a replaced group must be followed, not kept in use by an ignored action.
    assert run.one(RULE).ignore_changes == ["actions[0].forward.targetGroups[*].weight"]


def test_the_traffic_role_trusts_ecs_as_aws_documents_it(run_component) -> None:
    run = web(run_component, strategy="canary")
    # ECS Developer Guide, "Amazon ECS infrastructure IAM role for load balancers": no condition in the trust policy.
    assert policy(run.one(ROLE, "api-traffic"), "assumeRolePolicy")["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]


def test_the_traffic_role_touches_only_this_service(run_component) -> None:
    run = web(run_component, strategy="canary")
    statements = {tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],): s["Resource"]
                  for s in policy(run.one("aws:iam/rolePolicy:RolePolicy", "api-traffic"))["Statement"]}
    elb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    # Targets go into this service's two groups only (a group's name is unique in the account and region).
    groups = [f"{elb}targetgroup/{run.one(GROUP, n).outputs['name']}/*" for n in ("api-tg", "api-tg-alt")]
    assert statements[("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")] == groups
    assert all(run.one(GROUP, n).outputs["arn"].startswith(g[:-1]) for n, g in zip(("api-tg", "api-tg-alt"), groups))
    assert statements[("elasticloadbalancing:ModifyRule",)] == f"{elb}listener-rule/app/*"
    assert statements[("elasticloadbalancing:ModifyListener",)] == f"{elb}listener/app/*"
    wildcard = [actions for actions, resource in statements.items() if resource == "*"]
    assert wildcard == [("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                         "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth")]
    # The service waits for the role's permissions.
    assert run.one("aws:iam/rolePolicy:RolePolicy", "api-traffic").urn in run.one(SERVICE).dependencies


def test_the_traffic_policy_is_known_at_a_first_preview() -> None:
    program = run(lambda: WebService("api", web_args(deployment={"strategy": "canary"})), project="fidelity",
                  stack="test", config={"aws:region": "us-east-1"}, preview=True)
    document = json.loads(program.one("aws:iam/rolePolicy:RolePolicy", "api-traffic").inputs["policy"])
    assert document["Statement"][1]["Resource"][0].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-tg-")


def test_canary_rolls_back_on_the_5xx_and_unhealthy_target_alarms(run_component) -> None:
    run = web(run_component, strategy="canary")
    alarms = run.one(SERVICE).inputs["alarms"]
    assert alarms == {"alarmNames": [run.one(ALARM, "api-5xx-rate").outputs["name"],
                                     run.one(ALARM, "api-unhealthy-hosts").outputs["name"]],
                      "enable": True, "rollback": True}
    # "Amazon ECS deployment failure detection": the circuit breaker supports rolling and blue/green only.
    assert run.one(SERVICE).inputs.get("deploymentCircuitBreaker") is None


def test_blue_green_keeps_the_circuit_breaker(run_component) -> None:
    run = web(run_component, strategy="blueGreen")
    assert run.one(SERVICE).inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_request_tracking_follows_whichever_group_serves(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(deployment={"strategy": "canary"},
                                                           autoscaling={"requests_per_target": 500})))
    config = run.one("aws:appautoscaling/policy:Policy", "api-requests").inputs[
        "targetTrackingScalingPolicyConfiguration"]
    assert "predefinedMetricSpecification" not in config
    metrics = {m["id"]: m for m in config["customizedMetricSpecification"]["metrics"]}
    dimensions = {i: {d["name"]: d["value"] for d in metrics[f"requests{i}"]["metricStat"]["metric"]["dimensions"]}
                  for i in (0, 1)}
    assert [dimensions[i]["TargetGroup"] for i in (0, 1)] == [
        run.one(GROUP, n).outputs["arnSuffix"] for n in ("api-tg", "api-tg-alt")]
    assert metrics["requests"]["expression"] == "FILL(requests0, 0) + FILL(requests1, 0)"
    assert config["targetValue"] == 500


# Linear and blue/green -----------------------------------------------------------------------------------------


def test_linear_shifts_equal_steps_with_a_bake_after_each(run_component) -> None:
    run = web(run_component, strategy="linear", linear_step_percent=25, linear_step_bake_time_minutes=3)
    assert run.one(SERVICE).inputs["deploymentConfiguration"] == {
        "strategy": "LINEAR",
        "bakeTimeInMinutes": "10",
        "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": "3"},
    }


def test_blue_green_shifts_everything_at_once_and_keeps_the_old_revision_for_the_bake_time(run_component) -> None:
    run = web(run_component, strategy="blueGreen", bake_time_minutes=30)
    assert run.one(SERVICE).inputs["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "30"}
    assert run.one(SERVICE).inputs["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"] == (
        run.one(GROUP, "api-tg-alt").outputs["arn"])


def test_defaults_of_the_progressive_strategies(run_component) -> None:
    canary = web(run_component, strategy="canary").one(SERVICE).inputs["deploymentConfiguration"]
    linear = web(run_component, strategy="linear").one(SERVICE).inputs["deploymentConfiguration"]
    assert canary["bakeTimeInMinutes"] == "10"
    assert canary["canaryConfiguration"] == {"canaryPercent": 10, "canaryBakeTimeInMinutes": "10"}
    assert linear["linearConfiguration"] == {"stepPercent": 20, "stepBakeTimeInMinutes": "5"}


# Refusals ------------------------------------------------------------------------------------------------------


def refusal(run_component, build) -> str:
    return refusal_of(run_component, build)


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        ({"strategy": "canary", "maximum_percent": 150}, "deployment.maximum_percent must be 200 with strategy canary"),
        ({"strategy": "blueGreen", "bake_time_minutes": 1441}, "deployment.bake_time_minutes must be 0 to 1440"),
        ({"strategy": "canary", "canary_percent": 0.05}, "deployment.canary_percent must be 0.1 to 100"),
        ({"strategy": "canary", "canary_percent": 12.34}, "in steps of 0.1; got 12.34"),
        ({"strategy": "canary", "canary_bake_time_minutes": -1}, "deployment.canary_bake_time_minutes must be 0"),
        ({"strategy": "linear", "linear_step_percent": 2}, "deployment.linear_step_percent must be 3 to 100"),
        ({"strategy": "linear", "linear_step_bake_time_minutes": 2000}, "linear_step_bake_time_minutes must be 0"),
        ({"strategy": "gradual"}, "deployment.strategy must be one of rolling, blueGreen, canary, linear"),
        ({"strategy": "canary", "wait_for_steady_state": True, "steady_state_timeout_minutes": 29},
         "steady_state_timeout_minutes \\(29\\) must be at least 30: a canary deployment bakes 20 minutes, and its "
         "tasks need 10 more"),
    ],
    ids=["no room", "bake too long", "canary too small", "canary not in tenths", "negative canary bake",
         "linear step too small", "step bake too long", "unknown strategy", "waiting shorter than baking"],
)
def test_what_ecs_rejects_is_refused_before_registration(run_component, deployment: dict, message: str) -> None:
    found = refusal(run_component, lambda: WebService("api", web_args(deployment=deployment)))
    assert re.search(message, found), found


@pytest.mark.parametrize("strategy", ["blueGreen", "canary", "linear"])
def test_a_queue_worker_deploys_rolling_only(run_component, strategy: str) -> None:
    found = refusal(run_component, lambda: QueueWorker(
        "orders", {"placement": PLACEMENT, "task": {"image": "x:1"}, "deployment": {"strategy": strategy}}))
    assert found == (f"deployment.strategy {strategy} needs traffic to shift (a load balancer); a queue worker "
                     "deploys rolling")


def test_a_name_too_long_for_the_alternate_target_group_is_refused(run_component) -> None:
    found = refusal(run_component, lambda: WebService("a" * 18, web_args(deployment={"strategy": "canary"})))
    assert "a progressive deployment allows at most 17" in found
    # Rolling keeps the 21 characters it always allowed.
    assert run_component(lambda: WebService("a" * 21, web_args())).one(SERVICE)


@pytest.mark.parametrize(
    ("check", "refused"),
    [
        (lambda: deployment_strategy_problem(DeploymentStrategy.LINEAR, shifts_traffic=False), True),
        (lambda: deployment_strategy_problem(DeploymentStrategy.ROLLING, shifts_traffic=False), False),
        (lambda: bake_time_problem(0), False),
        (lambda: bake_time_problem(1440), False),
        (lambda: traffic_percent_problem(0.1, "canary_percent", 0.1), False),
        (lambda: traffic_percent_problem(100.01, "canary_percent", 0.1), True),
        (lambda: progressive_maximum_percent_problem(DeploymentStrategy.BLUE_GREEN, 199), True),
        (lambda: progressive_maximum_percent_problem(DeploymentStrategy.ROLLING, 100), False),
        (lambda: alternate_target_group_problem("a" * 17), False),
        (lambda: alternate_target_group_problem("a" * 18), True),
    ],
)
def test_the_checks_are_plain_functions_settings_can_call(check, refused: bool) -> None:
    assert (check() is not None) is refused


def test_deployment_problems_lists_every_problem_without_pulumi() -> None:
    problems = deployment_problems({"strategy": "canary", "maximum_percent": 150, "canary_percent": 0})
    assert len(problems) == 2 and problems[0].startswith("deployment.maximum_percent")
    assert deployment_problems({"strategy": "linear"}, shifts_traffic=False)[0].startswith("deployment.strategy linear")
    assert deployment_problems({}) == []


@pytest.mark.parametrize(("step", "baked"), [(20, 4), (25, 3), (11, 9), (100, 0), (3, 33)])
def test_linear_bakes_after_every_step_but_the_last(step: float, baked: int) -> None:
    assert linear_steps(step) == baked


# Fidelity ----------------------------------------------------------------------------------------------------


def check(build) -> fidelity.FidelityReport:
    return fidelity.check(run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"}))


@pytest.mark.parametrize("strategy", ["blueGreen", "canary", "linear"])
def test_progressive_deployment_requests_pass_the_fidelity_check(strategy: str) -> None:
    report = check(lambda: WebService("api", web_args(
        deployment={"strategy": strategy}, autoscaling={"requests_per_target": 100},
        alarms={"actions": ["arn:aws:sns:us-east-1:123456789012:oncall"]})))
    assert report.operations["elbv2:CreateTargetGroup"] == 2
    assert not report.violations, [v.line() for v in report.violations]


def test_bake_times_reach_the_api_as_integers() -> None:
    from ecs_platform.toolchain.fidelity.requests import requests_for

    program = run(lambda: WebService("api", web_args(deployment={"strategy": "canary"})), project="fidelity",
                  stack="test", config={"aws:region": "us-east-1"})
    (created,) = [r for r in requests_for(program.resources) if r.operation == "CreateService"]
    config = created.params["deploymentConfiguration"]
    assert (config["strategy"], config["bakeTimeInMinutes"]) == ("CANARY", 10)
    assert config["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 10}
    assert config["alarms"]["rollback"] is True


def _raw_service(**deployment_args: Any) -> None:
    group = aws.lb.TargetGroup("blue", port=80, protocol="HTTP", target_type="ip", vpc_id="vpc-1")
    other = aws.lb.TargetGroup("green", port=80, protocol="HTTP", target_type="instance", vpc_id="vpc-1")
    rule = aws.lb.ListenerRule("prod", listener_arn=LISTENER, priority=1,
                               actions=[{"type": "forward", "target_group_arn": group.arn}],
                               conditions=[{"path_pattern": {"values": ["/*"]}}])
    definition = aws.ecs.TaskDefinition(
        "td", family="app", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([{"name": "app", "image": "app:1", "essential": True,
                                           "portMappings": [{"containerPort": 80}]}]))
    aws.ecs.Service(
        "svc", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", task_definition=definition.arn,
        desired_count=1, launch_type="FARGATE", network_configuration={"subnets": ["subnet-a"]},
        load_balancers=[{"target_group_arn": group.arn, "container_name": "app", "container_port": 80,
                         "advanced_configuration": {"alternate_target_group_arn": other.arn,
                                                    "production_listener_rule": rule.arn,
                                                    "role_arn": "arn:aws:iam::123456789012:role/ecs-traffic"}}],
        **deployment_args)


def _fields(report: fidelity.FidelityReport) -> dict[str, str]:
    return {v.field: v.message for v in report.violations if v.resource == "svc"}


def test_an_alternate_group_unlike_the_primary_and_a_rule_forwarding_to_one_are_violations() -> None:
    found = _fields(check(lambda: _raw_service(deployment_configuration={"strategy": "BLUE_GREEN",
                                                                         "bake_time_in_minutes": "5"})))
    assert "TargetType 'instance'" in found["loadBalancers[0].advancedConfiguration.alternateTargetGroupArn"]
    rule = found["loadBalancers[0].advancedConfiguration.productionListenerRule"]
    assert "does not forward to target group green" in rule


def test_a_canary_configuration_under_another_strategy_is_a_violation() -> None:
    found = _fields(check(lambda: _raw_service(deployment_configuration={
        "strategy": "LINEAR", "bake_time_in_minutes": "5", "canary_configuration": {"canary_percent": 10}})))
    assert found["deploymentConfiguration.canaryConfiguration"] == "is only valid with the CANARY strategy; got LINEAR"


def test_rollback_on_an_alarm_the_program_does_not_have_is_a_violation() -> None:
    found = _fields(check(lambda: _raw_service(alarms={"alarm_names": ["nobody-made-me"], "enable": True,
                                                       "rollback": True})))
    assert found["deploymentConfiguration.alarms.alarmNames[0]"] == "no alarm of this program is named 'nobody-made-me'"
