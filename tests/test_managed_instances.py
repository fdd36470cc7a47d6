"""ECS Managed Instances as a capacity choice: the stack-file keys, what the program registers for them, and what
the plan's refusals, fidelity, pack, cost and rehearsal make of them."""

from __future__ import annotations

import json
from typing import Any, Union

import pulumi_aws as aws
import pytest

from ecs_platform import Cluster
from ecs_platform.managed_instances import ManagedInstancesCapacity
from ecs_platform.testing import ProgramRun
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.plan import cost_instances
from ecs_platform.toolchain.rehearsal import Assumptions, Traffic, read_worker, rehearse

from .conftest import ROOT
from .helpers import NS, Edit, both, setting
from .test_refusals import plan_stack  # noqa: F401 (fixture)

GPU = {"vcpu": {"min": 4, "max": 16}, "memoryMib": {"min": 16384, "max": 65536}, "acceleratorTypes": ["gpu"],
       "acceleratorCount": {"min": 1, "max": 1}}
CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
SERVICE = "aws:ecs/service:Service"


def provider(name: str = "gpu", **keys: Any) -> Edit:
    return setting("cluster.managedInstances", {name: {**GPU, **keys}})


def on_gpu(**keys: Any) -> Edit:
    """The dev worker `orders` placed on the gpu provider, with ``keys`` of its own."""
    def edit(config: dict[str, Any]) -> None:
        worker = config[f"{NS}:workers"]["orders"]
        worker.pop("capacityProviderStrategy", None)
        worker.update({"managedInstances": "gpu", "cpu": 2048, "memory": 8192, **keys})
    return edit


