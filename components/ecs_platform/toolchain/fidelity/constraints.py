"""Constraints AWS enforces that its API models do not express, each with where AWS documents it.

The rules live in :mod:`.rules`, one module per service. Every rule reads the requests of the whole stack (some
constraints span resources: a service and its task definition and target groups, a scaling policy and its scalable
target, a queue and its dead-letter queue) and yields ``(request, field, message)`` for each breach. When two rules
find the same field wrong (a link on Fargate is also a link outside bridge mode), the first one to speak is kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from .requests import ApiRequest
from .rules import CHECKS, Finding, Stack
from .rules.iam import policy_problems

__all__ = ["CHECKS", "Finding", "policy_problems", "run_checks"]


def run_checks(requests: list[ApiRequest]) -> Iterator[Finding]:
    stack = Stack(requests)
    spoken: dict[tuple[str, str, str], object] = {}
    for check in CHECKS:
        for request, field, message in check(stack):
            key = (request.resource.urn, request.label, field)
            if spoken.setdefault(key, check) is check:
                yield request, field, message
