"""Name lengths: the per-type limits in ecs_platform.naming.NAME_LIMITS (ELB: 32, IAM roles: 64, SQS: 80, log
groups: 512...), measured on the names the program produced, Pulumi's random suffix included."""

from __future__ import annotations

from collections.abc import Iterator

from ecs_platform import naming
from .base import Finding, Stack, rule


@rule
def name_lengths(stack: Stack) -> Iterator[Finding]:
    seen: set[str] = set()
    for request in stack.requests:
        resource = request.resource
        kind = resource.type.replace("aws:alb/", "aws:lb/")
        if resource.urn in seen or kind not in naming.NAME_LIMITS:
            continue
        seen.add(resource.urn)
        key, limit = naming.NAME_LIMITS[kind]
        name = resource.outputs.get(key) or resource.inputs.get(key)
        if isinstance(name, str) and len(name) > limit:
            yield request, key, f"name {name!r} is {len(name)} characters; AWS allows {limit}"
