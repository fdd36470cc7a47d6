"""The `instance` NAT strategy: one Graviton NAT instance instead of NAT gateways, under the package's AWS mocks."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pytest

from ecs_platform import NatGatewayStrategy, Network, VpcEndpointService
from ecs_platform.network import NAT_AMI_FILTERS
from ecs_platform.testing import AwsMocks, ProgramRun, run
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.cli import main

from .conftest import ROOT

VPC = "awsx:ec2:Vpc"
INSTANCE = "aws:ec2/instance:Instance"
ROUTE = "aws:ec2/route:Route"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
WITH_INSTANCE: dict[str, Any] = {"nat_gateway_strategy": NatGatewayStrategy.INSTANCE}


class InvokeLog(AwsMocks):
    """The package's mocks, remembering the arguments of every invoke by token."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: dict[str, list[dict[str, Any]]] = {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        self.calls.setdefault(args.token, []).append(dict(args.args))
        return super().call(args)


def network(args: Optional[dict[str, Any]] = None, *, region: str = "us-east-1", preview: bool = False,
            mocks: Optional[AwsMocks] = None) -> ProgramRun:
    return run(lambda: Network("n", {**WITH_INSTANCE, **(args or {})}), project="test", stack="test",
               config={"aws:region": region}, preview=preview, mocks=mocks)


@pytest.fixture(scope="module")
def nat() -> ProgramRun:
    return network()


# What awsx is asked for ----------------------------------------------------------------------------------------


def test_awsx_creates_no_nat_gateway_and_isolated_inner_subnets(nat: ProgramRun) -> None:
    vpc = nat.one(VPC).inputs
    assert vpc["natGateways"] == {"strategy": "None"}
    assert [(s["type"], s["name"], s["cidrMask"]) for s in vpc["subnetSpecs"]] == [
        ("Isolated", "private", 20), ("Public", "public", 24)]
    assert nat.of_type("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip") == []


def test_private_subnet_ids_are_the_isolated_subnets() -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        net = Network("n", WITH_INSTANCE)
        net.private_subnet_ids.apply(lambda ids: captured.setdefault("ids", ids))
        pulumi.Output.all(*net.private_subnets).apply(lambda ids: captured.setdefault("each", ids))

    result = run(program, project="test", stack="test", config={"aws:region": "us-east-1"})
    isolated = result.one(VPC).outputs["isolatedSubnetIds"]
    assert len(isolated) == 3 and captured["ids"] == isolated and captured["each"] == isolated


# The instance ----------------------------------------------------------------------------------------------------


def test_one_nat_instance_forwards_with_source_dest_check_off(nat: ProgramRun) -> None:
    (instance,) = nat.of_type(INSTANCE)
    assert instance.inputs["sourceDestCheck"] is False


def test_nat_instance_requires_imdsv2_within_one_hop(nat: ProgramRun) -> None:
    options = nat.one(INSTANCE).inputs["metadataOptions"]
    assert options["httpTokens"] == "required" and options["httpPutResponseHopLimit"] == 1
    assert options["httpEndpoint"] == "enabled"


def test_nat_instance_root_volume_is_encrypted_8_gib_gp3(nat: ProgramRun) -> None:
    root = nat.one(INSTANCE).inputs["rootBlockDevice"]
    assert (root["encrypted"], root["volumeType"], root["volumeSize"]) == (True, "gp3", 8)


def test_nat_instance_is_a_t4g_nano_unless_told(nat: ProgramRun) -> None:
    assert nat.one(INSTANCE).inputs["instanceType"] == "t4g.nano"
    assert network({"nat_instance_type": "c7gn.medium"}).one(INSTANCE).inputs["instanceType"] == "c7gn.medium"


def test_nat_instance_has_no_way_in_but_the_vpc(nat: ProgramRun) -> None:
    inputs = nat.one(INSTANCE).inputs
    assert "keyName" not in inputs and "iamInstanceProfile" not in inputs


