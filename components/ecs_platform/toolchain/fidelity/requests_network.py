"""API requests of security group rules declared as their own resources (registered into
:data:`.requests.MAPPERS` with `@maps`).

`aws.vpc.SecurityGroupIngressRule` and `aws.vpc.SecurityGroupEgressRule` each authorize one permission:
terraform-provider-aws (internal/service/ec2/vpc_security_group_ingress_rule.go, `create`) sends
AuthorizeSecurityGroupIngress / AuthorizeSecurityGroupEgress with the group id and one IpPermission whose one
range (IPv4, IPv6, prefix list or referenced group) carries the rule's description.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecs_platform.offline.engine import Registration
from .requests import ApiRequest, compact, maps, request


def permission(i: dict[str, Any]) -> dict[str, Any]:
    """The one IpPermission of a rule resource's inputs."""
    description = i.get("description")
    return compact({
        "IpProtocol": i.get("ipProtocol"),
        "FromPort": i.get("fromPort"),
        "ToPort": i.get("toPort"),
        "IpRanges": [{"CidrIp": i["cidrIpv4"], "Description": description}] if i.get("cidrIpv4") else None,
        "Ipv6Ranges": [{"CidrIpv6": i["cidrIpv6"], "Description": description}] if i.get("cidrIpv6") else None,
        "PrefixListIds": ([{"PrefixListId": i["prefixListId"], "Description": description}]
                          if i.get("prefixListId") else None),
        "UserIdGroupPairs": ([{"GroupId": i["referencedSecurityGroupId"], "Description": description}]
                             if i.get("referencedSecurityGroupId") else None),
    })


@maps("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def egress_rule(r: Registration) -> Iterator[ApiRequest]:
    yield request("ec2", "AuthorizeSecurityGroupEgress", {
        "GroupId": r.inputs.get("securityGroupId"), "IpPermissions": [permission(r.inputs)]}, r)


@maps("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
def ingress_rule(r: Registration) -> Iterator[ApiRequest]:
    yield request("ec2", "AuthorizeSecurityGroupIngress", {
        "GroupId": r.inputs.get("securityGroupId"), "IpPermissions": [permission(r.inputs)]}, r)
