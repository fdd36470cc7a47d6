"""Pieces both service components share: where and how they deploy, the ECS service, its security group and its
scalable target, Service Connect, who the tasks admit, and the on-call alarms every service has."""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, validation
from .cluster import CapacityProviderStrategyItem, strategy_items
from .enums import ECS_DEPLOYMENT_STRATEGY, PROGRESSIVE_STRATEGIES, CapacityProvider, DeploymentStrategy
from .task_definition import CheckedEgress


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
    availability_zone_rebalancing: NotRequired[bool]
    """ECS moves tasks to even out the Availability Zones after an imbalance (an AZ outage, Spot reclaims, failed
    placements): it starts a task in the short AZ, then stops one in the long one. Default: true."""
    strategy: NotRequired[DeploymentStrategy]
    """rolling, or (web services only: ECS shifts traffic through the load balancer) blueGreen, canary or linear,
    which run the new revision beside the old one and roll back automatically on the service's 5XX and
    unhealthy-target alarms. Default: rolling."""
    bake_time_minutes: NotRequired[int]
    """blueGreen, canary, linear: minutes the old revision keeps running once all traffic has shifted, 0 to 1440.
    Default: 10."""
    canary_percent: NotRequired[float]
    """canary: share of the traffic shifted first, 0.1 to 100 in steps of 0.1. Default: 10."""
    canary_bake_time_minutes: NotRequired[int]
    """canary: minutes at the canary share before the rest shifts, 0 to 1440. Default: 10."""
    linear_step_percent: NotRequired[float]
    """linear: share of the traffic each step shifts, 3 to 100 in steps of 0.1. Default: 20."""
    linear_step_bake_time_minutes: NotRequired[int]
    """linear: minutes after each step, 0 to 1440. Default: 5."""


@dataclass(frozen=True)
class CheckedDeployment:
    """A Deployment with its defaults applied and its bounds checked."""

    minimum_healthy_percent: int
    maximum_percent: int
    enable_execute_command: bool
    wait_for_steady_state: bool
    steady_state_timeout_minutes: int
    availability_zone_rebalancing: bool = defaults.AVAILABILITY_ZONE_REBALANCING
    strategy: DeploymentStrategy = defaults.DEPLOYMENT_STRATEGY
    bake_time_minutes: int = defaults.BAKE_TIME_MINUTES
    canary_percent: float = defaults.CANARY_PERCENT
    canary_bake_time_minutes: int = defaults.CANARY_BAKE_TIME_MINUTES
    linear_step_percent: float = defaults.LINEAR_STEP_PERCENT
    linear_step_bake_time_minutes: int = defaults.LINEAR_STEP_BAKE_TIME_MINUTES

    @property
    def circuit_breaker(self) -> bool:
        """Whether AWS documents the deployment circuit breaker for this strategy: rolling and blue/green."""
        return self.strategy in (DeploymentStrategy.ROLLING, DeploymentStrategy.BLUE_GREEN)

    @property
    def progressive(self) -> bool:
        """Whether ECS runs the new revision beside the old one and shifts traffic (blueGreen, canary, linear)."""
        return self.strategy in PROGRESSIVE_STRATEGIES

    @property
    def baking_minutes(self) -> int:
        """The least a progressive deployment takes beyond starting tasks: its bakes. A linear deployment bakes after
        every step but the last (ECS: "This bake time is not applied after reaching 100 percent traffic")."""
        if self.strategy is DeploymentStrategy.CANARY:
            return self.bake_time_minutes + self.canary_bake_time_minutes
        if self.strategy is DeploymentStrategy.LINEAR:
            return self.bake_time_minutes + linear_steps(self.linear_step_percent) * self.linear_step_bake_time_minutes
        return self.bake_time_minutes if self.progressive else 0

    def configuration(self) -> Optional[dict[str, Any]]:
        """The service's `deployment_configuration` for a progressive strategy; None for rolling (as before)."""
        if not self.progressive:
            return None
        # pulumi-aws types the bake times as strings (terraform-provider-aws schema); the API takes integers.
        config: dict[str, Any] = {
            "strategy": ECS_DEPLOYMENT_STRATEGY[self.strategy],
            "bake_time_in_minutes": str(self.bake_time_minutes),
        }
        if self.strategy is DeploymentStrategy.CANARY:
            config["canary_configuration"] = {
                "canary_percent": float(self.canary_percent),
                "canary_bake_time_in_minutes": str(self.canary_bake_time_minutes),
            }
        if self.strategy is DeploymentStrategy.LINEAR:
            config["linear_configuration"] = {
                "step_percent": float(self.linear_step_percent),
                "step_bake_time_in_minutes": str(self.linear_step_bake_time_minutes),
            }
        return config

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


