"""The billing team's stack under mocks, with the platform stack's outputs given: no Pulumi CLI, no AWS account.

platform-outputs.json is what `pulumi stack output --json --stack acme/ecs-platform/dev` prints (the platform's
stack-outputs.schema.json); the mocks answer the program's StackReference with it.
"""

import json
from pathlib import Path

import pytest

from ecs_platform.testing import ProgramRun, run_stack

PROGRAM = Path(__file__).resolve().parent.parent
PLATFORM_STACK = "acme/ecs-platform/dev"
PLATFORM = json.loads((Path(__file__).parent / "platform-outputs.json").read_text())
PLATFORM_PRIORITIES = {10, 20}
"""Listener rule priorities the platform's own services hold (its Pulumi.dev.yaml and Pulumi.prod.yaml)."""


def run_app(platform_outputs: dict) -> ProgramRun:
    return run_stack(PROGRAM, "dev", stack_references={PLATFORM_STACK: platform_outputs})


@pytest.fixture(scope="module")
def app() -> ProgramRun:
    return run_app(PLATFORM)


def test_billing_runs_in_the_platforms_cluster_and_private_subnets(app: ProgramRun) -> None:
    service = app.one("aws:ecs/service:Service", "billing")
    network = service.inputs["networkConfiguration"]
    assert service.inputs["cluster"] == PLATFORM["clusterArn"]
    assert network["subnets"] == PLATFORM["privateSubnetIds"]
    assert network["assignPublicIp"] is False


def test_billing_is_routed_from_the_platforms_listener(app: ProgramRun) -> None:
    rule = app.one("aws:lb/listenerRule:ListenerRule", "billing-route")
    assert rule.inputs["listenerArn"] == PLATFORM["listenerArn"]
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/billing/*"]}}]


def test_billing_rule_takes_a_priority_the_platform_does_not_use(app: ProgramRun) -> None:
    rule = app.one("aws:lb/listenerRule:ListenerRule", "billing-route")
    assert rule.inputs["priority"] not in PLATFORM_PRIORITIES


def test_billing_tasks_admit_only_the_platforms_load_balancer(app: ProgramRun) -> None:
    group = app.one("aws:ec2/securityGroup:SecurityGroup", "billing-tasks")
    ingress = [r for r in app.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.inputs["securityGroupId"] == group.id]
    service = app.one("aws:ecs/service:Service", "billing")
    assert service.inputs["networkConfiguration"]["securityGroups"] == [group.id]
    assert not group.inputs.get("ingress")
    assert ingress and all(r.inputs.get("referencedSecurityGroupId") == PLATFORM["albSecurityGroupId"]
                           for r in ingress)


def test_invoices_queue_sends_failed_messages_to_a_dead_letter_queue(app: ProgramRun) -> None:
    queue = app.one("aws:sqs/queue:Queue", "invoices")
    dead_letters = app.one("aws:sqs/queue:Queue", "invoices-dlq")
    assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"] == dead_letters.outputs["arn"]


def test_ecs_exec_sessions_are_audited_to_the_platforms_log_group(app: ProgramRun) -> None:
    policy = json.loads(app.one("aws:iam/rolePolicy:RolePolicy", "billing-task").inputs["policy"])
    resources = [r for s in policy["Statement"] for r in (s["Resource"] if isinstance(s["Resource"], list)
                                                          else [s["Resource"]])]
    assert f"arn:aws:logs:us-east-1:123456789012:log-group:{PLATFORM['execLogGroupName']}" in resources


def test_every_aws_resource_carries_the_apps_tags(app: ProgramRun) -> None:
    provider = app.one("pulumi:providers:aws", "aws")
    assert json.loads(provider.inputs["defaultTags"])["tags"] == {
        "environment": "dev", "project": "app-stack", "owner": "billing-team"}
    resources = [r for r in app.resources if r.type.startswith("aws:")]
    assert resources and all(r.provider.startswith(f"{provider.urn}::") for r in resources)


def test_the_billing_url_is_on_the_platforms_load_balancer(app: ProgramRun) -> None:
    assert app.outputs["billingUrl"] == f"{PLATFORM['albUrl']}/billing/"


def test_a_missing_platform_output_fails_the_stack_naming_it() -> None:
    outputs = {key: value for key, value in PLATFORM.items() if key != "listenerArn"}
    # One line naming the output and the stack, not a bare KeyError (ecs_platform.testing's MissingStackOutput).
    with pytest.raises(LookupError, match="requires output 'listenerArn' of stack 'acme/ecs-platform/dev'"):
        run_app(outputs)