def test_nat_instance_boots_the_newest_amazon_owned_al2023_minimal_arm64_image() -> None:
    mocks = InvokeLog()
    result = network(mocks=mocks)
    (lookup,) = mocks.calls["aws:ec2/getAmi:getAmi"]
    assert lookup["owners"] == ["amazon"] and lookup["mostRecent"] is True
    assert {f["name"]: f["values"] for f in lookup["filters"]} == {
        "name": ["al2023-ami-minimal-*-kernel-*-arm64"], "architecture": ["arm64"], "virtualization-type": ["hvm"],
        "root-device-type": ["ebs"], "state": ["available"]}
    assert result.one(INSTANCE).inputs["ami"].startswith("ami-")


def test_nat_instance_sits_in_the_first_public_subnet_with_a_public_address(nat: ProgramRun) -> None:
    inputs = nat.one(INSTANCE).inputs
    assert inputs["subnetId"] == nat.one(VPC).outputs["publicSubnetIds"][0]
    assert inputs["associatePublicIpAddress"] is True
    assert inputs["tags"] == {"Name": "n-nat"}


def test_user_data_forwards_and_masquerades_only_the_vpc_cidr() -> None:
    inputs = network({"cidr_block": "10.8.0.0/16"}).one(INSTANCE).inputs
    script = inputs["userData"]
    assert "net.ipv4.ip_forward = 1" in script
    assert "-A POSTROUTING -s 10.8.0.0/16 -o $iface -j MASQUERADE" in script
    assert ":FORWARD DROP" in script and "-A FORWARD -s 10.8.0.0/16 -j ACCEPT" in script
    assert "systemctl enable --now iptables" in script
    assert inputs["userDataReplaceOnChange"] is True


# Its security group ----------------------------------------------------------------------------------------------


def test_nat_security_group_admits_only_the_vpc_cidr() -> None:
    result = network({"cidr_block": "10.8.0.0/16"})
    (group,) = result.of_type(GROUP)
    assert result.one(INSTANCE).inputs["vpcSecurityGroupIds"] == [group.id]
    (ingress,) = [r for r in result.of_type(INGRESS) if r.inputs["securityGroupId"] == group.id]
    assert (ingress.inputs["ipProtocol"], ingress.inputs["cidrIpv4"]) == ("-1", "10.8.0.0/16")
    assert "fromPort" not in ingress.inputs and "cidrIpv6" not in ingress.inputs


def test_nat_security_group_lets_traffic_out_anywhere(nat: ProgramRun) -> None:
    group = nat.one(GROUP)
    (egress,) = [r for r in nat.of_type(EGRESS) if r.inputs["securityGroupId"] == group.id]
    assert (egress.inputs["ipProtocol"], egress.inputs["cidrIpv4"]) == ("-1", "0.0.0.0/0")


# Routes ----------------------------------------------------------------------------------------------------------


def test_each_private_subnet_routes_everything_to_the_instance_interface() -> None:
    mocks = InvokeLog()
    result = network({"availability_zone_count": 2}, mocks=mocks)
    interface = result.one(INSTANCE).outputs["primaryNetworkInterfaceId"]
    routes = result.of_type(ROUTE)
    assert len(routes) == 2
    assert all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in routes)
    assert all(r.inputs["networkInterfaceId"] == interface for r in routes)
    # Each route sits in the route table of one isolated subnet, found by that subnet.
    lookups = mocks.calls["aws:ec2/getRouteTable:getRouteTable"]
    assert sorted(c["subnetId"] for c in lookups) == sorted(result.one(VPC).outputs["isolatedSubnetIds"])
    assert len({r.inputs["routeTableId"] for r in routes}) == 2


def test_routes_are_counted_from_the_zones_at_a_first_preview() -> None:
    routes = network(preview=True).of_type(ROUTE)
    assert len(routes) == 3
    assert all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in routes)


def test_routes_depend_on_the_instance(nat: ProgramRun) -> None:
    instance = nat.one(INSTANCE)
    assert all(instance.urn in r.property_dependencies["networkInterfaceId"] for r in nat.of_type(ROUTE))