def linear_steps(step_percent: float) -> int:
    """Steps of a linear deployment that are followed by a step bake: the shifts before traffic reaches 100%."""
    shifts = math.ceil(round(100 / step_percent, 9))
    return max(shifts - 1, 0)


def deployment_strategy_problem(strategy: DeploymentStrategy, *, shifts_traffic: bool) -> Optional[str]:
    """Why a service cannot use ``strategy``, or None. ECS shifts production traffic between the old and the new
    revision through a load balancer's listener rule or through Service Connect (ECS Developer Guide, "Required
    resources for Amazon ECS blue/green deployments"; linear and canary deployments reuse that machinery); a service
    that takes no traffic, like a queue worker, has nothing to shift and deploys rolling."""
    strategy = DeploymentStrategy(strategy)
    if strategy in PROGRESSIVE_STRATEGIES and not shifts_traffic:
        return (f"deployment.strategy {strategy.value} needs traffic to shift (a load balancer); a queue worker "
                "deploys rolling")
    return None


def bake_time_problem(minutes: int, key: str = "bake_time_minutes") -> Optional[str]:
    """Why ``minutes`` cannot be a bake time, or None (ECS: "Valid values are 0 to 1440 minutes (24 hours)")."""
    if not 0 <= minutes <= defaults.MAX_BAKE_TIME_MINUTES:
        return f"deployment.{key} must be 0 to {defaults.MAX_BAKE_TIME_MINUTES}; got {minutes}"
    return None


def traffic_percent_problem(percent: float, key: str, low: float) -> Optional[str]:
    """Why ``percent`` cannot be a canary share (low 0.1) or a linear step (low 3), or None (ECS CanaryConfiguration
    and LinearConfiguration: multiples of 0.1 from ``low`` to 100.0)."""
    high = defaults.MAX_TRAFFIC_PERCENT
    tenths = percent * 10
    if not low <= percent <= high or abs(tenths - round(tenths)) > 1e-6:
        return f"deployment.{key} must be {low:g} to {high:g} in steps of 0.1; got {percent:g}"
    return None


def progressive_maximum_percent_problem(strategy: DeploymentStrategy, maximum_percent: int) -> Optional[str]:
    """Why ``maximum_percent`` leaves a progressive deployment no room, or None. blueGreen, canary and linear start
    the whole new revision beside the old one and keep both until the bake time ends (ECS Developer Guide, "Amazon
    ECS blue/green deployments": both revisions run simultaneously), so the service needs room for twice its tasks."""
    progressive = DeploymentStrategy(strategy) in PROGRESSIVE_STRATEGIES
    if progressive and maximum_percent < defaults.PROGRESSIVE_MAXIMUM_PERCENT:
        return (f"deployment.maximum_percent must be {defaults.PROGRESSIVE_MAXIMUM_PERCENT} with strategy "
                f"{DeploymentStrategy(strategy).value}: the new revision starts in full beside the old one; "
                f"got {maximum_percent}")
    return None


