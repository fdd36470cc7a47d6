"""ecs_platform: Pulumi components for production ECS on Fargate.

The public API is what this module exports. The offline toolchain (``ecs_platform.toolchain``: plan, fidelity,
policy runner) is an extra the components never import; ``ecs_platform.testing`` helps consumers test their
programs under mocks.
"""

__version__ = "0.2.0"

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from ._service import Deployment, Placement, ServiceAlarms, ServiceConnect
from .cluster import CapacityProviderStrategyItem, Cluster, ClusterArgs
from .enums import (
    CapacityProvider,
    ContainerInsights,
    CpuArchitecture,
    DeploymentStrategy,
    ListenerProtocol,
    NatGatewayStrategy,
    VpcEndpointService,
    WorkerScalingMode,
)
from .image_repository import ImageBuild, ImageRepository, ImageRepositoryArgs
from .load_balancer import LoadBalancer, LoadBalancerArgs
from .network import Network, NetworkArgs
from .queue_worker import QueueArgs, QueueWorker, QueueWorkerArgs, ScalingStep, WorkerScaling
from .registry_scanning import RegistryScanning, RegistryScanningArgs
from .scheduled_task import ScheduledTask, ScheduledTaskArgs, ScheduleRetry
from .task_definition import ContainerHealthCheck, PolicyStatement, Sidecar, TaskArgs
from .web_service import TargetHealthCheck, WebAutoscaling, WebService, WebServiceArgs

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
    "ImageBuild",
    "ImageRepository",
    "ImageRepositoryArgs",
    "ListenerProtocol",
    "LoadBalancer",
    "LoadBalancerArgs",
    "NatGatewayStrategy",
    "Network",
    "NetworkArgs",
    "Placement",
    "PolicyStatement",
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
    "TargetHealthCheck",
    "TaskArgs",
    "VpcEndpointService",
    "WebAutoscaling",
    "WebService",
    "WebServiceArgs",
    "WorkerScaling",
    "WorkerScalingMode",
]
