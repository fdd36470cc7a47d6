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
    "aws:ecs/capacityProvider:CapacityProvider": _capacity_provider,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
"""Remote component types whose computer returns outputs only."""
AUTO_NAMED: dict[str, str] = {
    "aws:ecs/capacityProvider:CapacityProvider": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
}
"""Auto-named types of this module."""
