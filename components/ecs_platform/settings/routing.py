"""The checks of listener rules across services: priorities, unique per listener, and routes, each answered by
one service; and the internal load balancer's section, which configures something only when a service uses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..enums import ServiceExposure
from .base import KeyProblem
from .services import ServiceSettings


def _priorities(service: ServiceSettings) -> range:
    """The priorities of a service's listener rules: priority, priority + 1, ... one per rule."""
    return range(service.priority or 0, (service.priority or 0) + service.rule_count())


def unique_priorities(services: dict[str, ServiceSettings]) -> dict[str, ServiceSettings]:
    """Priorities are unique per listener: a service's rules take priority to priority + rules - 1 on its load
    balancer's listener, and those of the public and the internal load balancer do not meet."""
    seen: dict[tuple[ServiceExposure, int], str] = {}
    for name, service in services.items():
        mine = _priorities(service)
        for priority in mine:
            other = seen.get((service.load_balancer, priority))
            if other is not None:
                theirs = _priorities(services[other])
                raise KeyProblem(f"{name}.priority", (
                    f"{_span(mine)} overlaps service {other}'s {_span(theirs)} on the {service.load_balancer.value} "
                    "load balancer's listener (one priority per rule; more than 3 hosts take several)"))
        seen.update({(service.load_balancer, p): name for p in mine})
    return services


def _span(priorities: range) -> str:
    if len(priorities) == 1:
        return f"priority {priorities.start}"
    return f"priorities {priorities.start} to {priorities.stop - 1}"


def routes(stack: Any) -> Iterator[KeyProblem]:
    """Two services answering the same path on the same hosts: the lower priority would never be reached."""
    seen: dict[tuple[ServiceExposure, str, str], str] = {}
    for name, service in stack.services.items():
        if service.load_balancer is ServiceExposure.NONE:
            continue
        for host in service.host_headers or ["*"]:
            for path in service.path_patterns or ["/*"]:
                other = seen.get((service.load_balancer, host, path))
                if other is not None:
                    yield KeyProblem(f"services.{name}.pathPatterns",
                                     f"{path} is already routed to service {other}"
                                     + (f" for host {host}" if host != "*" else ""))
                seen[(service.load_balancer, host, path)] = name


def internal_load_balancer_used(stack: Any) -> Iterator[KeyProblem]:
    """The internal load balancer exists for the services that use it: its section alone would configure nothing."""
    if stack.internal_load_balancer is not None and not any(
            s.load_balancer is ServiceExposure.INTERNAL for s in stack.services.values()):
        yield KeyProblem("internalLoadBalancer", "no service has loadBalancer: internal, so there is no internal "
                                                 "load balancer to configure; remove it or route a service through it")
