"""Settings of the VPC (``ecs-platform:network``): address space, availability zones, NAT and VPC endpoints, or an
existing VPC; and what a workload's tasks may reach besides HTTPS (``egress``, ``securityGroupIds``)."""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..enums import GATEWAY_ENDPOINTS, NatGatewayStrategy, VpcEndpointService
from .base import KeyProblem, _Settings

_CREATING_KEYS = {"cidr": "cidr", "az_count": "azCount", "nat_gateways": "natGateways",
                  "nat_instance_type": "natInstanceType", "public_subnet_prefix": "publicSubnetPrefix",
                  "private_subnet_prefix": "privateSubnetPrefix"}
"""Keys that shape a VPC the stack creates: meaningless (and refused) with an existing one."""


class ExistingVpcSettings(_Settings):
    """A VPC and subnets made elsewhere: the stack creates no VPC, subnet, NAT, route table or flow log."""

    vpc_id: str = Field(description="The VPC (vpc-...).")
    private_subnet_ids: list[str] = Field(min_length=2, description=(
        "Subnets of the tasks (and of the interface endpoints), in at least two AZs; they reach the internet "
        "through a NAT the VPC's owner runs."))
    public_subnet_ids: list[str] = Field(default_factory=list, description=(
        "Subnets of the internet-facing load balancer, in at least two AZs, with a route to an internet gateway."))
    route_table_ids: list[str] = Field(default_factory=list, description=(
        "Route tables of the private subnets; needed only for gateway endpoints (s3), which join them."))

    _vpc = field_validator("vpc_id")(classmethod(lambda cls, v: validation.ec2_id(v, "vpc")))
    _subnets = field_validator("private_subnet_ids", "public_subnet_ids")(
        classmethod(lambda cls, v: validation.ec2_ids(v, "subnet")))
    _tables = field_validator("route_table_ids")(classmethod(lambda cls, v: validation.ec2_ids(v, "rtb")))

    @model_validator(mode="after")
    def _disjoint(self) -> "ExistingVpcSettings":
        both = sorted(set(self.private_subnet_ids) & set(self.public_subnet_ids))
        if both:
            raise KeyProblem("publicSubnetIds", f"{', '.join(both)} is also a private subnet; tasks and the "
                                                "internet-facing load balancer need different subnets")
        return self


