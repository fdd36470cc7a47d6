"""Every rule of the policy pack with a violating and a compliant resource.

Resources are declared with pulumi_aws's own classes and run under the package's mocks, so the rules see the
camelCase inputs (and, for stack rules, outputs) the engine would send; the policy SDK's servicer then wraps them
exactly as it does for the engine.
"""

from __future__ import annotations

import json
import sys

import pulumi_aws as aws
import pytest

from .conftest import ROOT
from .policy_support import POLICIES, UNKNOWN, analyze_props, program, violations

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "bad_program"))
from examples import COMPLIANT, VIOLATIONS, container, task  # noqa: E402


def test_every_policy_has_a_violating_and_a_compliant_example() -> None:
    assert set(VIOLATIONS) == set(POLICIES) == set(COMPLIANT)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_violating_resource_is_reported_with_its_control(name: str) -> None:
    messages = violations(name, program(lambda: VIOLATIONS[name]("subject")))
    control = POLICIES[name].framework.reference
    assert messages, f"{name} reported nothing"
    assert all(f"[{control}]" in m for m in messages)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_compliant_resource_passes(name: str) -> None:
    assert violations(name, program(lambda: COMPLIANT[name]("subject"))) == []


# Details the table does not cover ----------------------------------------------------------------------------


def test_secret_looking_value_is_caught_whatever_the_name() -> None:
    url = container(environment=[{"name": "DATABASE_URL", "value": "postgres://app:s3cr3t@db.internal/app"}])
    messages = violations("ecs-no-secrets-in-environment", program(lambda: task("subject", containers=[url])))
    assert any("a URL with a password" in m for m in messages)


def test_secret_name_patterns_come_from_config() -> None:
    custom = container(environment=[{"name": "STRIPE_WEBHOOK_SIGNING", "value": "x"}])
    run = program(lambda: task("subject", containers=[custom]))
    assert violations("ecs-no-secrets-in-environment", run) == []
    assert violations("ecs-no-secrets-in-environment", run, {"secretNamePatterns": ["SIGNING"]})


def test_retention_minimum_comes_from_config() -> None:
    run = program(lambda: aws.cloudwatch.LogGroup("subject", retention_in_days=30))
    assert violations("cloudwatch-log-retention", run)
    assert violations("cloudwatch-log-retention", run, {"minRetentionDays": 7}) == []


def test_world_open_rule_declared_as_its_own_resource_is_caught() -> None:
    run = program(lambda: aws.vpc.SecurityGroupIngressRule(
        "subject", security_group_id="sg-1", ip_protocol="tcp", from_port=22, to_port=22, cidr_ipv4="0.0.0.0/0"))
    assert any("EC2.53" in m for m in violations("ec2-no-world-open-admin-ports", run))


def test_legacy_security_group_rule_resource_is_caught() -> None:
    run = program(lambda: aws.ec2.SecurityGroupRule(
        "subject", type="ingress", security_group_id="sg-1", protocol="tcp", from_port=3389, to_port=3389,
        ipv6_cidr_blocks=["::/0"]))
    messages = violations("ec2-no-world-open-admin-ports", run)
    assert any("EC2.14" in m and "EC2.54" in m for m in messages)


