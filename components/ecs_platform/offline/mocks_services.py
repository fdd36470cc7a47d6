"""AWS mock answers for the services resources (registered into :data:`ecs_platform.offline.mocks.COMPUTERS`)."""

from __future__ import annotations

from typing import Any, Callable

from .mock_context import _Ctx


def _http_namespace(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """A Cloud Map HTTP namespace as CreateHttpNamespace leaves it: an `ns-` id of 16 characters, its ARN, and its
    name as the HTTP name Service Connect and DiscoverInstances use."""
    namespace = f"ns-{c.hex(16)}"
    name = c.inputs.get("name") or c.name
    return namespace, {"arn": c.arn("servicediscovery", f"namespace/{namespace}"), "httpName": name, "name": name}


def _topic(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """An SNS topic as CreateTopic leaves it: its ARN is its id (SNS Developer Guide, "Amazon SNS resource ARNs")."""
    name = c.inputs["name"]
    arn = c.arn("sns", name)
    # The name stays an input (auto-named at preview too); only what AWS assigns is computed.
    return arn, {"arn": arn, "owner": c.arn("sns", "").split(":")[4]}


def _subscription(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """A subscription's ARN: its topic's ARN and a UUID (Subscribe's SubscriptionArn)."""
    h = c.hex(32)
    arn = f"{c.inputs.get('topic')}:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return arn, {"arn": arn, "confirmationWasAuthenticated": True, "pendingConfirmation": False}


def _topic_policy(c: _Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs.get("arn")), {"owner": c.arn("sns", "").split(":")[4]}


def _capacity_provider(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """A capacity provider as CreateCapacityProvider leaves it: its name is its id, its ARN is
    `capacity-provider/<name>`; a Managed Instances one keeps its cluster."""
    name = c.inputs.get("name") or c.name
    arn = c.arn("ecs", f"capacity-provider/{name}")
    return arn, {"arn": arn, "name": name}


def _instance_profile(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """An instance profile as CreateInstanceProfile leaves it: a global ARN and an `AIPA` unique id."""
    name = c.inputs.get("name") or c.name
    return name, {"arn": c.arn("iam", f"instance-profile/{name}", region=False), "name": name,
                  "uniqueId": f"AIPA{c.hex(17).upper()}", "path": c.inputs.get("path", "/")}


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "aws:servicediscovery/httpNamespace:HttpNamespace": _http_namespace,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:sns/topicPolicy:TopicPolicy": _topic_policy,
    "aws:ecs/capacityProvider:CapacityProvider": _capacity_provider,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
"""Remote component types whose computer returns outputs only."""
AUTO_NAMED: dict[str, str] = {
    "aws:sns/topic:Topic": "name",
    "aws:ecs/capacityProvider:CapacityProvider": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
}
"""Auto-named types of this module: Pulumi names them `<logical name>-<7 random characters>` unless named."""
