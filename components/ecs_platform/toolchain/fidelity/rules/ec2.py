"""EC2 instances and routes: RunInstances, ModifyInstanceAttribute and CreateRoute.

Sources are the EC2 API reference (RunInstances: UserData, InstanceMetadataOptionsRequest; CreateRoute), the EC2
User Guide ("Run commands when you launch an EC2 instance with user data input") and the VPC User Guide ("NAT
instances": "Disable source/destination checks").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any, Optional

from ecs_platform.offline.mocks import UNKNOWN
from ..requests import ROUTE_DESTINATIONS, ROUTE_TARGETS, ApiRequest
from .base import Finding, Stack, dig, known, number, rule, show

INSTANCE, ATTRIBUTE, ROUTE = "ec2:RunInstances", "ec2:ModifyInstanceAttribute", "ec2:CreateRoute"

USER_DATA_LIMIT = 16 * 1024
"""RunInstances UserData: "User data is limited to 16 KB", in raw form, before it is base64-encoded."""


@rule
def instance_user_data_size(stack: Stack) -> Iterator[Finding]:
    for instance in stack.of(INSTANCE):
        encoded = instance.params.get("UserData")
        if not isinstance(encoded, str) or not known(encoded):
            continue
        try:
            size = len(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            yield instance, "UserData", "userDataBase64 must be base64-encoded; got text that does not decode"
            continue
        if size > USER_DATA_LIMIT:
            yield instance, "UserData", f"user data is {size} bytes before encoding; EC2 allows {USER_DATA_LIMIT}"


@rule
def instance_metadata_hop_limit(stack: Stack) -> Iterator[Finding]:
    """InstanceMetadataOptionsRequest HttpPutResponseHopLimit: "Possible values: Integers from 1 to 64"."""
    for instance in stack.of(INSTANCE):
        hops = dig(instance.params, "MetadataOptions", "HttpPutResponseHopLimit")
        value = number(hops)
        if value is not None and not (1 <= value <= 64 and float(value).is_integer()):
            yield (instance, "MetadataOptions.HttpPutResponseHopLimit",
                   f"the metadata hop limit must be a whole number from 1 to 64; got {show(hops)}")


def _given(route: ApiRequest, names: dict[str, str]) -> list[str]:
    """The parameters of ``names`` a route sets (an unknown value is set all the same)."""
    return [api for api in names.values() if route.params.get(api) is not None]


@rule
def route_destination_and_target(stack: Stack) -> Iterator[Finding]:
    """CreateRoute: "You must specify either a destination CIDR block or a prefix list ID. You must also specify
    exactly one of the resources from the parameter list" (one destination, one target)."""
    for route in stack.of(ROUTE):
        destinations, targets = _given(route, ROUTE_DESTINATIONS), _given(route, ROUTE_TARGETS)
        if len(destinations) != 1:
            yield (route, "DestinationCidrBlock", "a route needs exactly one destination (an IPv4 or IPv6 CIDR block "
                                                  f"or a prefix list); got {' and '.join(destinations) or 'none'}")
        if len(targets) != 1:
            yield (route, "NetworkInterfaceId" if "NetworkInterfaceId" in targets else "GatewayId",
                   f"a route needs exactly one target; got {' and '.join(targets) or 'none'}")


def _routed_instance(stack: Stack, route: ApiRequest) -> Optional[ApiRequest]:
    """The program's instance whose primary network interface the route targets: by the interface id when it is
    known, through the route's dependencies when it is not."""
    interface = route.params.get("NetworkInterfaceId")
    if interface is None:
        return None
    if known(interface):
        found = [i for i in stack.of(INSTANCE) if i.resource.outputs.get("primaryNetworkInterfaceId") == interface]
        return found[0] if len(found) == 1 else None
    return stack.depended(route, "networkInterfaceId", INSTANCE)


def _source_dest_check(stack: Stack, instance: ApiRequest) -> Any:
    """What the program leaves the instance's source/destination check at: true unless it turns it off (unknown
    when the value it sets is not known yet, or when it launches with network interfaces of its own, which carry the
    check themselves)."""
    if instance.resource.inputs.get("networkInterfaces"):
        return UNKNOWN
    for change in stack.of(ATTRIBUTE):
        if change.resource.urn == instance.resource.urn and "SourceDestCheck" in change.params:
            value = dig(change.params, "SourceDestCheck", "Value")
            return UNKNOWN if not known(value) else value
    return True


@rule
def routed_instance_forwards(stack: Stack) -> Iterator[Finding]:
    """VPC User Guide, NAT instances: "Each EC2 instance performs source/destination checks by default. This means
    that the instance must be the source or destination of any traffic it sends or receives. However, a NAT instance
    must be able to send and receive traffic when the source or destination is not itself. Therefore, you must
    disable source/destination checks on the NAT instance." A route to an instance's network interface makes it such
    a router: AWS accepts the route, and the instance drops everything it is sent."""
    for route in stack.of(ROUTE):
        instance = _routed_instance(stack, route)
        if instance is not None and _source_dest_check(stack, instance) is True:
            yield (route, "NetworkInterfaceId",
                   f"routes through instance {instance.resource.name}, whose source/destination check is on, so "
                   "it drops the traffic it is sent; set sourceDestCheck false on the instance")
