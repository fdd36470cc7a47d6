"""What every rule needs: the registry, the stack's requests indexed by operation, and references between them.

A rule is a function of the :class:`Stack` that yields ``(request, field, message)`` for each breach. It judges only
what it can know: at a first preview, values AWS assigns (ARNs, ids, URLs) are the engine's unknown marker, and a
rule skips a value it cannot know rather than flag it. References between resources are followed by value when the
value is known (an ARN, a name) and through the registration's property dependencies when it is not, so the
cross-resource rules work at a preview too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, Optional

from ecs_platform.offline.engine import Registration, has_unknown
from ecs_platform.offline.mocks import UNKNOWN
from ..requests import ApiRequest, text

Finding = tuple[ApiRequest, str, str]
Check = Callable[["Stack"], Iterator[Finding]]
CHECKS: list[Check] = []


def rule(function: Check) -> Check:
    """Register a rule; the rules run in the order their modules register them."""
    CHECKS.append(function)
    return function


def known(*values: Any) -> bool:
    """Whether values (and everything inside them) are known; absent values count as known."""
    for value in values:
        if has_unknown(value):
            return False
    return True


def show(value: Any) -> str:
    """A value as a message quotes it: numbers plain (120, not 120.0), strings quoted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text(value)
    return repr(value)


_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


def number(value: Any) -> Optional[float]:
    """A known number, given as a number or as digits in a string (as ECS and SQS take some); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def items(value: Any) -> list[Any]:
    """The known items of a list parameter: an unknown list, or an unknown item, contributes nothing."""
    if not isinstance(value, list):
        return []
    return [item for item in value if item != UNKNOWN]


def indexed(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a list parameter with their index (fields are named ``list[index].key``); unknown items
    are left out."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def whole_list(value: Any) -> Optional[list[Any]]:
    """A list parameter whose every item is known (absent is empty), for rules about the list as a whole; None
    when any of it is unknown."""
    if value is None:
        return []
    return value if isinstance(value, list) and UNKNOWN not in value else None


def dig(value: Any, *keys: str) -> Any:
    """A nested parameter, or None when an object on the way is absent, unknown or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


# Outputs and inputs that name a resource in another resource's inputs: ARNs, ids, names, URLs, families.
_IDENTIFYING = ("arn", "id", "name", "family", "url", "arnWithoutRevision")


def identifiers(resource: Registration) -> Iterator[str]:
    """Every known value by which another resource's input may name this one (a task definition also by
    family:revision)."""
    for source in (resource.outputs, resource.inputs):
        for key in _IDENTIFYING:
            value = source.get(key)
            if isinstance(value, str) and value and value != UNKNOWN:
                yield value
    if resource.id and resource.id != UNKNOWN:
        yield resource.id
    family, revision = resource.outputs.get("family"), resource.outputs.get("revision")
    if known(family) and known(revision) and family and revision:
        yield f"{family}:{text(revision)}"


class Stack:
    """The requests of one program run, by operation, and what their references resolve to."""

    def __init__(self, requests: list[ApiRequest]) -> None:
        # By resource (each resource's requests in their own order), not by registration: the order a program's
        # resources reach the engine varies from run to run, and when two resources clash (the same certificate,
        # the same rule) the one reported must not.
        self.requests = sorted(requests, key=lambda request: request.resource.urn)
        self._by_label: dict[str, list[ApiRequest]] = defaultdict(list)
        for request in self.requests:
            self._by_label[request.label].append(request)
        self._identified: dict[str, dict[str, ApiRequest]] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """What ``compute`` returns, worked out once per stack (for facts several rules share)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def of(self, label: str) -> list[ApiRequest]:
        return self._by_label.get(label, [])

    def referenced(self, request: ApiRequest, prop: str, label: str, value: Any) -> Optional[ApiRequest]:
        """The ``label`` request of the resource that ``value`` (found under the input ``prop`` of ``request``'s
        resource) refers to. A known value must name one (by ARN, id, name...): a value naming nothing in the
        program refers to something outside it. An unknown value is followed through the property's dependencies
        when they lead to exactly one resource of that kind."""
        if value is None:
            return None
        if known(value):
            return self._index(label).get(value) if isinstance(value, str) else None
        return self.depended(request, prop, label)

    def depended(self, request: ApiRequest, prop: str, label: str) -> Optional[ApiRequest]:
        """The one ``label`` request whose resource the input ``prop`` of ``request``'s resource depends on."""
        urns = set(request.resource.property_dependencies.get(prop, []))
        found = [r for r in self.of(label) if r.resource.urn in urns]
        return found[0] if len(found) == 1 else None

    def _index(self, label: str) -> dict[str, ApiRequest]:
        if label not in self._identified:
            index: dict[str, ApiRequest] = {}
            for request in self.of(label):
                for identifier in identifiers(request.resource):
                    index.setdefault(identifier, request)
            self._identified[label] = index
        return self._identified[label]


def depends_on(request: ApiRequest, other: ApiRequest) -> bool:
    """Whether Pulumi creates ``other``'s resource before ``request``'s (a dependency of any kind)."""
    resource, urn = request.resource, other.resource.urn
    return urn in resource.dependencies or any(urn in urns for urns in resource.property_dependencies.values())
