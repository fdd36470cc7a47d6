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


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "aws:servicediscovery/httpNamespace:HttpNamespace": _http_namespace,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
"""Remote component types whose computer returns outputs only."""
AUTO_NAMED: dict[str, str] = {}
"""Auto-named types of this module (none beyond mock_context's)."""
