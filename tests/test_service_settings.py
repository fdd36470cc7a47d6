"""The 2025-26 service settings: Availability Zone rebalancing, Service Connect access logs, managed EBS volumes per
task, and sigintRollback beside waitForSteadyState; each from the stack file to the request AWS would receive, the
pack, the plan's cost and the day-2 facts. Refusals through the CLI are in tests/test_refusals.py."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from ecs_platform import QueueWorker, ScheduledTask, WebService
from ecs_platform.settings import parse
from ecs_platform.testing import run
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.plan import replacements
from ecs_platform.toolchain.plan.cost import estimate, load_prices

from .helpers import PLACEMENT, containers, refusal_of, web_args
from .policy_support import violations
from .test_fidelity import program, service, task
from .test_scheduled_task import args as scheduled_args
from .test_settings import NS, minimal

SERVICE = "aws:ecs/service:Service"
NAMESPACE = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789abcdef"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WORKER = {"image": "example/worker:1.0"}


def worker(run_component, task_args: dict[str, Any] | None = None, **args: Any):
    return run_component(lambda: QueueWorker("jobs", {"placement": PLACEMENT, "task": {
        "image": "example/worker:1.0", **(task_args or {})}, **args}))


# Availability Zone rebalancing -----------------------------------------------------------------------------------


def test_every_service_rebalances_across_zones_by_default(run_component) -> None:
    assert worker(run_component).one(SERVICE).inputs["availabilityZoneRebalancing"] == "ENABLED"


def test_service_defaults_turn_rebalancing_off_stack_wide() -> None:
    settings = parse(minimal(serviceDefaults={"availabilityZoneRebalancing": False}, workers={"jobs": WORKER}), NS)
    assert settings.queue_worker_args("jobs", PLACEMENT)["deployment"]["availability_zone_rebalancing"] is False


def test_a_service_with_rebalancing_off_sends_disabled(run_component) -> None:
    run = worker(run_component, deployment={"availability_zone_rebalancing": False})
    assert run.one(SERVICE).inputs["availabilityZoneRebalancing"] == "DISABLED"


@pytest.mark.parametrize("path", ["availabilityZoneRebalancing", "volumeConfiguration.managedEbsVolume.sizeInGb",
                                  "serviceConnectConfiguration.accessLogConfiguration.format", "sigintRollback"])
def test_the_new_service_inputs_update_in_place(path: str) -> None:
    assert replacements.load().replaces(SERVICE, replacements.split(path)) is None


def test_a_rebalancing_value_aws_does_not_know_is_a_fidelity_violation() -> None:
    report = fidelity.check(program(lambda: service(availability_zone_rebalancing="ON")))
    assert any(v.field == "availabilityZoneRebalancing" for v in report.violations)


# sigintRollback --------------------------------------------------------------------------------------------------


def test_sigint_rollback_goes_with_waiting_for_steady_state(run_component) -> None:
    run = worker(run_component, deployment={"wait_for_steady_state": True})
    assert run.one(SERVICE).inputs["sigintRollback"] is True


def test_without_waiting_there_is_no_sigint_rollback(run_component) -> None:
    assert "sigintRollback" not in worker(run_component).one(SERVICE).inputs


# Service Connect access logs ---------------------------------------------------------------------------------------


def test_service_connect_members_log_requests_as_json_without_query_strings(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(service_connect={"namespace": NAMESPACE})))
    connect = run.one(SERVICE).inputs["serviceConnectConfiguration"]
    assert connect["accessLogConfiguration"] == {"format": "JSON", "includeQueryParameters": "DISABLED"}
    # AWS writes them through the configuration's logConfiguration: the task's own log group.
    assert connect["logConfiguration"]["options"]["awslogs-group"] == \
        run.one("aws:cloudwatch/logGroup:LogGroup", "api-logs").outputs["name"]


def test_access_logs_off_sends_no_access_log_configuration(run_component) -> None:
    run = worker(run_component, service_connect={"namespace": NAMESPACE, "access_logs": "off"})
    assert "accessLogConfiguration" not in run.one(SERVICE).inputs["serviceConnectConfiguration"]


def test_the_stack_file_chooses_text_logs_with_query_strings() -> None:
    settings = parse(minimal(cluster={"serviceConnectNamespace": "internal"}, workers={"jobs": {
        **WORKER, "serviceConnect": {"accessLogs": "text", "includeQueryParameters": True}}}), NS)
    connect = settings.queue_worker_args("jobs", PLACEMENT, namespace=NAMESPACE)["service_connect"]
    assert (connect["access_logs"], connect["include_query_parameters"]) == ("text", True)


def test_access_logs_without_a_log_configuration_are_a_fidelity_violation() -> None:
    report = fidelity.check(program(lambda: service(service_connect_configuration={
        "enabled": True, "namespace": NAMESPACE, "access_log_configuration": {"format": "JSON"}})))
    assert [v.field for v in report.violations] == ["serviceConnectConfiguration.accessLogConfiguration"]


# Managed EBS volumes -------------------------------------------------------------------------------------------


def test_the_task_definition_gets_a_volume_configured_at_launch(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500}})
    assert run.one("aws:ecs/taskDefinition:TaskDefinition").inputs["volumes"] == [
        {"name": "ebs", "configureAtLaunch": True}]


def test_the_volume_is_writable_at_its_path_under_a_read_only_root(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500, "path": "/work"}})
    (main,) = [c for c in containers(run, "jobs") if c["name"] == "jobs"]
    assert main["readonlyRootFilesystem"] is True
    assert {"sourceVolume": "ebs", "containerPath": "/work", "readOnly": False} in main["mountPoints"]


def test_the_service_gets_an_encrypted_gp3_xfs_volume_per_task_by_default(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500}})
    config = run.one(SERVICE).inputs["volumeConfiguration"]
    managed = config["managedEbsVolume"]
    assert config["name"] == "ebs"
    assert (managed["encrypted"], managed["volumeType"], managed["fileSystemType"], managed["sizeInGb"]) == \
        (True, "gp3", "xfs", 500)
    role = run.one("aws:iam/role:Role", "jobs-volumes")
    assert managed["roleArn"] == f"arn:aws:iam::123456789012:role/{role.outputs['name']}"


def test_the_volumes_role_trusts_ecs_and_takes_the_managed_volumes_policy(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500}})
    trust = json.loads(run.one("aws:iam/role:Role", "jobs-volumes").inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ecs.amazonaws.com"}]
    attached = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "jobs-volumes").inputs["policyArn"]
    assert attached.endswith(":policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes")


def test_a_workloads_own_kms_key_is_granted_to_its_volumes_role_only(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500, "kms_key_arn": KEY}})
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy", "jobs-volumes-kms").inputs["policy"])
    assert {s["Resource"] for s in policy["Statement"]} == {KEY}
    assert run.one(SERVICE).inputs["volumeConfiguration"]["managedEbsVolume"]["kmsKeyId"] == KEY


def test_without_a_kms_key_the_role_has_no_key_permissions(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500}})
    assert not [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "jobs-volumes-kms"]


def test_a_non_root_user_is_handed_the_volume_before_the_main_container_starts(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500}, "user": "1000:1000"})
    (init,) = [c for c in containers(run, "jobs") if c["name"] == "scratch-init"]
    assert init["command"] == ["chown", "1000:1000", "/mnt/ebs"]


def test_a_workload_without_ebs_volume_has_no_volume_configuration(run_component) -> None:
    run = worker(run_component)
    assert "volumeConfiguration" not in run.one(SERVICE).inputs
    assert not [r for r in run.of_type("aws:iam/role:Role") if r.name == "jobs-volumes"]


def test_the_stack_file_key_reaches_the_task_args() -> None:
    settings = parse(minimal(workers={"jobs": {**WORKER, "ebsVolume": {"sizeGib": 300, "throughput": 500}}}), NS)
    assert settings.queue_worker_args("jobs", PLACEMENT)["task"]["ebs_volume"] == {
        "path": "/data", "size_gib": 300, "volume_type": "gp3", "throughput": 500, "file_system_type": "xfs"}


def test_the_platforms_volume_passes_fidelity(run_component) -> None:
    run = worker(run_component, {"ebs_volume": {"size_gib": 500, "iops": 6000, "throughput": 250}})
    assert fidelity.check(run).violations == []


def test_a_volume_the_task_definition_does_not_configure_at_launch_is_a_fidelity_violation() -> None:
    def build() -> None:
        definition = task(volumes=[{"name": "data"}])
        service(task_definition=definition.arn, volume_configuration={"name": "data", "managed_ebs_volume": {
            "role_arn": "arn:aws:iam::123456789012:role/volumes", "size_in_gb": 10}})
    report = fidelity.check(program(build))
    assert [v.field for v in report.violations] == ["volumeConfigurations[0].name"]


@pytest.mark.parametrize("managed, field", [
    ({"volume_type": "gp3", "size_in_gb": 20000}, "sizeInGiB"),
    ({"volume_type": "st1", "size_in_gb": 500, "iops": 500}, "iops"),
    ({"volume_type": "io2", "size_in_gb": 500, "iops": 1000, "throughput": 500}, "throughput"),
    ({"volume_type": "io1", "size_in_gb": 500}, "iops"),
])
def test_volume_limits_per_type_are_fidelity_violations(managed: dict[str, Any], field: str) -> None:
    def build() -> None:
        definition = task(volumes=[{"name": "ebs", "configure_at_launch": True}])
        service(task_definition=definition.arn, volume_configuration={"name": "ebs", "managed_ebs_volume": {
            "role_arn": "arn:aws:iam::123456789012:role/volumes", **managed}})
    report = fidelity.check(program(build))
    assert [v.field for v in report.violations] == [f"volumeConfigurations[0].managedEBSVolume.{field}"]


def test_two_volumes_configured_at_launch_are_a_fidelity_violation() -> None:
    report = fidelity.check(program(lambda: task(volumes=[{"name": "a", "configure_at_launch": True},
                                                          {"name": "b", "configure_at_launch": True}])))
    assert [v.field for v in report.violations] == ["volumes"]


def test_a_gp3_volume_is_priced_per_task_with_iops_and_throughput_above_the_baseline() -> None:
    def build() -> None:
        definition = aws.ecs.TaskDefinition("td", family="app", cpu="256", memory="512", network_mode="awsvpc",
                                            requires_compatibilities=["FARGATE"], container_definitions="[]")
        aws.ecs.Service("svc", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", desired_count=2,
                        task_definition=definition.arn,
                        capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}],
                        volume_configuration={"name": "ebs", "managed_ebs_volume": {
                            "role_arn": "arn:aws:iam::123456789012:role/v", "size_in_gb": 500, "volume_type": "gp3",
                            "iops": 6000, "throughput": 250}})

    prices = load_prices("us-east-1")
    items = estimate(run(build, project="cost", stack="test", config={"aws:region": "us-east-1"}), "us-east-1").items
    (volumes,) = [i for i in items if i.item.startswith("EBS volumes")]
    per_task = (500 * prices["ebsGbMonth"]["gp3"] + 3000 * prices["ebsGp3IopsMonth"]
                + 125 * prices["ebsGp3ThroughputMibsMonth"])
    assert volumes.desired == pytest.approx(2 * per_task)


# The pack at a new stack's first preview ----------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["ecs-managed-ebs-encrypted", "ecs-service-az-rebalancing"])
def test_a_worker_with_a_volume_passes_the_new_rules_at_a_first_preview(policy: str) -> None:
    preview = run(lambda: QueueWorker("jobs", {"placement": PLACEMENT, "task": {
        "image": "example/worker:1.0", "ebs_volume": {"size_gib": 500}}}),
        project="policy-test", stack="test", config={"aws:region": "us-east-1"}, preview=True)
    assert violations(policy, preview) == []


def test_rebalancing_turned_off_is_reported_by_the_pack(run_component) -> None:
    messages = violations("ecs-service-az-rebalancing",
                          worker(run_component, deployment={"availability_zone_rebalancing": False}))
    assert messages and all("[PLATFORM.ECS-AZ-REBALANCING]" in m for m in messages)


# The components refuse on their own, before registering anything -----------------------------------------------


def test_a_scheduled_task_component_refuses_an_ebs_volume(run_component) -> None:
    message = refusal_of(run_component, lambda: ScheduledTask("report", scheduled_args(task={
        "image": "example/report:1.0", "ebs_volume": {"size_gib": 10}})))
    assert message.startswith("ebs_volume applies to services and workers")


def test_a_worker_component_refuses_iops_on_a_type_that_takes_none(run_component) -> None:

    message = refusal_of(run_component, lambda: QueueWorker("jobs", {"placement": PLACEMENT, "task": {
        "image": "example/worker:1.0", "ebs_volume": {"size_gib": 500, "volume_type": "sc1", "iops": 100}}}))
    assert message.startswith("ebs_volume.iops a sc1 volume takes no provisioned IOPS")
