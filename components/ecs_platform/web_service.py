"""WebService: an HTTP service on Fargate behind the shared Application Load Balancer."""

from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import defaults, naming
from ._args import check_keys
from ._service import (
    Deployment,
    Placement,
    ScalingPolicies,
    checked_bounds,
    checked_strategy,
    deployment_defaults,
    fargate_service,
    scalable_target,
    task_security_group,
)
from .cluster import CapacityProviderStrategyItem
from .enums import CapacityProvider
from .task_definition import TaskArgs, TaskSpec

# ALB limits (ELB User Guide, "Quotas for your Application Load Balancers").
MAX_CONDITION_VALUES = 5
MAX_PRIORITY = 50000


class TargetHealthCheck(TypedDict):
    """How the load balancer decides a task can take traffic."""

    path: NotRequired[str]
    """HTTP path probed on the container port. Default: /health."""
    matcher: NotRequired[str]
    """HTTP codes that mean healthy, for example "200" or "200-299". Default: 200-299."""
    interval_seconds: NotRequired[int]
    """Seconds between probes, 5 to 300. Default: 15."""
    timeout_seconds: NotRequired[int]
    """Seconds a probe may take, 2 to 120, less than the interval. Default: 5."""
    healthy_threshold: NotRequired[int]
    """Successes in a row before a task receives traffic, 2 to 10. Default: 3."""
    unhealthy_threshold: NotRequired[int]
    """Failures in a row before a task stops receiving traffic, 2 to 10. Default: 3."""


class WebAutoscaling(TypedDict):
    """Target tracking that owns the desired count of a web service."""

    min_tasks: NotRequired[int]
    """Fewest tasks, at least 1. Default: 2."""
    max_tasks: NotRequired[int]
    """Most tasks. Default: 10."""
    cpu_target_percent: NotRequired[int]
    """Average CPU utilisation to hold. Default: 70."""
    memory_target_percent: NotRequired[int]
    """Average memory utilisation to hold. Default: none (not tracked)."""
    requests_per_target: NotRequired[int]
    """ALB requests per task per minute to hold. Default: none (not tracked)."""
    scale_out_cooldown_seconds: NotRequired[int]
    """Seconds after a scale-out before the next. Default: 60."""
    scale_in_cooldown_seconds: NotRequired[int]
    """Seconds after a scale-in before the next. Default: 300."""