def deployment_wait_problem(deployment: CheckedDeployment) -> Optional[str]:
    """Why waiting for the rollout would fail a healthy progressive deployment, or None: `pulumi up` waits until the
    deployment completes, which is not before its bake times have passed, and the rollout itself (image pull, start,
    grace period, health checks, draining) needs its margin on top (defaults.ROLLOUT_MARGIN_MINUTES)."""
    needed = deployment.baking_minutes + defaults.ROLLOUT_MARGIN_MINUTES
    if deployment.wait_for_steady_state and deployment.progressive and needed > deployment.steady_state_timeout_minutes:
        return (f"deployment.steady_state_timeout_minutes ({deployment.steady_state_timeout_minutes}) must be at "
                f"least {needed}: a {deployment.strategy.value} deployment bakes {deployment.baking_minutes} minutes, "
                f"and its tasks need {defaults.ROLLOUT_MARGIN_MINUTES} more to start, pass health checks and drain")
    return None


def deployment_problems(deployment: Mapping[str, Any], *, shifts_traffic: bool = True) -> list[str]:
    """Every reason ECS (or `pulumi up`) would refuse ``deployment``, one line each, without touching Pulumi: what a
    WebService (``shifts_traffic``) or a QueueWorker checks before it registers anything."""
    try:
        checked = _checked(deployment)
    except ValueError as error:
        return [str(error)]
    problems = [
        deployment_strategy_problem(checked.strategy, shifts_traffic=shifts_traffic),
        progressive_maximum_percent_problem(checked.strategy, checked.maximum_percent),
        bake_time_problem(checked.bake_time_minutes),
        bake_time_problem(checked.canary_bake_time_minutes, "canary_bake_time_minutes"),
        bake_time_problem(checked.linear_step_bake_time_minutes, "linear_step_bake_time_minutes"),
        traffic_percent_problem(checked.canary_percent, "canary_percent", defaults.MIN_CANARY_PERCENT),
        traffic_percent_problem(checked.linear_step_percent, "linear_step_percent", defaults.MIN_LINEAR_STEP_PERCENT),
    ]
    found = [p for p in problems if p]
    if not found:
        wait = deployment_wait_problem(checked)
        found += [wait] if wait else []
    return found


def checked_bounds(min_tasks: int, max_tasks: int, desired: Optional[int] = None) -> None:
    validation.scaling_bounds(min_tasks, max_tasks)
    if desired is not None and not min_tasks <= desired <= max_tasks:
        raise ValueError(f"desired count {desired} is outside minTasks {min_tasks} to maxTasks {max_tasks}")


