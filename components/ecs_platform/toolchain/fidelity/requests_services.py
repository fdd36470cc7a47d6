"""API requests of the services resources (registered into :data:`.requests.MAPPERS` with `@maps`).

Cloud Map HTTP namespaces (Service Connect) and the cluster's Service Connect defaults, which the cluster mapper in
:mod:`.requests` does not send.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_platform.offline.engine import Registration
from .requests import ApiRequest, cluster, maps, request


@maps("aws:servicediscovery/httpNamespace:HttpNamespace")
def http_namespace(r: Registration) -> Iterator[ApiRequest]:
    # The provider sends a fresh CreatorRequestId (an idempotency token); it is left out rather than invented.
    yield request("servicediscovery", "CreateHttpNamespace", {
        "Name": r.outputs.get("name") or r.inputs.get("name"),
        "Description": r.inputs.get("description"),
    }, r)


@maps("aws:ecs/cluster:Cluster")
def cluster_with_service_connect(r: Registration) -> Iterator[ApiRequest]:
    """CreateCluster as :func:`.requests.cluster` maps it, plus `serviceConnectDefaults`."""
    defaults = r.inputs.get("serviceConnectDefaults")
    for created in cluster(r):
        if defaults:
            namespace = defaults.get("namespace") if isinstance(defaults, dict) else defaults
            created.params["serviceConnectDefaults"] = {"namespace": namespace}
        yield created
