"""Network component: defaults and options, under the package's AWS mocks."""

from __future__ import annotations

import json

import pytest

from ecs_platform import NatGatewayStrategy, Network, VpcEndpointService
from ecs_platform.testing import ACCOUNT_ID

VPC = "awsx:ec2:Vpc"


def test_vpc_spans_the_first_zones_of_the_region(run_component) -> None:
    run = run_component(lambda: Network("n", {"availability_zone_count": 2}))
    assert run.one(VPC).inputs["availabilityZoneNames"] == ["us-east-1a", "us-east-1b"]


def test_default_vpc_has_three_zones_and_a_nat_gateway_in_each(run_component) -> None:
    vpc = run_component(lambda: Network("n", {})).one(VPC).inputs
    assert len(vpc["availabilityZoneNames"]) == 3
    assert vpc["natGateways"] == {"strategy": "OnePerAz"}
    assert vpc["cidrBlock"] == "10.0.0.0/16"


def test_single_nat_strategy_reaches_awsx(run_component) -> None:
    run = run_component(lambda: Network("n", {"nat_gateway_strategy": NatGatewayStrategy.SINGLE}))
    assert run.one(VPC).inputs["natGateways"] == {"strategy": "Single"}


def test_subnets_are_private_and_public_with_the_configured_sizes(run_component) -> None:
    run = run_component(lambda: Network("n", {"public_subnet_prefix": 26, "private_subnet_prefix": 21}))
    specs = run.one(VPC).inputs["subnetSpecs"]
    assert [(s["type"], s["cidrMask"]) for s in specs] == [("Private", 21), ("Public", 26)]


def test_zone_count_beyond_the_region_fails_before_any_child(run_component) -> None:
    with pytest.raises(ValueError, match="us-west-1 offers 2"):
        run_component(lambda: Network("n", {"availability_zone_count": 3}), region="us-west-1")


def test_layout_that_does_not_fit_fails_before_registration(run_component) -> None:
    with pytest.raises(ValueError, match="6 AZs"):
        run_component(lambda: Network("n", {"cidr_block": "10.0.0.0/18", "availability_zone_count": 6}))


def test_flow_logs_capture_all_traffic_into_the_log_group(run_component) -> None:
    run = run_component(lambda: Network("n", {}))
    flow_log = run.one("aws:ec2/flowLog:FlowLog")
    log_group = run.one("aws:cloudwatch/logGroup:LogGroup")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert flow_log.inputs["vpcId"] == run.one(VPC).outputs["vpcId"]


def test_flow_log_retention_is_bounded(run_component) -> None:
    run = run_component(lambda: Network("n", {"flow_log_retention_days": 90}))
    assert run.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 90


def test_flow_log_role_trusts_only_the_service_for_this_account(run_component) -> None:
    run = run_component(lambda: Network("n", {}))
    trust = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID


def test_flow_log_role_writes_only_to_its_log_group(run_component) -> None:
    run = run_component(lambda: Network("n", {}))
    arn = run.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    writes = policy["Statement"][0]
    assert "logs:PutLogEvents" in writes["Action"]
    assert writes["Resource"] == [arn, f"{arn}:*"]


def test_default_security_group_is_stripped_of_every_rule(run_component) -> None:
    group = run_component(lambda: Network("n", {})).one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs.get("ingress", []) == [] and group.inputs.get("egress", []) == []


def test_no_endpoints_means_no_endpoint_security_group(run_component) -> None:
    run = run_component(lambda: Network("n", {}))
    assert run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []
    assert run.of_type("aws:ec2/securityGroup:SecurityGroup") == []


def test_s3_endpoint_is_a_gateway_on_the_awsx_route_tables(run_component) -> None:
    run = run_component(lambda: Network("n", {"vpc_endpoints": [VpcEndpointService.S3]}))
    vpc = run.one(VPC).inputs
    assert vpc["vpcEndpointStrategy"] == "Auto"
    assert vpc["vpcEndpointSpecs"] == [{"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway"}]
    assert run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") == []


def test_interface_endpoints_sit_in_the_private_subnets_behind_their_own_group(run_component) -> None:
    run = run_component(
        lambda: Network("n", {"vpc_endpoints": [VpcEndpointService.ECR_API, VpcEndpointService.SECRETS_MANAGER]})
    )
    private = run.one(VPC).outputs["privateSubnetIds"]
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    endpoints = run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e.inputs["serviceName"] for e in endpoints) == [
        "com.amazonaws.us-east-1.ecr.api",
        "com.amazonaws.us-east-1.secretsmanager",
    ]
    for endpoint in endpoints:
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["subnetIds"] == private
        assert endpoint.inputs["securityGroupIds"] == [group.id]


def test_endpoint_group_admits_only_https_from_the_vpc(run_component) -> None:
    run = run_component(lambda: Network("n", {"cidr_block": "10.8.0.0/16", "vpc_endpoints": [VpcEndpointService.LOGS]}))
    (rule,) = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"]) == (443, 443, "10.8.0.0/16")
    assert run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_every_child_is_parented_to_the_component(run_component) -> None:
    run = run_component(lambda: Network("n", {"vpc_endpoints": [VpcEndpointService.SSM]}))
    component = run.one("ecs-platform:index:Network")
    others = [r for r in run.resources if r is not component and not r.type.startswith("pulumi:providers:")]
    assert others and all(r.parent == component.urn for r in others)


def test_outputs_expose_vpc_and_subnets(run_component) -> None:
    captured = {}

    def program() -> None:
        network = Network("n", {"availability_zone_count": 2})
        network.private_subnet_ids.apply(lambda ids: captured.setdefault("private", ids))
        network.availability_zones.apply(lambda zones: captured.setdefault("zones", zones))

    run = run_component(program)
    assert captured["private"] == run.one(VPC).outputs["privateSubnetIds"]
    assert len(captured["private"]) == 2
    assert captured["zones"] == ["us-east-1a", "us-east-1b"]


@pytest.mark.parametrize("strategy", [None, NatGatewayStrategy.SINGLE, NatGatewayStrategy.ONE_PER_AZ])
def test_nat_gateway_strategies_keep_private_subnets_and_no_nat_instance(run_component, strategy) -> None:
    args = {} if strategy is None else {"nat_gateway_strategy": strategy}
    captured = {}

    def program() -> None:
        captured["network"] = Network("n", args)

    run = run_component(program)
    specs = run.one(VPC).inputs["subnetSpecs"]
    assert [s["type"] for s in specs] == ["Private", "Public"]
    assert run.one(VPC).inputs["natGateways"]["strategy"] != "None"
    assert run.of_type("aws:ec2/instance:Instance") == [] and run.of_type("aws:ec2/route:Route") == []
    assert captured["network"].nat_instance is None


def test_default_nat_strategy_is_one_gateway_per_zone() -> None:
    from ecs_platform import defaults

    assert defaults.NAT_GATEWAY_STRATEGY is NatGatewayStrategy.ONE_PER_AZ