class NetworkSettings(_Settings):
    """The VPC: address space, availability zones, NAT gateways and VPC endpoints; or an existing VPC."""

    cidr: str = Field(defaults.VPC_CIDR, description="IPv4 CIDR of the VPC, /16 to /28.")
    az_count: int = Field(defaults.AZ_COUNT, ge=defaults.MIN_AZ_COUNT, le=defaults.MAX_AZ_COUNT)
    nat_gateways: NatGatewayStrategy = Field(defaults.NAT_GATEWAY_STRATEGY,
                                             description="single, onePerAz or instance (development).")
    nat_instance_type: str = Field(defaults.NAT_INSTANCE_TYPE,
                                   description="Graviton instance type of the NAT instance (natGateways: instance).")
    public_subnet_prefix: int = Field(defaults.PUBLIC_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    private_subnet_prefix: int = Field(defaults.PRIVATE_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    endpoints: list[VpcEndpointService] = Field(default_factory=list, description="VPC endpoints to create.")
    existing_vpc: Optional[ExistingVpcSettings] = Field(None, description=(
        "Place the stack in a VPC made elsewhere instead of creating one. Default: none (the stack creates its VPC)."))

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(validation.vpc_cidr(value))

    @field_validator("nat_instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not re.match(defaults.NAT_INSTANCE_TYPE_PATTERN, value):
            raise ValueError("must be a Graviton (arm64) instance type of a g family, such as t4g.nano or "
                             f"c7gn.medium; got {value!r}")
        return value

    @model_validator(mode="after")
    def _instance_type_needs_an_instance(self) -> "NetworkSettings":
        if "nat_instance_type" in self.model_fields_set and self.nat_gateways is not NatGatewayStrategy.INSTANCE:
            raise KeyProblem("natInstanceType", f"applies only with natGateways: instance; natGateways is "
                                                f"{self.nat_gateways.value}")
        return self

    @field_validator("endpoints")
    @classmethod
    def _unique_endpoints(cls, value: list[VpcEndpointService]) -> list[VpcEndpointService]:
        if len(set(value)) != len(value):
            raise ValueError("lists an endpoint twice")
        return value

    @model_validator(mode="after")
    def _existing(self) -> "NetworkSettings":
        if self.existing_vpc is None:
            return self
        creating = [_CREATING_KEYS[k] for k in _CREATING_KEYS if k in self.model_fields_set]
        if creating:
            raise KeyProblem(creating[0], "shapes a VPC the stack creates, and existingVpc is set; remove "
                                          f"{', '.join(creating)} (the existing VPC's owner decides them)")
        # The stack always has an internet-facing load balancer, and ELB wants subnets in at least two AZs.
        if len(self.existing_vpc.public_subnet_ids) < 2:
            raise KeyProblem("existingVpc.publicSubnetIds", "needs at least 2 public subnets, in different AZs, for "
                                                            "the internet-facing load balancer")
        gateways = [e.value for e in self.endpoints if e in GATEWAY_ENDPOINTS]
        if gateways and not self.existing_vpc.route_table_ids:
            raise KeyProblem("endpoints", f"{', '.join(gateways)} is a gateway endpoint, which joins route tables: "
                                          "give the private subnets' tables as existingVpc.routeTableIds, or remove it")
        return self

    @model_validator(mode="after")
    def _layout(self) -> NetworkSettings:
        cidr = validation.ipv4_network(self.cidr)
        checks = (
            ("publicSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.public_subnet_prefix, "public")),
            ("privateSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.private_subnet_prefix, "private")),
            ("azCount", lambda: validation.vpc_layout(
                cidr, self.az_count, self.public_subnet_prefix, self.private_subnet_prefix)),
        )
        for key, check in checks:
            try:
                check()
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        return self


class EgressSettings(_Settings):
    """One more way out of a workload's tasks: a CIDR block or a security group, on a port or a range."""

    cidr: Optional[str] = Field(None, description="IPv4 or IPv6 CIDR block, such as 10.20.0.0/16.")
    security_group_id: Optional[str] = Field(None, description="Security group of what the tasks reach (sg-...).")
    port: Optional[int] = Field(None, ge=1, le=65535)
    from_port: Optional[int] = Field(None, ge=1, le=65535)
    to_port: Optional[int] = Field(None, ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    description: Optional[str] = None

    _cidr = field_validator("cidr")(classmethod(lambda cls, v: None if v is None else validation.egress_cidr(v)))
    _group = field_validator("security_group_id")(
        classmethod(lambda cls, v: None if v is None else validation.ec2_id(v, "sg")))
    _description = field_validator("description")(
        classmethod(lambda cls, v: None if v is None else validation.rule_description(v)))

    @model_validator(mode="after")
    def _shape(self) -> "EgressSettings":
        if (self.cidr is None) == (self.security_group_id is None):
            raise KeyProblem("cidr", "give exactly one of cidr and securityGroupId")
        try:
            ports = validation.egress_ports(self.port, self.from_port, self.to_port)
        except ValueError as error:
            raise KeyProblem("port" if self.port is not None or self.from_port is None else "fromPort",
                             str(error)) from None
        problem = validation.world_egress_problem(self.cidr, ports)
        if problem:
            raise KeyProblem("cidr", problem)
        if self.cidr == "0.0.0.0/0" and self.protocol == "tcp":
            raise KeyProblem("cidr", "the tasks already leave on TCP 443 to anywhere; remove this rule")
        return self

    @property
    def key(self) -> str:
        ports = validation.egress_ports(self.port, self.from_port, self.to_port)
        return validation.egress_key(self.cidr, self.security_group_id, self.protocol, ports)

    def args(self) -> dict[str, object]:
        """The component's EgressRule."""
        names = {"security_group_id": "security_group_id", "from_port": "from_port", "to_port": "to_port"}
        return {names.get(k, k): v for k, v in self.model_dump().items() if v is not None}


def unique_egress(rules: list[EgressSettings]) -> list[EgressSettings]:
    keys = [r.key for r in rules]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise ValueError(f"[{index}] opens what [{keys.index(key)}] opens (EC2 refuses a duplicate rule); keep one")
    return rules


def extra_security_groups(ids: list[str]) -> list[str]:
    room = validation.MAX_SECURITY_GROUPS_PER_ENI - 1
    if len(ids) > room:
        raise ValueError(f"at most {room}: with the workload's own group that makes {room + 1}, the security groups "
                         f"a network interface takes by default; got {len(ids)}")
    return validation.ec2_ids(ids, "sg")
