"""The real __main__.py, run once per stack file: what each environment must get."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from ecs_platform.settings import SettingsError
from ecs_platform.testing import ProgramRun, run_stack

from .conftest import ROOT

VPC = "awsx:ec2:Vpc"
LISTENER = "aws:lb/listener:Listener"


def test_dev_vpc_has_two_zones_and_a_nat_instance_instead_of_gateways(dev: ProgramRun) -> None:
    vpc = dev.one(VPC).inputs
    assert len(vpc["availabilityZoneNames"]) == 2
    assert vpc["natGateways"]["strategy"] == "None"
    (instance,) = dev.of_type("aws:ec2/instance:Instance")
    assert instance.inputs["instanceType"] == "t4g.nano" and instance.inputs["sourceDestCheck"] is False


def test_prod_vpc_has_three_zones_and_a_nat_gateway_per_zone(prod: ProgramRun) -> None:
    vpc = prod.one(VPC).inputs
    assert len(vpc["availabilityZoneNames"]) == 3
    assert vpc["natGateways"]["strategy"] == "OnePerAz"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_flow_log_writes_to_a_log_group_of_the_stack(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    flow_log = run.one("aws:ec2/flowLog:FlowLog")
    group_arns = {g.outputs["arn"] for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert flow_log.inputs["logDestination"] in group_arns


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_default_security_group_has_no_rules(stack: str, request) -> None:
    group = request.getfixturevalue(stack).one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alb_drops_invalid_headers(stack: str, request) -> None:
    assert request.getfixturevalue(stack).one("aws:lb/loadBalancer:LoadBalancer").inputs["dropInvalidHeaderFields"]


def test_prod_serves_https_and_redirects_http(prod: ProgramRun) -> None:
    listeners = {l.inputs["protocol"]: l.inputs for l in prod.of_type(LISTENER)}
    assert set(listeners) == {"HTTPS", "HTTP"}
    assert listeners["HTTPS"]["certificateArn"].startswith("arn:aws:acm:")
    assert listeners["HTTP"]["defaultActions"][0]["type"] == "redirect"


def test_dev_serves_plain_http(dev: ProgramRun) -> None:
    (listener,) = dev.of_type(LISTENER)
    assert listener.inputs["protocol"] == "HTTP"
    assert listener.inputs["defaultActions"][0]["type"] == "fixed-response"


def test_prod_alb_is_protected_and_logged(prod: ProgramRun) -> None:
    alb = prod.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["enableDeletionProtection"] is True
    assert alb["accessLogs"]["enabled"] is True


def test_dev_alb_can_be_deleted_and_keeps_no_access_logs(dev: ProgramRun) -> None:
    alb = dev.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["enableDeletionProtection"] is False
    assert not alb.get("accessLogs")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_has_container_insights_as_the_stack_says(stack: str, request) -> None:
    (setting,) = request.getfixturevalue(stack).one("aws:ecs/cluster:Cluster").inputs["settings"]
    expected = {"dev": "disabled", "prod": "enhanced"}[stack]
    assert setting["name"] == "containerInsights" and setting["value"] == expected


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cluster_offers_fargate_and_spot(stack: str, request) -> None:
    providers = request.getfixturevalue(stack).one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    # prod adds its Managed Instances provider (tests/test_managed_instances.py) beside them.
    assert {"FARGATE", "FARGATE_SPOT"} <= set(providers.inputs["capacityProviders"])


def test_dev_runs_even_its_minimum_tasks_on_spot(dev: ProgramRun) -> None:
    strategy = dev.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
    assert [(s["capacityProvider"], s.get("base", 0)) for s in strategy["defaultCapacityProviderStrategies"]] == [
        ("FARGATE_SPOT", 0)]


def test_prod_default_strategy_is_on_demand(prod: ProgramRun) -> None:
    strategy = prod.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
    assert [s["capacityProvider"] for s in strategy["defaultCapacityProviderStrategies"]] == ["FARGATE"]


def test_log_retention_is_short_in_dev_and_a_year_in_prod(dev: ProgramRun, prod: ProgramRun) -> None:
    def retention(run: ProgramRun) -> set[int]:
        return {g.inputs["retentionInDays"] for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")}

    assert retention(dev) == {7}
    assert retention(prod) == {365}


def test_prod_reaches_aws_services_through_vpc_endpoints(prod: ProgramRun) -> None:
    services = {e.inputs["serviceName"].split("us-east-1.")[1] for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert services == {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_provider_carries_the_stack_tags(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    # Provider config crosses the wire as JSON text, as the engine hands it to the provider plugin.
    tags = json.loads(run.one("pulumi:providers:aws").inputs["defaultTags"])["tags"]
    assert tags["environment"] == stack
    assert tags["project"] == "ecs-platform"
    assert tags["owner"] == "platform-team"
    assert tags["cost-center"] == f"engineering-{stack}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_goes_through_the_tagged_provider(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    provider = run.one("pulumi:providers:aws")
    for resource in run.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider.startswith(provider.urn + "::"), resource.urn
    assert run.one(VPC).providers["aws"].startswith(provider.urn + "::")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_belongs_to_a_component(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    components = {r.urn for r in run.resources if r.type.startswith("ecs-platform:index:")}
    for resource in run.resources:
        if resource.type.startswith(("aws:", "awsx:")):
            assert resource.parent in components, resource.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_exports_the_vpc_and_cluster_it_created(stack: str, request) -> None:
    # The set of exports and their types are the contract in tests/test_exports.py.
    run: ProgramRun = request.getfixturevalue(stack)
    assert run.outputs["vpcId"] == run.one(VPC).outputs["vpcId"]
    assert run.outputs["clusterArn"].startswith("arn:aws:ecs:us-east-1:")


def test_alb_url_scheme_follows_the_protocol(dev: ProgramRun, prod: ProgramRun) -> None:
    assert dev.outputs["albUrl"].startswith("http://")
    assert prod.outputs["albUrl"].startswith("https://")


# A bad stack file ----------------------------------------------------------------------------------------------


def program_with(tmp_path: Path, stack_config: dict) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": stack_config}))
    return tmp_path


def dev_config_with(**changes) -> dict:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    for key, value in changes.items():
        section, _, field = key.partition(".")
        config[f"ecs-platform:{section}"][field] = value
    return config


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"network.azCuont": 2}, "ecs-platform:network.azCuont"),
        ({"network.azCount": "two"}, "ecs-platform:network.azCount"),
        ({"network.azCount": 12}, "ecs-platform:network.azCount"),
    ],
    ids=["misspelt key", "wrong type", "out of range"],
)
def test_bad_stack_file_stops_with_one_line_before_any_resource(tmp_path: Path, change: dict, key: str) -> None:
    program = program_with(tmp_path, dev_config_with(**change))
    from ecs_platform.offline import engine

    monitor_runs: list = []
    original = engine.RecordingMonitor.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        monitor_runs.append(self)

    engine.RecordingMonitor.__init__ = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(SettingsError) as caught:
            run_stack(program, "bad")
    finally:
        engine.RecordingMonitor.__init__ = original  # type: ignore[method-assign]
    message = str(caught.value)
    assert message.startswith(key + ": ") and "\n" not in message
    assert "Pulumi.bad.yaml" in message
    # Only the stack itself, which the engine registers before the program runs.
    assert [r.type for r in monitor_runs[0].registrations] == ["pulumi:pulumi:Stack"]


def test_stack_files_only_use_namespaced_keys() -> None:
    for stack in ("dev", "prod"):
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert all(":" in key for key in config), stack


# Services and workers ----------------------------------------------------------------------------------------


def rule_paths(run: ProgramRun) -> dict[str, list[str]]:
    return {
        r.name.removesuffix("-route"): r.inputs["conditions"][0]["pathPattern"]["values"]
        for r in run.of_type("aws:lb/listenerRule:ListenerRule")
    }


def test_prod_routes_api_and_admin_by_path(prod: ProgramRun) -> None:
    assert rule_paths(prod) == {"api": ["/api/*"], "admin": ["/admin/*"]}
    https = prod.one(LISTENER, "web-https").outputs["arn"]
    assert {r.inputs["listenerArn"] for r in prod.of_type("aws:lb/listenerRule:ListenerRule")} == {https}


def test_prod_runs_three_api_and_two_admin_tasks(prod: ProgramRun) -> None:
    counts = {s.name: s.inputs["desiredCount"] for s in prod.of_type("aws:ecs/service:Service")}
    assert (counts["api"], counts["admin"]) == (3, 2)


def test_dev_runs_one_task_of_each_service(dev: ProgramRun) -> None:
    counts = {s.name: s.inputs["desiredCount"] for s in dev.of_type("aws:ecs/service:Service")}
    assert (counts["api"], counts["admin"]) == (1, 1)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_service_rolls_back_and_stays_private(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    services = run.of_type("aws:ecs/service:Service")
    assert {s.name for s in services} == {"api", "admin", "orders"} | ({"inference"} if stack == "prod" else set())
    for service in services:
        strategy = (service.inputs.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
        if strategy in ("CANARY", "LINEAR"):  # roll back on their alarms: AWS documents no circuit breaker there
            assert service.inputs["alarms"]["rollback"] is True and service.inputs["alarms"]["alarmNames"]
        else:
            assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert service.inputs["networkConfiguration"]["assignPublicIp"] is False
        assert service.inputs["networkConfiguration"]["subnets"] == run.outputs["privateSubnetIds"]


def test_prod_web_services_track_cpu(prod: ProgramRun) -> None:
    tracked = {
        p.name for p in prod.of_type("aws:appautoscaling/policy:Policy")
        if p.inputs.get("targetTrackingScalingPolicyConfiguration", {}).get("predefinedMetricSpecification", {})
        .get("predefinedMetricType") == "ECSServiceAverageCPUUtilization"
    }
    assert tracked == {"api-cpu", "admin-cpu"}


def test_web_tasks_admit_only_the_load_balancer(prod: ProgramRun) -> None:
    alb_group = prod.one("aws:ec2/securityGroup:SecurityGroup", "web-alb").id
    for name in ("api", "admin"):
        (rule,) = [r for r in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                   if r.name == f"{name}-tasks-from-alb"]
        assert rule.inputs["referencedSecurityGroupId"] == alb_group


def test_prod_worker_queue_is_encrypted_with_a_dead_letter_queue_and_alarm(prod: ProgramRun) -> None:
    queue = prod.one("aws:sqs/queue:Queue", "orders")
    dead_letters = prod.one("aws:sqs/queue:Queue", "orders-dlq")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"] == dead_letters.outputs["arn"]
    alarm = prod.one("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-dlq-not-empty")
    assert alarm.inputs["dimensions"]["QueueName"] == dead_letters.outputs["name"]
    assert alarm.inputs["alarmActions"] == ["arn:aws:sns:us-east-1:123456789012:platform-oncall"]


def test_prod_worker_runs_on_spot_with_an_on_demand_base(prod: ProgramRun) -> None:
    strategy = {s["capacityProvider"]: s for s in
                prod.one("aws:ecs/service:Service", "orders").inputs["capacityProviderStrategies"]}
    assert strategy["FARGATE"]["base"] >= 1
    assert strategy["FARGATE_SPOT"]["weight"] == 4


def test_prod_worker_stops_gracefully_and_scales_from_zero(prod: ProgramRun) -> None:
    from .helpers import containers

    assert containers(prod, "orders")[0]["stopTimeout"] == 120
    target = prod.one("aws:appautoscaling/target:Target", "orders-scaling").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 20)
    alarms = {a.name for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"orders-wake", "orders-scale-out", "orders-scale-in", "orders-dlq-not-empty"} <= alarms


def _worker_queues(run: ProgramRun) -> list:
    workers = {r.urn for r in run.of_type("ecs-platform:index:QueueWorker")}
    return [q for q in run.of_type("aws:sqs/queue:Queue") if q.parent in workers]


def test_worker_queues_are_protected_in_prod_only(dev: ProgramRun, prod: ProgramRun) -> None:
    assert _worker_queues(prod) and all(q.protect for q in _worker_queues(prod))
    assert _worker_queues(dev) and not any(q.protect for q in _worker_queues(dev))


def test_dev_allows_exec_and_prod_does_not(dev: ProgramRun, prod: ProgramRun) -> None:
    assert all(s.inputs["enableExecuteCommand"] for s in dev.of_type("aws:ecs/service:Service"))
    assert not any(s.inputs["enableExecuteCommand"] for s in prod.of_type("aws:ecs/service:Service"))


def test_exports_name_each_service_path_and_worker_queue(prod: ProgramRun) -> None:
    assert prod.outputs["services"]["api"]["url"] == prod.outputs["albUrl"] + "/api/"
    assert prod.outputs["services"]["admin"]["paths"] == ["/admin/*"]
    orders = prod.outputs["workers"]["orders"]
    assert orders["queueUrl"] == prod.one("aws:sqs/queue:Queue", "orders").outputs["url"]
    assert orders["deadLetterQueueUrl"] == prod.one("aws:sqs/queue:Queue", "orders-dlq").outputs["url"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_services_wait_for_the_cluster_capacity_providers(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    association = run.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").urn
    for service in run.of_type("aws:ecs/service:Service"):
        assert association in service.dependencies, service.name
