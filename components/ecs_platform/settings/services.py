"""Settings of a web service behind the load balancer (``ecs-platform:services``): routing, target health checks,
autoscaling, deployments, Service Connect and alarm thresholds."""

from __future__ import annotations

from typing import Any, Literal, Optional

import pulumi
from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .. import defaults, validation
from .._service import ServiceConnect, discovery_name_problem
from ..enums import DeploymentStrategy, ServiceExposure, StickinessType
from ..web_service import (
    MAX_CONDITION_VALUES,
    MAX_PRIORITY,
    MAX_STICKINESS_SECONDS,
    MAX_VALUES_PER_CONDITION,
    Stickiness,
    listener_rule_conditions,
    stickiness_problem,
)
from .base import Bool, KeyProblem, _component_check, _Settings
from .tasks import TaskSettings


class ServiceConnectSettings(_Settings):
    """Membership of the cluster's Service Connect namespace (cluster.serviceConnectNamespace)."""

    discovery_name: Optional[str] = Field(
        None, description="Name other services call it by (http://<name>:<containerPort>). Default: its own name.")
    callers: list[str] = Field(
        default_factory=list,
        description="Services and workers allowed to call it: its port opens to their security groups only.")
    access_logs: Literal["json", "text", "off"] = Field(
        defaults.SERVICE_CONNECT_ACCESS_LOGS,
        description="The proxy's access logs, one line per request, in the workload's log group: json, text or off.")
    include_query_parameters: Bool = Field(
        False, description="Log query strings too (they can carry tokens and personal data).")

    _discovery_name = field_validator("discovery_name")(
        _component_check(discovery_name_problem, "service_connect.discovery_name"))

    @field_validator("callers")
    @classmethod
    def _unique_callers(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a caller twice: {value}")
        return value

    @model_validator(mode="after")
    def _query_strings_need_logs(self) -> "ServiceConnectSettings":
        if self.include_query_parameters and self.access_logs == "off":
            raise KeyProblem("includeQueryParameters", "needs access logs; set accessLogs to json or text, or remove it")
        return self

    def args(self, name: str, namespace: pulumi.Input[str]) -> ServiceConnect:
        """``name`` is the workload's name, or the one it had before a rename: callers keep calling it by that."""
        return {"namespace": namespace, "discovery_name": self.discovery_name or name,
                "access_logs": self.access_logs, "include_query_parameters": self.include_query_parameters}


class DeploymentSettings(_Settings):
    """How a web service rolls out a new revision (serviceDefaults sets the percentages and the waiting)."""

    strategy: DeploymentStrategy = Field(defaults.DEPLOYMENT_STRATEGY,
                                         description="rolling, blueGreen, canary or linear.")
    bake_time_minutes: int = Field(defaults.BAKE_TIME_MINUTES,
                                   description="Progressive: minutes the old revision stays after all traffic moved.")
    canary_percent: float = Field(defaults.CANARY_PERCENT, description="canary: share of traffic moved first.")
    canary_bake_time_minutes: int = Field(defaults.CANARY_BAKE_TIME_MINUTES,
                                          description="canary: minutes before the rest of the traffic moves.")
    linear_step_percent: float = Field(defaults.LINEAR_STEP_PERCENT, description="linear: share moved per step.")
    linear_step_bake_time_minutes: int = Field(defaults.LINEAR_STEP_BAKE_TIME_MINUTES,
                                               description="linear: minutes between steps.")

    @model_validator(mode="after")
    def _keys_of_the_strategy(self) -> "DeploymentSettings":
        used = {DeploymentStrategy.ROLLING: (),
                DeploymentStrategy.BLUE_GREEN: ("bake_time_minutes",),
                DeploymentStrategy.CANARY: ("bake_time_minutes", "canary_percent", "canary_bake_time_minutes"),
                DeploymentStrategy.LINEAR: ("bake_time_minutes", "linear_step_percent",
                                            "linear_step_bake_time_minutes")}[self.strategy]
        for name in sorted(self.model_fields_set - {"strategy", *used}):
            raise KeyProblem(to_camel(name), f"is not used by strategy {self.strategy.value}; remove it")
        return self


class AlarmSettings(_Settings):
    """Thresholds of the on-call alarms every workload has, which tell alarmTopicArn. Unset keys keep the platform's
    defaults."""

    running_below_desired_minutes: Optional[int] = Field(
        None, ge=1, le=60, description="Minutes below the desired task count (needs Container Insights). "
                                       f"Default: {defaults.RUNNING_BELOW_DESIRED_MINUTES}.")
    cpu_percent: Optional[float] = Field(
        None, gt=0, le=100, description=f"Average CPU. Default: {defaults.CPU_ALARM_PERCENT:g}.")
    memory_percent: Optional[float] = Field(
        None, gt=0, le=100, description=f"Average memory. Default: {defaults.MEMORY_ALARM_PERCENT:g}.")

    def thresholds(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class WebAlarmSettings(AlarmSettings):
    """A web service's alarm thresholds: the load balancer's view too."""

    target_5xx_rate_percent: Optional[float] = Field(
        None, alias="target5xxRatePercent", gt=0, le=100,
        description=f"Share of requests answered 5XX. Default: {defaults.TARGET_5XX_RATE_PERCENT:g}.")
    unhealthy_hosts: Optional[int] = Field(
        None, ge=0, description=f"Unhealthy targets tolerated. Default: {defaults.UNHEALTHY_HOSTS}.")
    p95_latency_seconds: Optional[float] = Field(
        None, gt=0, description=f"p95 response time. Default: {defaults.P95_LATENCY_SECONDS:g}.")


class TargetHealthCheckSettings(_Settings):
    path: str = Field(defaults.HEALTH_CHECK_PATH, max_length=1024)
    matcher: str = Field(defaults.HEALTH_CHECK_MATCHER, description="HTTP codes from 200 to 499, e.g. 200-299.")
    interval_seconds: int = Field(defaults.TARGET_HEALTH_INTERVAL_SECONDS, ge=5, le=300)
    timeout_seconds: int = Field(defaults.TARGET_HEALTH_TIMEOUT_SECONDS, ge=2, le=120)
    healthy_threshold: int = Field(defaults.HEALTHY_THRESHOLD, ge=2, le=10)
    unhealthy_threshold: int = Field(defaults.UNHEALTHY_THRESHOLD, ge=2, le=10)

    _matcher = field_validator("matcher")(classmethod(lambda cls, v: validation.matcher(v)))

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with /; got {value!r}")
        return value

    @model_validator(mode="after")
    def _timeout(self) -> "TargetHealthCheckSettings":
        if self.timeout_seconds >= self.interval_seconds:
            raise KeyProblem("timeoutSeconds", "must be shorter than intervalSeconds")
        return self


class WebAutoscalingSettings(_Settings):
    # At zero tasks a web service publishes no CPU or request metrics, so target tracking could never bring it back.
    min_tasks: int = Field(defaults.MIN_TASKS, ge=1, le=1000)
    max_tasks: int = Field(defaults.MAX_TASKS, ge=1, le=1000)
    cpu_target_percent: int = Field(defaults.CPU_TARGET_PERCENT, ge=10, le=95)
    memory_target_percent: Optional[int] = Field(None, ge=10, le=95)
    requests_per_target: Optional[int] = Field(None, ge=1)
    scale_out_cooldown_seconds: int = Field(defaults.SCALE_OUT_COOLDOWN_SECONDS, ge=0, le=3600)
    scale_in_cooldown_seconds: int = Field(defaults.SCALE_IN_COOLDOWN_SECONDS, ge=0, le=3600)

    @model_validator(mode="after")
    def _bounds(self) -> "WebAutoscalingSettings":
        try:
            validation.scaling_bounds(self.min_tasks, self.max_tasks)
        except ValueError as error:
            raise KeyProblem("minTasks", str(error)) from None
        return self


class StickinessSettings(_Settings):
    """Sticky sessions: the load balancer keeps a client on the task it first reached."""

    enabled: Bool = Field(True, description="Whether stickiness is on.")
    duration_seconds: int = Field(defaults.STICKINESS_DURATION_SECONDS, ge=1, le=MAX_STICKINESS_SECONDS,
                                  description="Seconds a client stays on its task: 1 second to a week.")
    type: StickinessType = Field(StickinessType.LB_COOKIE, description="lbCookie (AWSALB) or appCookie.")
    cookie_name: Optional[str] = Field(None, min_length=1, description="appCookie only: the application's cookie.")

    @model_validator(mode="after")
    def _cookie(self) -> "StickinessSettings":
        problem = stickiness_problem(self.args())
        if problem:
            raise KeyProblem("cookieName", problem.split(" ", 1)[1])
        return self

    def args(self) -> Stickiness:
        args: Stickiness = {"enabled": self.enabled, "duration_seconds": self.duration_seconds, "type": self.type}
        if self.cookie_name is not None:
            args["cookie_name"] = self.cookie_name
        return args


_LOAD_BALANCER_KEYS = ("path_patterns", "host_headers", "priority", "health_check", "stickiness",
                       "deregistration_delay_seconds", "health_check_grace_period_seconds")
"""What a service without a load balancer has no use for."""


class ServiceSettings(TaskSettings):
    """A web service: behind the internet-facing load balancer, the internal one, or none (Service Connect only)."""

    load_balancer: ServiceExposure = Field(ServiceExposure.PUBLIC, description=(
        "public: a listener rule on the internet-facing load balancer; internal: on the stack's internal load "
        "balancer (internalLoadBalancer); none: no load balancer, reached through serviceConnect only."))
    container_port: int = Field(defaults.CONTAINER_PORT, ge=1, le=65535)
    path_patterns: list[str] = Field(default_factory=list)
    host_headers: list[str] = Field(default_factory=list)
    priority: Optional[int] = Field(None, ge=1, le=MAX_PRIORITY, description=(
        "Priority of the service's first listener rule, unique per load balancer; more than 3 hosts take the next "
        "ones. Required with a load balancer."))
    stickiness: Optional[StickinessSettings] = Field(None, description="Sticky sessions. Default: off.")
    health_check: TargetHealthCheckSettings = Field(default_factory=TargetHealthCheckSettings)
    deregistration_delay_seconds: int = Field(defaults.DEREGISTRATION_DELAY_SECONDS, ge=0, le=3600)
    health_check_grace_period_seconds: int = Field(defaults.HEALTH_CHECK_GRACE_PERIOD_SECONDS, ge=0, le=2147483647)
    desired_count: Optional[int] = Field(None, ge=1, le=1000, description="Default: 2, within minTasks..maxTasks.")
    autoscaling: WebAutoscalingSettings = Field(default_factory=WebAutoscalingSettings)
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    service_connect: Optional[ServiceConnectSettings] = Field(
        None, description="Join the cluster's Service Connect namespace, reachable on containerPort. Default: no.")
    alarms: WebAlarmSettings = Field(default_factory=WebAlarmSettings, description="This service's alarm thresholds.")

    _paths = field_validator("path_patterns")(classmethod(lambda cls, v: [validation.path_pattern(p) for p in v]))
    _hosts = field_validator("host_headers")(classmethod(lambda cls, v: [validation.host_header(h) for h in v]))

    def rule_count(self) -> int:
        """How many listener rules the service's paths and hosts need (0 without a load balancer)."""
        if self.load_balancer is ServiceExposure.NONE:
            return 0
        return len(listener_rule_conditions(self.path_patterns, self.host_headers))

    def url(self, base: Optional[pulumi.Input[str]], name: str = "") -> pulumi.Output[str]:
        """Where the service ``name`` answers: the load balancer URL and its first path (without a trailing
        wildcard), or its first host name; without a load balancer, its Service Connect address
        http://<discovery name>:<port> (the discovery name, or the name callers knew before a rename)."""
        if self.load_balancer is ServiceExposure.NONE or base is None:
            connect = self.service_connect
            discovery = (connect.discovery_name if connect else None) or self.renamed_from or name
            return pulumi.Output.from_input(f"http://{discovery}:{self.container_port}")
        if self.path_patterns:
            path = self.path_patterns[0].rstrip("*")
            return pulumi.Output.concat(base, path if path.startswith("/") else f"/{path}")
        scheme = pulumi.Output.from_input(base).apply(lambda url: url.split("://", 1)[0])
        return pulumi.Output.concat(scheme, "://", self.host_headers[0])

    @model_validator(mode="after")
    def _routing(self) -> "ServiceSettings":
        if self.load_balancer is ServiceExposure.NONE:
            self._without_load_balancer()
        else:
            self._with_load_balancer()
        if self.desired_count is not None and not (
            self.autoscaling.min_tasks <= self.desired_count <= self.autoscaling.max_tasks
        ):
            raise KeyProblem(
                "desiredCount",
                f"{self.desired_count} is outside autoscaling minTasks {self.autoscaling.min_tasks} to maxTasks "
                f"{self.autoscaling.max_tasks}",
            )
        return self

    def _with_load_balancer(self) -> None:
        if self.priority is None:
            raise KeyProblem("priority", f"required with loadBalancer: {self.load_balancer.value} (the priority of the "
                                         "service's listener rule, unique per load balancer)")
        if not self.path_patterns and not self.host_headers:
            raise KeyProblem("pathPatterns", "needs at least one path (or a hostHeaders entry) to route traffic")
        # ELB User Guide, "Condition types for listener rules": at most 3 values in one condition, 5 in a rule. More
        # hosts become more rules; more paths would need as many rules per host chunk, so they are refused.
        if len(self.path_patterns) > MAX_VALUES_PER_CONDITION:
            raise KeyProblem("pathPatterns", f"a listener rule condition takes at most {MAX_VALUES_PER_CONDITION} "
                                             f"values; got {len(self.path_patterns)}")
        if self.host_headers and len(self.path_patterns) >= MAX_CONDITION_VALUES:
            raise KeyProblem("pathPatterns", f"a listener rule takes at most {MAX_CONDITION_VALUES} paths and hosts")
        last = self.priority + self.rule_count() - 1
        if last > MAX_PRIORITY:
            raise KeyProblem("priority", f"{len(self.host_headers)} hostHeaders need {self.rule_count()} listener "
                                         f"rules at priorities {self.priority} to {last}; the highest is "
                                         f"{MAX_PRIORITY}")

    def _without_load_balancer(self) -> None:
        for field in sorted(self.model_fields_set & set(_LOAD_BALANCER_KEYS)):
            raise KeyProblem(to_camel(field), "is for a service behind a load balancer; this one has "
                                              "loadBalancer: none, remove it")
        if self.autoscaling.requests_per_target is not None:
            raise KeyProblem("autoscaling.requestsPerTarget", "counts load balancer requests; this service has "
                                                              "loadBalancer: none, scale on CPU or memory")
        for field in sorted(self.alarms.model_fields_set & {"target_5xx_rate_percent", "unhealthy_hosts",
                                                            "p95_latency_seconds"}):
            alias = WebAlarmSettings.model_fields[field].alias or to_camel(field)
            raise KeyProblem(f"alarms.{alias}", "is a load balancer alarm; this service has loadBalancer: none")
        if self.service_connect is None:
            raise KeyProblem("serviceConnect", "required with loadBalancer: none: without a load balancer the "
                                               "service is reached only through Service Connect")
        if self.deployment.strategy is not DeploymentStrategy.ROLLING:
            raise KeyProblem("deployment.strategy", f"{self.deployment.strategy.value} shifts a listener rule's "
                                                    "traffic; a service with loadBalancer: none deploys rolling")
