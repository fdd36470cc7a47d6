"""Settings of the VPC (``ecs-platform:network``): address space, availability zones, NAT and VPC endpoints."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..enums import NatGatewayStrategy, VpcEndpointService
from .base import KeyProblem, _Settings


class NetworkSettings(_Settings):
    """The VPC: address space, availability zones, NAT gateways and VPC endpoints."""

    cidr: str = Field(defaults.VPC_CIDR, description="IPv4 CIDR of the VPC, /16 to /28.")
    az_count: int = Field(defaults.AZ_COUNT, ge=defaults.MIN_AZ_COUNT, le=defaults.MAX_AZ_COUNT)
    nat_gateways: NatGatewayStrategy = Field(defaults.NAT_GATEWAY_STRATEGY,
                                             description="single, onePerAz or instance (development).")
    nat_instance_type: str = Field(defaults.NAT_INSTANCE_TYPE,
                                   description="Graviton instance type of the NAT instance (natGateways: instance).")
    public_subnet_prefix: int = Field(defaults.PUBLIC_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    private_subnet_prefix: int = Field(defaults.PRIVATE_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    endpoints: list[VpcEndpointService] = Field(default_factory=list, description="VPC endpoints to create.")

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