def task_security_group(
    name: str, vpc_id: pulumi.Input[str], description: str, opts: pulumi.ResourceOptions,
    egress: Sequence[CheckedEgress] = (),
) -> aws.ec2.SecurityGroup:
    """A security group for the tasks, with HTTPS out (AWS APIs, ECR, the queue), the workload's own ``egress``
    rules, and nothing in by default.

    The description is ForceNew: a new wording, or a workload renamed with renamed_from, would replace the group
    and every task's network interface with it. It names the workload at creation and is never changed after."""
    group = aws.ec2.SecurityGroup(f"{name}-tasks", description=description, vpc_id=vpc_id,
                                  opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                                      ignore_changes=["description"])))
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
    for rule in egress:
        # Named for what the rule opens, not its place in the list: reordering the list changes nothing, and a
        # changed destination or port is a new rule created beside the old one before the old one goes (no moment
        # without a way out, and never two rules that EC2 would call duplicates).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-egress-{rule.key}",
            security_group_id=group.id,
            description=rule.description,
            ip_protocol=rule.protocol,
            from_port=rule.ports[0],
            to_port=rule.ports[1],
            cidr_ipv4=rule.cidr if rule.cidr and ":" not in rule.cidr else None,
            cidr_ipv6=rule.cidr if rule.cidr and ":" in rule.cidr else None,
            referenced_security_group_id=rule.security_group_id,
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
    extra_security_group_ids: Sequence[str] = (),
    managed_instances: Optional[pulumi.Input[str]] = None,
    **extra: Any,
) -> aws.ecs.Service:
    return aws.ecs.Service(
        name,
        cluster=cluster_arn,
        task_definition=task_definition.arn,
        desired_count=desired_count,
        capacity_provider_strategies=managed_instances_strategy(managed_instances) if managed_instances is not None
        else [{"capacity_provider": p.value, "weight": w, "base": b} for p, w, b in strategy],
        # A platform version is Fargate's only (CreateService platformVersion); Managed Instances take none, and no
        # launch type either: "you must use the capacityProviderStrategy request parameter and omit the launchType".
        platform_version=None if managed_instances is not None else "LATEST",
        network_configuration={
            "subnets": subnet_ids,
            "security_groups": [security_group.id, *extra_security_group_ids],
            "assign_public_ip": False,
        },
        # "Both methods only support rolling update deployment and blue/green deployment types" (ECS Developer
        # Guide, "Amazon ECS deployment failure detection"): canary and linear roll back on their alarms instead.
        deployment_circuit_breaker=(
            {"enable": True, "rollback": True} if deployment.circuit_breaker else None),
        deployment_configuration=deployment.configuration(),
        deployment_minimum_healthy_percent=deployment.minimum_healthy_percent,
        deployment_maximum_percent=deployment.maximum_percent,
        enable_execute_command=deployment.enable_execute_command,
        # Waiting, the provider follows the service deployment and fails on STOPPED, ROLLBACK_SUCCESSFUL and
        # ROLLBACK_FAILED (terraform-provider-aws, internal/service/ecs/service.go, findDeploymentStatus), so a
        # rollout the circuit breaker rolls back fails `pulumi up` instead of passing silently.
        wait_for_steady_state=deployment.wait_for_steady_state,
        # A provider option, not an API field: when the wait is cancelled (Ctrl-C on `pulumi up`), the provider
        # rolls the in-progress deployment back instead of leaving it half done. It needs the wait and the ECS
        # deployment controller, which every service here has (terraform-provider-aws, service.go; research
        # managed-instances.md section 7).
        sigint_rollback=True if deployment.wait_for_steady_state else None,
        # Explicit, so an update of a service created before AWS had the setting turns it on too (an update
        # without it keeps DISABLED for such a service: CreateServiceRequest.availabilityZoneRebalancing).
        availability_zone_rebalancing="ENABLED" if deployment.availability_zone_rebalancing else "DISABLED",
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
            # A replacement created beside the old service would claim the same discovery name in the namespace,
            # which ECS refuses while the old one holds it: the old service goes first.
            delete_before_replace=bool((extra.get("service_connect_configuration") or {}).get("services")),
        ),
    )


def managed_instances_strategy(capacity_provider: pulumi.Input[str]) -> list[dict[str, Any]]:
    """A strategy of one Managed Instances provider: a strategy cannot mix provider types."""
    return [{"capacity_provider": capacity_provider, "weight": 1, "base": 0}]


def managed_instances_problem(managed_instances: Any, strategy: Any) -> Optional[str]:
    """Why a workload cannot take both, or None: one provider type per strategy (ECS Developer Guide)."""
    if managed_instances is not None and strategy is not None:
        return ("managed_instances and capacity_provider_strategy cannot both be set: a capacity provider strategy "
                "holds one provider type (Fargate or Managed Instances)")
    return None


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


