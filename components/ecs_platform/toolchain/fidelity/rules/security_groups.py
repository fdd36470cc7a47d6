"""Security groups: the rules EC2 accepts (AuthorizeSecurityGroupIngress / Egress) and how many groups a task's
network interface takes (ECS CreateService, EventBridge Scheduler's ECS RunTask target).

Sources are the EC2 API reference (IpPermission, IpRange, Ipv6Range, UserIdGroupPair: "Constraints: Up to 255
characters in length. Allowed characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"; AuthorizeSecurityGroup
Egress errors, InvalidPermission.Duplicate: "The specified rule already exists in that security group"), the ECS API
reference (AwsVpcConfiguration securityGroups: "There's a limit of 5 security groups"), the EventBridge Scheduler
API reference (AwsVpcConfiguration SecurityGroups: "You can specify as many as five security groups") and the Amazon
VPC quotas page (security groups per network interface: 5 by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..requests import ApiRequest
from .base import Finding, Stack, dig, known, number, rule, show

EGRESS, INGRESS = "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress"
SERVICE, SCHEDULE = "ecs:CreateService", "scheduler:CreateSchedule"
MAX_GROUPS = 5
_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")
_RANGES = {"IpRanges": "CidrIp", "Ipv6Ranges": "CidrIpv6", "PrefixListIds": "PrefixListId",
           "UserIdGroupPairs": "GroupId"}


def _rules(stack: Stack) -> Iterator[ApiRequest]:
    yield from stack.of(EGRESS)
    yield from stack.of(INGRESS)


def _permission(request: ApiRequest) -> dict[str, Any]:
    permissions = request.params.get("IpPermissions") or [{}]
    return permissions[0] if isinstance(permissions[0], dict) else {}


@rule
def rule_has_one_destination(stack: Stack) -> Iterator[Finding]:
    """A rule resource names exactly one peer: an IPv4 range, an IPv6 range, a prefix list or a security group."""
    for request in _rules(stack):
        given = [key for key in _RANGES if _permission(request).get(key)]
        if len(given) != 1:
            yield (request, "IpPermissions[0]", "a security group rule needs exactly one of an IPv4 CIDR, an IPv6 "
                                                f"CIDR, a prefix list and a security group; got {' and '.join(given) or 'none'}")


@rule
def rule_ports(stack: Stack) -> Iterator[Finding]:
    """IpPermission FromPort/ToPort: for TCP and UDP, the start and end of a port range, 0 to 65535."""
    for request in _rules(stack):
        permission = _permission(request)
        if str(permission.get("IpProtocol")).lower() not in ("tcp", "udp", "6", "17"):
            continue
        low, high = number(permission.get("FromPort")), number(permission.get("ToPort"))
        if low is None or high is None:
            if known(permission.get("FromPort"), permission.get("ToPort")):
                yield request, "IpPermissions[0].FromPort", "a TCP or UDP rule needs FromPort and ToPort"
            continue
        if not (0 <= low <= high <= 65535):
            yield (request, "IpPermissions[0].FromPort",
                   f"TCP and UDP ports run 0 to 65535, FromPort not above ToPort; got {show(low)} to {show(high)}")


@rule
def rule_description(stack: Stack) -> Iterator[Finding]:
    for request in _rules(stack):
        for key, field in _RANGES.items():
            for index, peer in enumerate(_permission(request).get(key) or []):
                description = peer.get("Description") if isinstance(peer, dict) else None
                if not isinstance(description, str) or not known(description):
                    continue
                if len(description) > 255 or not _DESCRIPTION.match(description):
                    yield (request, f"IpPermissions[0].{key}[{index}].Description",
                           "a rule description is up to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*; got "
                           f"{show(description)}")


def _group(request: ApiRequest) -> Any:
    """The security group a rule authorizes on: its known id, else the group resource it was built from."""
    group = request.params.get("GroupId")
    if known(group):
        return group
    urns = request.resource.property_dependencies.get("securityGroupId") or []
    return urns[0] if len(urns) == 1 else None


def _peer(permission: dict[str, Any]) -> Any:
    for key, field in _RANGES.items():
        for peer in permission.get(key) or []:
            if isinstance(peer, dict):
                return field, peer.get(field)
    return None


@rule
def rule_not_duplicated(stack: Stack) -> Iterator[Finding]:
    """Two rule resources authorizing the same permission on one group: EC2 refuses the second with
    InvalidPermission.Duplicate, and `pulumi up` stops there."""
    seen: dict[tuple[Any, ...], ApiRequest] = {}
    for request in _rules(stack):
        permission, group = _permission(request), _group(request)
        peer = _peer(permission)
        values = (group, permission.get("IpProtocol"), permission.get("FromPort"), permission.get("ToPort"), peer)
        if group is None or peer is None or not known(*[v for v in values if not isinstance(v, tuple)], peer[1]):
            continue
        key = (request.label, *values)
        if key in seen:
            yield (request, "IpPermissions[0]", f"authorizes what {seen[key].resource.name} already authorizes on the "
                                                "same security group; EC2 refuses it (InvalidPermission.Duplicate)")
        else:
            seen[key] = request


def _task_groups(stack: Stack) -> Iterator[tuple[ApiRequest, str, Any]]:
    for service in stack.of(SERVICE):
        yield (service, "networkConfiguration.awsvpcConfiguration.securityGroups",
               dig(service.params, "networkConfiguration", "awsvpcConfiguration", "securityGroups"))
    for schedule in stack.of(SCHEDULE):
        yield (schedule, "Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.SecurityGroups",
               dig(schedule.params, "Target", "EcsParameters", "NetworkConfiguration", "awsvpcConfiguration",
                   "SecurityGroups"))


@rule
def task_security_group_count(stack: Stack) -> Iterator[Finding]:
    """A task's network interface takes at most 5 security groups (and each once)."""
    for request, field, groups in _task_groups(stack):
        if not isinstance(groups, list):
            continue
        if len(groups) > MAX_GROUPS:
            yield request, field, f"a task's network interface takes at most {MAX_GROUPS} security groups; got {len(groups)}"
        named = [g for g in groups if isinstance(g, str) and known(g)]
        twice = sorted({g for g in named if named.count(g) > 1})
        if twice:
            yield request, field, f"names {', '.join(twice)} twice"
