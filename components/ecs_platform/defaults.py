"""Every default of the platform, in one place.

The stack settings (`settings.py`) and the component args both read these, so a stack file that leaves a key out
and a program that builds a component directly get the same thing. Changing one is a breaking change: the tests pin
the ones that matter.
"""

from __future__ import annotations

from .enums import CapacityProvider, ContainerInsights, ListenerProtocol, NatGatewayStrategy

# Logs -------------------------------------------------------------------------------------------------------------
LOG_RETENTION_DAYS = 30
"""Days every log group of the platform keeps events (flow logs, ECS Exec audit, task logs)."""

# Network ----------------------------------------------------------------------------------------------------------
VPC_CIDR = "10.0.0.0/16"
AZ_COUNT = 3
"""Three AZs: a service with three tasks survives the loss of one AZ with two thirds of its capacity."""
MIN_AZ_COUNT, MAX_AZ_COUNT = 2, 6
"""An ALB needs subnets in at least two AZs (ELB.13); no region offers more than six."""
NAT_GATEWAY_STRATEGY = NatGatewayStrategy.ONE_PER_AZ
PUBLIC_SUBNET_PREFIX = 24
"""256 addresses per AZ: the load balancer's nodes and the NAT gateways, nothing else lives there."""
PRIVATE_SUBNET_PREFIX = 20
"""4096 addresses per AZ: every Fargate task takes one (awsvpc), so this bounds tasks per AZ."""

# Load balancer ----------------------------------------------------------------------------------------------------
LISTENER_PROTOCOL = ListenerProtocol.HTTPS
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 with forward-secret ciphers only (Security Hub ELB.17)."""
INGRESS_CIDRS = ("0.0.0.0/0",)
IDLE_TIMEOUT_SECONDS = 60
DELETION_PROTECTION = True
ACCESS_LOGS = True
ACCESS_LOG_RETENTION_DAYS = 90
"""Days the access log bucket keeps objects before they expire."""

# Cluster ----------------------------------------------------------------------------------------------------------
CONTAINER_INSIGHTS = ContainerInsights.ENABLED
DEFAULT_CAPACITY_PROVIDER_STRATEGY: tuple[tuple[CapacityProvider, int, int], ...] = (
    (CapacityProvider.FARGATE, 1, 1),
)
"""(provider, weight, base): on-demand only unless a stack opts into Spot."""