def _checked(deployment: Mapping[str, Any]) -> CheckedDeployment:
    """Defaults applied; the bounds every strategy shares checked (ValueError on the first breach)."""
    minimum = int(deployment.get("minimum_healthy_percent", defaults.MINIMUM_HEALTHY_PERCENT))
    maximum = int(deployment.get("maximum_percent", defaults.MAXIMUM_PERCENT))
    checked_deployment(minimum, maximum)
    timeout = int(deployment.get("steady_state_timeout_minutes", defaults.STEADY_STATE_TIMEOUT_MINUTES))
    problem = steady_state_timeout_problem(timeout)
    if problem:
        raise ValueError(problem)
    try:
        strategy = DeploymentStrategy(deployment.get("strategy", defaults.DEPLOYMENT_STRATEGY))
    except ValueError:
        allowed = ", ".join(s.value for s in DeploymentStrategy)
        raise ValueError(f"deployment.strategy must be one of {allowed}; got {deployment.get('strategy')!r}") from None
    return CheckedDeployment(
        minimum_healthy_percent=minimum,
        maximum_percent=maximum,
        enable_execute_command=bool(deployment.get("enable_execute_command", defaults.ENABLE_EXECUTE_COMMAND)),
        wait_for_steady_state=bool(deployment.get("wait_for_steady_state", defaults.WAIT_FOR_STEADY_STATE)),
        steady_state_timeout_minutes=timeout,
        availability_zone_rebalancing=bool(
            deployment.get("availability_zone_rebalancing", defaults.AVAILABILITY_ZONE_REBALANCING)),
        strategy=strategy,
        bake_time_minutes=int(deployment.get("bake_time_minutes", defaults.BAKE_TIME_MINUTES)),
        canary_percent=float(deployment.get("canary_percent", defaults.CANARY_PERCENT)),
        canary_bake_time_minutes=int(deployment.get("canary_bake_time_minutes", defaults.CANARY_BAKE_TIME_MINUTES)),
        linear_step_percent=float(deployment.get("linear_step_percent", defaults.LINEAR_STEP_PERCENT)),
        linear_step_bake_time_minutes=int(
            deployment.get("linear_step_bake_time_minutes", defaults.LINEAR_STEP_BAKE_TIME_MINUTES)),
    )


def deployment_defaults(deployment: Deployment, *, shifts_traffic: bool = True) -> CheckedDeployment:
    """The deployment with its defaults, or ValueError naming the first thing ECS would refuse."""
    problems = deployment_problems(deployment, shifts_traffic=shifts_traffic)
    if problems:
        raise ValueError(problems[0])
    return _checked(deployment)


# Service Connect --------------------------------------------------------------------------------------------------

SERVICE_CONNECT_PORT_NAME = "http"
"""The name TaskSpec gives the main container's port mapping: what a Service Connect service's portName selects."""
_DISCOVERY_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,63}$")


class ServiceConnect(TypedDict):
    """Membership of a Service Connect namespace: the service reaches the namespace's services by their short names,
    and (with a port) other services reach it at `discovery_name:port`."""

    namespace: pulumi.Input[str]
    """ARN of the Cloud Map namespace (a Cluster's service_connect_namespace_arn)."""
    port: NotRequired[int]
    """Container port other services reach through Service Connect. Default: a web service's container_port; a queue
    worker exposes none (it is a client only)."""
    discovery_name: NotRequired[str]
    """Name of the service in the namespace, and the DNS name clients use: up to 64 lowercase letters, digits, _ and
    -, not starting with -. Default: the component's name."""
    access_logs: NotRequired[str]
    """The Service Connect proxy's access logs (one line per request through it), in the task's log group beside
    the proxy's own logs: json (fields CloudWatch Logs Insights discovers), text or off. Default: json."""
    include_query_parameters: NotRequired[bool]
    """Log the query strings of requests too. Query strings can carry tokens and personal data. Default: false."""


ACCESS_LOG_FORMATS = {"json": "JSON", "text": "TEXT"}
"""Access log formats by the name the args give them (ServiceConnectAccessLogConfiguration.format)."""


@dataclass(frozen=True)
class CheckedServiceConnect:
    namespace: pulumi.Input[str]
    port: Optional[int]
    discovery_name: str
    access_logs: str = defaults.SERVICE_CONNECT_ACCESS_LOGS
    include_query_parameters: bool = False


def discovery_name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot be a Service Connect discovery name (and client alias DNS name), or None. ECS
    ServiceConnectService discoveryName: "up to 64 characters ... lowercase letters, numbers, underscores (_), and
    hyphens (-). The name can't start with a hyphen"; the client alias dnsName allows those too."""
    if not _DISCOVERY_NAME.match(name):
        return (f"service_connect.discovery_name {name!r} must be 1 to 64 lowercase letters, digits, _ or -, not "
                "starting with -")
    return None


