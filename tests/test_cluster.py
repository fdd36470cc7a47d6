"""Cluster component: Container Insights, capacity providers and audited ECS Exec."""

from __future__ import annotations

import pytest

from ecs_platform import CapacityProvider, Cluster, ContainerInsights

CLUSTER = "aws:ecs/cluster:Cluster"
PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"


def test_container_insights_is_enabled_by_default(run_component) -> None:
    settings = run_component(lambda: Cluster("c", {})).one(CLUSTER).inputs["settings"]
    assert settings == [{"name": "containerInsights", "value": "enabled"}]


def test_container_insights_can_be_enhanced(run_component) -> None:
    run = run_component(lambda: Cluster("c", {"container_insights": ContainerInsights.ENHANCED}))
    assert run.one(CLUSTER).inputs["settings"][0]["value"] == "enhanced"


def test_cluster_offers_fargate_and_fargate_spot(run_component) -> None:
    run = run_component(lambda: Cluster("c", {}))
    providers = run.one(PROVIDERS).inputs
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert providers["clusterName"] == run.one(CLUSTER).outputs["name"]


def test_default_strategy_is_on_demand(run_component) -> None:
    strategy = run_component(lambda: Cluster("c", {})).one(PROVIDERS).inputs["defaultCapacityProviderStrategies"]
    assert strategy == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]


def test_spot_leaning_strategy_keeps_its_on_demand_base(run_component) -> None:
    strategy = [
        {"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 1},
        {"capacity_provider": CapacityProvider.FARGATE_SPOT, "weight": 4},
    ]
    run = run_component(lambda: Cluster("c", {"default_capacity_provider_strategy": strategy}))
    assert run.one(PROVIDERS).inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 0},
    ]


def test_strategy_with_two_bases_fails_before_registration(run_component) -> None:
    strategy = [
        {"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 1},
        {"capacity_provider": CapacityProvider.FARGATE_SPOT, "weight": 1, "base": 1},
    ]
    with pytest.raises(ValueError, match="only one"):
        run_component(lambda: Cluster("c", {"default_capacity_provider_strategy": strategy}))


def test_exec_sessions_are_logged_to_their_own_group(run_component) -> None:
    run = run_component(lambda: Cluster("c", {"exec_log_retention_days": 14}))
    group = run.one("aws:cloudwatch/logGroup:LogGroup")
    config = run.one(CLUSTER).inputs["configuration"]["executeCommandConfiguration"]
    assert config["logging"] == "OVERRIDE"
    assert config["logConfiguration"]["cloudWatchLogGroupName"] == group.outputs["name"]
    assert group.inputs["retentionInDays"] == 14


def test_exec_log_retention_must_be_a_cloudwatch_value(run_component) -> None:
    with pytest.raises(ValueError, match="retention"):
        run_component(lambda: Cluster("c", {"exec_log_retention_days": 10}))


NAMESPACE = "aws:servicediscovery/httpNamespace:HttpNamespace"


def test_service_connect_namespace_becomes_the_cluster_default(run_component) -> None:
    outputs: dict = {}

    def program() -> None:
        cluster = Cluster("c", {"service_connect_namespace": "internal"})
        cluster.service_connect_namespace_arn.apply(lambda arn: outputs.setdefault("arn", arn))

    run = run_component(program)
    namespace = run.one(NAMESPACE, "c-namespace")
    assert namespace.inputs["name"] == "internal"
    assert namespace.outputs["arn"].startswith("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-")
    assert run.one(CLUSTER).inputs["serviceConnectDefaults"] == {"namespace": namespace.outputs["arn"]}
    assert namespace.urn in run.one(CLUSTER).dependencies
    assert outputs["arn"] == namespace.outputs["arn"]


def test_no_namespace_and_no_default_unless_asked(run_component) -> None:
    outputs: dict = {}

    def program() -> None:
        Cluster("c", {}).service_connect_namespace_arn.apply(lambda arn: outputs.setdefault("arn", arn))

    run = run_component(program)
    assert not run.of_type(NAMESPACE)
    assert "serviceConnectDefaults" not in run.one(CLUSTER).inputs
    assert outputs["arn"] is None


def test_namespace_name_that_cloud_map_refuses_fails_before_registration(run_component) -> None:
    with pytest.raises(ValueError, match="service_connect_namespace 'my namespace'"):
        run_component(lambda: Cluster("c", {"service_connect_namespace": "my namespace"}))