# Recovery --------------------------------------------------------------------------------------------------------


def test_recovery_alarm_recovers_the_instance_when_its_host_fails(nat: ProgramRun) -> None:
    alarm = nat.one(ALARM).inputs
    assert alarm["alarmActions"] == ["arn:aws:automate:us-east-1:ec2:recover"]
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/EC2", "StatusCheckFailed_System", "Maximum")
    assert (alarm["period"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (60, 2, 2)
    assert alarm["dimensions"] == {"InstanceId": nat.one(INSTANCE).id}


def test_recover_action_is_in_the_stack_region() -> None:
    alarm = network(region="eu-west-1").one(ALARM).inputs
    assert alarm["alarmActions"] == ["arn:aws:automate:eu-west-1:ec2:recover"]


def test_simplified_automatic_recovery_stays_on(nat: ProgramRun) -> None:
    assert nat.one(INSTANCE).inputs["maintenanceOptions"] == {"autoRecovery": "default"}


# Refusals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["t3.nano", "m5.large", "g4dn.xlarge", "a1.medium", "T4G.NANO", "t4g"])
def test_a_type_that_is_not_graviton_is_refused_before_anything_registers(instance_type: str) -> None:
    registered: list[Any] = []
    with pytest.raises(ValueError) as refused:
        run(lambda: Network("n", {**WITH_INSTANCE, "nat_instance_type": instance_type}), project="test",
            stack="test", config={"aws:region": "us-east-1"}, on_register=registered.append)
    message = str(refused.value)
    assert "\n" not in message and "nat_instance_type" in message and repr(instance_type) in message
    assert [r.type for r in registered if r.type != "pulumi:pulumi:Stack"] == []


def test_an_instance_type_without_the_instance_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="nat_instance_type applies only with nat_gateway_strategy instance; got"):
        run(lambda: Network("n", {"nat_gateway_strategy": NatGatewayStrategy.SINGLE, "nat_instance_type": "t4g.micro"}),
            project="test", stack="test", config={"aws:region": "us-east-1"})


# Endpoints and outputs -------------------------------------------------------------------------------------------


def test_s3_gateway_endpoint_still_joins_every_awsx_route_table() -> None:
    # awsx's Auto endpoint strategy gives a gateway endpoint every route table it creates, isolated ones included.
    vpc = network({"vpc_endpoints": [VpcEndpointService.S3]}).one(VPC).inputs
    assert vpc["vpcEndpointStrategy"] == "Auto"
    assert vpc["vpcEndpointSpecs"] == [{"serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway"}]


def test_interface_endpoints_sit_in_the_isolated_subnets() -> None:
    result = network({"vpc_endpoints": [VpcEndpointService.ECR_API, VpcEndpointService.LOGS]})
    isolated = result.one(VPC).outputs["isolatedSubnetIds"]
    endpoints = result.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert len(endpoints) == 2 and all(e.inputs["subnetIds"] == isolated for e in endpoints)


def test_the_nat_instance_is_exposed_for_escape_hatches() -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        exposed = Network("n", WITH_INSTANCE).nat_instance
        captured["type"] = type(exposed)
        exposed.urn.apply(lambda urn: captured.setdefault("urn", urn))

    result = run(program, project="test", stack="test", config={"aws:region": "us-east-1"})
    assert captured["type"] is aws.ec2.Instance and captured["urn"] == result.one(INSTANCE).urn


def test_every_child_is_parented_to_the_component(nat: ProgramRun) -> None:
    component = nat.one("ecs-platform:index:Network")
    children = [r for r in nat.resources if r is not component and not r.type.startswith("pulumi:providers:")]
    assert {INSTANCE, ROUTE, GROUP, ALARM} <= {r.type for r in children}
    assert all(r.parent == component.urn for r in children)


# Deploy fidelity -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_nat_instance_requests_pass_the_models_and_the_documented_rules(preview: bool) -> None:
    report = fidelity.check(network({"vpc_endpoints": [VpcEndpointService.S3]}, preview=preview))
    assert list(report.lines()) == []
    assert {"ec2:RunInstances": 1, "ec2:ModifyInstanceAttribute": 1, "ec2:CreateRoute": 3}.items() <= \
        report.operations.items()


def test_run_instances_launches_through_one_interface_in_the_public_subnet(nat: ProgramRun) -> None:
    from ecs_platform.toolchain.fidelity.requests import requests_for

    (launch,) = [r for r in requests_for(nat.resources) if r.label == "ec2:RunInstances"]
    (interface,) = launch.params["NetworkInterfaces"]
    assert interface["DeviceIndex"] == 0 and interface["AssociatePublicIpAddress"] is True
    assert interface["Groups"] == [nat.one(GROUP).id] and "SubnetId" not in launch.params
    assert base64.b64decode(launch.params["UserData"]).decode() == nat.one(INSTANCE).inputs["userData"]


def _routed(source_dest_check: bool) -> Callable[[], None]:
    def build() -> None:
        instance = aws.ec2.Instance("router", ami="ami-0123456789abcdef0", instance_type="t4g.nano",
                                    subnet_id="subnet-a", source_dest_check=source_dest_check)
        aws.ec2.Route("default", route_table_id="rtb-a", destination_cidr_block="0.0.0.0/0",
                      network_interface_id=instance.primary_network_interface_id)
    return build


def _lines(build: Callable[[], None], *, preview: bool = False) -> list[str]:
    result = run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"}, preview=preview)
    return list(fidelity.check(result).lines())


@pytest.mark.parametrize("preview", [False, True])
def test_a_route_through_an_instance_that_checks_source_and_destination_is_caught(preview: bool) -> None:
    (line,) = _lines(_routed(True), preview=preview)
    assert "default ec2:CreateRoute NetworkInterfaceId" in line and "set sourceDestCheck false" in line
    assert _lines(_routed(False), preview=preview) == []


def test_a_route_with_two_targets_is_caught() -> None:
    def build(**targets: str) -> None:
        aws.ec2.Route("default", route_table_id="rtb-a", destination_cidr_block="0.0.0.0/0", **targets)
    (line,) = _lines(lambda: build(gateway_id="igw-a", nat_gateway_id="nat-a"))
    assert "exactly one target; got GatewayId and NatGatewayId" in line
    assert _lines(lambda: build(gateway_id="igw-a")) == []


def test_user_data_over_16_kb_is_caught() -> None:
    def build(size: int) -> None:
        aws.ec2.Instance("big", ami="ami-0123456789abcdef0", instance_type="t4g.nano", user_data="#" * size)
    (line,) = _lines(lambda: build(16 * 1024 + 1))
    assert "big ec2:RunInstances UserData: user data is 16385 bytes before encoding; EC2 allows 16384" in line
    assert _lines(lambda: build(16 * 1024)) == []


def test_metadata_hop_limit_beyond_64_is_caught() -> None:
    def build(hops: int) -> None:
        aws.ec2.Instance("hops", ami="ami-0123456789abcdef0", instance_type="t4g.nano",
                         metadata_options={"http_tokens": "required", "http_put_response_hop_limit": hops})
    (line,) = _lines(lambda: build(65))
    assert "MetadataOptions.HttpPutResponseHopLimit" in line and "got 65" in line
    assert _lines(lambda: build(64)) == []


# The mocks -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("owners", [[], ["self"], ["amazon", "099720109477"]])
def test_the_image_mock_refuses_images_amazon_did_not_publish(owners: list[str]) -> None:
    def program() -> None:
        aws.ec2.get_ami(owners=owners or None, most_recent=True,
                        filters=[{"name": "name", "values": ["al2023-ami-minimal-*-kernel-*-arm64"]}])
    with pytest.raises(Exception, match="only for Amazon's own images"):
        run(program, project="test", stack="test", config={"aws:region": "us-east-1"})


def test_the_image_mock_answers_the_filters_it_is_given() -> None:
    found: dict[str, Any] = {}

    def program() -> None:
        image = aws.ec2.get_ami(owners=["amazon"], most_recent=True,
                                filters=[{"name": k, "values": [v]} for k, v in NAT_AMI_FILTERS.items()])
        found.update(name=image.name, architecture=image.architecture, owner=image.owner_id, id=image.id)
    run(program, project="test", stack="test", config={"aws:region": "us-east-1"})
    assert found["name"].startswith("al2023-ami-minimal-2023.") and found["name"].endswith("-kernel-6.1-arm64")
    assert (found["architecture"], found["owner"]) == ("arm64", "137112412989") and found["id"].startswith("ami-")


def test_the_instance_mock_answers_like_ec2(nat: ProgramRun) -> None:
    outputs = nat.one(INSTANCE).outputs
    assert nat.one(INSTANCE).id.startswith("i-") and outputs["arn"].endswith(f":instance/{nat.one(INSTANCE).id}")
    assert outputs["primaryNetworkInterfaceId"].startswith("eni-") and outputs["publicIp"]
    assert outputs["publicDns"].endswith(".compute-1.amazonaws.com") and outputs["instanceState"] == "running"


# The program, planned --------------------------------------------------------------------------------------------


def test_dev_stack_with_a_nat_instance_plans_clean(tmp_path: Path) -> None:
    assert "natGateways: instance" in (ROOT / "Pulumi.dev.yaml").read_text()
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--dir", str(ROOT), "--json", str(out)]) == 0
    plan = json.loads(out.read_text())
    assert plan["status"] == "ok" and plan["policy"]["mandatory"] == 0 and plan["fidelity"]["violations"] == []


# What a minimal AL2023 image has, and what each package the script may install brings (AL2023 package contents).
MINIMAL_AL2023 = ("cat", "sleep", "rpm", "dnf", "systemctl")
PACKAGE_COMMANDS = {"iptables-services": ["iptables"], "iptables-nft": ["iptables"], "iproute": ["ip"],
                    "procps-ng": ["sysctl"], "gawk": ["awk"], "initscripts": ["service"]}


def test_user_data_runs_on_a_minimal_al2023_image_with_only_what_it_installs(tmp_path) -> None:
    """Run the script with bash where only the minimal image's commands exist, and `dnf install` adds the commands
    of the packages it is asked for: a command the script uses without installing it stops it (set -e)."""
    import shlex
    import subprocess

    bin_ = tmp_path / "bin"
    bin_.mkdir()

    def stub(name: str, body: str = "exit 0") -> None:
        (bin_ / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_ / name).chmod(0o755)

    for command in MINIMAL_AL2023:
        stub(command)
    stub("cat", 'exec /bin/cat "$@"')
    # `ip` answers the default route the script reads the interface from; the others succeed.
    answers = {"ip": 'echo "default via 10.0.0.1 dev ens5 proto dhcp"'}
    installs = "\n".join(
        f'  {package}) ' + " ".join(
            f"printf '%s\\n' '#!/bin/bash' {shlex.quote(answers.get(c, 'exit 0'))} > {bin_}/{c}; /bin/chmod +x {bin_}/{c};"
            for c in commands) + " ;;"
        for package, commands in PACKAGE_COMMANDS.items())
    stub("dnf", f'for package in "$@"; do case "$package" in\n{installs}\nesac; done')
    etc = tmp_path / "etc"
    (etc / "sysctl.d").mkdir(parents=True)
    (etc / "sysconfig").mkdir()
    script = network({"cidr_block": "10.8.0.0/16"}).one(INSTANCE).inputs["userData"].replace("/etc/", f"{etc}/")
    result = subprocess.run(["/bin/bash", "-c", script], capture_output=True, text=True,
                            env={"PATH": str(bin_)}, check=False)
    assert result.returncode == 0, result.stderr
    assert "-o ens5 -j MASQUERADE" in (etc / "sysconfig" / "iptables").read_text()