def service_connect_port_problem(port: int) -> Optional[str]:
    """Why ``port`` cannot be exposed through Service Connect, or None (ServiceConnectClientAlias port: 1 to 65535;
    0 would be no port)."""
    if not 1 <= port <= 65535:
        return f"service_connect.port must be 1 to 65535; got {port}"
    return None


def checked_service_connect(name: str, args: Optional[ServiceConnect], *,
                            default_port: Optional[int]) -> Optional[CheckedServiceConnect]:
    """The Service Connect membership with its defaults, or ValueError; None without one."""
    if args is None:
        return None
    port = args.get("port", default_port)
    discovery_name = str(args.get("discovery_name", name))
    access_logs = str(args.get("access_logs", defaults.SERVICE_CONNECT_ACCESS_LOGS))
    query = bool(args.get("include_query_parameters", False))
    for problem in (discovery_name_problem(discovery_name),
                    service_connect_port_problem(int(port)) if port is not None else None,
                    access_logs_problem(access_logs, query)):
        if problem:
            raise ValueError(problem)
    return CheckedServiceConnect(args["namespace"], int(port) if port is not None else None, discovery_name,
                                 access_logs, query)


def access_logs_problem(access_logs: str, include_query_parameters: bool) -> Optional[str]:
    """Why the access log settings do not go together, or None."""
    if access_logs not in (*ACCESS_LOG_FORMATS, "off"):
        return f"service_connect.access_logs must be json, text or off; got {access_logs!r}"
    if include_query_parameters and access_logs == "off":
        return "service_connect.include_query_parameters needs access logs; set access_logs to json or text"
    return None


def service_connect_configuration(connect: CheckedServiceConnect, log_group_name: pulumi.Input[str],
                                  region: str) -> dict[str, Any]:
    """The ECS service's `service_connect_configuration`: member of the namespace, exposing the named port mapping
    under the discovery name when there is a port, the proxy's logs in the task's own log group."""
    config: dict[str, Any] = {
        "enabled": True,
        "namespace": connect.namespace,
        "log_configuration": {
            "log_driver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": "service-connect",
                # As the task's containers: a slow log pipeline must never stall the proxy.
                "mode": "non-blocking",
                "max-buffer-size": defaults.LOG_MAX_BUFFER_SIZE,
            },
        },
    }
    if connect.access_logs != "off":
        # "To enable access logs, you must also specify a logConfiguration in the serviceConnectConfiguration"
        # (ServiceConnectConfiguration.accessLogConfiguration): the one above, so they land in the task's log group.
        config["access_log_configuration"] = {
            "format": ACCESS_LOG_FORMATS[connect.access_logs],
            "include_query_parameters": "ENABLED" if connect.include_query_parameters else "DISABLED",
        }
    if connect.port is not None:
        config["services"] = [{
            "port_name": SERVICE_CONNECT_PORT_NAME,
            "discovery_name": connect.discovery_name,
            # ECS: at most one client alias per service, and each service needs one with a port.
            "client_alias": [{"port": connect.port, "dns_name": connect.discovery_name}],
        }]
    return config


def admit_caller(owner: pulumi.Resource, name: str, caller: str, caller_security_group_id: pulumi.Input[str],
                 port: Optional[int], group: aws.ec2.SecurityGroup,
                 before: Optional[tuple[str, str]] = None) -> aws.vpc.SecurityGroupIngressRule:
    """Let the tasks of ``caller`` reach ``name``'s Service Connect port, and nothing else: one ingress rule on
    ``name``'s tasks from the caller's security group on that port, and the matching egress rule on the caller's
    security group (the platform's task groups allow only HTTPS out, so without it the caller's Service Connect
    proxy could not open the connection). ``before`` are the callee's and the caller's names before a rename: the
    rules, named after both, keep their state under the new names (a rule created again beside its old self would
    be refused as a duplicate)."""
    if port is None:
        raise ValueError(f"{name} exposes no Service Connect port; give it service_connect.port before admitting "
                         f"{caller}")
    if not caller:
        raise ValueError("admit needs the caller's name")
    old_name, old_caller = before or (name, caller)

    def opts_for(old: str, new: str) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=owner, aliases=[pulumi.Alias(name=old)] if old != new else None)

    aws.vpc.SecurityGroupEgressRule(
        f"{caller}-to-{name}",
        security_group_id=caller_security_group_id,
        description=f"{caller} to {name} on port {port} (Service Connect)",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=group.id,
        opts=opts_for(f"{old_caller}-to-{old_name}", f"{caller}-to-{name}"),
    )
    return aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-{caller}",
        security_group_id=group.id,
        description=f"Port {port} from {caller} only (Service Connect)",
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=caller_security_group_id,
        opts=opts_for(f"{old_name}-from-{old_caller}", f"{name}-from-{caller}"),
    )


