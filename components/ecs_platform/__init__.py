"""ecs_platform: Pulumi components for production ECS on Fargate.

The public API is what this module exports; each name is imported when first used, so a program pays for the
components it uses and the offline toolchain starts without loading the AWS SDK. The offline toolchain (``ecs_platform.toolchain``: plan, fidelity,
policy runner) is an extra the components never import; ``ecs_platform.testing`` helps consumers test their
programs under mocks.
"""

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from ._service import Deployment, Placement, ServiceAlarms, ServiceConnect
    from ._volumes import EbsVolume
    from .cluster import CapacityProviderStrategyItem, Cluster, ClusterArgs
    from .enums import (
        CapacityProvider,
        ContainerInsights,
        CpuArchitecture,
        DeploymentStrategy,
        ListenerProtocol,
        NatGatewayStrategy,
        ServiceExposure,
        StickinessType,
        VpcEndpointService,
        WorkerScalingMode,
    )
    from .file_system import FileSystem, FileSystemArgs
    from .image_repository import ImageBuild, ImageRepository, ImageRepositoryArgs
    from .load_balancer import LoadBalancer, LoadBalancerArgs
    from .network import Network, NetworkArgs
    from .queue_worker import QueueArgs, QueueWorker, QueueWorkerArgs, ScalingStep, WorkerScaling
    from .registry_scanning import RegistryScanning, RegistryScanningArgs
    from .scheduled_task import ScheduledTask, ScheduledTaskArgs, ScheduleRetry
    from .task_definition import ContainerHealthCheck, EfsVolume, PolicyStatement, Publish, Sidecar, TaskArgs
    from .topics import Subscription, Topic, TopicArgs
    from .web_service import Stickiness, TargetHealthCheck, WebAutoscaling, WebService, WebServiceArgs

_EXPORTS = {
    "CapacityProvider": ".enums",
    "CapacityProviderStrategyItem": ".cluster",
    "Cluster": ".cluster",
    "ClusterArgs": ".cluster",
    "ContainerHealthCheck": ".task_definition",
    "ContainerInsights": ".enums",
    "CpuArchitecture": ".enums",
    "Deployment": "._service",
    "DeploymentStrategy": ".enums",
    "EbsVolume": "._volumes",
    "EfsVolume": ".task_definition",
    "FileSystem": ".file_system",
    "FileSystemArgs": ".file_system",
    "ImageBuild": ".image_repository",
    "ImageRepository": ".image_repository",
    "ImageRepositoryArgs": ".image_repository",
    "ListenerProtocol": ".enums",
    "LoadBalancer": ".load_balancer",
    "LoadBalancerArgs": ".load_balancer",
    "NatGatewayStrategy": ".enums",
    "Network": ".network",
    "ServiceExposure": ".enums",
    "Stickiness": ".web_service",
    "StickinessType": ".enums",
    "NetworkArgs": ".network",
    "Placement": "._service",
    "PolicyStatement": ".task_definition",
    "Publish": ".task_definition",
    "QueueArgs": ".queue_worker",
    "QueueWorker": ".queue_worker",
    "QueueWorkerArgs": ".queue_worker",
    "RegistryScanning": ".registry_scanning",
    "RegistryScanningArgs": ".registry_scanning",
    "ScalingStep": ".queue_worker",
    "ScheduleRetry": ".scheduled_task",
    "ScheduledTask": ".scheduled_task",
    "ScheduledTaskArgs": ".scheduled_task",
    "ServiceAlarms": "._service",
    "ServiceConnect": "._service",
    "Sidecar": ".task_definition",
    "Subscription": ".topics",
    "TargetHealthCheck": ".web_service",
    "TaskArgs": ".task_definition",
    "Topic": ".topics",
    "TopicArgs": ".topics",
    "VpcEndpointService": ".enums",
    "WebAutoscaling": ".web_service",
    "WebService": ".web_service",
    "WebServiceArgs": ".web_service",
    "WorkerScaling": ".queue_worker",
    "WorkerScalingMode": ".enums",
}
"""Each public name and the module that defines it, imported on first use (PEP 562)."""

__all__ = [
    "__version__",
    "CapacityProvider",
    "CapacityProviderStrategyItem",
    "Cluster",
    "ClusterArgs",
    "ContainerHealthCheck",
    "ContainerInsights",
    "CpuArchitecture",
    "Deployment",
    "DeploymentStrategy",
    "EbsVolume",
    "EfsVolume",
    "FileSystem",
    "FileSystemArgs",
    "ImageBuild",
    "ImageRepository",
    "ImageRepositoryArgs",
    "ListenerProtocol",
    "LoadBalancer",
    "LoadBalancerArgs",
    "NatGatewayStrategy",
    "Network",
    "ServiceExposure",
    "Stickiness",
    "StickinessType",
    "NetworkArgs",
    "Placement",
    "PolicyStatement",
    "Publish",
    "QueueArgs",
    "QueueWorker",
    "QueueWorkerArgs",
    "RegistryScanning",
    "RegistryScanningArgs",
    "ScalingStep",
    "ScheduleRetry",
    "ScheduledTask",
    "ScheduledTaskArgs",
    "ServiceAlarms",
    "ServiceConnect",
    "Sidecar",
    "Subscription",
    "TargetHealthCheck",
    "TaskArgs",
    "Topic",
    "TopicArgs",
    "VpcEndpointService",
    "WebAutoscaling",
    "WebService",
    "WebServiceArgs",
    "WorkerScaling",
    "WorkerScalingMode",
]


def __getattr__(name: str) -> Any:
    """Import a component (and the parts of the AWS SDKs it needs) when it is first used, so that importing
    ``ecs_platform.offline`` or the toolchain does not load the whole of pulumi_aws."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
