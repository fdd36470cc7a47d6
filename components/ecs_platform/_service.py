"""Pieces both service components share: where and how they deploy, the ECS service, its security group and its
scalable target."""

from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import defaults, validation
from .cluster import CapacityProviderStrategyItem, strategy_items
from .enums import CapacityProvider


class Placement(TypedDict):
    """Where a service's tasks run."""

    cluster_arn: pulumi.Input[str]
    """Cluster the service runs in."""
    cluster_name: pulumi.Input[str]
    """Name of that cluster (autoscaling resource ids and Container Insights metrics use it)."""
    vpc_id: pulumi.Input[str]
    """VPC of the task security group (and a web service's target group)."""
    subnet_ids: pulumi.Input[list[str]]
    """Private subnets the tasks run in."""
    execute_command_log_group_name: NotRequired[pulumi.Input[str]]
    """The cluster's ECS Exec audit log group; with ECS Exec on, the task role may write to it."""


class Deployment(TypedDict):
    """How new task definitions roll out, and whether ECS Exec is allowed."""

    minimum_healthy_percent: NotRequired[int]
    """Share of the desired count kept running during a deployment, 0 to 100. Default: 100."""
    maximum_percent: NotRequired[int]
    """Ceiling on running tasks during a deployment, 100 to 200. Default: 200."""
    enable_execute_command: NotRequired[bool]
    """Allow ECS Exec shells into the tasks. Default: false."""
    wait_for_steady_state: NotRequired[bool]
    """Make `pulumi up` wait until the rollout has finished, and fail when it does not: a rollout the circuit breaker
    rolls back, stops or cannot finish in time fails the update. Default: false."""
    steady_state_timeout_minutes: NotRequired[int]
    """How long `pulumi up` waits for the rollout (the service's create and update timeouts), 5 to 1440. Only with
    wait_for_steady_state. Default: 30."""


@dataclass(frozen=True)
class CheckedDeployment:
    """A Deployment with its defaults applied and its bounds checked."""

    minimum_healthy_percent: int
    maximum_percent: int
    enable_execute_command: bool
    wait_for_steady_state: bool
    steady_state_timeout_minutes: int

    @property
    def custom_timeouts(self) -> Optional[pulumi.CustomTimeouts]:
        """Create and update timeouts of the service when `pulumi up` waits for its rollouts."""
        if not self.wait_for_steady_state:
            return None
        minutes = f"{self.steady_state_timeout_minutes}m"
        return pulumi.CustomTimeouts(create=minutes, update=minutes)


def checked_strategy(
    items: Optional[list[CapacityProviderStrategyItem]],
    fallback: tuple[tuple[CapacityProvider, int, int], ...],
) -> list[tuple[CapacityProvider, int, int]]:
    return strategy_items(items) if items is not None else [(p, w, b) for p, w, b in fallback]


def checked_deployment(minimum_healthy: int, maximum: int) -> None:
    if not 0 <= minimum_healthy <= 100:
        raise ValueError(f"minimum_healthy_percent must be 0 to 100; got {minimum_healthy}")
    if not 100 <= maximum <= 200:
        raise ValueError(f"maximum_percent must be 100 to 200; got {maximum}")


def steady_state_timeout_problem(minutes: int) -> Optional[str]:
    """Why ``minutes`` cannot be the steady-state timeout, or None. Below five minutes a healthy rollout (image pull,
    start, grace period, health checks, draining the old tasks) often cannot finish, and the update would fail."""
    low, high = defaults.MIN_STEADY_STATE_TIMEOUT_MINUTES, defaults.MAX_STEADY_STATE_TIMEOUT_MINUTES
    if not low <= minutes <= high:
        return f"steady_state_timeout_minutes must be {low} to {high}; got {minutes}"
    return None


def checked_bounds(min_tasks: int, max_tasks: int, desired: Optional[int] = None) -> None:
    validation.scaling_bounds(min_tasks, max_tasks)
    if desired is not None and not min_tasks <= desired <= max_tasks:
        raise ValueError(f"desired count {desired} is outside minTasks {min_tasks} to maxTasks {max_tasks}")


def task_security_group(
    name: str, vpc_id: pulumi.Input[str], description: str, opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """A security group for the tasks, with HTTPS out (AWS APIs, ECR, the queue) and nothing in by default."""
    group = aws.ec2.SecurityGroup(f"{name}-tasks", description=description, vpc_id=vpc_id, opts=opts)
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-tasks-https-out",
        security_group_id=group.id,
        description="HTTPS to AWS APIs and the internet through the NAT gateways",
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="0.0.0.0/0",
        opts=opts,
    )
    return group