# On-call alarms ---------------------------------------------------------------------------------------------------


class ServiceAlarms(TypedDict):
    """Alarms that page someone: each one's ALARM and OK actions are the given topics."""

    actions: list[pulumi.Input[str]]
    """SNS topic ARNs told when an alarm goes into ALARM and back to OK. No topic, no alarms (unless a progressive
    deployment needs its rollback alarms)."""
    target_5xx_rate_percent: NotRequired[float]
    """Web services: share of requests the tasks answer 5XX (per target group, 3 of 5 minutes). Default: 5."""
    unhealthy_hosts: NotRequired[int]
    """Web services: unhealthy targets tolerated before alarming (for 3 minutes). Default: 0."""
    p95_latency_seconds: NotRequired[float]
    """Web services: 95th percentile target response time (5 of 5 minutes). Default: 2."""
    running_below_desired_minutes: NotRequired[int]
    """Minutes with fewer running tasks than desired (Container Insights), 1 to 60. Default: 5."""
    cpu_percent: NotRequired[float]
    """Average CPU utilisation of the service (5 of 5 minutes). Default: 90."""
    memory_percent: NotRequired[float]
    """Average memory utilisation of the service (5 of 5 minutes). Default: 90."""
    oldest_message_age_seconds: NotRequired[float]
    """Queue workers: age of the oldest waiting message (3 of 3 minutes). Default: the acceptable latency in backlog
    mode, else 300."""
    container_insights: NotRequired[bool]
    """Whether the cluster publishes Container Insights metrics; the running-below-desired alarm needs them and is
    left out without them. Default: true."""


WEB_ONLY_ALARMS = ("target_5xx_rate_percent", "unhealthy_hosts", "p95_latency_seconds")
WORKER_ONLY_ALARMS = ("oldest_message_age_seconds",)
_MAX_ALARM_MINUTES = 60


def alarm_thresholds_problem(alarms: Mapping[str, Any], *, web: bool) -> Optional[str]:
    """Why ``alarms`` do not fit a web service (``web``) or a queue worker, or None."""
    misplaced = [k for k in (WORKER_ONLY_ALARMS if web else WEB_ONLY_ALARMS) if k in alarms]
    if misplaced:
        return f"alarms.{misplaced[0]} applies to {'queue workers' if web else 'web services'} only"
    for key in ("target_5xx_rate_percent", "cpu_percent", "memory_percent"):
        if key in alarms and not 0 < float(alarms[key]) <= 100:
            return f"alarms.{key} must be above 0 and at most 100; got {alarms[key]}"
    for key in ("p95_latency_seconds", "oldest_message_age_seconds"):
        if key in alarms and not float(alarms[key]) > 0:
            return f"alarms.{key} must be above 0; got {alarms[key]}"
    if "unhealthy_hosts" in alarms and int(alarms["unhealthy_hosts"]) < 0:
        return f"alarms.unhealthy_hosts must be 0 or more; got {alarms['unhealthy_hosts']}"
    minutes = alarms.get("running_below_desired_minutes")
    if minutes is not None and not 1 <= int(minutes) <= _MAX_ALARM_MINUTES:
        return f"alarms.running_below_desired_minutes must be 1 to {_MAX_ALARM_MINUTES}; got {minutes}"
    return None


