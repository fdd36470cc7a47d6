"""ecs_platform: Pulumi components for production ECS on Fargate."""

from .cluster import CapacityProviderStrategyItem, Cluster, ClusterArgs
from .enums import CapacityProvider, ContainerInsights, ListenerProtocol, NatGatewayStrategy, VpcEndpointService
from .load_balancer import LoadBalancer, LoadBalancerArgs
from .network import Network, NetworkArgs

__all__ = [
    "CapacityProvider",
    "CapacityProviderStrategyItem",
    "Cluster",
    "ClusterArgs",
    "ContainerInsights",
    "ListenerProtocol",
    "LoadBalancer",
    "LoadBalancerArgs",
    "NatGatewayStrategy",
    "Network",
    "NetworkArgs",
    "VpcEndpointService",
]
