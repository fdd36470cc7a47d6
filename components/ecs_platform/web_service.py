"""WebService: an HTTP service on Fargate behind the shared Application Load Balancer."""

from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming
from ._args import check_keys
from ._aws import ECS_INFRASTRUCTURE_TRUST, AccountContext, policy_document
from ._service import (
    Deployment,
    WEB_ONLY_ALARMS,
    OnCallAlarms,
    Placement,
    ScalingPolicies,
    ServiceAlarms,
    ServiceConnect,
    admit_caller,
    alarm_thresholds_problem,
    checked_bounds,
    checked_service_connect,
    checked_strategy,
    deployment_defaults,
    fargate_service,
    managed_instances_problem,
    scalable_target,
    service_connect_configuration,
    task_security_group,
)
from ._volumes import infrastructure_role, volume_configuration
from .cluster import CapacityProviderStrategyItem
from .enums import STICKINESS_TYPE, CapacityProvider, StickinessType
from .task_definition import TaskArgs, TaskSpec

# ALB limits (ELB User Guide, "Quotas for your Application Load Balancers", and "Condition types for listener
# rules": "up to three match evaluations per condition", "up to five match evaluations per rule").
MAX_CONDITION_VALUES = 5
MAX_VALUES_PER_CONDITION = 3
MAX_PRIORITY = 50000
MAX_STICKINESS_SECONDS = 604800
"""TargetGroupAttribute stickiness.*.duration_seconds: "1 second to 1 week (604,800 seconds)"."""
RESERVED_COOKIE_PREFIXES = ("AWSALB", "AWSALBAPP", "AWSALBTG")
"""TargetGroupAttribute stickiness.app_cookie.cookie_name: these prefixes are reserved for the load balancer."""
WEIGHTS_ECS_OWNS = "actions[0].forward.targetGroups[*].weight"
"""The production rule's weights, which ECS moves during a progressive deployment."""
TARGET_GROUP_PORT = 80
"""The target groups' nominal port; tasks register at their container port."""
ALTERNATE_TARGET_GROUP_SUFFIX = "-tg-alt"
"""The alternate target group a progressive deployment starts the new revision in."""


def listener_rule_conditions(paths: list[str], hosts: list[str]) -> list[tuple[list[str], list[str]]]:
    """The (paths, hosts) of each listener rule a service routes with: every rule matches all the paths (at most 3,
    one path-pattern condition) and as many hosts as the rule has values left, so more than 3 hosts become several
    rules, at priorities priority, priority + 1, ... Raises ValueError when the paths alone fill a rule or there are
    more than 3."""
    if len(paths) > MAX_VALUES_PER_CONDITION:
        raise ValueError(f"path_patterns: a listener rule condition takes at most {MAX_VALUES_PER_CONDITION} values; "
                         f"got {len(paths)}")
    if not hosts:
        return [(list(paths), [])]
    per_rule = min(MAX_VALUES_PER_CONDITION, MAX_CONDITION_VALUES - len(paths))
    return [(list(paths), hosts[i:i + per_rule]) for i in range(0, len(hosts), per_rule)]


def rule_name(name: str, index: int) -> str:
    """The listener rule ``index`` (from 0) of service ``name``: the first keeps the name it always had, so a
    stack that adds hosts adds rules instead of replacing the one it has."""
    return f"{name}-route" if index == 0 else f"{name}-route-{index + 1}"


