"""Choices shared by the stack settings and the component args.

Each is a ``str`` Enum so that the value written in a stack file, the value a component receives and the value the
Pulumi component schema publishes to other languages are the same string.
"""

from __future__ import annotations

from enum import Enum


class NatGatewayStrategy(str, Enum):
    """What gives the private subnets their way out to the internet: NAT gateways (how many), or a NAT instance."""

    SINGLE = "single"
    """One NAT gateway for the whole VPC: cheaper, but one AZ outage cuts every private subnet off."""
    ONE_PER_AZ = "onePerAz"
    """One NAT gateway per availability zone, so an AZ outage only affects that AZ."""
    INSTANCE = "instance"
    """One NAT instance (t4g.nano by default) instead of NAT gateways, for development: a single point of failure
    for egress, for a few dollars a month instead of about $36 per NAT gateway."""


class VpcEndpointService(str, Enum):
    """AWS services reachable from the private subnets without leaving the VPC."""

    S3 = "s3"
    """Gateway endpoint (free): ECR image layers are served from S3."""
    ECR_API = "ecrApi"
    """Interface endpoint for the ECR API (image manifests, auth tokens)."""
    ECR_DKR = "ecrDkr"
    """Interface endpoint for the Docker registry protocol of ECR."""
    LOGS = "logs"
    """Interface endpoint for CloudWatch Logs (the awslogs driver)."""
    SECRETS_MANAGER = "secretsManager"
    """Interface endpoint for Secrets Manager (task secrets)."""
    SSM = "ssm"
    """Interface endpoint for SSM Parameter Store (task secrets)."""


# The suffix of the AWS service name `com.amazonaws.<region>.<suffix>` of each endpoint.
ENDPOINT_SERVICE_SUFFIX: dict[VpcEndpointService, str] = {
    VpcEndpointService.S3: "s3",
    VpcEndpointService.ECR_API: "ecr.api",
    VpcEndpointService.ECR_DKR: "ecr.dkr",
    VpcEndpointService.LOGS: "logs",
    VpcEndpointService.SECRETS_MANAGER: "secretsmanager",
    VpcEndpointService.SSM: "ssm",
}

GATEWAY_ENDPOINTS = frozenset({VpcEndpointService.S3})


class ListenerProtocol(str, Enum):
    """What the load balancer's public listener speaks."""

    HTTPS = "HTTPS"
    """HTTPS on 443 with an ACM certificate, plus HTTP on 80 that only redirects to HTTPS."""
    HTTP = "HTTP"
    """Plain HTTP on 80 (development only: traffic is not encrypted)."""


class ContainerInsights(str, Enum):
    """CloudWatch Container Insights level of the cluster."""

    ENABLED = "enabled"
    """Task and service level metrics."""
    ENHANCED = "enhanced"
    """Adds container level metrics and curated dashboards (billed per metric)."""
    DISABLED = "disabled"
    """No Container Insights metrics (development: they are billed per metric; Security Hub ECS.12 flags it)."""


class CapacityProvider(str, Enum):
    """Fargate capacity providers a service can place tasks on."""

    FARGATE = "FARGATE"
    """On-demand Fargate."""
    FARGATE_SPOT = "FARGATE_SPOT"
    """Spare capacity at a discount; tasks can be stopped with a two-minute warning."""


class CpuArchitecture(str, Enum):
    """CPU architecture of a task's containers (the image must be built for it)."""

    X86_64 = "X86_64"
    """Intel/AMD."""
    ARM64 = "ARM64"
    """Graviton: about 20% cheaper per vCPU-hour (on FARGATE_SPOT from platform version 1.4.0)."""


class WorkerScalingMode(str, Enum):
    """How a queue worker follows its queue."""

    STEPS = "steps"
    """Step scaling on the number of visible messages (scale out at thresholds, scale in when idle)."""
    BACKLOG = "backlog"
    """Target tracking on backlog per task (visible messages / running tasks) against a target derived from the
    acceptable latency and the seconds each message takes."""


class ServiceExposure(str, Enum):
    """Which load balancer, if any, a web service takes its traffic from (stack file: services.<n>.loadBalancer)."""

    PUBLIC = "public"
    """A listener rule on the internet-facing load balancer."""
    INTERNAL = "internal"
    """A listener rule on the stack's internal load balancer, in the private subnets."""
    NONE = "none"
    """No load balancer: reached only through Service Connect."""


class StickinessType(str, Enum):
    """Which cookie keeps a client on one target (the target group's stickiness.type)."""

    LB_COOKIE = "lbCookie"
    """A cookie the load balancer generates (AWSALB)."""
    APP_COOKIE = "appCookie"
    """A cookie the application sets, named by cookieName."""


STICKINESS_TYPE: dict[StickinessType, str] = {StickinessType.LB_COOKIE: "lb_cookie",
                                              StickinessType.APP_COOKIE: "app_cookie"}
"""The value of each stickiness type in the ELB API (TargetGroupAttribute stickiness.type)."""


class DeploymentStrategy(str, Enum):
    """How ECS rolls out a new revision of a service (the ECS deployment controller's strategies)."""

    ROLLING = "rolling"
    """Replace tasks a few at a time within minimum healthy and maximum percent, the circuit breaker rolling back a
    rollout that cannot become healthy."""
    BLUE_GREEN = "blueGreen"
    """Start the whole new revision beside the old one, shift all traffic at once, keep the old one for the bake time
    so a rollback is a switch back."""
    CANARY = "canary"
    """Like blueGreen, but shift a small share of traffic first and the rest after the canary bake time."""
    LINEAR = "linear"
    """Like blueGreen, but shift traffic in equal steps with a bake time after each."""


ECS_DEPLOYMENT_STRATEGY: dict[DeploymentStrategy, str] = {
    DeploymentStrategy.ROLLING: "ROLLING",
    DeploymentStrategy.BLUE_GREEN: "BLUE_GREEN",
    DeploymentStrategy.CANARY: "CANARY",
    DeploymentStrategy.LINEAR: "LINEAR",
}
"""The value of each strategy in the ECS API (DeploymentConfiguration.strategy)."""

PROGRESSIVE_STRATEGIES = frozenset(
    {DeploymentStrategy.BLUE_GREEN, DeploymentStrategy.CANARY, DeploymentStrategy.LINEAR})
"""The strategies that run the new revision beside the old one and shift traffic between them."""


class AcceleratorType(str, Enum):
    """Accelerators a Managed Instances capacity provider asks its instances to carry (EC2 instance requirements
    acceleratorTypes)."""

    GPU = "gpu"
    """GPU instances (g5, g6, p4...): tasks reserve GPUs with `gpus`."""
    INFERENCE = "inference"
    """AWS Inferentia instances (inf1, inf2)."""


class InstanceCapacity(str, Enum):
    """How a Managed Instances capacity provider buys its instances (capacityOptionType)."""

    ON_DEMAND = "onDemand"
    """On-Demand instances."""
    SPOT = "spot"
    """Spot instances: cheaper, stopped with a two-minute notice."""


INSTANCE_CAPACITY_OPTION: dict[InstanceCapacity, str] = {
    InstanceCapacity.ON_DEMAND: "ON_DEMAND",
    InstanceCapacity.SPOT: "SPOT",
}
"""The value of each choice in the ECS API (InstanceLaunchTemplate.capacityOptionType)."""


class InstanceMonitoring(str, Enum):
    """CloudWatch monitoring of Managed Instances."""

    BASIC = "basic"
    """Five-minute EC2 metrics, free (the AWS default)."""
    DETAILED = "detailed"
    """One-minute EC2 metrics, billed per metric."""
