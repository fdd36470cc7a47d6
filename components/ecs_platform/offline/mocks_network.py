"""AWS mock answers for an existing network: the VPC and subnet lookups (``aws.ec2.getVpc``, ``aws.ec2.getSubnet``)
a Network with ``existing_vpc`` makes (registered into :data:`ecs_platform.offline.mocks.EXTRA_INVOKES`).

The mocked account holds every VPC and subnet asked for: a VPC's CIDR is a /16 of 10.0.0.0/8 chosen by its id, a
subnet is a /24 of its VPC's CIDR in one of the region's first three zones, chosen by its id. A subnet asked for in
a VPC (``vpcId``) is found there, as the provider finds it only when it is (the real lookup fails otherwise, which
no mock can know)."""

from __future__ import annotations

from typing import Any, Callable

from .mock_context import ACCOUNT_ID, _hex


def _octet(seed: str) -> int:
    return int(_hex(seed, 4), 16) % 256


def _vpc_cidr(vpc_id: str) -> str:
    return f"10.{_octet(vpc_id)}.0.0/16"


def _vpc(args: dict[str, Any], region: str) -> dict[str, Any]:
    """DescribeVpcs as the provider's data source reads it (terraform-provider-aws, data_source_vpc.go)."""
    vpc_id = args.get("id") or f"vpc-{_hex(str(args.get('filters')), 17)}"
    cidr = _vpc_cidr(vpc_id)
    return {
        "id": vpc_id,
        "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:vpc/{vpc_id}",
        "cidrBlock": cidr,
        "cidrBlockAssociations": [{"associationId": f"vpc-cidr-assoc-{_hex(vpc_id, 17)}", "cidrBlock": cidr,
                                   "state": "associated"}],
        "default": False,
        "dhcpOptionsId": f"dopt-{_hex(region, 17)}",
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "enableNetworkAddressUsageMetrics": False,
        "instanceTenancy": "default",
        "ipv6AssociationId": "",
        "ipv6CidrBlock": "",
        "mainRouteTableId": f"rtb-{_hex(vpc_id + 'main', 17)}",
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "tags": {},
        "region": region,
    }


def _subnet(args: dict[str, Any], region: str) -> dict[str, Any]:
    """DescribeSubnets as the provider's data source reads it (terraform-provider-aws, data_source_subnet.go)."""
    subnet_id = args.get("id") or f"subnet-{_hex(str(args.get('filters')), 17)}"
    vpc_id = args.get("vpcId") or f"vpc-{_hex(subnet_id, 17)}"
    zone = f"{region}{'abc'[_octet(subnet_id) % 3]}"
    cidr = _vpc_cidr(vpc_id).replace(".0.0/16", f".{_octet(subnet_id + 'cidr')}.0/24")
    return {
        "id": subnet_id,
        "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:subnet/{subnet_id}",
        "availabilityZone": zone,
        "availabilityZoneId": f"{region[:2]}{region.split('-')[1][0]}{region[-1]}-az{'abc'.index(zone[-1]) + 1}",
        "availableIpAddressCount": 251,
        "cidrBlock": cidr,
        "defaultForAz": False,
        "mapPublicIpOnLaunch": False,
        "assignIpv6AddressOnCreation": False,
        "ipv6CidrBlock": "",
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "vpcId": vpc_id,
        "tags": {},
        "region": region,
    }


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py (none here)."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:ec2/getVpc:getVpc": _vpc,
    "aws:ec2/getSubnet:getSubnet": _subnet,
}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
AUTO_NAMED: dict[str, str] = {}