def stickiness_problem(stickiness: "Stickiness") -> Optional[str]:
    """Why ``stickiness`` is not a target group's stickiness ELB accepts, or None."""
    kind = StickinessType(stickiness.get("type", StickinessType.LB_COOKIE))
    duration = int(stickiness.get("duration_seconds", defaults.STICKINESS_DURATION_SECONDS))
    cookie = stickiness.get("cookie_name")
    if not 1 <= duration <= MAX_STICKINESS_SECONDS:
        return f"stickiness.duration_seconds must be 1 to {MAX_STICKINESS_SECONDS}; got {duration}"
    if kind is StickinessType.APP_COOKIE and not cookie:
        return "stickiness.cookie_name is required with type appCookie: the cookie your application sets"
    if kind is StickinessType.LB_COOKIE and cookie:
        return "stickiness.cookie_name is used only with type appCookie (lbCookie uses the load balancer's AWSALB)"
    if cookie and cookie.upper().startswith(RESERVED_COOKIE_PREFIXES):
        return f"stickiness.cookie_name must not start with AWSALB, AWSALBAPP or AWSALBTG; got {cookie!r}"
    return None


def alternate_target_group_problem(name: str) -> Optional[str]:
    """Why a web service called ``name`` cannot deploy progressively, or None: its alternate target group is named
    `<name>-tg-alt-` plus 7 random characters, and ELB allows 32 characters (naming.check_name's rule for the
    children every web service has)."""
    key, limit = naming.NAME_LIMITS["aws:lb/targetGroup:TargetGroup"]
    longest = limit - len(ALTERNATE_TARGET_GROUP_SUFFIX) - naming.RANDOM_SUFFIX
    if len(name) > longest:
        return (f"WebService name {name!r} is {len(name)} characters; a progressive deployment allows at most "
                f"{longest}, because its alternate target group is named '{name}{ALTERNATE_TARGET_GROUP_SUFFIX}-' "
                f"plus 7 random characters and AWS allows {limit}")
    return None


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


class Stickiness(TypedDict):
    """Sticky sessions: the load balancer keeps a client on the target it first reached."""

    enabled: NotRequired[bool]
    """Whether stickiness is on. Default: true."""
    duration_seconds: NotRequired[int]
    """Seconds a client stays on its target, 1 to 604800. Default: 86400 (a day)."""
    type: NotRequired[StickinessType]
    """lbCookie (the load balancer's AWSALB cookie) or appCookie (a cookie of the application). Default: lbCookie."""
    cookie_name: NotRequired[str]
    """The application's cookie; appCookie only, and required with it."""


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
    task: TaskArgs
    """Image, size, configuration and permissions of the tasks."""
    listener_arn: NotRequired[pulumi.Input[str]]
    """Load balancer listener the routing rules are added to. Without it (and the other load balancer inputs) the
    service has no load balancer and is reached only through Service Connect, which it then needs. Default: none."""
    load_balancer_security_group_id: NotRequired[pulumi.Input[str]]
    """Security group of the load balancer: the only source the tasks admit. Required with listener_arn."""
    load_balancer_arn_suffix: NotRequired[pulumi.Input[str]]
    """ARN suffix of the load balancer, for alarms and request-count scaling. Required with listener_arn."""
    priority: NotRequired[int]
    """Priority of the first listener rule, 1 to 50000; further rules (more than 3 hosts) take the next ones, each
    unique on the listener. Required with listener_arn."""
    path_patterns: NotRequired[list[str]]
    """Paths routed to the service, for example ["/api/*"], at most 3. At least one path or host."""
    host_headers: NotRequired[list[str]]
    """Host names routed to the service. At least one path or host. Each rule matches at most 5 paths and hosts
    together (ELB's limit), so more hosts become several rules with consecutive priorities."""
    stickiness: NotRequired[Stickiness]
    """Sticky sessions on the target groups. Default: none (off)."""
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
    managed_instances: NotRequired[pulumi.Input[str]]
    """Name of a Managed Instances capacity provider of the cluster (a Cluster's capacity_provider_names[...]): the
    tasks run there (a MANAGED_INSTANCES task definition) instead of on Fargate; not with
    capacity_provider_strategy. Default: none (Fargate)."""
    deployment: NotRequired[Deployment]
    """Deployment strategy and bounds, waiting for rollouts and ECS Exec. Default: rolling, 100% to 200%, no waiting,
    ECS Exec off."""
    autoscaling: NotRequired[WebAutoscaling]
    """Scaling bounds and targets. Default: 2 to 10 tasks at 70% CPU."""
    service_connect: NotRequired[ServiceConnect]
    """Join a Service Connect namespace and expose the container port there under a discovery name; callers are let
    in with admit(). Default: none."""
    alarms: NotRequired[ServiceAlarms]
    """On-call alarms (5XX rate, unhealthy targets, p95 latency, tasks below desired, CPU, memory) and the topics
    they tell. Default: none; a progressive deployment still gets the 5XX and unhealthy-target alarms it rolls back
    on."""
    renamed_from: NotRequired[str]
    """The name this component had before a rename: its resources keep their state under the new name (Pulumi
    aliases) instead of being deleted and created again. Keep it for as long as any stack may still hold the old
    name. Default: none."""


