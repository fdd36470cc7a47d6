"""Network rules: security groups, subnets and VPCs (Security Hub EC2.* controls)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import (Control, Messages, by_type, is_world, known, known_items, linked, lookup, port_range,
                    resource_policy, stack_policy)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ECS_SERVICE = "aws:ecs/service:Service"
SCHEDULE = "aws:scheduler/schedule:Schedule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
AWSX_VPC = "awsx:ec2:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"

ADMIN_PORTS = {22: "EC2.13", 3389: "EC2.14"}
HIGH_RISK_PORTS = [20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500,
                   5601, 8080, 8088, 8888, 9200, 9300]


def world_ingress(args: ResourceValidationArgs) -> Iterator[tuple[str, tuple[int, int]]]:
    """(source, ports) of every ingress open to the whole internet, whichever resource declares it."""
    props = args.props
    if args.resource_type == SECURITY_GROUP:
        for rule in props.get("ingress") or []:
            ports = port_range(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            sources = list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or [])
            yield from ((s, ports) for s in sources if ports and is_world(s))
    elif args.resource_type == SECURITY_GROUP_RULE:
        if props.get("type") != "ingress":
            return
        ports = port_range(props.get("protocol"), props.get("fromPort"), props.get("toPort"))
        sources = list(props.get("cidrBlocks") or []) + list(props.get("ipv6CidrBlocks") or [])
        yield from ((s, ports) for s in sources if ports and is_world(s))
    elif args.resource_type == INGRESS_RULE:
        ports = port_range(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"))
        for source in (props.get("cidrIpv4"), props.get("cidrIpv6")):
            if source and ports and is_world(source):
                yield source, ports


def _covers(ports: tuple[int, int], port: int) -> bool:
    return ports[0] <= port <= ports[1]


def _describe(ports: tuple[int, int]) -> str:
    return f"port {ports[0]}" if ports[0] == ports[1] else f"ports {ports[0]}-{ports[1]}"


def _admin_ports(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for source, ports in world_ingress(args):
        for port, control in ADMIN_PORTS.items():
            if _covers(ports, port):
                family = "EC2.54" if ":" in source else "EC2.53"
                # The policy reports as EC2.13; name the other controls the same opening breaks.
                related = ", ".join(c for c in (control, family) if c != "EC2.13")
                yield f"{_describe(ports)} is open to {source}, including admin port {port} (also {related})"


def _high_risk_ports(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    for source, ports in world_ingress(args):
        risky = [p for p in config["highRiskPorts"] if _covers(ports, p)]
        if risky:
            yield f"{_describe(ports)} open to {source} includes high-risk ports {', '.join(map(str, risky[:6]))}"


def _authorized_ports(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    allowed = set(config["authorizedPorts"])
    for source, ports in world_ingress(args):
        if not (ports[0] == ports[1] and ports[0] in allowed):
            yield f"{_describe(ports)} is open to {source}; only {sorted(allowed)} may be open to the internet"


def _private_subnet_public_ip(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    tags = args.props.get("tags") or {}
    public = str(tags.get("SubnetType", "")).lower() == "public" or "public" in str(tags.get("Name", "")).lower()
    if public:
        return
    if args.props.get("mapPublicIpOnLaunch") is True:
        yield "a private subnet assigns public IPv4 addresses on launch; set mapPublicIpOnLaunch false"
    if args.props.get("assignIpv6AddressOnCreation") is True:
        yield "a private subnet assigns IPv6 addresses on creation; set assignIpv6AddressOnCreation false"


def vpcs(resources: list[Any]) -> list[Any]:
    """Every VPC of the stack, once: an awsx Vpc component stands for the aws:ec2/vpc:Vpc it creates (which the
    engine also sends, as its child), and a plain aws:ec2/vpc:Vpc for itself."""
    awsx = by_type(resources, AWSX_VPC)
    return awsx + [v for v in by_type(resources, VPC) if v.parent not in awsx]


def _in_vpc(resource: Any, key: str, vpc: Any) -> bool:
    """Whether input ``key`` of ``resource`` (a VPC id) refers to ``vpc``: through its property dependencies
    (known at preview), else by the known id."""
    for dependency in linked(resource, key, VPC, AWSX_VPC):
        if dependency is vpc or dependency.parent is vpc:
            return True
    value = known(resource.props, key)
    ids = {known(vpc.props, "id"), known(vpc.props, "vpcId")} - {None}
    return value is not None and value in ids


def _name(vpc: Any) -> str:
    return str(known(vpc.props, "vpcId") or known(vpc.props, "id") or vpc.name)


def _flow_logs(resources: list[Any], _: Mapping[str, Any]) -> Iterator[tuple[str, Optional[str]]]:
    flow_logs = by_type(resources, FLOW_LOG)
    for vpc in vpcs(resources):
        if not any(_in_vpc(f, "vpcId", vpc) or _in_vpc(f, "resourceId", vpc) for f in flow_logs):
            yield f"VPC {_name(vpc)} has no flow log", vpc.urn


def _default_group_closed(resources: list[Any], _: Mapping[str, Any]) -> Iterator[tuple[str, Optional[str]]]:
    groups = by_type(resources, DEFAULT_SECURITY_GROUP)
    for vpc in vpcs(resources):
        group = next((g for g in groups if _in_vpc(g, "vpcId", vpc)), None)
        if group is None:
            yield f"VPC {_name(vpc)} leaves its default security group unmanaged (and open inside the VPC)", vpc.urn
        elif group.props.get("ingress") or group.props.get("egress"):
            yield f"the default security group of VPC {_name(vpc)} still has rules", group.urn


def _get(value: Any, key: str) -> Any:
    """A known nested value, else None (absent, unknown at preview, or not a mapping on the way)."""
    return known(value, key) if isinstance(value, Mapping) else None


def _world_egress(resource: Any) -> Iterator[tuple[str, tuple[int, int], Any]]:
    """(destination, ports, group) of every egress to the whole internet whose destination is known, whichever
    resource says it; the group is the resource itself for inline rules, else the group resource the rule was built
    from or its known id."""
    props = resource.props
    if resource.resource_type == SECURITY_GROUP:
        for rule in known_items(lookup(props, "egress")):
            ports = port_range(_get(rule, "protocol"), _get(rule, "fromPort"), _get(rule, "toPort"))
            cidrs = known_items(_get(rule, "cidrBlocks")) + known_items(_get(rule, "ipv6CidrBlocks"))
            yield from ((c, ports, resource) for c in cidrs if ports and is_world(c))
        return
    if resource.resource_type == SECURITY_GROUP_RULE:
        if known(props, "type") != "egress":
            return
        ports = port_range(known(props, "protocol"), known(props, "fromPort"), known(props, "toPort"))
        cidrs = known_items(lookup(props, "cidrBlocks")) + known_items(lookup(props, "ipv6CidrBlocks"))
    else:
        ports = port_range(known(props, "ipProtocol"), known(props, "fromPort"), known(props, "toPort"))
        cidrs = [known(props, "cidrIpv4"), known(props, "cidrIpv6")]
    group = (linked(resource, "securityGroupId", SECURITY_GROUP) or [None])[0] or known(props, "securityGroupId")
    yield from ((c, ports, group) for c in cidrs if c and ports and is_world(c))


def _task_groups(resources: list[Any]) -> tuple[list[Any], set[str]]:
    """The security groups ECS tasks run in (services' and schedules' network configurations): the group resources
    the configurations were built from (known at a first preview) and the ids they name when known."""
    groups: list[Any] = []
    ids: set[str] = set()
    for resource in by_type(resources, ECS_SERVICE, SCHEDULE):
        key = "networkConfiguration" if resource.resource_type == ECS_SERVICE else "target"
        groups += linked(resource, key, SECURITY_GROUP)
        config = known(resource.props, key)
        if resource.resource_type == SCHEDULE:
            config = _get(_get(config, "ecsParameters"), "networkConfiguration")
        ids.update(g for g in known_items(_get(config, "securityGroups")) if isinstance(g, str))
    return groups, ids


def _task_egress_https_only(resources: list[Any], config: Mapping[str, Any]) -> Iterator[tuple[str, Optional[str]]]:
    groups, ids = _task_groups(resources)
    group_ids = {id(g) for g in groups}
    allowed = {int(p) for p in config["allowedPorts"]}
    for resource in by_type(resources, SECURITY_GROUP, SECURITY_GROUP_RULE, EGRESS_RULE):
        for cidr, ports, group in _world_egress(resource):
            if isinstance(group, str):
                of_tasks = group in ids
            else:
                of_tasks = group is not None and (id(group) in group_ids or known(group.props, "id") in ids)
            if not of_tasks or (ports[0] == ports[1] and ports[0] in allowed):
                continue
            yield (f"{resource.name}: ECS tasks may send to {cidr} on {_describe(ports)}; only "
                   f"{sorted(allowed)} may leave for the internet (name the data store's CIDR or security group "
                   "instead)", resource.urn)


_GROUP_TYPES = [SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE]

POLICIES = [
    resource_policy("ec2-no-world-open-admin-ports", Control("EC2.13", Severity.HIGH, "restricted-ssh", "ec2"),
                    "Security groups must not open SSH (22) or RDP (3389) to the internet (also EC2.14, EC2.53, "
                    "EC2.54).", _GROUP_TYPES, _admin_ports),
    resource_policy("ec2-no-world-open-high-risk-ports",
                    Control("EC2.19", Severity.CRITICAL, "restricted-common-ports", "ec2"),
                    "Security groups must not open high-risk ports to the internet.", _GROUP_TYPES, _high_risk_ports,
                    config={"highRiskPorts": {"type": "array", "items": {"type": "integer"}, "default": HIGH_RISK_PORTS,
                                              "description": "Ports never to open to 0.0.0.0/0 or ::/0."}}),
    resource_policy("ec2-world-open-authorized-ports-only",
                    Control("EC2.18", Severity.HIGH, "vpc-sg-open-only-to-authorized-ports", "ec2"),
                    "Only authorized ports (the load balancer's 80 and 443) may be open to the internet.",
                    _GROUP_TYPES, _authorized_ports,
                    config={"authorizedPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443],
                                                "description": "TCP ports that may be open to the internet."}}),
    resource_policy("ec2-private-subnet-no-public-ip",
                    Control("EC2.15", Severity.MEDIUM, "subnet-auto-assign-public-ip-disabled", "ec2"),
                    "Private subnets must not assign public IP addresses on launch.", [SUBNET],
                    _private_subnet_public_ip),
    stack_policy("ec2-vpc-flow-logs", Control("EC2.6", Severity.MEDIUM, "vpc-flow-logs-enabled", "ec2"),
                 "Every VPC of the stack must have a flow log.", _flow_logs),
    stack_policy("ecs-task-egress-internet-https-only",
                 Control("PLATFORM.ECS-TASK-EGRESS", Severity.HIGH),
                 "ECS tasks' security groups may reach the whole internet (0.0.0.0/0, ::/0) only on HTTPS.",
                 _task_egress_https_only,
                 config={"allowedPorts": {"type": "array", "items": {"type": "integer"}, "default": [443],
                                          "description": "Ports tasks may reach anywhere on the internet."}}),
    stack_policy("ec2-default-security-group-closed",
                 Control("EC2.2", Severity.HIGH, "vpc-default-security-group-closed", "ec2"),
                 "Every VPC's default security group must be managed with no rules.", _default_group_closed),
]