class WebServiceArgs(TypedDict):
    """Inputs of a WebService."""

    placement: Placement
    """Cluster, VPC and private subnets the tasks run in."""
    listener_arn: pulumi.Input[str]
    """Load balancer listener the routing rule is added to."""
    load_balancer_security_group_id: pulumi.Input[str]
    """Security group of the load balancer: the only source the tasks admit."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """ARN suffix of the load balancer, for request-count scaling."""
    task: TaskArgs
    """Image, size, configuration and permissions of the tasks."""
    priority: int
    """Listener rule priority, 1 to 50000, unique on the listener."""
    path_patterns: NotRequired[list[str]]
    """Paths routed to the service, for example ["/api/*"]. At least one path or host."""
    host_headers: NotRequired[list[str]]
    """Host names routed to the service. At least one path or host."""
    container_port: NotRequired[int]
    """Port the main container listens on. Default: 8080."""
    health_check: NotRequired[TargetHealthCheck]
    """Load balancer health check. Default: GET /health every 15 s, 200-299."""
    deregistration_delay_seconds: NotRequired[int]
    """Seconds a stopping task keeps serving in-flight requests. Default: 30."""
    health_check_grace_period_seconds: NotRequired[int]
    """Seconds after start before failed load balancer checks count. Default: 60."""
    desired_count: NotRequired[int]
    """Tasks at creation; afterwards autoscaling owns the count. Default: 2, kept within min_tasks..max_tasks."""
    capacity_provider_strategy: NotRequired[list[CapacityProviderStrategyItem]]
    """Where tasks run. Default: FARGATE, weight 1, base 1."""
    deployment: NotRequired[Deployment]
    """Rolling deployment bounds, waiting for rollouts and ECS Exec. Default: 100% to 200%, no waiting, ECS Exec off."""
    autoscaling: NotRequired[WebAutoscaling]
    """Scaling bounds and targets. Default: 2 to 10 tasks at 70% CPU."""


class WebService(pulumi.ComponentResource):
    """An HTTP service on Fargate: task definition, target group, listener rule, ECS service with circuit-breaker
    rollback in private subnets, and target-tracking autoscaling."""

    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the current task definition revision."""
    target_group_arn: pulumi.Output[str]
    """Target group the tasks register in."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks (admit it on a database to let the service in)."""
    log_group_name: pulumi.Output[str]
    """Log group the containers write to."""
    task_role_arn: pulumi.Output[str]
    """Role the application runs as."""

    def __init__(self, name: str, args: WebServiceArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        naming.check_name("WebService", name, naming.WEB_SERVICE_CHILDREN)
        check_keys("WebService", args, WebServiceArgs)
        strategy_args = args.get("capacity_provider_strategy")
        on_spot = any(CapacityProvider(i["capacity_provider"]) is CapacityProvider.FARGATE_SPOT
                      for i in strategy_args or [])
        # Spot gives two minutes' notice: a web task on Spot gets all of it to drain unless the task says otherwise.
        spec = TaskSpec.of(name, args["task"], default_stop_timeout=(
            defaults.WORKER_STOP_TIMEOUT_SECONDS if on_spot else defaults.STOP_TIMEOUT_SECONDS))
        port = int(args.get("container_port", defaults.CONTAINER_PORT))
        priority = int(args["priority"])
        paths = list(args.get("path_patterns", []))
        hosts = list(args.get("host_headers", []))
        health = _target_health_check(args.get("health_check", {}))
        scaling = args.get("autoscaling", {})
        min_tasks = int(scaling.get("min_tasks", defaults.MIN_TASKS))
        max_tasks = int(scaling.get("max_tasks", defaults.MAX_TASKS))
        desired = int(args.get("desired_count", min(max(defaults.DESIRED_COUNT, min_tasks), max_tasks)))
        strategy = checked_strategy(strategy_args, defaults.DEFAULT_CAPACITY_PROVIDER_STRATEGY)
        deployment = deployment_defaults(args.get("deployment", {}))
        placement = args["placement"]
        if not 1 <= port <= 65535:
            raise ValueError(f"container_port must be 1 to 65535; got {port}")
        if not 1 <= priority <= MAX_PRIORITY:
            raise ValueError(f"priority must be 1 to {MAX_PRIORITY}; got {priority}")
        if not paths and not hosts:
            raise ValueError("needs at least one of path_patterns and host_headers to route traffic")
        if len(paths) + len(hosts) > MAX_CONDITION_VALUES:
            raise ValueError(f"a listener rule takes at most {MAX_CONDITION_VALUES} paths and hosts together")
        checked_bounds(min_tasks, max_tasks, desired)
        if min_tasks < 1:
            raise ValueError("autoscaling min_tasks must be at least 1: at zero tasks a web service publishes no "
                             "metric that could scale it back up")

        super().__init__("ecs-platform:index:WebService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        task = spec.build(
            self,
            port=port,
            enable_execute_command=deployment.enable_execute_command,
            execute_command_log_group=placement.get("execute_command_log_group_name"),
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            vpc_id=placement["vpc_id"],
            port=port,
            protocol="HTTP",
            target_type="ip",
            deregistration_delay=int(args.get("deregistration_delay_seconds", defaults.DEREGISTRATION_DELAY_SECONDS)),
            health_check={**health, "enabled": True, "protocol": "HTTP", "port": "traffic-port"},
            opts=child,
        )
        conditions = []
        if paths:
            conditions.append({"path_pattern": {"values": paths}})
        if hosts:
            conditions.append({"host_header": {"values": hosts}})
        rule = aws.lb.ListenerRule(
            f"{name}-route",
            listener_arn=args["listener_arn"],
            priority=priority,
            actions=[{"type": "forward", "target_group_arn": target_group.arn}],
            conditions=conditions,
            opts=child,
        )

        security_group = task_security_group(
            name, placement["vpc_id"], f"Tasks of {name}: the load balancer in on port {port}, HTTPS out", child
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-tasks-from-alb",
            security_group_id=security_group.id,
            description=f"Port {port} from the load balancer only",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=args["load_balancer_security_group_id"],
            opts=child,
        )

        service = fargate_service(
            name,
            cluster_arn=placement["cluster_arn"],
            task_definition=task.task_definition,
            desired_count=desired,
            strategy=strategy,
            subnet_ids=placement["subnet_ids"],
            security_group=security_group,
            deployment=deployment,
            parent=self,
            permissions=task.permissions,
            # ECS refuses a target group that no listener rule uses yet.
            depends_on=[rule],
            load_balancers=[{"target_group_arn": target_group.arn, "container_name": name, "container_port": port}],
            health_check_grace_period_seconds=int(
                args.get("health_check_grace_period_seconds", defaults.HEALTH_CHECK_GRACE_PERIOD_SECONDS)
            ),
        )

        target = scalable_target(f"{name}-scaling", placement["cluster_name"], service, min_tasks, max_tasks, child)
        cooldowns = {
            "scale_out_cooldown": int(scaling.get("scale_out_cooldown_seconds", defaults.SCALE_OUT_COOLDOWN_SECONDS)),
            "scale_in_cooldown": int(scaling.get("scale_in_cooldown_seconds", defaults.SCALE_IN_COOLDOWN_SECONDS)),
        }
        trackers: list[tuple[str, float, dict]] = [
            ("cpu", scaling.get("cpu_target_percent", defaults.CPU_TARGET_PERCENT),
             {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}),
        ]
        if "memory_target_percent" in scaling:
            trackers.append(("memory", scaling["memory_target_percent"],
                             {"predefined_metric_type": "ECSServiceAverageMemoryUtilization"}))
        if "requests_per_target" in scaling:
            trackers.append(("requests", scaling["requests_per_target"], {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": pulumi.Output.concat(args["load_balancer_arn_suffix"], "/", target_group.arn_suffix),
            }))
        policies = ScalingPolicies(name, target, self)
        for suffix, value, metric in trackers:
            policies.add(suffix, "TargetTrackingScaling", target_tracking_scaling_policy_configuration={
                "target_value": float(value),
                "predefined_metric_specification": metric,
                **cooldowns,
            })

        self.service = service
        """The aws.ecs.Service, for escape hatches."""
        self.service_name = service.name
        self.service_arn = service.arn
        self.task_definition_arn = task.task_definition.arn
        self.target_group_arn = target_group.arn
        self.security_group_id = security_group.id
        self.log_group_name = task.log_group.name
        self.task_role_arn = task.task_role.arn
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "target_group_arn": self.target_group_arn,
                "security_group_id": self.security_group_id,
                "log_group_name": self.log_group_name,
                "task_role_arn": self.task_role_arn,
            }
        )


def _target_health_check(check: TargetHealthCheck) -> dict:
    result = {
        "path": check.get("path", defaults.HEALTH_CHECK_PATH),
        "matcher": check.get("matcher", defaults.HEALTH_CHECK_MATCHER),
        "interval": int(check.get("interval_seconds", defaults.TARGET_HEALTH_INTERVAL_SECONDS)),
        "timeout": int(check.get("timeout_seconds", defaults.TARGET_HEALTH_TIMEOUT_SECONDS)),
        "healthy_threshold": int(check.get("healthy_threshold", defaults.HEALTHY_THRESHOLD)),
        "unhealthy_threshold": int(check.get("unhealthy_threshold", defaults.UNHEALTHY_THRESHOLD)),
    }
    if not str(result["path"]).startswith("/"):
        raise ValueError(f"health_check.path must start with /; got {result['path']!r}")
    if result["timeout"] >= result["interval"]:
        raise ValueError("health_check timeout must be shorter than its interval")
    return result