class WebService(pulumi.ComponentResource):
    """An HTTP service on Fargate: task definition, target group, listener rule, ECS service with circuit-breaker
    rollback in private subnets, and target-tracking autoscaling."""

    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the current task definition revision."""
    target_group_arn: pulumi.Output[Optional[str]]
    """Target group the tasks register in, or none (a service without a load balancer)."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks (admit it on a database to let the service in)."""
    log_group_name: pulumi.Output[str]
    """Log group the containers write to."""
    task_role_arn: pulumi.Output[str]
    """Role the application runs as."""
    alternate_target_group_arn: pulumi.Output[Optional[str]]
    """Target group a progressive deployment starts the new revision in, or none (rolling)."""

    def __init__(self, name: str, args: WebServiceArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        naming.check_name("WebService", name, naming.WEB_SERVICE_CHILDREN)
        check_keys("WebService", args, WebServiceArgs)
        strategy_args = args.get("capacity_provider_strategy")
        on_spot = any(CapacityProvider(i["capacity_provider"]) is CapacityProvider.FARGATE_SPOT
                      for i in strategy_args or [])
        problem = managed_instances_problem(args.get("managed_instances"), strategy_args)
        if problem:
            raise ValueError(problem)
        # Spot gives two minutes' notice: a web task on Spot gets all of it to drain unless the task says otherwise.
        spec = TaskSpec.of(name, args["task"], default_stop_timeout=(
            defaults.WORKER_STOP_TIMEOUT_SECONDS if on_spot else defaults.STOP_TIMEOUT_SECONDS),
            managed_instances="managed_instances" in args)
        port = int(args.get("container_port", defaults.CONTAINER_PORT))
        balanced = _load_balanced(args)
        priority = int(args.get("priority", 0))
        paths = list(args.get("path_patterns", []))
        hosts = list(args.get("host_headers", []))
        stickiness = args.get("stickiness")
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
        connect = checked_service_connect(name, args.get("service_connect"), default_port=port)
        if connect is not None and connect.port != port:
            raise ValueError(f"service_connect.port must be the container_port {port}: the web service names only "
                             f"that port mapping; got {connect.port}")
        alarm_settings = dict(args.get("alarms", {}))
        for problem in (alarm_thresholds_problem(alarm_settings, web=True),
                        alternate_target_group_problem(name) if deployment.progressive else None):
            if problem:
                raise ValueError(problem)
        rules: list[tuple[list[str], list[str]]] = []
        if balanced:
            if not paths and not hosts:
                raise ValueError("needs at least one of path_patterns and host_headers to route traffic")
            rules = listener_rule_conditions(paths, hosts)
            if not 1 <= priority or priority + len(rules) - 1 > MAX_PRIORITY:
                raise ValueError(f"priority must be 1 to {MAX_PRIORITY - len(rules) + 1} for {len(rules)} listener "
                                 f"rule(s); got {priority}")
            if deployment.progressive and len(rules) > 1:
                raise ValueError(f"a progressive deployment shifts the traffic of one listener rule; {len(hosts)} "
                                 f"host_headers need {len(rules)} rules: use at most "
                                 f"{min(MAX_VALUES_PER_CONDITION, MAX_CONDITION_VALUES - len(paths))} hosts")
            problem = stickiness_problem(stickiness) if stickiness is not None else None
            if problem:
                raise ValueError(problem)
        else:
            _refuse_without_load_balancer(args, connect, deployment.progressive, alarm_settings)
        checked_bounds(min_tasks, max_tasks, desired)
        if min_tasks < 1:
            raise ValueError("autoscaling min_tasks must be at least 1: at zero tasks a web service publishes no "
                             "metric that could scale it back up")

        opts = naming.renamed("WebService", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:WebService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        task = spec.build(
            self,
            port=port,
            enable_execute_command=deployment.enable_execute_command,
            execute_command_log_group=placement.get("execute_command_log_group_name"),
        )

        def group(suffix: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                f"{name}{suffix}",
                vpc_id=placement["vpc_id"],
                # ECS registers each task's IP at the container port, and the health check probes the port a target
                # registered with (traffic-port): the group's own port is only a default no one uses. A fixed one
                # keeps the group when container_port changes (port is ForceNew, and replacing the groups of a
                # live service takes its production traffic with them).
                port=TARGET_GROUP_PORT,
                protocol="HTTP",
                target_type="ip",
                deregistration_delay=int(
                    args.get("deregistration_delay_seconds", defaults.DEREGISTRATION_DELAY_SECONDS)),
                health_check={**health, "enabled": True, "protocol": "HTTP", "port": "traffic-port"},
                # Stickiness is a target group attribute, changed in place (ModifyTargetGroupAttributes).
                stickiness=_stickiness(stickiness),
                opts=child,
            )

        target_group = group("-tg") if balanced else None
        # A progressive deployment starts the new revision in the alternate group, with the same health check.
        alternate = group(ALTERNATE_TARGET_GROUP_SUFFIX) if balanced and deployment.progressive else None
        groups = [g for g in (target_group, alternate) if g is not None]
        route_rules: list[aws.lb.ListenerRule] = []
        for index, (rule_paths, rule_hosts) in enumerate(rules):
            assert target_group is not None
            conditions = []
            if rule_paths:
                conditions.append({"path_pattern": {"values": rule_paths}})
            if rule_hosts:
                conditions.append({"host_header": {"values": rule_hosts}})
            if alternate is None:
                actions: list[dict[str, Any]] = [{"type": "forward", "target_group_arn": target_group.arn}]
                rule_opts = child
            else:
                # ECS shifts traffic by reweighting the production rule, which must forward to both groups ("Both
                # targetGroup and alternateTargetGroup must be associated with the productionListenerRule"). After a
                # deployment the weights belong to ECS: a later `pulumi up` must not send traffic back to the old
                # revision.
                actions = [{"type": "forward", "forward": {"target_groups": [
                    {"arn": target_group.arn, "weight": 100}, {"arn": alternate.arn, "weight": 0}]}}]
                # Only the weights are ECS's; the groups stay the program's, so a replaced group is followed, never
                # left in use. A nested path is not translated, hence camelCase.
                rule_opts = pulumi.ResourceOptions(parent=self, ignore_changes=[WEIGHTS_ECS_OWNS])
            route_rules.append(aws.lb.ListenerRule(
                rule_name(name, index),
                listener_arn=args["listener_arn"],
                priority=priority + index,
                actions=actions,
                conditions=conditions,
                opts=rule_opts,
            ))

        security_group = task_security_group(
            name, placement["vpc_id"],
            f"Tasks of {name}: the load balancer in, HTTPS out" if balanced
            else f"Tasks of {name}: Service Connect callers in, HTTPS out", child, spec.egress
        )
        if balanced:
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

        permissions = list(task.permissions)
        oncall = OnCallAlarms(name, alarm_settings, child)
        extra: dict[str, Any] = {}
        if target_group is not None:
            load_balancer: dict[str, Any] = {"target_group_arn": target_group.arn, "container_name": name,
                                             "container_port": port}
            extra["load_balancers"] = [load_balancer]
            extra["health_check_grace_period_seconds"] = int(
                args.get("health_check_grace_period_seconds", defaults.HEALTH_CHECK_GRACE_PERIOD_SECONDS))
            if alternate is not None:
                role, policy = _traffic_role(name, self, [target_group, alternate])
                permissions.append(policy)
                load_balancer["advanced_configuration"] = {
                    "alternate_target_group_arn": alternate.arn,
                    "production_listener_rule": route_rules[0].arn,
                    "role_arn": AccountContext.of(self).role_arn(role.name),
                }
            lb_suffix = args["load_balancer_arn_suffix"]
            rollback_alarms = _load_balancer_alarms(oncall, groups, lb_suffix, rollback=deployment.progressive)
            if deployment.progressive:
                # ECS fails and rolls back a deployment during which either alarm fires.
                extra["alarms"] = {"alarm_names": [a.name for a in rollback_alarms], "enable": True, "rollback": True}
        ebs = args["task"].get("ebs_volume")
        if ebs is not None:
            volumes_role, volume_permissions = infrastructure_role(name, ebs, self)
            permissions += volume_permissions
            extra["volume_configuration"] = volume_configuration(
                ebs, AccountContext.of(self).role_arn(volumes_role.name))
        if connect is not None:
            extra["service_connect_configuration"] = service_connect_configuration(
                connect, task.log_group.name, AccountContext.of(self).region)

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
            permissions=permissions,
            # ECS refuses a target group that no listener rule uses yet.
            depends_on=list(route_rules),
            extra_security_group_ids=spec.security_group_ids,
            managed_instances=args.get("managed_instances"),
            **extra,
        )
        oncall.service_health(placement["cluster_name"], service.name)

        target = scalable_target(f"{name}-scaling", placement["cluster_name"], service, min_tasks, max_tasks, child)
        cooldowns = {
            "scale_out_cooldown": int(scaling.get("scale_out_cooldown_seconds", defaults.SCALE_OUT_COOLDOWN_SECONDS)),
            "scale_in_cooldown": int(scaling.get("scale_in_cooldown_seconds", defaults.SCALE_IN_COOLDOWN_SECONDS)),
        }
        trackers: list[tuple[str, float, dict]] = [
            ("cpu", scaling.get("cpu_target_percent", defaults.CPU_TARGET_PERCENT),
             {"predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}),
        ]
        if "memory_target_percent" in scaling:
            trackers.append(("memory", scaling["memory_target_percent"], {"predefined_metric_specification": {
                "predefined_metric_type": "ECSServiceAverageMemoryUtilization"}}))
        if "requests_per_target" in scaling and target_group is not None and alternate is None:
            trackers.append(("requests", scaling["requests_per_target"], {"predefined_metric_specification": {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": pulumi.Output.concat(args["load_balancer_arn_suffix"], "/", target_group.arn_suffix),
            }}))
        elif "requests_per_target" in scaling and alternate is not None:
            # After a progressive deployment the alternate group serves: track the requests of both (ALBRequestCount-
            # PerTarget takes one target group).
            trackers.append(("requests", scaling["requests_per_target"], {"customized_metric_specification": {
                "metrics": [
                    *[_requests_per_target(f"requests{i}", g, args["load_balancer_arn_suffix"])
                      for i, g in enumerate(groups)],
                    {"id": "requests", "expression": "FILL(requests0, 0) + FILL(requests1, 0)",
                     "label": "Requests per target of the serving target group", "return_data": True},
                ],
            }}))
        policies = ScalingPolicies(name, target, self)
        for suffix, value, metric in trackers:
            policies.add(suffix, "TargetTrackingScaling", target_tracking_scaling_policy_configuration={
                "target_value": float(value),
                **metric,
                **cooldowns,
            })

        self.service = service
        """The aws.ecs.Service, for escape hatches."""
        self.service_name = service.name
        self.service_arn = service.arn
        self.task_definition_arn = task.task_definition.arn
        self.target_group_arn = (
            target_group.arn if target_group is not None else pulumi.Output.from_input(None))
        self.security_group_id = security_group.id
        self.log_group_name = task.log_group.name
        self.task_role_arn = task.task_role.arn
        self.alternate_target_group_arn = (
            alternate.arn if alternate is not None else pulumi.Output.from_input(None))
        self._admission = (name, connect.port if connect is not None else None, security_group,
                           args.get("renamed_from"))
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "target_group_arn": self.target_group_arn,
                "security_group_id": self.security_group_id,
                "log_group_name": self.log_group_name,
                "task_role_arn": self.task_role_arn,
                "alternate_target_group_arn": self.alternate_target_group_arn,
            }
        )

    def admit(self, caller: str, security_group_id: pulumi.Input[str],
              caller_renamed_from: Optional[str] = None) -> aws.vpc.SecurityGroupIngressRule:
        """Let the tasks in ``security_group_id`` (the service ``caller``) reach this service's Service Connect port,
        and only that port: an ingress rule `<name>-from-<caller>` from that security group, plus the matching egress
        rule on it; ``caller_renamed_from`` is the caller's name before a rename, so the rules keep their state.
        ValueError when the service exposes no Service Connect port."""
        name, port, group, renamed_from = self._admission
        return admit_caller(self, name, caller, security_group_id, port, group,
                            before=(renamed_from or name, caller_renamed_from or caller))


_LOAD_BALANCER_INPUTS = ("listener_arn", "load_balancer_security_group_id", "load_balancer_arn_suffix", "priority")
# What only a service behind a load balancer has: its routing, its target group and the load balancer's view of it.
_LOAD_BALANCER_ONLY = ("path_patterns", "host_headers", "health_check", "stickiness", "deregistration_delay_seconds",
                       "health_check_grace_period_seconds")


def _load_balanced(args: WebServiceArgs) -> bool:
    """Whether the service is behind a load balancer: all of the load balancer inputs, or none of them."""
    given = [key for key in _LOAD_BALANCER_INPUTS if args.get(key) is not None]
    if given and len(given) < len(_LOAD_BALANCER_INPUTS):
        missing = [key for key in _LOAD_BALANCER_INPUTS if key not in given]
        raise ValueError(f"a service behind a load balancer needs {', '.join(_LOAD_BALANCER_INPUTS)}; "
                         f"missing {', '.join(missing)}")
    return bool(given)


def _refuse_without_load_balancer(args: WebServiceArgs, connect: Any, progressive: bool,
                                  alarms: dict[str, Any]) -> None:
    """A service without a load balancer is reached through Service Connect, deploys rolling (the progressive
    strategies shift a listener rule's traffic) and has none of the load balancer's settings or alarms."""
    for key in _LOAD_BALANCER_ONLY:
        if key in args:
            raise ValueError(f"{key} needs a load balancer; this service has none (no listener_arn)")
    if "requests_per_target" in args.get("autoscaling", {}):
        raise ValueError("autoscaling.requests_per_target counts load balancer requests; this service has none")
    for key in WEB_ONLY_ALARMS:
        if key in alarms:
            raise ValueError(f"alarms.{key} is a load balancer alarm; this service has no load balancer")
    if connect is None:
        raise ValueError("a service without a load balancer is reached only through Service Connect: give "
                         "service_connect (or a listener_arn)")
    if progressive:
        raise ValueError("deployment.strategy: a service without a load balancer deploys rolling (the progressive "
                         "strategies shift a listener rule's traffic)")


def _stickiness(stickiness: Optional[Stickiness]) -> Optional[dict[str, Any]]:
    """The target group's stickiness block. The provider sends cookie_duration as the duration of either cookie
    type (terraform-provider-aws, internal/service/elbv2/target_group.go, expandTargetGroupStickinessAttributes:
    stickiness.lb_cookie.duration_seconds or stickiness.app_cookie.duration_seconds)."""
    if stickiness is None:
        return None
    kind = StickinessType(stickiness.get("type", StickinessType.LB_COOKIE))
    block: dict[str, Any] = {
        "enabled": bool(stickiness.get("enabled", True)),
        "type": STICKINESS_TYPE[kind],
        "cookie_duration": int(stickiness.get("duration_seconds", defaults.STICKINESS_DURATION_SECONDS)),
    }
    if kind is StickinessType.APP_COOKIE:
        block["cookie_name"] = stickiness["cookie_name"]
    return block


def _traffic_role(name: str, parent: pulumi.Resource,
                  groups: list[aws.lb.TargetGroup]) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """The role ECS assumes to move this service's tasks between its two target groups and reweight its listener
    rule (ECS Developer Guide, "Amazon ECS infrastructure IAM role for load balancers").

    The statements are those of the managed AmazonECSInfrastructureRolePolicyForLoadBalancers for an Application
    Load Balancer, narrowed. The managed policy lets ECS register targets in every target group and rewrite every
    listener and rule, in any account and region the role is used for; here targets go only into this service's two
    groups, and rules and listeners are those of Application Load Balancers of this account and region. The groups
    are named by name (`targetgroup/<name>/*`: a name is unique per account and region, the suffix is the id ELB
    assigns), so the policy is known, and judged, at a stack's first preview; the rule and the listener get their ids
    from ELB only when they are created, hence the narrower wildcard there. The price of not using the managed
    policy: a permission AWS adds to it for a new ECS feature has to be added here too."""
    opts = pulumi.ResourceOptions(parent=parent)
    account = AccountContext.of(parent)
    role = aws.iam.Role(
        f"{name}-traffic",
        description=f"ECS shifts the traffic of {name} between its target groups during deployments",
        # As AWS documents this role's trust policy: ecs.amazonaws.com, no condition (ECS Developer Guide,
        # "Amazon ECS infrastructure IAM role for load balancers").
        assume_role_policy=ECS_INFRASTRUCTURE_TRUST,
        opts=opts,
    )
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            # Describe actions support no resource-level permissions.
            "Action": ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                       "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"],
            "Resource": "*",
        },
        {"Effect": "Allow",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
         "Resource": [pulumi.Output.concat(account.arn("elasticloadbalancing", "targetgroup/"), g.name, "/*")
                      for g in groups]},
        {"Effect": "Allow", "Action": "elasticloadbalancing:ModifyRule",
         "Resource": account.arn("elasticloadbalancing", "listener-rule/app/*")},
        {"Effect": "Allow", "Action": "elasticloadbalancing:ModifyListener",
         "Resource": account.arn("elasticloadbalancing", "listener/app/*")},
    ]
    policy = aws.iam.RolePolicy(
        f"{name}-traffic",
        role=role.name,
        policy=pulumi.Output.json_dumps(policy_document(*statements)),
        opts=opts,
    )
    return role, policy