def rollback_alarm_actions_problem(strategy: DeploymentStrategy, actions: list[Any]) -> Optional[str]:
    """Why a progressive deployment's rollback alarms would break the policy pack's CloudWatch.15 (every alarm has
    an ALARM action), or None. Without topics the 5XX and unhealthy-target alarms still exist, for ECS to roll back
    on, but tell nobody; stacks where cloudwatch-alarm-actions is mandatory need alarms.actions with them."""
    if DeploymentStrategy(strategy) in PROGRESSIVE_STRATEGIES and not actions:
        return (f"deployment.strategy {DeploymentStrategy(strategy).value} creates the alarms it rolls back on; give "
                "alarms.actions so they tell someone (CloudWatch.15 wants an ALARM action on every alarm)")
    return None


class OnCallAlarms:
    """The alarms of one service, each telling the same topics on ALARM and on OK."""

    def __init__(self, name: str, alarms: Mapping[str, Any], opts: pulumi.ResourceOptions) -> None:
        self.name, self.opts = name, opts
        self.settings = alarms
        self.actions: list[pulumi.Input[str]] = list(alarms.get("actions", []))

    @property
    def paging(self) -> bool:
        """Whether anyone is told: without topics only the alarms a deployment rolls back on are created."""
        return bool(self.actions)

    def add(self, suffix: str, description: str, **alarm: Any) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self.name}-{suffix}",
            alarm_description=description,
            actions_enabled=True,
            alarm_actions=self.actions,
            ok_actions=self.actions,
            # A missing datapoint (no traffic, no task) is not evidence of trouble.
            treat_missing_data="notBreaching",
            **alarm,
            opts=self.opts,
        )

    def service_health(self, cluster_name: pulumi.Input[str], service_name: pulumi.Input[str]) -> None:
        """Every service's alarms: CPU and memory (AWS/ECS, published without Container Insights) and, with
        Container Insights, fewer running tasks than desired. A worker scaled to zero desires no task, so it does
        not alarm; at zero tasks Container Insights may publish nothing, which is not breaching either."""
        if not self.paging:
            return
        dimensions = {"ClusterName": cluster_name, "ServiceName": service_name}
        minutes = defaults.UTILIZATION_ALARM_MINUTES
        for suffix, metric, key, default in (
            ("cpu-high", "CPUUtilization", "cpu_percent", defaults.CPU_ALARM_PERCENT),
            ("memory-high", "MemoryUtilization", "memory_percent", defaults.MEMORY_ALARM_PERCENT),
        ):
            threshold = float(self.settings.get(key, default))
            self.add(suffix, f"{self.name} averages above {threshold:g}% {metric} for {minutes} minutes",
                     namespace="AWS/ECS", metric_name=metric, dimensions=dimensions, statistic="Average",
                     period=defaults.ALARM_PERIOD_SECONDS, evaluation_periods=minutes, datapoints_to_alarm=minutes,
                     threshold=threshold, comparison_operator="GreaterThanThreshold")
        if not self.settings.get("container_insights", True):
            return
        below = int(self.settings.get("running_below_desired_minutes", defaults.RUNNING_BELOW_DESIRED_MINUTES))

        def insights(query_id: str, metric: str) -> dict[str, Any]:
            return {"id": query_id, "return_data": False, "metric": {
                "namespace": "ECS/ContainerInsights", "metric_name": metric, "dimensions": dimensions,
                "period": defaults.ALARM_PERIOD_SECONDS, "stat": "Maximum"}}

        self.add("below-desired", f"{self.name} has run fewer tasks than desired for {below} minutes",
                 comparison_operator="GreaterThanThreshold", threshold=0, evaluation_periods=below,
                 datapoints_to_alarm=below, metric_queries=[
                     insights("desired", "DesiredTaskCount"), insights("running", "RunningTaskCount"),
                     {"id": "missing", "expression": "desired - FILL(running, 0)",
                      "label": "Desired tasks not running", "return_data": True},
                 ])