def fargate_service(
    name: str,
    *,
    cluster_arn: pulumi.Input[str],
    task_definition: aws.ecs.TaskDefinition,
    desired_count: int,
    strategy: list[tuple[CapacityProvider, int, int]],
    subnet_ids: pulumi.Input[list[str]],
    security_group: aws.ec2.SecurityGroup,
    deployment: CheckedDeployment,
    parent: pulumi.Resource,
    permissions: list[pulumi.Resource],
    depends_on: Optional[list[pulumi.Resource]] = None,
    **extra: Any,
) -> aws.ecs.Service:
    return aws.ecs.Service(
        name,
        cluster=cluster_arn,
        task_definition=task_definition.arn,
        desired_count=desired_count,
        capacity_provider_strategies=[
            {"capacity_provider": p.value, "weight": w, "base": b} for p, w, b in strategy
        ],
        platform_version="LATEST",
        network_configuration={
            "subnets": subnet_ids,
            "security_groups": [security_group.id],
            "assign_public_ip": False,
        },
        deployment_circuit_breaker={"enable": True, "rollback": True},
        deployment_minimum_healthy_percent=deployment.minimum_healthy_percent,
        deployment_maximum_percent=deployment.maximum_percent,
        enable_execute_command=deployment.enable_execute_command,
        # Waiting, the provider follows the service deployment and fails on STOPPED, ROLLBACK_SUCCESSFUL and
        # ROLLBACK_FAILED (terraform-provider-aws, internal/service/ecs/service.go, findDeploymentStatus), so a
        # rollout the circuit breaker rolls back fails `pulumi up` instead of passing silently.
        wait_for_steady_state=deployment.wait_for_steady_state,
        enable_ecs_managed_tags=True,
        propagate_tags="SERVICE",
        # A change of capacity provider strategy only reaches running services with a new deployment.
        force_new_deployment=True,
        **extra,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[*(depends_on or []), *permissions],
            # Autoscaling owns the desired count once the service exists; a later `pulumi up` must not reset it.
            ignore_changes=["desired_count"],
            custom_timeouts=deployment.custom_timeouts,
        ),
    )


def scalable_target(
    name: str, cluster_name: pulumi.Input[str], service: aws.ecs.Service, min_tasks: int, max_tasks: int,
    opts: pulumi.ResourceOptions,
) -> aws.appautoscaling.Target:
    return aws.appautoscaling.Target(
        name,
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster_name, "/", service.name),
        min_capacity=min_tasks,
        max_capacity=max_tasks,
        opts=opts,
    )


class ScalingPolicies:
    """The scaling policies of one scalable target, created one after another: Application Auto Scaling answers
    ConcurrentUpdateException to policies written in parallel."""

    def __init__(self, name: str, target: aws.appautoscaling.Target, parent: pulumi.Resource) -> None:
        self.name, self.target, self.parent = name, target, parent
        self.previous: list[pulumi.Resource] = []

    def add(self, suffix: str, policy_type: str, **configuration: Any) -> aws.appautoscaling.Policy:
        policy = aws.appautoscaling.Policy(
            f"{self.name}-{suffix}",
            policy_type=policy_type,
            service_namespace=self.target.service_namespace,
            scalable_dimension=self.target.scalable_dimension,
            resource_id=self.target.resource_id,
            **configuration,
            opts=pulumi.ResourceOptions(parent=self.parent, depends_on=self.previous),
        )
        self.previous = [policy]
        return policy


def deployment_defaults(deployment: Deployment) -> CheckedDeployment:
    minimum = int(deployment.get("minimum_healthy_percent", defaults.MINIMUM_HEALTHY_PERCENT))
    maximum = int(deployment.get("maximum_percent", defaults.MAXIMUM_PERCENT))
    checked_deployment(minimum, maximum)
    timeout = int(deployment.get("steady_state_timeout_minutes", defaults.STEADY_STATE_TIMEOUT_MINUTES))
    problem = steady_state_timeout_problem(timeout)
    if problem:
        raise ValueError(problem)
    return CheckedDeployment(
        minimum_healthy_percent=minimum,
        maximum_percent=maximum,
        enable_execute_command=bool(deployment.get("enable_execute_command", defaults.ENABLE_EXECUTE_COMMAND)),
        wait_for_steady_state=bool(deployment.get("wait_for_steady_state", defaults.WAIT_FOR_STEADY_STATE)),
        steady_state_timeout_minutes=timeout,
    )
