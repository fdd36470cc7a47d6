"""An existing VPC (network.existingVpc) and what a workload's tasks may reach besides HTTPS (egress,
securityGroupIds): settings, components, the program, cost."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_platform import Network, QueueWorker, ScheduledTask, WebService
from ecs_platform.settings import SettingsError, parse
from ecs_platform.testing import ProgramRun, run_stack
from ecs_platform.toolchain.plan.cost import estimate

from .conftest import ROOT
from .helpers import NS, PLACEMENT, web_args
from .test_settings import minimal, rejected

VPC = "vpc-0a1b2c3d4e5f60718"
PRIVATE = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
PUBLIC = ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]
EXISTING = {"vpcId": VPC, "privateSubnetIds": PRIVATE, "publicSubnetIds": PUBLIC}
EXISTING_ARGS = {"vpc_id": VPC, "private_subnet_ids": PRIVATE, "public_subnet_ids": PUBLIC}
DB_GROUP, CLIENT_GROUP = "sg-0a1b2c3d4e5f60719", "sg-0a1b2c3d4e5f6071a"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SERVICE = "aws:ecs/service:Service"
API = {"image": "example/api:1.0", "pathPatterns": ["/api/*"], "priority": 10}


# Settings ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key, value", [("azCount", 2), ("cidr", "10.1.0.0/16"), ("natGateways", "single"),
                                        ("privateSubnetPrefix", 22)])
def test_a_key_that_shapes_a_created_vpc_is_refused_beside_an_existing_one(key: str, value: Any) -> None:
    error = rejected(network={"existingVpc": EXISTING, key: value})
    assert error.key == f"{NS}:network.{key}" and "existingVpc is set" in str(error)


def test_an_existing_vpc_needs_two_private_subnets() -> None:
    error = rejected(network={"existingVpc": {**EXISTING, "privateSubnetIds": PRIVATE[:1]}})
    assert error.key == f"{NS}:network.existingVpc.privateSubnetIds"


def test_an_existing_vpc_needs_two_public_subnets_for_the_internet_facing_load_balancer() -> None:
    error = rejected(network={"existingVpc": {"vpcId": VPC, "privateSubnetIds": PRIVATE}})
    assert error.key == f"{NS}:network.existingVpc.publicSubnetIds" and "load balancer" in str(error)


def test_a_subnet_cannot_be_private_and_public() -> None:
    error = rejected(network={"existingVpc": {**EXISTING, "publicSubnetIds": [PRIVATE[0], PUBLIC[0]]}})
    assert error.key == f"{NS}:network.existingVpc.publicSubnetIds"


@pytest.mark.parametrize("key, value", [("vpcId", "vpc-123"), ("privateSubnetIds", ["subnet-0a1b2c3d4e5f60711", "sg-1"])])
def test_an_existing_network_id_of_the_wrong_form_is_refused(key: str, value: Any) -> None:
    assert rejected(network={"existingVpc": {**EXISTING, key: value}}).key == f"{NS}:network.existingVpc.{key}"


def test_a_gateway_endpoint_in_an_existing_vpc_needs_route_tables() -> None:
    error = rejected(network={"existingVpc": EXISTING, "endpoints": ["s3"]})
    assert error.key == f"{NS}:network.endpoints" and "routeTableIds" in str(error)
    parse(minimal(network={"existingVpc": {**EXISTING, "routeTableIds": ["rtb-0a1b2c3d4e5f60715"]},
                           "endpoints": ["s3"]}), NS)


@pytest.mark.parametrize("rule, key, says", [
    ({"cidr": "0.0.0.0/0", "port": 5432}, "egress[0].cidr", "only on port 443"),
    ({"cidr": "::/0", "fromPort": 1, "toPort": 65535}, "egress[0].cidr", "only on port 443"),
    ({"cidr": "0.0.0.0/0", "port": 443}, "egress[0].cidr", "already leave on TCP 443"),
    ({"cidr": "10.20.0.0/16", "securityGroupId": DB_GROUP, "port": 5432}, "egress[0].cidr", "exactly one"),
    ({"port": 5432}, "egress[0].cidr", "exactly one"),
    ({"cidr": "10.20.0.5/16", "port": 5432}, "egress[0].cidr", "host bits"),
    ({"cidr": "10.20.0.0/16"}, "egress[0].port", "needs port"),
    ({"cidr": "10.20.0.0/16", "port": 5432, "fromPort": 5432, "toPort": 5433}, "egress[0].port", "not both"),
    ({"cidr": "10.20.0.0/16", "fromPort": 5433, "toPort": 5432}, "egress[0].fromPort", "above toPort"),
    ({"cidr": "10.20.0.0/16", "port": 5432, "protocol": "icmp"}, "egress[0].protocol", "tcp"),
    ({"cidr": "10.20.0.0/16", "port": 5432, "description": "db <primary>"}, "egress[0].description", "255"),
    ({"securityGroupId": "sg-xyz", "port": 6379}, "egress[0].securityGroupId", "sg-"),
])
def test_a_bad_egress_rule_is_refused_naming_its_key(rule: dict[str, Any], key: str, says: str) -> None:
    error = rejected(services={"api": {**API, "egress": [rule]}})
    assert error.key == f"{NS}:services.api.{key}" and says in str(error)


def test_two_egress_rules_opening_the_same_thing_are_refused() -> None:
    rule = {"cidr": "10.20.0.0/16", "port": 5432}
    error = rejected(workers={"orders": {"image": "example/orders:1.0", "egress": [rule, {**rule, "description": "x"}]}})
    assert error.key == f"{NS}:workers.orders.egress" and "[1] opens what [0] opens" in str(error)


@pytest.mark.parametrize("groups, says", [
    ([CLIENT_GROUP, CLIENT_GROUP], "twice"),
    (["sg-1"], "sg-"),
    ([f"sg-0a1b2c3d4e5f6071{i}" for i in range(5)], "at most 4"),
])
def test_extra_security_groups_are_refused_when_too_many_repeated_or_malformed(groups: list[str], says: str) -> None:
    error = rejected(scheduledTasks={"nightly": {"image": "example/job:1.0", "schedule": "rate(1 day)",
                                                 "securityGroupIds": groups}})
    assert error.key == f"{NS}:scheduledTasks.nightly.securityGroupIds" and says in str(error)


def test_egress_and_security_groups_default_to_none() -> None:
    api = parse(minimal(services={"api": API}), NS).services["api"]
    args = api.task_args(30)
    assert "egress" not in args and "security_group_ids" not in args


# Components ----------------------------------------------------------------------------------------------------


def test_an_existing_vpc_creates_no_network_of_its_own(run_component) -> None:
    run = run_component(lambda: Network("n", {"existing_vpc": EXISTING_ARGS}))
    created = {r.type for r in run.resources if r.type.startswith(("aws:", "awsx:"))}
    assert created == set(), created


def test_an_existing_vpcs_cidr_and_zones_are_looked_up(run_component) -> None:
    exposed: dict[str, Any] = {}

    def program() -> None:
        network = Network("n", {"existing_vpc": EXISTING_ARGS, "vpc_endpoints": ["logs"]})
        network.cidr_block.apply(lambda v: exposed.update(cidr=v))
        network.availability_zones.apply(lambda v: exposed.update(zones=v))
    run = run_component(program)
    rule = run.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "n-endpoints-https")
    # The mocked account's VPC has a CIDR of its own, not one the program made up; the endpoints admit exactly it.
    assert rule.inputs["cidrIpv4"] == exposed["cidr"] and exposed["cidr"].endswith("/16")
    assert all(zone.startswith("us-east-1") for zone in exposed["zones"])
    endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint", "n-logs")
    assert endpoint.inputs["subnetIds"] == PRIVATE and endpoint.inputs["vpcId"] == VPC


def test_a_gateway_endpoint_joins_the_given_route_tables(run_component) -> None:
    tables = ["rtb-0a1b2c3d4e5f60715"]
    run = run_component(lambda: Network("n", {"existing_vpc": {**EXISTING_ARGS, "route_table_ids": tables},
                                              "vpc_endpoints": ["s3"]}))
    endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint", "n-s3")
    assert (endpoint.inputs["vpcEndpointType"], endpoint.inputs["routeTableIds"]) == ("Gateway", tables)


def test_an_existing_vpc_refuses_the_args_of_a_created_one(run_component) -> None:
    with pytest.raises(Exception, match="availability_zone_count shape a VPC"):
        run_component(lambda: Network("n", {"existing_vpc": EXISTING_ARGS, "availability_zone_count": 2}))


def _egress_rules(run: ProgramRun, name: str) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in run.of_type(EGRESS) if r.name.startswith(f"{name}-egress-")}


RULES = [{"cidr": "10.20.0.0/16", "port": 5432, "description": "Aurora"},
         {"security_group_id": DB_GROUP, "from_port": 6379, "to_port": 6380},
         {"cidr": "2001:db8::/32", "port": 443, "protocol": "udp"}]


def test_each_egress_rule_is_its_own_resource_on_the_tasks_group(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(task={"image": "example/api:1.0", "egress": RULES})))
    rules = _egress_rules(run, "api")
    assert rules["api-egress-10.20.0.0-16-tcp-5432"]["cidrIpv4"] == "10.20.0.0/16"
    assert rules["api-egress-10.20.0.0-16-tcp-5432"]["description"] == "Aurora"
    by_group = rules[f"api-egress-{DB_GROUP}-tcp-6379-6380"]
    assert (by_group["referencedSecurityGroupId"], by_group["fromPort"], by_group["toPort"]) == (DB_GROUP, 6379, 6380)
    assert rules["api-egress-2001-db8-32-udp-443"]["cidrIpv6"] == "2001:db8::/32"
    group = run.one("aws:ec2/securityGroup:SecurityGroup", "api-tasks")
    assert all(r["securityGroupId"] == group.outputs["id"] for r in rules.values())


def test_reordering_egress_rules_keeps_their_names(run_component) -> None:
    def names(rules: list[dict[str, Any]]) -> set[str]:
        run = run_component(lambda: QueueWorker("orders", {"placement": PLACEMENT,
                                                           "task": {"image": "example/o:1", "egress": rules}}))
        return set(_egress_rules(run, "orders"))
    assert names(RULES) == names(list(reversed(RULES)))


def test_extra_security_groups_join_the_tasks_own_on_every_kind_of_workload(run_component) -> None:
    task = {"image": "example/x:1", "security_group_ids": [CLIENT_GROUP]}

    def program() -> None:
        WebService("api", web_args(task=task))
        QueueWorker("orders", {"placement": PLACEMENT, "task": task})
        ScheduledTask("nightly", {"placement": PLACEMENT, "task": task, "schedule": "rate(1 day)"})
    run = run_component(program)
    for name in ("api", "orders"):
        groups = run.one(SERVICE, name).inputs["networkConfiguration"]["securityGroups"]
        assert groups == [run.one("aws:ec2/securityGroup:SecurityGroup", f"{name}-tasks").outputs["id"], CLIENT_GROUP]
    schedule = run.one("aws:scheduler/schedule:Schedule")
    network = schedule.inputs["target"]["ecsParameters"]["networkConfiguration"]
    assert network["securityGroups"][1:] == [CLIENT_GROUP]


def test_a_component_refuses_world_egress_beyond_443(run_component) -> None:
    with pytest.raises(Exception, match=r"egress\[0\]: 0.0.0.0/0 is the whole internet"):
        run_component(lambda: QueueWorker("orders", {"placement": PLACEMENT, "task": {
            "image": "example/o:1", "egress": [{"cidr": "0.0.0.0/0", "port": 25}]}}))


# The program -----------------------------------------------------------------------------------------------------


def _stack(tmp_path: Path, edit: Any) -> ProgramRun:
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, tmp_path / file)
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    edit(stack["config"])
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    return run_stack(tmp_path, "prod")


def _into_existing_vpc(config: dict[str, Any]) -> None:
    endpoints = [e for e in config[f"{NS}:network"].get("endpoints", []) if e != "s3"]
    config[f"{NS}:network"] = {"existingVpc": EXISTING, "endpoints": endpoints}


@pytest.fixture(scope="module")
def existing(tmp_path_factory) -> ProgramRun:
    return _stack(tmp_path_factory.mktemp("existing"), _into_existing_vpc)


def test_prod_in_an_existing_vpc_places_tasks_and_load_balancer_in_its_subnets(existing: ProgramRun) -> None:
    assert not existing.of_type("awsx:ec2:Vpc", "aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway",
                                "aws:ec2/flowLog:FlowLog", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    (balancer,) = existing.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["subnets"] == PUBLIC
    for service in existing.of_type(SERVICE):
        assert service.inputs["networkConfiguration"]["subnets"] == PRIVATE
    assert all(g.inputs["vpcId"] == VPC for g in existing.of_type("aws:ec2/securityGroup:SecurityGroup"))
    assert existing.outputs["vpcId"] == VPC and existing.outputs["privateSubnetIds"] == PRIVATE


def test_an_existing_vpc_costs_no_nat_and_says_whose_it_is(existing: ProgramRun) -> None:
    cost = estimate(existing, "us-east-1")
    assert not [i for i in cost.items if i.item == "NAT gateways"]
    assert any("existing VPC" in line for line in cost.not_included)


def test_prod_cost_keeps_its_nat_gateways(prod: ProgramRun) -> None:
    cost = estimate(prod, "us-east-1")
    assert [i for i in cost.items if i.item == "NAT gateways"]
    assert not any("existing VPC" in line for line in cost.not_included)


def test_a_stack_file_egress_rule_reaches_the_workloads_group(tmp_path: Path) -> None:
    def edit(config: dict[str, Any]) -> None:
        config[f"{NS}:workers"]["orders"]["egress"] = [{"securityGroupId": DB_GROUP, "port": 5432}]
        config[f"{NS}:workers"]["orders"]["securityGroupIds"] = [CLIENT_GROUP]
    run = _stack(tmp_path, edit)
    rule = run.one(EGRESS, f"orders-egress-{DB_GROUP}-tcp-5432")
    assert rule.inputs["referencedSecurityGroupId"] == DB_GROUP
    assert run.one(SERVICE, "orders").inputs["networkConfiguration"]["securityGroups"][-1] == CLIENT_GROUP


def test_a_stack_file_mistake_is_refused_before_anything_runs() -> None:
    with pytest.raises(SettingsError):
        parse(minimal(network={"existingVpc": EXISTING, "natGateways": "single"}), NS)