def test_all_protocols_from_the_world_open_every_port() -> None:
    run = program(lambda: aws.ec2.SecurityGroup("subject", vpc_id="vpc-1", ingress=[
        {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]))
    assert violations("ec2-no-world-open-high-risk-ports", run)


def test_tags_from_the_provider_default_tags_count() -> None:
    props = {"name": "svc"}
    provider = {"defaultTags": json.dumps({"tags": {"environment": "prod", "project": "p", "owner": "o"}})}
    assert not analyze_props("ecs-service-tags", "aws:ecs/service:Service", props, provider=provider).diagnostics
    assert analyze_props("ecs-service-tags", "aws:ecs/service:Service", props).diagnostics


# Unknown values during preview -------------------------------------------------------------------------------


def test_unknown_container_definitions_do_not_crash_the_rule() -> None:
    response = analyze_props("ecs-read-only-root-filesystem", "aws:ecs/taskDefinition:TaskDefinition",
                             {"family": "app", "containerDefinitions": UNKNOWN})
    (diagnostic,) = response.diagnostics
    assert "during preview" in diagnostic.message


def test_unknown_nested_value_does_not_crash_the_rule() -> None:
    props = {"protocol": "HTTP", "port": 80, "defaultActions": [{"type": UNKNOWN}]}
    response = analyze_props("elb-https-listeners", "aws:lb/listener:Listener", props)
    assert all("during preview" in d.message for d in response.diagnostics)


def test_unknown_value_that_the_rule_does_not_read_is_harmless() -> None:
    props = {"loadBalancerType": "application", "dropInvalidHeaderFields": True, "subnets": UNKNOWN}
    assert not analyze_props("elb-drop-invalid-headers", "aws:lb/loadBalancer:LoadBalancer", props).diagnostics


ROOT_PREPARER = container(name="prepare", user="0", essential=False, command=["chown", "1000", "/mnt/scratch"],
                          linuxParameters={"capabilities": {"drop": ["ALL"]}}, stopTimeout=None)
WAITS = container(dependsOn=[{"containerName": "prepare", "condition": "SUCCESS"}])


def test_a_root_container_that_only_prepares_volumes_before_the_workload_is_accepted() -> None:
    run = program(lambda: task("subject", containers=[WAITS, ROOT_PREPARER]))
    assert violations("ecs-non-root-user", run) == []


@pytest.mark.parametrize("change", [
    {"essential": True},
    {"linuxParameters": {"capabilities": {"drop": ["NET_RAW"]}}},
    {"linuxParameters": {"capabilities": {"drop": ["ALL"], "add": ["SYS_PTRACE"]}}},
    {"portMappings": [{"containerPort": 8080}]},
    {"readonlyRootFilesystem": False},
], ids=["essential", "keeps capabilities", "adds a capability", "listens", "writable root"])
def test_a_root_container_that_could_do_more_than_prepare_is_reported(change) -> None:
    preparer = {**ROOT_PREPARER, **change}
    run = program(lambda: task("subject", containers=[WAITS, preparer]))
    assert violations("ecs-non-root-user", run)


def test_a_root_container_nobody_waits_for_is_reported() -> None:
    run = program(lambda: task("subject", containers=[container(), ROOT_PREPARER]))
    assert violations("ecs-non-root-user", run)


def test_an_alarm_that_sets_the_minimum_capacity_when_idle_counts_as_scaling_in() -> None:
    def build(periods: int):
        def program_body() -> None:
            policy = aws.appautoscaling.Policy(
                "subject-idle", policy_type="StepScaling", resource_id="service/main/app",
                scalable_dimension="ecs:service:DesiredCount", service_namespace="ecs",
                step_scaling_policy_configuration={"adjustment_type": "ExactCapacity", "step_adjustments": [
                    {"metric_interval_upper_bound": "0", "scaling_adjustment": 0}]})
            aws.cloudwatch.MetricAlarm(
                "subject", comparison_operator="LessThanOrEqualToThreshold", evaluation_periods=periods,
                metric_name="ApproximateNumberOfMessagesVisible", namespace="AWS/SQS", period=60,
                statistic="Maximum", threshold=0, alarm_actions=[policy.arn])
        return program(program_body)

    assert violations("cloudwatch-scale-in-evaluation-periods", build(1))
    assert violations("cloudwatch-scale-in-evaluation-periods", build(3)) == []


@pytest.mark.parametrize(("props", "reported"), [
    ({"deploymentConfiguration": {"strategy": "CANARY"},
      "alarms": {"alarmNames": ["api-5xx"], "enable": True, "rollback": True}}, False),
    ({"deploymentConfiguration": {"strategy": "LINEAR"}}, True),
    ({"deploymentConfiguration": {"strategy": "BLUE_GREEN"},
      "alarms": {"alarmNames": ["api-5xx"], "enable": True, "rollback": True}}, True),
    ({"deploymentConfiguration": {"strategy": "BLUE_GREEN"},
      "deploymentCircuitBreaker": {"enable": True, "rollback": True}}, False),
], ids=["canary on its alarms", "linear without alarms", "blue/green without the breaker", "blue/green breaker"])
def test_canary_and_linear_roll_back_on_alarms_where_aws_documents_no_circuit_breaker(props, reported) -> None:
    response = analyze_props("ecs-deployment-circuit-breaker", "aws:ecs/service:Service", props)
    assert bool(response.diagnostics) is reported


def test_world_egress_of_a_group_no_task_uses_is_not_the_tasks_rule() -> None:
    run = program(lambda: aws.vpc.SecurityGroupEgressRule(
        "subject", security_group_id="sg-1", ip_protocol="-1", cidr_ipv4="0.0.0.0/0"))  # a NAT instance's
    assert violations("ecs-task-egress-internet-https-only", run) == []


def test_world_egress_of_a_scheduled_tasks_group_is_caught() -> None:
    def build() -> None:
        group = aws.ec2.SecurityGroup("subject-tasks", vpc_id="vpc-1", description="tasks")
        aws.vpc.SecurityGroupEgressRule("subject", security_group_id=group.id, ip_protocol="udp", from_port=53,
                                        to_port=53, cidr_ipv6="::/0")
        aws.scheduler.Schedule("subject", schedule_expression="rate(1 day)", flexible_time_window={"mode": "OFF"},
                               target={"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
                                       "role_arn": "arn:aws:iam::123456789012:role/scheduler",
                                       "ecs_parameters": {"task_definition_arn": "arn:td",
                                                          "network_configuration": {"subnets": ["subnet-a"],
                                                                                    "security_groups": [group.id]}}})
    messages = violations("ecs-task-egress-internet-https-only", program(build))
    assert any("::/0 on port 53" in m for m in messages)
