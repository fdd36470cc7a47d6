"""Facts about ECS resources that several rules share: which capacity a service runs on, which task definitions
run on Fargate, the containers of a task definition, and task sizes in the units AWS accepts."""

from __future__ import annotations

import re
from typing import Any, Optional

from ..requests import ApiRequest
from .base import Stack, indexed, items, known, whole_list

TASK_DEFINITION = "ecs:RegisterTaskDefinition"
SERVICE = "ecs:CreateService"
CLUSTER = "ecs:CreateCluster"
CLUSTER_PROVIDERS = "ecs:PutClusterCapacityProviders"
FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})


def containers(definition: ApiRequest) -> list[tuple[int, dict[str, Any]]]:
    """The known container definitions of a task definition, with their index."""
    return indexed(definition.params.get("containerDefinitions"))


def all_containers(definition: ApiRequest) -> Optional[list[dict[str, Any]]]:
    """Every container definition when all of them are known (None at a preview that cannot tell)."""
    listed = whole_list(definition.params.get("containerDefinitions"))
    if listed is None or not all(isinstance(c, dict) for c in listed):
        return None
    return listed


def network_mode(definition: ApiRequest) -> Any:
    """The task's network mode; RegisterTaskDefinition defaults to bridge."""
    return definition.params.get("networkMode", "bridge")


def runtime_platform(definition: ApiRequest, key: str) -> Any:
    platform = definition.params.get("runtimePlatform")
    return platform.get(key) if isinstance(platform, dict) else None


def is_windows(definition: ApiRequest) -> bool:
    family = runtime_platform(definition, "operatingSystemFamily")
    return isinstance(family, str) and family.startswith("WINDOWS")


_VCPU = re.compile(r"^\s*(\d+(\.\d+)?)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*(\d+(\.\d+)?)\s*gb\s*$", re.IGNORECASE)


def cpu_units(value: Any) -> Optional[float]:
    """Task cpu as CPU units: RegisterTaskDefinition takes units (1024) or vCPUs as text ("1 vCPU")."""
    return _scaled(value, _VCPU, 1024)


def memory_mib(value: Any) -> Optional[float]:
    """Task memory in MiB: RegisterTaskDefinition takes MiB (2048) or GB as text ("2 GB")."""
    return _scaled(value, _GB, 1024)


def _scaled(value: Any, unit: re.Pattern[str], factor: int) -> Optional[float]:
    if isinstance(value, bool) or value is None or not known(value):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    match = unit.match(text)
    return float(match.group(1)) * factor if match else None


def task_definition_of(stack: Stack, service: ApiRequest) -> Optional[ApiRequest]:
    return stack.referenced(service, "taskDefinition", TASK_DEFINITION, service.params.get("taskDefinition"))


def cluster_of(stack: Stack, service: ApiRequest) -> Optional[ApiRequest]:
    return stack.referenced(service, "cluster", CLUSTER, service.params.get("cluster", "default"))


def capacity_providers_of(stack: Stack, cluster: ApiRequest) -> list[ApiRequest]:
    """The ClusterCapacityProviders associations of a cluster in the program."""
    return [p for p in stack.of(CLUSTER_PROVIDERS)
            if stack.referenced(p, "clusterName", CLUSTER, p.params.get("cluster")) is cluster]


def capacity(stack: Stack, service: ApiRequest) -> Optional[frozenset[str]]:
    """What a service runs on: its launch type, the providers of its strategy, or (with neither) the providers of
    its cluster's default strategy, EC2 when the cluster has none (CreateService). None when that is unknown."""
    launch_type = service.params.get("launchType")
    if launch_type is not None:
        return frozenset({launch_type}) if known(launch_type) else None
    strategy = service.params.get("capacityProviderStrategy")
    if strategy is not None:
        return _providers(strategy)
    cluster = cluster_of(stack, service)
    if cluster is None:
        return None
    associations = capacity_providers_of(stack, cluster)
    if not associations:
        return frozenset({"EC2"})
    return _providers(associations[0].params.get("defaultCapacityProviderStrategy")) or frozenset({"EC2"})


def _providers(strategy: Any) -> Optional[frozenset[str]]:
    listed = whole_list(strategy)
    if listed is None or not all(isinstance(s, dict) and known(s.get("capacityProvider")) for s in listed):
        return None
    return frozenset(s.get("capacityProvider") for s in listed)


def on_fargate(stack: Stack, service: ApiRequest) -> bool:
    return bool((capacity(stack, service) or frozenset()) & FARGATE_PROVIDERS)


def fargate_definitions(stack: Stack) -> list[tuple[ApiRequest, str]]:
    """Task definitions that must satisfy Fargate, with how the message says so: those that require FARGATE
    compatibility, and those a service runs on Fargate (ECS validates them against Fargate when the service is
    created)."""
    def compute() -> list[tuple[ApiRequest, str]]:
        found: dict[str, tuple[ApiRequest, str]] = {}
        for definition in stack.of(TASK_DEFINITION):
            if "FARGATE" in items(definition.params.get("requiresCompatibilities")):
                found[definition.resource.urn] = (definition, "Fargate")
        for service in stack.of(SERVICE):
            definition = task_definition_of(stack, service)
            if definition is not None and definition.resource.urn not in found and on_fargate(stack, service):
                where = f"Fargate (service {service.resource.name} runs it there)"
                found[definition.resource.urn] = (definition, where)
        return list(found.values())
    return stack.memo("fargate-definitions", compute)
