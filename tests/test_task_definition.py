"""The shared task definition builder, exercised through a QueueWorker (no load balancer needed)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecs_platform import QueueWorker
from ecs_platform.task_definition import secret_arn_problem
from ecs_platform.testing import ACCOUNT_ID

from .helpers import containers, policy, statements_by_action

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def worker(run_component, **task: Any):
    args = {
        "placement": {
            "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
            "cluster_name": "main",
            "vpc_id": "vpc-1",
            "subnet_ids": ["subnet-a", "subnet-b"],
        },
        "task": {"image": "example/worker:1.0", **task},
    }
    return run_component(lambda: QueueWorker("jobs", args))


def main_container(run) -> dict:
    return containers(run, "jobs")[0]


def test_task_is_awsvpc_fargate_with_the_requested_size(run_component) -> None:
    definition = worker(run_component, cpu=1024, memory=4096).one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert definition["networkMode"] == "awsvpc"
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert (definition["cpu"], definition["memory"]) == ("1024", "4096")
    assert definition["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}


def test_arm64_reaches_the_runtime_platform(run_component) -> None:
    from ecs_platform import CapacityProvider, CpuArchitecture

    run = run_component(lambda: QueueWorker("jobs", {
        "placement": {"cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main", "cluster_name": "main",
                      "vpc_id": "vpc-1", "subnet_ids": ["subnet-a"]},
        "task": {"image": "x:1", "cpu_architecture": CpuArchitecture.ARM64},
        "capacity_provider_strategy": [{"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 1}],
    }))
    assert run.one("aws:ecs/taskDefinition:TaskDefinition").inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"


@pytest.mark.parametrize(("cpu", "memory"), [(256, 4096), (512, 512), (1024, 1500), (300, 512)])
def test_sizes_outside_the_fargate_table_fail_before_registration(run_component, cpu: int, memory: int) -> None:
    with pytest.raises(ValueError, match="cpu"):
        worker(run_component, cpu=cpu, memory=memory)


def test_logs_go_to_the_task_log_group_without_blocking(run_component) -> None:
    run = worker(run_component)
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs")
    options = main_container(run)["logConfiguration"]
    assert options["logDriver"] == "awslogs"
    assert options["options"]["awslogs-group"] == group.outputs["name"]
    assert options["options"]["awslogs-region"] == "us-east-1"
    assert options["options"]["mode"] == "non-blocking"
    assert options["options"]["max-buffer-size"] == "25m"


def test_log_group_exists_before_the_task_definition(run_component) -> None:
    run = worker(run_component, log_retention_days=14)
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "jobs-logs")
    assert group.urn in run.one("aws:ecs/taskDefinition:TaskDefinition").dependencies
    assert group.inputs["retentionInDays"] == 14


def test_root_filesystem_is_read_only_by_default(run_component) -> None:
    assert main_container(worker(run_component))["readonlyRootFilesystem"] is True


def test_scratch_paths_get_writable_task_volumes(run_component) -> None:
    run = worker(run_component, scratch_paths=["/tmp", "/var/cache/app"])
    mounts = {m["containerPath"]: m for m in main_container(run)["mountPoints"]}
    volumes = {v["name"] for v in run.one("aws:ecs/taskDefinition:TaskDefinition").inputs["volumes"]}
    assert set(mounts) == {"/tmp", "/var/cache/app"}
    assert all(m["readOnly"] is False and m["sourceVolume"] in volumes for m in mounts.values())


def test_user_and_stop_timeout_reach_the_container(run_component) -> None:
    container = main_container(worker(run_component, user="1000:1000", stop_timeout_seconds=90))
    assert (container["user"], container["stopTimeout"]) == ("1000:1000", 90)


def test_stop_timeout_above_the_fargate_maximum_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="120"):
        worker(run_component, stop_timeout_seconds=300)


def test_container_health_check_is_passed_with_all_its_timings(run_component) -> None:
    check = {"command": ["CMD-SHELL", "test -f /tmp/ready"], "interval_seconds": 20, "timeout_seconds": 4,
             "retries": 2, "start_period_seconds": 10}
    assert main_container(worker(run_component, health_check=check))["healthCheck"] == {
        "command": ["CMD-SHELL", "test -f /tmp/ready"], "interval": 20, "timeout": 4, "retries": 2, "startPeriod": 10,
    }


def test_health_check_timeout_must_be_below_interval(run_component) -> None:
    with pytest.raises(ValueError, match="shorter"):
        worker(run_component, health_check={"command": ["CMD", "true"], "interval_seconds": 5, "timeout_seconds": 5})


def test_plaintext_secret_in_environment_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="DB_PASSWORD looks like a secret"):
        worker(run_component, environment={"DB_PASSWORD": "hunter2"})


def test_secrets_are_references_not_values(run_component) -> None:
    container = main_container(worker(run_component, secrets={"DB_PASSWORD": SECRET}))
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": SECRET}]
    assert all(e["name"] != "DB_PASSWORD" for e in container["environment"])


def test_secret_that_is_not_an_arn_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="SSM parameter"):
        worker(run_component, secrets={"TOKEN": "hunter2"})


def test_execution_role_uses_the_managed_task_execution_policy(run_component) -> None:
    run = worker(run_component)
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert attachment.inputs["role"] == run.one("aws:iam/role:Role", "jobs-execution").outputs["name"]


def test_execution_role_reads_exactly_the_referenced_secrets(run_component) -> None:
    run = worker(run_component, secrets={"DB_PASSWORD": SECRET + ":password::", "API_KEY": PARAMETER})
    allowed = statements_by_action(policy(run.one("aws:iam/rolePolicy:RolePolicy", "jobs-secrets")))
    assert allowed == {"ssm:GetParameters": [PARAMETER], "secretsmanager:GetSecretValue": [SECRET]}


def test_kms_key_for_secrets_adds_decrypt(run_component) -> None:
    run = worker(run_component, secrets={"API_KEY": PARAMETER}, secrets_kms_key_arn=KMS)
    allowed = statements_by_action(policy(run.one("aws:iam/rolePolicy:RolePolicy", "jobs-secrets")))
    assert allowed["kms:Decrypt"] == KMS


def test_no_secrets_means_no_secret_policy(run_component) -> None:
    run = worker(run_component)
    assert [r.name for r in run.of_type("aws:iam/rolePolicy:RolePolicy")] == ["jobs-task"]


def test_roles_are_assumed_only_by_ecs_tasks_of_this_account(run_component) -> None:
    run = worker(run_component)
    for role in ("jobs-execution", "jobs-task"):
        (statement,) = policy(run.one("aws:iam/role:Role", role), "assumeRolePolicy")["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID


def test_task_and_execution_roles_are_distinct(run_component) -> None:
    run = worker(run_component)
    definition = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert definition["executionRoleArn"] == run.one("aws:iam/role:Role", "jobs-execution").outputs["arn"]
    assert definition["taskRoleArn"] == run.one("aws:iam/role:Role", "jobs-task").outputs["arn"]
    assert definition["executionRoleArn"] != definition["taskRoleArn"]


def test_task_role_gets_the_statements_settings_add(run_component) -> None:
    run = worker(run_component, task_role_statements=[{"actions": ["s3:GetObject"],
                                                       "resources": ["arn:aws:s3:::reports/*"]}])
    allowed = statements_by_action(policy(run.one("aws:iam/rolePolicy:RolePolicy", "jobs-task")))
    assert allowed["s3:GetObject"] == ["arn:aws:s3:::reports/*"]


def test_sidecars_join_the_task_with_their_own_log_stream(run_component) -> None:
    run = worker(run_component, sidecars=[{"name": "otel", "image": "otel/collector:0.100", "port": 4317}])
    main, sidecar = containers(run, "jobs")
    assert sidecar["name"] == "otel" and sidecar["essential"] is False
    assert sidecar["portMappings"] == [{"containerPort": 4317, "protocol": "tcp"}]
    assert sidecar["logConfiguration"]["options"]["awslogs-stream-prefix"] == "otel"
    assert sidecar["readonlyRootFilesystem"] is True
    assert main["essential"] is True


def test_sidecar_with_a_plaintext_secret_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="API_TOKEN"):
        worker(run_component, sidecars=[{"name": "proxy", "image": "p:1", "environment": {"API_TOKEN": "x"}}])


# Scratch volumes -------------------------------------------------------------------------------------------------

ECS_VOLUME_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
"""ECS Volume name: up to 255 letters, numbers, underscores and hyphens (RegisterTaskDefinition API reference)."""


def test_scratch_volume_names_are_valid_for_ecs_and_distinct_for_paths_that_look_alike(run_component) -> None:
    paths = ["/home/app/.cache", "/a-b", "/a/b", "/" + "x" * 300]
    run = worker(run_component, scratch_paths=paths)
    names = [v["name"] for v in run.one(TASK_DEFINITION).inputs["volumes"]]
    assert len(names) == len(set(names)) == len(paths)
    assert all(ECS_VOLUME_NAME.match(n) for n in names)
    assert {m["sourceVolume"] for m in main_container(run)["mountPoints"]} == set(names)


def test_non_root_user_gets_an_init_container_that_hands_it_the_scratch_volumes(run_component) -> None:
    run = worker(run_component, user="1000:1000", scratch_paths=["/tmp", "/var/cache/app"])
    main, init = containers(run, "jobs")
    volumes = {m["sourceVolume"] for m in main["mountPoints"]}
    assert main["dependsOn"] == [{"containerName": init["name"], "condition": "SUCCESS"}]
    assert (init["essential"], init["user"]) == (False, "0")
    assert {m["sourceVolume"] for m in init["mountPoints"]} == volumes
    assert init["command"] == ["chown", "1000:1000", *(m["containerPath"] for m in init["mountPoints"])]
    assert init["image"].startswith("public.ecr.aws/") and ":" in init["image"].rsplit("/", 1)[-1]
    capabilities = init["linuxParameters"]["capabilities"]
    assert capabilities["drop"] and "CHOWN" not in capabilities["drop"]
    assert "add" not in capabilities  # Fargate accepts no added capability but SYS_PTRACE
    assert init["logConfiguration"]["options"]["awslogs-stream-prefix"] == init["name"]
    assert init["memoryReservation"] <= 32


def test_every_container_keeps_a_read_only_root_filesystem_with_scratch_init(run_component) -> None:
    run = worker(run_component, user="101", scratch_paths=["/tmp"])
    assert [c["readonlyRootFilesystem"] for c in containers(run, "jobs")] == [True, True]


def test_user_given_by_name_gets_world_writable_sticky_scratch(run_component) -> None:
    run = worker(run_component, user="nginx", scratch_paths=["/tmp"])
    init = containers(run, "jobs")[-1]
    assert init["command"][:2] == ["chmod", "1777"]
    assert init["linuxParameters"]["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("user", ["0", "root:root"], ids=["uid 0", "root by name"])
def test_no_init_container_without_a_non_root_user(run_component, user) -> None:
    task = {"scratch_paths": ["/tmp"], "user": user}
    run = worker(run_component, **task)
    assert [c["name"] for c in containers(run, "jobs")] == ["jobs"]
    assert "dependsOn" not in main_container(run)


# Secrets Manager references ----------------------------------------------------------------------------------------


def test_secrets_manager_arn_without_its_random_suffix_is_refused_in_one_line(run_component) -> None:
    partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db"
    with pytest.raises(ValueError, match="6 characters") as refused:
        worker(run_component, secrets={"DB_PASSWORD": partial})
    assert "\n" not in str(refused.value) and partial in str(refused.value)


@pytest.mark.parametrize(("value", "refused"), [
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db", True),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db:password::", True),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", False),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf:password:AWSCURRENT:", False),
    ("arn:aws:ssm:us-east-1:123456789012:parameter/app/api-key", False),
])
def test_secret_arn_problem_names_only_partial_secrets_manager_arns(value: str, refused: bool) -> None:
    assert (secret_arn_problem(value) is not None) is refused


def test_a_task_that_names_no_user_runs_as_1000_not_as_the_images_user(run_component) -> None:
    # ECS.20: an image's own user is often root; the platform's default never is.
    run = worker(run_component, scratch_paths=["/tmp"])
    assert main_container(run)["user"] == "1000:1000"
    assert [c["name"] for c in containers(run, "jobs")] == ["jobs", "scratch-init"]
