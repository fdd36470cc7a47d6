"""Documented AWS rules for servicediscovery requests the service models do not carry: the Cloud Map namespaces
ECS Service Connect uses (CreateHttpNamespace, and the namespaces CreateService and CreateCluster name).

Sources are the ECS API reference (ServiceConnectConfiguration, ClusterServiceConnectDefaultsRequest) and the Cloud
Map API reference (CreateHttpNamespace).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..requests import ApiRequest
from .base import Finding, Stack, dig, known, rule, show
from .ecs_facts import CLUSTER, SERVICE


def _namespaces(stack: Stack) -> Iterator[tuple[ApiRequest, str, Any, Any]]:
    """(request, field, namespace, cluster ARN) for every namespace a service or cluster names."""
    for service in stack.of(SERVICE):
        namespace = dig(service.params, "serviceConnectConfiguration", "namespace")
        if namespace is not None:
            yield service, "serviceConnectConfiguration.namespace", namespace, service.params.get("cluster")
    for cluster in stack.of(CLUSTER):
        namespace = dig(cluster.params, "serviceConnectDefaults", "namespace")
        if namespace is not None:
            yield cluster, "serviceConnectDefaults.namespace", namespace, None


def _region(arn: Any) -> Any:
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[3] if len(parts) > 3 else None


@rule
def service_connect_namespace_region(stack: Stack) -> Iterator[Finding]:
    """ServiceConnectConfiguration namespace: "The namespace name or full Amazon Resource Name (ARN) of the Cloud Map
    namespace ... The namespace must be in the same Amazon Web Services Region as the Amazon ECS service and
    cluster"; an ARN names a Cloud Map namespace (`servicediscovery`, `namespace/ns-...`)."""
    for request, field, namespace, cluster_arn in _namespaces(stack):
        if not isinstance(namespace, str) or not known(namespace) or not namespace.startswith("arn:"):
            continue
        parts = namespace.split(":")
        if len(parts) < 6 or parts[2] != "servicediscovery" or not parts[5].startswith("namespace/"):
            yield request, field, f"is not the ARN of a Cloud Map namespace; got {show(namespace)}"
            continue
        region = _region(cluster_arn) if known(cluster_arn) else None
        if region and region != parts[3]:
            yield (request, field, f"namespace is in {parts[3]}, the cluster in {region}; Service Connect needs both "
                                   "in the same region")