def _alb_metric(query_id: str, metric: str, group: aws.lb.TargetGroup, lb_suffix: pulumi.Input[str],
                stat: str, *, returned: bool = False) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": returned,
        "metric": {
            "namespace": "AWS/ApplicationELB",
            "metric_name": metric,
            "dimensions": {"TargetGroup": group.arn_suffix, "LoadBalancer": lb_suffix},
            "period": defaults.ALARM_PERIOD_SECONDS,
            "stat": stat,
        },
    }


def _requests_per_target(query_id: str, group: aws.lb.TargetGroup, lb_suffix: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": False,
        "metric_stat": {
            "stat": "Sum",
            "metric": {
                "namespace": "AWS/ApplicationELB",
                "metric_name": "RequestCountPerTarget",
                "dimensions": [{"name": "TargetGroup", "value": group.arn_suffix},
                               {"name": "LoadBalancer", "value": lb_suffix}],
            },
        },
    }


def _load_balancer_alarms(oncall: OnCallAlarms, groups: list[aws.lb.TargetGroup], lb_suffix: pulumi.Input[str], *,
                          rollback: bool) -> list[aws.cloudwatch.MetricAlarm]:
    """The load balancer's view of the service, per target group: 5XX rate and unhealthy targets (the alarms a
    progressive deployment rolls back on, so they exist for one even without topics) and p95 latency. With two
    groups (a progressive deployment) each alarm reads both and takes the worse, so a failing new revision alarms
    at any canary share, and the alarms keep working whichever group serves after a deployment."""
    if not (oncall.paging or rollback):
        return []
    settings = oncall.settings
    rate = float(settings.get("target_5xx_rate_percent", defaults.TARGET_5XX_RATE_PERCENT))
    queries: list[dict[str, Any]] = []
    for i, group in enumerate(groups):
        queries += [
            _alb_metric(f"errors{i}", "HTTPCode_Target_5XX_Count", group, lb_suffix, "Sum"),
            _alb_metric(f"requests{i}", "RequestCount", group, lb_suffix, "Sum"),
            # No request, no rate: ALB publishes the 5XX count only when there are some.
            {"id": f"rate{i}", "expression": f"IF(FILL(requests{i}, 0) > 0, 100 * FILL(errors{i}, 0) / requests{i}, 0)",
             "label": "Percent of requests answered 5XX by the tasks", "return_data": len(groups) == 1},
        ]
    if len(groups) > 1:
        queries.append({"id": "rate", "expression": "IF(rate0 > rate1, rate0, rate1)",
                        "label": "Percent of requests answered 5XX, worse target group", "return_data": True})
    errors = oncall.add(
        "5xx-rate", f"{oncall.name} answers more than {rate:g}% of requests with 5XX",
        comparison_operator="GreaterThanThreshold", threshold=rate,
        evaluation_periods=defaults.TARGET_5XX_EVALUATION_MINUTES, datapoints_to_alarm=defaults.TARGET_5XX_DATAPOINTS,
        metric_queries=queries)

    hosts = int(settings.get("unhealthy_hosts", defaults.UNHEALTHY_HOSTS))
    minutes = defaults.UNHEALTHY_HOSTS_MINUTES
    queries = [_alb_metric(f"unhealthy{i}", "UnHealthyHostCount", g, lb_suffix, "Maximum", returned=len(groups) == 1)
               for i, g in enumerate(groups)]
    if len(groups) > 1:
        queries.append({"id": "unhealthy", "expression": "FILL(unhealthy0, 0) + FILL(unhealthy1, 0)",
                        "label": "Unhealthy targets in both target groups", "return_data": True})
    unhealthy = oncall.add(
        "unhealthy-hosts", f"{oncall.name} has had more than {hosts} unhealthy targets for {minutes} minutes",
        comparison_operator="GreaterThanThreshold", threshold=hosts, evaluation_periods=minutes,
        datapoints_to_alarm=minutes, metric_queries=queries)

    if oncall.paging:
        latency = float(settings.get("p95_latency_seconds", defaults.P95_LATENCY_SECONDS))
        minutes = defaults.LATENCY_MINUTES
        queries = [_alb_metric(f"latency{i}", "TargetResponseTime", g, lb_suffix, "p95", returned=len(groups) == 1)
                   for i, g in enumerate(groups)]
        if len(groups) > 1:
            queries.append({"id": "latency",
                            "expression": "IF(FILL(latency0, 0) > FILL(latency1, 0), FILL(latency0, 0), "
                                          "FILL(latency1, 0))",
                            "label": "p95 target response time, slower target group", "return_data": True})
        oncall.add("p95-latency", f"{oncall.name} answers 5% of requests slower than {latency:g} s",
                   comparison_operator="GreaterThanThreshold", threshold=latency, evaluation_periods=minutes,
                   datapoints_to_alarm=minutes, metric_queries=queries)
    return [errors, unhealthy]


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
