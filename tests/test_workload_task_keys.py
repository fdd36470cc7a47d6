"""Task keys a workload sets for itself: ephemeral storage above Fargate's 20 GiB (the key, the task definition, its
cost) and ECS Exec per workload."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from ecs_platform.settings import SettingsError, parse
from ecs_platform.testing import run
from ecs_platform.toolchain.plan.cost import estimate, load_prices

from .test_settings import NS, minimal
from .test_task_definition import worker

WORKER = {"image": "example/worker:1.0"}


def test_ephemeral_storage_reaches_the_task_definition(run_component) -> None:
    definition = worker(run_component, ephemeral_storage_gib=100).one("aws:ecs/taskDefinition:TaskDefinition")
    assert definition.inputs["ephemeralStorage"] == {"sizeInGib": 100}


def test_without_it_the_task_keeps_fargates_free_twenty_gib(run_component) -> None:
    definition = worker(run_component).one("aws:ecs/taskDefinition:TaskDefinition")
    assert "ephemeralStorage" not in definition.inputs


@pytest.mark.parametrize("size", [20, 201])
def test_sizes_fargate_does_not_offer_are_refused_on_their_key(size: int) -> None:
    with pytest.raises(SettingsError) as caught:
        parse(minimal(workers={"jobs": {**WORKER, "ephemeralStorageGib": size}}), NS)
    assert str(caught.value).startswith(f"{NS}:workers.jobs.ephemeralStorageGib:")


def test_only_the_gib_above_twenty_are_priced() -> None:
    def program() -> None:
        definition = aws.ecs.TaskDefinition("td", family="app", cpu="256", memory="512", network_mode="awsvpc",
                                            requires_compatibilities=["FARGATE"], container_definitions="[]",
                                            ephemeral_storage={"size_in_gib": 120})
        aws.ecs.Service("svc", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", desired_count=1,
                        task_definition=definition.arn,
                        capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}])

    prices = load_prices("us-east-1")
    (item,) = estimate(run(program, project="cost", stack="test", config={"aws:region": "us-east-1"}),
                       "us-east-1").items
    compute = 0.25 * prices["fargate"]["X86_64"]["vcpuHour"] + 0.5 * prices["fargate"]["X86_64"]["gbHour"]
    assert item.desired == pytest.approx(730 * (compute + 100 * prices["fargateEphemeralStorageGbHour"]))


# ECS Exec per workload (Copilot's `exec: true` is per service) ---------------------------------------------------

PLACEMENT: dict = {"cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main", "cluster_name": "main",
                   "vpc_id": "vpc-1", "subnet_ids": ["subnet-a"]}


def test_a_workload_turns_ecs_exec_on_where_the_stack_leaves_it_off() -> None:
    settings = parse(minimal(workers={"jobs": {**WORKER, "enableExecuteCommand": True}, "other": WORKER}), NS)
    assert settings.queue_worker_args("jobs", PLACEMENT)["deployment"]["enable_execute_command"] is True
    assert settings.queue_worker_args("other", PLACEMENT)["deployment"]["enable_execute_command"] is False


def test_a_workload_turns_ecs_exec_off_where_the_stack_turns_it_on() -> None:
    settings = parse(minimal(serviceDefaults={"enableExecuteCommand": True},
                             workers={"jobs": {**WORKER, "enableExecuteCommand": False}}), NS)
    assert settings.queue_worker_args("jobs", PLACEMENT)["deployment"]["enable_execute_command"] is False


def test_ecs_exec_on_a_scheduled_task_is_refused_on_its_key() -> None:
    with pytest.raises(SettingsError) as caught:
        parse(minimal(scheduledTasks={"nightly": {**WORKER, "schedule": "rate(1 day)",
                                                  "enableExecuteCommand": True}}), NS)
    assert str(caught.value).startswith(f"{NS}:scheduledTasks.nightly.enableExecuteCommand:")