def _strategy(config: dict[str, Any]) -> None:
    config[f"{NS}:workers"]["orders"]["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1}]


REFUSALS: list[tuple[str, Edit, str]] = [
    ("a GPU on Fargate", setting("workers.orders.gpus", 1), f"{NS}:workers.orders.gpus"),
    ("a GPU on a provider without GPUs", both(provider(acceleratorTypes=[]), on_gpu(gpus=1)),
     f"{NS}:workers.orders.gpus"),
    ("more GPUs than the instances have", both(provider(), on_gpu(gpus=2)), f"{NS}:workers.orders.gpus"),
    ("Managed Instances and a Fargate strategy", both(provider(), on_gpu(), _strategy),
     f"{NS}:workers.orders.capacityProviderStrategy"),
    ("an unknown provider", both(provider(), on_gpu(managedInstances="gpus")), f"{NS}:workers.orders.managedInstances"),
    ("an ARM64 task on x86 instances", both(provider(), on_gpu(cpuArchitecture="ARM64")),
     f"{NS}:workers.orders.cpuArchitecture"),
    ("a task larger than the largest instance's CPU", both(provider(), on_gpu(cpu=32768, memory=8192)),
     f"{NS}:workers.orders.cpu"),
    ("a task larger than the largest instance's memory", both(provider(), on_gpu(memory=131072)),
     f"{NS}:workers.orders.memory"),
    ("Fargate's ephemeral storage on Managed Instances", both(provider(), on_gpu(ephemeralStorageGib=50)),
     f"{NS}:workers.orders.ephemeralStorageGib"),
    ("the default strategy naming a Managed Instances provider", both(provider(), setting(
        "cluster.defaultCapacityProviderStrategy", [{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                                                    {"capacityProvider": "gpu", "weight": 1}])),
     f"{NS}:cluster.defaultCapacityProviderStrategy[1].capacityProvider"),
    ("allowed and excluded instance types", provider(allowedInstanceTypes=["g5.xlarge"],
                                                     excludedInstanceTypes=["g6.*"]),
     f"{NS}:cluster.managedInstances.gpu.excludedInstanceTypes"),
    ("a scale-in delay above an hour", provider(scaleInAfterSeconds=3601),
     f"{NS}:cluster.managedInstances.gpu.scaleInAfterSeconds"),
    ("a provider named like AWS's", provider("fargate-gpu"), f"{NS}:cluster.managedInstances.fargate-gpu"),
    ("an unknown capacity", provider(capacity="reserved"), f"{NS}:cluster.managedInstances.gpu.capacity"),
]


@pytest.mark.parametrize("edit, key", [pytest.param(e, k, id=i) for i, e, k in REFUSALS])
def test_a_managed_instances_mistake_is_refused_in_one_line_before_anything_is_registered(
        edit: Edit, key: str, plan_stack) -> None:  # noqa: F811
    outcome = plan_stack(edit)
    assert outcome.code == 2 and outcome.registered == 0, outcome.stderr
    assert outcome.stderr.strip().count("\n") == 0 and key in outcome.stderr, outcome.stderr


def test_a_gpu_worker_on_managed_instances_plans_without_violations(plan_stack) -> None:  # noqa: F811
    outcome = plan_stack(both(provider(allowedInstanceTypes=["g5.xlarge"]), on_gpu(gpus=1, cpu=3072, memory=12288)))
    # The copy is planned without dev's pack config, so dev's deliberate advisories count: judge what is the worker's.
    assert "checked against botocore models and AWS limits: 0 violation(s)" in outcome.stdout, outcome.stdout
    findings = [line for line in outcome.stdout.splitlines() if line.strip().startswith(("MANDATORY", "ADVISORY"))]
    ours = ("TaskDefinition::orders", "Service::orders", "main-mi", "main-gpu", "managed-instances")
    assert not [f for f in findings if any(o in f for o in ours)], findings
    assert "Managed Instances: orders" in outcome.stdout and "g5.xlarge" in outcome.stdout


# What prod registers ----------------------------------------------------------------------------------------------


def _provider(prod: ProgramRun) -> Any:
    return prod.one(CAPACITY_PROVIDER)


def test_prod_registers_a_cluster_scoped_gpu_provider_in_the_private_subnets(prod: ProgramRun) -> None:
    provider = _provider(prod)
    cluster = prod.one("aws:ecs/cluster:Cluster")
    template = provider.inputs["managedInstancesProvider"]["instanceLaunchTemplate"]
    assert provider.inputs["cluster"] == cluster.outputs["name"]
    assert template["networkConfiguration"]["subnets"] == prod.outputs["privateSubnetIds"]
    assert template["capacityOptionType"] == "ON_DEMAND"
    assert template["instanceRequirements"]["acceleratorTypes"] == ["gpu"]
    assert template["instanceRequirements"]["cpuManufacturers"] == ["intel", "amd"]


def test_the_provider_sits_beside_fargate_in_the_cluster_but_not_in_its_default(prod: ProgramRun) -> None:
    association = prod.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    name = _provider(prod).outputs["name"]
    assert association.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT", name]
    assert name not in [s["capacityProvider"] for s in association.inputs["defaultCapacityProviderStrategies"]]


def test_the_worker_runs_on_that_provider_alone_without_fargate_settings(prod: ProgramRun) -> None:
    service = prod.one(SERVICE, "inference")
    assert service.inputs["capacityProviderStrategies"] == [
        {"capacityProvider": _provider(prod).outputs["name"], "weight": 1, "base": 0}]
    assert "platformVersion" not in service.inputs and "launchType" not in service.inputs


def test_the_worker_task_definition_requires_managed_instances_and_reserves_a_gpu(prod: ProgramRun) -> None:
    definition = prod.one("aws:ecs/taskDefinition:TaskDefinition", "inference-task")
    main_container = json.loads(definition.inputs["containerDefinitions"])[0]
    assert definition.inputs["requiresCompatibilities"] == ["MANAGED_INSTANCES"]
    assert definition.inputs["networkMode"] == "awsvpc"
    assert main_container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    # 3 vCPU and 12 GiB is no Fargate size: the Fargate table does not apply on Managed Instances.
    assert (definition.inputs["cpu"], definition.inputs["memory"]) == ("3072", "12288")


def test_the_instance_role_and_profile_carry_the_prefix_the_infrastructure_policy_passes(prod: ProgramRun) -> None:
    role = prod.one("aws:iam/role:Role", "main-mi-instance")
    profile = prod.one("aws:iam/instanceProfile:InstanceProfile")
    assert role.outputs["name"].startswith("ecsInstanceRole")
    assert profile.inputs["name"] == role.outputs["name"] and profile.inputs["role"] == role.outputs["name"]
    template = _provider(prod).inputs["managedInstancesProvider"]["instanceLaunchTemplate"]
    assert template["ec2InstanceProfileArn"] == profile.outputs["arn"]
    assert ":instance-profile/ecsInstanceRole" in profile.outputs["arn"]


def test_each_managed_instances_role_carries_only_its_aws_managed_policy(prod: ProgramRun) -> None:
    attached = {a.inputs["role"]: a.inputs["policyArn"] for a in prod.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.name.startswith("main-mi-")}
    assert sorted(p.rsplit("/", 1)[1] for p in attached.values()) == [
        "AmazonECSInfrastructureRolePolicyForManagedInstances", "AmazonECSInstanceRolePolicyForManagedInstances"]
    inline = [p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] in attached]
    assert not inline


def test_the_instances_security_group_admits_nothing_and_sends_only_https(prod: ProgramRun) -> None:
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "main-mi-instances")
    rules = [r for r in prod.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                                     "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.inputs["securityGroupId"] == group.outputs["id"]]
    assert [(r.type.rsplit(":", 1)[1], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [
        ("SecurityGroupEgressRule", 443, 443)]


def test_the_worker_still_scales_from_zero_by_its_queue(prod: ProgramRun) -> None:
    target = prod.one("aws:appautoscaling/target:Target", "inference-scaling")
    assert target.inputs["minCapacity"] == 0
    assert prod.one("aws:cloudwatch/metricAlarm:MetricAlarm", "inference-wake")


# The component on its own -----------------------------------------------------------------------------------------


def test_a_cluster_with_managed_instances_needs_the_network(run_component) -> None:
    from .helpers import refusal_of
    message = refusal_of(run_component, lambda: Cluster("main", {"managed_instances": {"gpu": {
        "vcpu": {"min": 4}, "memory_mib": {"min": 1024}}}}))
    assert "vpc_id and subnet_ids" in message


def test_an_unknown_key_of_a_provider_is_named_with_its_path(run_component) -> None:
    from .helpers import refusal_of
    message = refusal_of(run_component, lambda: Cluster("main", {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a"],
                                                                 "managed_instances": {"gpu": {
                                                                     "vcpu": {"min": 4}, "memory_mib": {"min": 1},
                                                                     "gpus": 1}}}))
    assert "args.managed_instances.gpu" in message and "'gpus'" in message


def test_spot_capacity_and_monitoring_reach_the_launch_template(run_component) -> None:
    run = run_component(lambda: Cluster("main", {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a"], "managed_instances": {
        "batch": {"vcpu": {"min": 2}, "memory_mib": {"min": 4096}, "capacity": "spot", "monitoring": "detailed",
                  "cpu_architecture": "ARM64", "storage_gib": 80, "scale_in_after_seconds": -1}}}))
    provider = run.one(CAPACITY_PROVIDER).inputs["managedInstancesProvider"]
    template = provider["instanceLaunchTemplate"]
    assert (template["capacityOptionType"], template["monitoring"]) == ("SPOT", "DETAILED")
    assert template["instanceRequirements"]["cpuManufacturers"] == ["amazon-web-services"]
    assert template["storageConfiguration"] == {"storageSizeGib": 80}
    assert provider["infrastructureOptimization"] == {"scaleInAfter": -1}


# Fidelity -------------------------------------------------------------------------------------------------------


def _fidelity_lines(prod: ProgramRun, mutate: Any) -> list[str]:
    requests = fidelity.requests_for(prod.resources)
    for request in requests:
        mutate(request)
    return [v.line() for v in fidelity.check_requests(requests)]


def test_prod_requests_pass_fidelity(prod: ProgramRun) -> None:
    assert not fidelity.check(prod).violations


@pytest.mark.parametrize("operation, change, snippet", [
    ("CreateService", lambda p: p.update(platformVersion="LATEST"), "platformVersion"),
    ("CreateService", lambda p: p.update(launchType="EC2"), "launchType"),
    ("CreateService", lambda p: p["capacityProviderStrategy"].append({"capacityProvider": "FARGATE", "weight": 1}),
     "mixes Fargate and"),
    ("CreateCapacityProvider", lambda p: p.pop("cluster"), "cluster"),
    ("RegisterTaskDefinition", lambda p: p.update(networkMode="bridge"), "networkMode"),
])
def test_a_managed_instances_request_aws_would_refuse_is_flagged(prod: ProgramRun, operation: str, change: Any,
                                                                  snippet: str) -> None:
    def mutate(request: Any) -> None:
        touched = request.resource.name in ("inference", "inference-task", "main-gpu")
        if request.operation == operation and touched:
            change(request.params)
    found = _fidelity_lines(prod, mutate)
    assert any(snippet in line for line in found), found


def test_a_gpu_on_a_fargate_task_definition_is_flagged(prod: ProgramRun) -> None:
    def mutate(request: Any) -> None:
        if request.operation == "RegisterTaskDefinition" and request.resource.name == "inference-task":
            request.params["requiresCompatibilities"] = ["FARGATE"]
    assert any("Fargate has no GPUs" in line for line in _fidelity_lines(prod, mutate))


# Cost -------------------------------------------------------------------------------------------------------------

G5 = {"vcpu": 4, "memoryMib": 16384, "gpus": 1, "architecture": "X86_64", "onDemandHour": 1.0}


@pytest.mark.parametrize("cpu, memory, gpus, fit", [
    (1024, 2048, 0, 4),   # the vCPU fit
    (512, 8192, 0, 2),    # the memory fit
    (1024, 2048, 1, 1),   # one GPU task per GPU
])
def test_tasks_per_instance_is_the_tightest_fit(cpu: int, memory: int, gpus: int, fit: int) -> None:
    assert cost_instances.tasks_per_instance(G5, cpu, memory, gpus) == fit


def test_without_allowed_types_the_cheapest_fitting_type_is_priced() -> None:
    class Provider:
        inputs = {"managedInstancesProvider": {"instanceLaunchTemplate": {"instanceRequirements": {
            "vcpuCount": {"min": 2}, "memoryMib": {"min": 4096}, "acceleratorTypes": ["gpu"],
            "cpuManufacturers": ["intel", "amd"]}}}}
    table = {"g5.xlarge": G5, "g6.xlarge": {**G5, "onDemandHour": 0.8},
             "m7i.large": {**G5, "gpus": 0, "onDemandHour": 0.1}}
    assert cost_instances.choose_type(Provider(), table, 1024, 2048, 1)[0] == "g6.xlarge"


def test_prod_prices_the_inference_instances_with_the_fee_and_says_so(prod: ProgramRun) -> None:
    from ecs_platform.toolchain.plan.cost import estimate
    cost = estimate(prod, "us-east-1")
    (line,) = [i for i in cost.items if i.item == "Managed Instances: inference"]
    hour = 1.006 * 1.12
    assert (line.min, round(line.max, 2)) == (0.0, round(730 * 4 * hour, 2))
    assert "g5.xlarge (first allowedInstanceTypes entry priced)" in line.detail
    assert any("management fee" in a and "estimate" in a for a in cost.assumptions)


# Rehearsal ------------------------------------------------------------------------------------------------------


def test_a_managed_instances_worker_wakes_later_by_the_instance_start(prod: ProgramRun) -> None:
    worker = read_worker(prod, "inference")
    traffic = [Traffic.parse("burst:10@1")]
    with_instance = rehearse(worker, traffic, Assumptions(seconds_per_message=30, instance_start_seconds=120))
    without = rehearse(worker, traffic, Assumptions(seconds_per_message=30, instance_start_seconds=0))
    assert worker.managed_instances
    assert with_instance.summary["wakeMinutes"] == pytest.approx(without.summary["wakeMinutes"] + 2, abs=0.1)


def test_a_fargate_worker_ignores_the_instance_start(prod: ProgramRun) -> None:
    worker = read_worker(prod, "orders")
    traffic = [Traffic.parse("burst:10@1")]
    assert not worker.managed_instances
    assert (rehearse(worker, traffic, Assumptions(instance_start_seconds=300)).summary
            == rehearse(worker, traffic, Assumptions(instance_start_seconds=0)).summary)


# Changing a live stack ------------------------------------------------------------------------------------------


def test_changing_a_providers_capacity_is_a_mandatory_hazard_naming_the_key(tmp_path, capsys) -> None:
    import shutil
    live = tmp_path / "live.json"
    assert main(["plan", "--stack", "prod", "--dir", str(ROOT), "--json", str(live)]) == 0
    program = tmp_path / "program"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    assert "capacity: onDemand" in text
    (program / "Pulumi.prod.yaml").write_text(text.replace("capacity: onDemand", "capacity: spot"))
    capsys.readouterr()
    code = main(["plan", "--stack", "prod", "--dir", str(program), "--pack", str(ROOT / "policies"),
                 "--config", str(ROOT / "policies" / "config" / "prod.json"), "--compare", str(live)])
    out = capsys.readouterr().out
    assert code == 1
    assert "replace (delete first): aws:ecs/capacityProvider:CapacityProvider::main-gpu" in out
    assert "[mandatory] ecs-platform:cluster.managedInstances.gpu.capacity" in out


def test_a_scheduled_task_on_managed_instances_runs_there_without_a_platform_version(run_component) -> None:
    from ecs_platform import ScheduledTask
    from .helpers import PLACEMENT
    run = run_component(lambda: ScheduledTask("report", {
        "placement": PLACEMENT, "task": {"image": "example/report:1.0", "cpu": 512, "memory": 1536},
        "schedule": "rate(1 day)", "managed_instances": "steady-test"}))
    ecs = run.one("aws:scheduler/schedule:Schedule").inputs["target"]["ecsParameters"]
    assert ecs["capacityProviderStrategies"] == [{"capacityProvider": "steady-test", "weight": 1}]
    assert "platformVersion" not in ecs and "launchType" not in ecs
    assert run.one("aws:ecs/taskDefinition:TaskDefinition").inputs["requiresCompatibilities"] == ["MANAGED_INSTANCES"]


def test_a_web_service_on_managed_instances_refuses_a_fargate_strategy_too(run_component) -> None:
    from ecs_platform import WebService
    from .helpers import refusal_of, web_args
    message = refusal_of(run_component, lambda: WebService("api", web_args(
        managed_instances="steady", capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1}])))
    assert "one provider type" in message
