"""Stack settings, validated with no Pulumi runtime: each rejection path names its key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecs_platform.enums import CapacityProvider, ListenerProtocol, NatGatewayStrategy
from ecs_platform.settings import SettingsError, StackSettings, parse
from ecs_platform.testing import stack_config

from .conftest import ROOT

NS = "ecs-platform"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"


def minimal(**sections: Any) -> dict[str, str]:
    """The smallest valid config, with `sections` merged in (a value of None removes the key)."""
    config = {
        "aws:region": "us-east-1",
        f"{NS}:tags": json.dumps({"owner": "team-a"}),
        f"{NS}:loadBalancer": json.dumps({"protocol": "HTTP"}),
    }
    for key, value in sections.items():
        full = key if ":" in key else f"{NS}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return config


def rejected(**sections: Any) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        parse(minimal(**sections), NS)
    message = str(caught.value)
    assert "\n" not in message
    return caught.value


# The stack files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_file_is_valid(stack: str) -> None:
    settings = parse(stack_config(ROOT / f"Pulumi.{stack}.yaml", NS), NS)
    assert isinstance(settings, StackSettings)


def test_dev_and_prod_differ_like_real_environments() -> None:
    dev = parse(stack_config(ROOT / "Pulumi.dev.yaml", NS), NS)
    prod = parse(stack_config(ROOT / "Pulumi.prod.yaml", NS), NS)
    assert (dev.network.az_count, prod.network.az_count) == (2, 3)
    assert (dev.network.nat_gateways, prod.network.nat_gateways) == (
        NatGatewayStrategy.INSTANCE,
        NatGatewayStrategy.ONE_PER_AZ,
    )
    assert dev.load_balancer.protocol is ListenerProtocol.HTTP
    assert prod.load_balancer.protocol is ListenerProtocol.HTTPS and prod.load_balancer.certificate_arn
    assert not dev.load_balancer.deletion_protection and prod.load_balancer.deletion_protection
    assert not dev.load_balancer.access_logs and prod.load_balancer.access_logs
    assert dev.log_retention_days < prod.log_retention_days


# Defaults that matter (changing one is a breaking change) ------------------------------------------------------


def test_defaults_are_production_grade() -> None:
    settings = parse(minimal(loadBalancer={"certificateArn": CERT}), NS)
    assert settings.network.az_count == 3
    assert settings.network.nat_gateways is NatGatewayStrategy.ONE_PER_AZ
    assert settings.load_balancer.protocol is ListenerProtocol.HTTPS
    assert settings.load_balancer.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"  # one ELB.17 accepts
    assert settings.load_balancer.deletion_protection is True
    assert settings.load_balancer.access_logs is True
    assert settings.log_retention_days == 365  # CloudWatch.16's default minimum


def test_default_capacity_strategy_is_on_demand_only() -> None:
    strategy = parse(minimal(), NS).cluster.default_capacity_provider_strategy
    assert [(s.capacity_provider, s.weight, s.base) for s in strategy] == [(CapacityProvider.FARGATE, 1, 1)]


def test_default_tags_name_environment_project_and_owner() -> None:
    settings = parse(minimal(tags={"owner": "team-a", "extra": {"cost-center": "42"}}), NS)
    assert settings.default_tags("shop", "prod") == {
        "environment": "prod",
        "project": "shop",
        "owner": "team-a",
        "cost-center": "42",
    }


def test_top_level_scalars_arrive_as_strings_and_are_coerced() -> None:
    assert parse(minimal(logRetentionDays="14"), NS).log_retention_days == 14


# Rejections ----------------------------------------------------------------------------------------------------


def test_misspelt_top_level_key_is_named_with_a_suggestion() -> None:
    error = rejected(netwrok={"azCount": 2})
    assert error.key == "ecs-platform:netwrok"
    assert "did you mean network?" in str(error)


def test_misspelt_nested_key_is_named() -> None:
    error = rejected(network={"azCuont": 2})
    assert error.key == "ecs-platform:network.azCuont"
    assert "azCount" in str(error)


def test_snake_case_key_is_unknown() -> None:
    assert rejected(network={"az_count": 2}).key == "ecs-platform:network.az_count"


def test_wrong_type_is_named() -> None:
    error = rejected(network={"azCount": "two"})
    assert error.key == "ecs-platform:network.azCount"
    assert "whole number" in str(error)


def test_section_that_is_not_a_mapping_is_named() -> None:
    assert rejected(network=[1, 2]).key == "ecs-platform:network"


def test_az_count_above_range_is_named() -> None:
    error = rejected(network={"azCount": 7})
    assert error.key == "ecs-platform:network.azCount"
    assert "at most 6" in str(error)


def test_single_az_is_refused() -> None:
    assert "at least 2" in str(rejected(network={"azCount": 1}))


def test_malformed_cidr_is_named() -> None:
    error = rejected(network={"cidr": "10.0.0.0/33"})
    assert error.key == "ecs-platform:network.cidr"


def test_cidr_with_host_bits_is_refused() -> None:
    assert rejected(network={"cidr": "10.0.0.1/16"}).key == "ecs-platform:network.cidr"


def test_cidr_larger_than_a_vpc_allows_is_refused() -> None:
    assert "/16 to /28" in str(rejected(network={"cidr": "10.0.0.0/8"}))


def test_az_count_the_cidr_cannot_hold_is_named() -> None:
    error = rejected(network={"cidr": "10.0.0.0/18", "azCount": 6, "privateSubnetPrefix": 21})
    assert error.key == "ecs-platform:network.azCount"
    assert "6 AZs" in str(error)


def test_subnet_prefix_wider_than_the_vpc_is_named() -> None:
    assert rejected(network={"cidr": "10.0.0.0/20"}).key == "ecs-platform:network.privateSubnetPrefix"


def test_unknown_nat_strategy_lists_the_choices() -> None:
    error = rejected(network={"natGateways": "none"})
    assert error.key == "ecs-platform:network.natGateways"
    assert "single" in str(error) and "onePerAz" in str(error)


def test_duplicate_endpoint_is_refused() -> None:
    assert rejected(network={"endpoints": ["s3", "s3"]}).key == "ecs-platform:network.endpoints"


def test_unknown_endpoint_is_named_by_index() -> None:
    assert rejected(network={"endpoints": ["s3", "dynamo"]}).key == "ecs-platform:network.endpoints[1]"


def test_https_without_certificate_names_the_certificate_key() -> None:
    error = rejected(loadBalancer={"protocol": "HTTPS"})
    assert error.key == "ecs-platform:loadBalancer.certificateArn"
    assert "HTTPS" in str(error)


def test_absent_load_balancer_section_still_asks_for_a_certificate() -> None:
    assert rejected(loadBalancer=None).key == "ecs-platform:loadBalancer.certificateArn"


def test_certificate_with_http_is_refused() -> None:
    assert rejected(loadBalancer={"protocol": "HTTP", "certificateArn": CERT}).key == "ecs-platform:loadBalancer.protocol"


def test_arn_of_the_wrong_service_is_named() -> None:
    error = rejected(loadBalancer={"certificateArn": "arn:aws:iam::123456789012:server-certificate/web"})
    assert error.key == "ecs-platform:loadBalancer.certificateArn"
    assert "'acm'" in str(error) and "'iam'" in str(error)


def test_text_that_is_not_an_arn_is_refused() -> None:
    assert rejected(loadBalancer={"certificateArn": "my-cert"}).key == "ecs-platform:loadBalancer.certificateArn"


def test_tls_policy_older_than_tls13_is_refused() -> None:
    error = rejected(loadBalancer={"certificateArn": CERT, "sslPolicy": "ELBSecurityPolicy-2016-08"})
    assert error.key == "ecs-platform:loadBalancer.sslPolicy"


def test_malformed_ingress_cidr_is_named_by_index() -> None:
    error = rejected(loadBalancer={"protocol": "HTTP", "ingressCidrs": ["0.0.0.0/0", "203.0.113.0/33"]})
    assert error.key == "ecs-platform:loadBalancer.ingressCidrs"


def test_idle_timeout_out_of_range_is_named() -> None:
    error = rejected(loadBalancer={"protocol": "HTTP", "idleTimeoutSeconds": 5000})
    assert error.key == "ecs-platform:loadBalancer.idleTimeoutSeconds"


def test_deletion_protection_must_be_a_boolean() -> None:
    error = rejected(loadBalancer={"protocol": "HTTP", "deletionProtection": "sometimes"})
    assert error.key == "ecs-platform:loadBalancer.deletionProtection"


def test_log_retention_outside_cloudwatch_values_is_named() -> None:
    error = rejected(logRetentionDays="10")
    assert error.key == "ecs-platform:logRetentionDays"
    assert "14" in str(error)


def test_missing_owner_tag_is_named() -> None:
    assert rejected(tags={}).key == "ecs-platform:tags.owner"


def test_reserved_tag_prefix_is_refused() -> None:
    assert rejected(tags={"owner": "a", "extra": {"aws:team": "x"}}).key == "ecs-platform:tags.extra"


def test_region_must_be_a_region_name() -> None:
    assert rejected(**{"aws:region": "mars-1"}).key == "aws:region"


def test_missing_region_is_named() -> None:
    assert rejected(**{"aws:region": None}).key == "aws:region"


def test_capacity_strategy_with_two_bases_is_refused() -> None:
    strategy = [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 2},
    ]
    error = rejected(cluster={"defaultCapacityProviderStrategy": strategy})
    assert error.key == "ecs-platform:cluster.defaultCapacityProviderStrategy"
    assert "only one" in str(error)


def test_capacity_strategy_with_all_zero_weights_is_refused() -> None:
    strategy = [{"capacityProvider": "FARGATE", "weight": 0, "base": 1}]
    assert "weight above 0" in str(rejected(cluster={"defaultCapacityProviderStrategy": strategy}))


def test_unknown_capacity_provider_is_named_by_index() -> None:
    strategy = [{"capacityProvider": "EC2", "weight": 1}]
    error = rejected(cluster={"defaultCapacityProviderStrategy": strategy})
    assert error.key == "ecs-platform:cluster.defaultCapacityProviderStrategy[0].capacityProvider"


def test_several_problems_are_each_reported_on_their_own_line() -> None:
    with pytest.raises(SettingsError) as caught:
        parse(minimal(network={"azCount": 9, "natGateways": "none"}), NS)
    error = caught.value
    assert [key for key, _ in error.problems] == ["ecs-platform:network.azCount", "ecs-platform:network.natGateways"]
    assert str(error).splitlines() == [f"{key}: {message}" for key, message in error.problems]


def test_a_workload_key_written_where_a_name_goes_is_named_as_misplaced() -> None:
    # `secrets:` one level too far left reads as a service called secrets.
    error = rejected(services={"secrets": {"DB": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}})
    assert error.problems == [("ecs-platform:services.secrets", "misplaced: secrets is a key of a service, not a "
                               "service of its own; indent it under the service it belongs to")]


@pytest.mark.parametrize(("service", "key", "where"), [
    ({"minTasks": 2}, "ecs-platform:services.api.minTasks", "one level down, under services.api.autoscaling"),
    ({"autoscaling": {"priority": 2}}, "ecs-platform:services.api.autoscaling.priority", "one level up, under services.api"),
])
def test_a_key_one_level_off_is_named_as_misplaced(service: dict, key: str, where: str) -> None:
    api = {"image": "x:1", "pathPatterns": ["/api/*"], "priority": 1, **service}
    error = rejected(services={"api": api})
    assert (key, f"misplaced: {key.rsplit('.', 1)[1]} belongs {where}") in error.problems


def test_settings_errors_are_run_errors_so_the_cli_prints_no_traceback() -> None:
    import pulumi

    assert issubclass(SettingsError, pulumi.RunError)



# Services and workers --------------------------------------------------------------------------------------------

SERVICE = {"image": "example/api:1.0", "pathPatterns": ["/api/*"], "priority": 10}
PLACEMENT = {"cluster_arn": "arn", "cluster_name": "main", "vpc_id": "vpc-1", "subnet_ids": ["subnet-a"]}
WORKER = {"image": "example/orders:1.0"}


def service(**changes: Any) -> dict[str, Any]:
    return {"api": {**SERVICE, **changes}}


def test_minimal_service_gets_production_defaults() -> None:
    api = parse(minimal(services=service()), NS).services["api"]
    assert (api.cpu, api.memory, api.container_port) == (256, 512, 8080)
    assert api.read_only_root_filesystem is True
    assert (api.autoscaling.min_tasks, api.autoscaling.max_tasks) == (2, 10)
    assert "desired_count" not in parse(minimal(services=service()), NS).web_service_args("api", PLACEMENT)
    assert api.autoscaling.cpu_target_percent == 70
    assert (api.autoscaling.scale_out_cooldown_seconds, api.autoscaling.scale_in_cooldown_seconds) == (60, 300)


def test_minimal_worker_gets_spot_with_an_on_demand_base_and_two_minutes_to_stop() -> None:
    settings = parse(minimal(workers={"orders": WORKER}), NS)
    orders = settings.workers["orders"]
    assert orders.stop_timeout_seconds == 120
    assert (orders.scaling.min_tasks, orders.scaling.max_tasks) == (0, 20)
    strategy = settings.queue_worker_args("orders", PLACEMENT)["capacity_provider_strategy"]
    assert {(s["capacity_provider"], s["weight"], s["base"]) for s in strategy} == {
        (CapacityProvider.FARGATE_SPOT, 4, 0), (CapacityProvider.FARGATE, 1, 1)}


def test_service_without_a_strategy_uses_the_cluster_default() -> None:
    strategy = [{"capacityProvider": "FARGATE", "weight": 1, "base": 2}]
    settings = parse(minimal(services=service(), cluster={"defaultCapacityProviderStrategy": strategy}), NS)
    assert settings.web_service_args("api", PLACEMENT)["capacity_provider_strategy"] == [
        {"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 2}]


def test_bad_cpu_memory_pair_names_memory() -> None:
    error = rejected(services=service(cpu=256, memory=4096))
    assert error.key == "ecs-platform:services.api.memory"
    assert "cpu 256 allows memory 512, 1024 or 2048; got 4096" in str(error)


def test_cpu_that_is_not_a_fargate_size_names_cpu() -> None:
    assert rejected(services=service(cpu=300)).key == "ecs-platform:services.api.cpu"


def test_duplicate_rule_priority_names_the_second_service() -> None:
    error = rejected(services={"api": SERVICE, "admin": {**SERVICE, "pathPatterns": ["/admin/*"]}})
    assert error.key == "ecs-platform:services.admin.priority"
    assert "api" in str(error)


def test_plaintext_secret_names_the_variable_and_points_to_secrets() -> None:
    error = rejected(services=service(environment={"STRIPE_API_KEY": "sk_live_123"}))
    assert error.key == "ecs-platform:services.api.environment.STRIPE_API_KEY"
    assert "secrets" in str(error)


def test_plaintext_secret_in_a_worker_is_refused_too() -> None:
    error = rejected(workers={"orders": {**WORKER, "environment": {"DB_PASSWORD": "x"}}})
    assert error.key == "ecs-platform:workers.orders.environment.DB_PASSWORD"


def test_secret_reference_must_be_an_ssm_or_secrets_manager_arn() -> None:
    error = rejected(services=service(secrets={"DB_PASSWORD": "arn:aws:s3:::bucket/key"}))
    assert error.key == "ecs-platform:services.api.secrets.DB_PASSWORD"


def test_min_above_max_names_min_tasks() -> None:
    error = rejected(services=service(desiredCount=3, autoscaling={"minTasks": 5, "maxTasks": 3}))
    assert error.key == "ecs-platform:services.api.autoscaling.minTasks"


def test_worker_min_above_max_names_min_tasks() -> None:
    error = rejected(workers={"orders": {**WORKER, "scaling": {"minTasks": 5, "maxTasks": 2}}})
    assert error.key == "ecs-platform:workers.orders.scaling.minTasks"


def test_desired_count_outside_min_and_max_is_named() -> None:
    error = rejected(services=service(desiredCount=12))
    assert error.key == "ecs-platform:services.api.desiredCount"
    assert "outside" in str(error)


def test_service_without_a_route_is_refused() -> None:
    assert rejected(services=service(pathPatterns=[])).key == "ecs-platform:services.api.pathPatterns"


def test_missing_priority_is_named() -> None:
    bare = {k: v for k, v in SERVICE.items() if k != "priority"}
    assert rejected(services={"api": bare}).key == "ecs-platform:services.api.priority"


def test_stop_timeout_above_two_minutes_is_refused() -> None:
    error = rejected(workers={"orders": {**WORKER, "stopTimeoutSeconds": 300}})
    assert error.key == "ecs-platform:workers.orders.stopTimeoutSeconds"


def test_arm64_worker_on_the_default_spot_strategy_is_accepted() -> None:
    assert parse(minimal(workers={"orders": {**WORKER, "cpuArchitecture": "ARM64"}}), NS).workers


def test_web_service_minimum_of_zero_tasks_is_refused() -> None:
    error = rejected(services=service(autoscaling={"minTasks": 0}))
    assert error.key == "ecs-platform:services.api.autoscaling.minTasks"


def test_autoscaling_bounds_without_a_desired_count_are_accepted() -> None:
    assert parse(minimal(services=service(autoscaling={"minTasks": 3, "maxTasks": 6})), NS).services


def test_one_character_names_are_accepted() -> None:
    assert parse(minimal(services={"a": SERVICE}, workers={"w": WORKER}), NS).workers


def test_unknown_scaling_mode_lists_the_modes() -> None:
    error = rejected(workers={"orders": {**WORKER, "scaling": {"mode": "magic"}}})
    assert error.key == "ecs-platform:workers.orders.scaling.mode"
    assert "steps" in str(error) and "backlog" in str(error)


def test_scale_out_steps_must_increase() -> None:
    steps = [{"messages": 500, "add": 5}, {"messages": 100, "add": 1}]
    error = rejected(workers={"orders": {**WORKER, "scaling": {"scaleOutSteps": steps}}})
    assert error.key == "ecs-platform:workers.orders.scaling.scaleOutSteps"


def test_bad_workload_name_is_named() -> None:
    assert rejected(services={"API_v1": SERVICE}).key == "ecs-platform:services.API_v1"


def test_service_name_that_would_overflow_its_target_group_name_says_how_long_it_may_be() -> None:
    name = "checkout-recommendations"  # 24 characters
    error = rejected(services={name: SERVICE})
    assert error.key == f"ecs-platform:services.{name}"
    assert "at most 21" in str(error) and "TargetGroup" in str(error) and "32" in str(error)


def test_longest_allowed_service_name_is_accepted() -> None:
    assert parse(minimal(services={"a" * 21: SERVICE}), NS).services


def test_worker_name_that_would_overflow_its_role_name_says_how_long_it_may_be() -> None:
    error = rejected(workers={"w" * 47: WORKER})
    assert "at most 46" in str(error) and "Role" in str(error) and "64" in str(error)


def test_same_name_for_a_service_and_a_worker_is_refused() -> None:
    assert rejected(services={"orders": SERVICE}, workers={"orders": WORKER}).key == "ecs-platform:workers"


def test_misspelt_service_key_is_named_with_a_suggestion() -> None:
    error = rejected(services=service(desiredCuont=2))
    assert error.key == "ecs-platform:services.api.desiredCuont"
    assert "desiredCount" in str(error)


def test_alarm_topic_must_be_an_sns_arn() -> None:
    assert rejected(alarmTopicArn="arn:aws:sqs:us-east-1:123456789012:q").key == "ecs-platform:alarmTopicArn"
