"""API requests of ECS Managed Instances capacity providers (registered into :data:`.requests.MAPPERS`).

CreateCapacityProvider as terraform-provider-aws sends it for `managed_instances_provider` (internal/service/ecs/
capacity_provider.go, expandManagedInstancesProvider), in botocore's member names (ecs 2014-11-13
CreateManagedInstancesProviderConfiguration, InstanceLaunchTemplate, InstanceRequirementsRequest).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecs_platform.offline.engine import Registration
from .requests import ApiRequest, _block, _name, maps, request

_RANGES = {"vcpuCount": "vCpuCount", "memoryMib": "memoryMiB", "acceleratorCount": "acceleratorCount"}


def _range(value: dict[str, Any]) -> dict[str, Any]:
    return {"min": value.get("min"), "max": value.get("max")}


def _requirements(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {api: _block(r.get(key), _range) for key, api in _RANGES.items()}
    for key in ("cpuManufacturers", "acceleratorTypes", "acceleratorManufacturers", "allowedInstanceTypes",
                "excludedInstanceTypes"):
        out[key] = r.get(key)
    return out


def _template(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "ec2InstanceProfileArn": t.get("ec2InstanceProfileArn"),
        "networkConfiguration": _block(t.get("networkConfiguration"), lambda n: {
            "subnets": n.get("subnets"), "securityGroups": n.get("securityGroups")}),
        "storageConfiguration": _block(t.get("storageConfiguration"), lambda s: {
            "storageSizeGiB": s.get("storageSizeGib")}),
        "monitoring": t.get("monitoring"),
        "capacityOptionType": t.get("capacityOptionType"),
        "instanceRequirements": _block(t.get("instanceRequirements"), _requirements),
    }


@maps("aws:ecs/capacityProvider:CapacityProvider")
def capacity_provider(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ecs", "CreateCapacityProvider", {
        "name": _name(r),
        "cluster": i.get("cluster"),
        "managedInstancesProvider": _block(i.get("managedInstancesProvider"), lambda m: {
            "infrastructureRoleArn": m.get("infrastructureRoleArn"),
            "instanceLaunchTemplate": _block(m.get("instanceLaunchTemplate"), _template),
            "propagateTags": m.get("propagateTags"),
            "infrastructureOptimization": _block(m.get("infrastructureOptimization"), lambda o: {
                "scaleInAfter": o.get("scaleInAfter")}),
        }),
    }, r)
