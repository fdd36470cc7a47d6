"""Stack settings: what a stack file may say, with its defaults and its validation.

A stack file configures the platform under the project's namespace, one structured key per component::

    config:
      aws:region: us-east-1
      ecs-platform:tags: {owner: platform-team}
      ecs-platform:network: {azCount: 2, natGateways: single}
      ecs-platform:loadBalancer: {protocol: HTTP, deletionProtection: false}

Keys are camelCase. Unknown keys, wrong types and out-of-range values stop the program before any resource is
registered, with one line naming the key path (``ecs-platform:network.azCount``) and what is allowed. Nothing here
needs the Pulumi runtime except :func:`from_pulumi_config`, which only reads the config the engine passed.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, Optional

import pulumi
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)
from pydantic.alias_generators import to_camel

from . import defaults, naming, validation
from ._service import (
    WEB_ONLY_ALARMS,
    WORKER_ONLY_ALARMS,
    Deployment,
    Placement,
    ServiceAlarms,
    ServiceConnect,
    deployment_problems,
    discovery_name_problem,
    rollback_alarm_actions_problem,
)
from .cluster import CapacityProviderStrategyItem, ClusterArgs, namespace_name_problem
from .enums import (
    PROGRESSIVE_STRATEGIES,
    CapacityProvider,
    ContainerInsights,
    CpuArchitecture,
    DeploymentStrategy,
    ListenerProtocol,
    NatGatewayStrategy,
    VpcEndpointService,
    WorkerScalingMode,
)
from .image_repository import (
    KEEP_IMAGES,
    UNTAGGED_EXPIRE_DAYS,
    BuildProblem,
    ImageBuild,
    ImageRepositoryArgs,
    check_build,
    mutable_tag_problem,
    tag_problem,
)
from .load_balancer import LoadBalancerArgs
from .network import NetworkArgs
from .queue_worker import QueueWorkerArgs
from .scheduled_task import ScheduledTaskArgs, retry_problem, schedule_problem, timezone_problem
from .task_definition import TaskArgs, scratch_path_problem, secret_arn_problem
from .web_service import MAX_CONDITION_VALUES, MAX_PRIORITY, WebServiceArgs, alternate_target_group_problem

# AWS tag limits (Tagging Best Practices, "Tag naming limits and requirements").
_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+=.:/@-]{1,128}$")
_MAX_TAGS = 50
_PLATFORM_TAGS = {"environment": "the stack name", "project": "the project name", "owner": "tags.owner"}


class SettingsError(pulumi.RunError):
    """Bad stack configuration: one line per problem, each naming its key. A RunError, so the Pulumi CLI prints the
    message and no traceback."""

    def __init__(self, key: str, message: str, more: Sequence[tuple[str, str]] = ()) -> None:
        self.problems: list[tuple[str, str]] = [(key, message), *more]
        super().__init__("\n".join(f"{k}: {m}" for k, m in self.problems))
        self.key = key


class KeyProblems(ValueError):
    """Several KeyProblems a model-level check found at once."""

    def __init__(self, problems: list["KeyProblem"]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class KeyProblem(ValueError):
    """Raised by a model-level check to put the blame on one of the model's keys."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _component_check(problem_of: Callable[[Any], Optional[str]], key: str) -> Any:
    """A field validator that refuses what a component's own check refuses (its message without the component's
    key, which the settings' key path replaces); an absent value is not checked."""
    def check(cls: Any, value: Any) -> Any:
        problem = problem_of(value) if value is not None else None
        if problem:
            raise ValueError(problem.removeprefix(f"{key} "))
        return value
    return classmethod(check)


def _strict_bool(value: Any) -> Any:
    """true or false, as YAML 1.2 and the Pulumi CLI write them (a top-level value arrives as the text "true"), not
    the yes/no/on/off/1/0 that pydantic would read as booleans: `deletionProtection: no` is a mistake, said so."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value in (True, "true")
    raise ValueError(f"expected true or false; got {value!r}")


Bool = Annotated[bool, BeforeValidator(_strict_bool)]
"""A stack-file boolean."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True, validate_default=True)


class TagSettings(_Settings):
    """Tags every taggable resource of the stack carries, besides `environment` (the stack) and `project`."""

    owner: str = Field(min_length=1, max_length=256, description="Team that owns the stack. Required.")
    extra: dict[str, Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="More tags, for example a cost centre."
    )

    @field_validator("extra")
    @classmethod
    def _tag_keys(cls, extra: dict[str, str]) -> dict[str, str]:
        for key in extra:
            if not _TAG_KEY.match(key):
                raise ValueError(
                    f"tag key {key!r} must be 1 to 128 letters, digits, spaces or + - = . _ : / @, not starting aws:"
                )
            if key in _PLATFORM_TAGS:
                raise ValueError(f"{key!r} is set by the platform ({_PLATFORM_TAGS[key]}); remove it from extra")
        if len(extra) + 3 > _MAX_TAGS:
            raise ValueError(f"AWS allows {_MAX_TAGS} tags per resource; 3 are the platform's, so at most {_MAX_TAGS - 3} here")
        return extra


class NetworkSettings(_Settings):
    """The VPC: address space, availability zones, NAT gateways and VPC endpoints."""

    cidr: str = Field(defaults.VPC_CIDR, description="IPv4 CIDR of the VPC, /16 to /28.")
    az_count: int = Field(defaults.AZ_COUNT, ge=defaults.MIN_AZ_COUNT, le=defaults.MAX_AZ_COUNT)
    nat_gateways: NatGatewayStrategy = Field(defaults.NAT_GATEWAY_STRATEGY,
                                             description="single, onePerAz or instance (development).")
    nat_instance_type: str = Field(defaults.NAT_INSTANCE_TYPE,
                                   description="Graviton instance type of the NAT instance (natGateways: instance).")
    public_subnet_prefix: int = Field(defaults.PUBLIC_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    private_subnet_prefix: int = Field(defaults.PRIVATE_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    endpoints: list[VpcEndpointService] = Field(default_factory=list, description="VPC endpoints to create.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(validation.vpc_cidr(value))

    @field_validator("nat_instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not re.match(defaults.NAT_INSTANCE_TYPE_PATTERN, value):
            raise ValueError("must be a Graviton (arm64) instance type of a g family, such as t4g.nano or "
                             f"c7gn.medium; got {value!r}")
        return value

    @model_validator(mode="after")
    def _instance_type_needs_an_instance(self) -> "NetworkSettings":
        if "nat_instance_type" in self.model_fields_set and self.nat_gateways is not NatGatewayStrategy.INSTANCE:
            raise KeyProblem("natInstanceType", f"applies only with natGateways: instance; natGateways is "
                                                f"{self.nat_gateways.value}")
        return self

    @field_validator("endpoints")
    @classmethod
    def _unique_endpoints(cls, value: list[VpcEndpointService]) -> list[VpcEndpointService]:
        if len(set(value)) != len(value):
            raise ValueError("lists an endpoint twice")
        return value

    @model_validator(mode="after")
    def _layout(self) -> NetworkSettings:
        cidr = validation.ipv4_network(self.cidr)
        checks = (
            ("publicSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.public_subnet_prefix, "public")),
            ("privateSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.private_subnet_prefix, "private")),
            ("azCount", lambda: validation.vpc_layout(
                cidr, self.az_count, self.public_subnet_prefix, self.private_subnet_prefix)),
        )
        for key, check in checks:
            try:
                check()
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        return self


class LoadBalancerSettings(_Settings):
    """The internet-facing Application Load Balancer."""

    protocol: ListenerProtocol = Field(defaults.LISTENER_PROTOCOL, description="HTTPS (needs certificateArn) or HTTP.")
    certificate_arn: Optional[str] = Field(None, description="ACM certificate ARN for the HTTPS listener.")
    ssl_policy: str = Field(defaults.SSL_POLICY, description="TLS 1.3 security policy of the HTTPS listener.")
    ingress_cidrs: list[str] = Field(list(defaults.INGRESS_CIDRS), min_length=1, description="Who may connect.")
    idle_timeout_seconds: int = Field(defaults.IDLE_TIMEOUT_SECONDS, ge=1, le=4000)
    deletion_protection: Bool = defaults.DELETION_PROTECTION
    access_logs: Bool = Field(defaults.ACCESS_LOGS, description="Write access logs to an S3 bucket of the stack.")
    access_log_retention_days: int = Field(defaults.ACCESS_LOG_RETENTION_DAYS, ge=1, le=3653)

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "acm", "certificate/")

    @field_validator("ssl_policy")
    @classmethod
    def _tls13(cls, value: str) -> str:
        if value not in validation.TLS13_SSL_POLICIES:
            raise ValueError(f"must be a TLS 1.3 policy ({validation.one_of(value, validation.TLS13_SSL_POLICIES)})")
        return value

    @field_validator("ingress_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [str(validation.ipv4_network(cidr)) for cidr in value]

    @model_validator(mode="after")
    def _certificate_matches_protocol(self) -> LoadBalancerSettings:
        if self.protocol is ListenerProtocol.HTTPS and self.certificate_arn is None:
            raise KeyProblem("certificateArn", "required when protocol is HTTPS (or set protocol: HTTP for development)")
        if self.protocol is ListenerProtocol.HTTP and self.certificate_arn is not None:
            raise KeyProblem("protocol", "is HTTP, so certificateArn would be unused; set protocol: HTTPS")
        return self


class CapacityProviderSettings(_Settings):
    capacity_provider: CapacityProvider
    weight: int = Field(ge=0, le=1000)
    base: int = Field(0, ge=0, le=100000)


def _strategy(items: list[CapacityProviderSettings]) -> list[CapacityProviderSettings]:
    validation.capacity_provider_strategy([(i.capacity_provider, i.weight, i.base) for i in items])
    return items


class ClusterSettings(_Settings):
    """The ECS cluster."""

    container_insights: ContainerInsights = defaults.CONTAINER_INSIGHTS
    default_capacity_provider_strategy: list[CapacityProviderSettings] = Field(
        default_factory=lambda: [
            CapacityProviderSettings.model_validate({"capacityProvider": p, "weight": w, "base": b})
            for p, w, b in defaults.DEFAULT_CAPACITY_PROVIDER_STRATEGY
        ],
        description="Where tasks of services without their own strategy run.",
    )

    service_connect_namespace: Optional[str] = Field(
        None, description="Cloud Map namespace services join with serviceConnect, for example internal. Default: none.")

    @field_validator("default_capacity_provider_strategy")
    @classmethod
    def _check_strategy(cls, value: list[CapacityProviderSettings]) -> list[CapacityProviderSettings]:
        return _strategy(value)

    _namespace = field_validator("service_connect_namespace")(
        _component_check(namespace_name_problem, "service_connect_namespace"))


# Services and workers ------------------------------------------------------------------------------------------

_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")


def _check_name(kind: str, name: str, children: Mapping[str, tuple[str, ...]]) -> None:
    """Names become parts of AWS names, after Pulumi's random suffix: their length is bounded by the children."""
    if not _NAME.match(name):
        raise KeyProblem(name, "names are lowercase letters, digits and hyphens, starting with a letter")
    try:
        naming.check_name(kind, name, children)
    except ValueError as error:
        raise KeyProblem(name, str(error)) from None


class ContainerHealthCheckSettings(_Settings):
    command: list[str] = Field(min_length=2, description='["CMD-SHELL", "curl -f http://localhost:8080/health"]')
    interval_seconds: int = Field(defaults.HEALTH_CHECK_INTERVAL_SECONDS, ge=5, le=300)
    timeout_seconds: int = Field(defaults.HEALTH_CHECK_TIMEOUT_SECONDS, ge=2, le=60)
    retries: int = Field(defaults.HEALTH_CHECK_RETRIES, ge=1, le=10)
    start_period_seconds: int = Field(defaults.HEALTH_CHECK_START_PERIOD_SECONDS, ge=0, le=300)

    @model_validator(mode="after")
    def _shape(self) -> "ContainerHealthCheckSettings":
        if self.command[0] not in ("CMD", "CMD-SHELL"):
            raise KeyProblem("command", f"must start with CMD or CMD-SHELL; got {self.command[0]!r}")
        if self.timeout_seconds >= self.interval_seconds:
            raise KeyProblem("timeoutSeconds", "must be shorter than intervalSeconds")
        return self


def _check_environment(environment: dict[str, str]) -> dict[str, str]:
    for key in environment:
        try:
            validation.environment_name(key)
            validation.plaintext_environment({key: ""})
        except ValueError as error:
            raise KeyProblem(key, str(error)) from None
    return environment


def _check_secrets(secrets: dict[str, str]) -> dict[str, str]:
    for key, value in secrets.items():
        try:
            validation.environment_name(key)
            validation.secret_reference(value)
        except ValueError as error:
            raise KeyProblem(key, str(error)) from None
        problem = secret_arn_problem(value)
        if problem:
            raise KeyProblem(key, problem)
    return secrets


_CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")


class SidecarSettings(_Settings):
    name: str
    image: str
    essential: Bool = False
    cpu: int = Field(0, ge=0)
    memory_reservation: Optional[int] = Field(None, ge=6)
    port: Optional[int] = Field(None, ge=1, le=65535)
    command: Optional[list[str]] = None
    environment: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    read_only_root_filesystem: Bool = True
    user: Optional[str] = None

    _environment = field_validator("environment")(classmethod(lambda cls, v: _check_environment(v)))
    _secrets = field_validator("secrets")(classmethod(lambda cls, v: _check_secrets(v)))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _CONTAINER_NAME.match(value):
            raise ValueError(f"container names are 1 to 255 letters, digits, _ and -; got {value!r}")
        return value

    _image = field_validator("image")(classmethod(lambda cls, v: validation.pinned_image(v)))


class PolicyStatementSettings(_Settings):
    actions: list[str] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)

    _actions = field_validator("actions")(classmethod(lambda cls, v: [validation.iam_action(a) for a in v]))
    _resources = field_validator("resources")(classmethod(lambda cls, v: [validation.iam_resource(r) for r in v]))


_SECTION_KEY = re.compile(r"^([a-z_]+)\.([a-z0-9_]+) (.*)$")
_STACK_WIDE = ("minimum_healthy_percent", "maximum_percent", "steady_state_timeout_minutes")
"""Deployment keys a stack file sets under serviceDefaults, not per service."""


def _blame(problem: str, prefix: str = "") -> KeyProblem:
    """A component's one-line problem (``deployment.bake_time_minutes must be ...``) blamed on the stack-file key
    that said it (``services.api.deployment.bakeTimeMinutes``)."""
    match = _SECTION_KEY.match(problem)
    if not match:
        return KeyProblem(prefix.rstrip("."), problem)
    section, key, rest = match.groups()
    if section == "deployment" and key in _STACK_WIDE:
        return KeyProblem(f"{prefix}deployment.strategy", f"serviceDefaults.{to_camel(key)} {rest}")
    return KeyProblem(f"{prefix}{to_camel(section)}.{to_camel(key)}", rest)


class ServiceConnectSettings(_Settings):
    """Membership of the cluster's Service Connect namespace (cluster.serviceConnectNamespace)."""

    discovery_name: Optional[str] = Field(
        None, description="Name other services call it by (http://<name>:<containerPort>). Default: its own name.")
    callers: list[str] = Field(
        default_factory=list,
        description="Services and workers allowed to call it: its port opens to their security groups only.")

    _discovery_name = field_validator("discovery_name")(
        _component_check(discovery_name_problem, "service_connect.discovery_name"))

    @field_validator("callers")
    @classmethod
    def _unique_callers(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a caller twice: {value}")
        return value

    def args(self, name: str, namespace: pulumi.Input[str]) -> ServiceConnect:
        """``name`` is the workload's name, or the one it had before a rename: callers keep calling it by that."""
        return {"namespace": namespace, "discovery_name": self.discovery_name or name}


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


class WorkerAlarmSettings(AlarmSettings):
    """A queue worker's alarm thresholds: its queue too."""

    oldest_message_age_seconds: Optional[float] = Field(
        None, gt=0, description="Age of the oldest waiting message. Default: acceptableLatencySeconds in backlog "
                                "mode, else 300.")


class StackAlarmSettings(WebAlarmSettings, WorkerAlarmSettings):
    """Every threshold, for every workload it fits."""


class ImageBuildSettings(_Settings):
    """Build the image from a Dockerfile and push it to the workload's repository (awsx.ecr.Image); the tag is a
    digest of the source, so changed source is a new image."""

    context: str = Field(description="Directory of the Docker build context, relative to the project. Required.")
    dockerfile: Optional[str] = Field(None, description="Path of the Dockerfile, relative to the project. Default: "
                                                        "Dockerfile in the context.")
    target: Optional[str] = Field(None, description="Stage of a multi-stage Dockerfile. Default: the last.")
    args: dict[str, str] = Field(default_factory=dict, description="Build arguments (--build-arg).")

    def image_build(self, cpu_architecture: CpuArchitecture) -> ImageBuild:
        """The ImageRepository build for tasks of ``cpu_architecture`` (which decides the platform)."""
        build = {k: v for k, v in self.model_dump().items() if v}
        return {**build, "cpu_architecture": cpu_architecture}  # type: ignore[typeddict-item]


class RepositorySettings(_Settings):
    """An ECR repository the platform owns for the workload's images: immutable tags, scan on push, KMS encryption
    and a lifecycle policy. The workload runs `tag` from it (pushed by CI), or the image `build` makes."""

    keep_images: int = Field(KEEP_IMAGES, ge=1, le=1000, description="Most recent images kept, tagged or not.")
    untagged_expire_days: int = Field(UNTAGGED_EXPIRE_DAYS, ge=1, le=365,
                                      description="Days an untagged image is kept.")
    kms_key_arn: Optional[str] = Field(None, description="KMS key or alias ARN. Default: the AWS managed aws/ecr key.")
    force_delete: Bool = Field(False, description="Delete the repository on destroy even while it holds images.")
    tag: Optional[str] = Field(None, description="Tag of the image CI pushes that the workload runs, e.g. 1.4.2.")
    build: Optional[ImageBuildSettings] = None

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.kms_key_or_alias_arn(value)

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: Optional[str]) -> Optional[str]:
        problem = None if value is None else tag_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _source(self) -> "RepositorySettings":
        if (self.tag is None) == (self.build is None):
            raise KeyProblem("tag", "give the tag CI pushes (tag: 1.4.2) or a build section, one of the two")
        return self

    def args(self, cpu_architecture: CpuArchitecture) -> ImageRepositoryArgs:
        args: ImageRepositoryArgs = {"keep_images": self.keep_images, "untagged_expire_days": self.untagged_expire_days,
                                     "force_delete": self.force_delete}
        if self.kms_key_arn:
            args["kms_key_arn"] = self.kms_key_arn
        if self.tag:
            args["image_tag"] = self.tag
        if self.build:
            args["build"] = self.build.image_build(cpu_architecture)
        return args


class TaskSettings(_Settings):
    """What runs: shared by services and workers."""

    image: Optional[str] = Field(None, description="Container image, pinned by tag or digest. Required unless "
                                                   "repository gives it.")
    repository: Optional[RepositorySettings] = Field(None, description="An ECR repository for the images, and the "
                                                                      "image from it. Default: none.")
    cpu: int = defaults.TASK_CPU
    memory: int = defaults.TASK_MEMORY
    cpu_architecture: CpuArchitecture = defaults.CPU_ARCHITECTURE
    entry_point: Optional[list[str]] = None
    command: Optional[list[str]] = None
    environment: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    secrets_kms_key_arn: Optional[str] = None
    container_health_check: Optional[ContainerHealthCheckSettings] = None
    read_only_root_filesystem: Bool = True
    scratch_paths: list[str] = Field(default_factory=list)
    user: Optional[str] = None
    stop_timeout_seconds: Optional[int] = Field(None, ge=2, le=120)
    sidecars: list[SidecarSettings] = Field(default_factory=list)
    task_role_policy: list[PolicyStatementSettings] = Field(default_factory=list)
    capacity_provider_strategy: Optional[list[CapacityProviderSettings]] = None
    renamed_from: Optional[str] = Field(None, description=(
        "The name this workload had before a rename: its queue, repository, log group and the rest keep their state "
        "under the new name (Pulumi aliases) instead of being deleted and created again."))

    _environment = field_validator("environment")(classmethod(lambda cls, v: _check_environment(v)))
    _secrets = field_validator("secrets")(classmethod(lambda cls, v: _check_secrets(v)))
    _image = field_validator("image")(classmethod(lambda cls, v: None if v is None else validation.pinned_image(v)))

    @field_validator("scratch_paths")
    @classmethod
    def _scratch(cls, paths: list[str]) -> list[str]:
        for path in paths:
            problem = scratch_path_problem(path)
            if problem:
                raise ValueError(problem)
        if len(set(paths)) != len(paths):
            raise ValueError(f"lists a path twice: {paths}")
        return paths

    @field_validator("user")
    @classmethod
    def _user(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^[a-zA-Z0-9_.-]+(:[a-zA-Z0-9_.-]+)?$", value):
            raise ValueError(f"must be a user, or user:group, as a name or a number such as 1000:1000; got {value!r}")
        return value

    @field_validator("sidecars")
    @classmethod
    def _sidecar_names(cls, sidecars: list[SidecarSettings]) -> list[SidecarSettings]:
        names = [s.name for s in sidecars]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"container names must be unique in a task; {', '.join(twice)} appears twice")
        return sidecars

    @field_validator("secrets_kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "kms", "key/")

    @field_validator("capacity_provider_strategy")
    @classmethod
    def _own_strategy(cls, value: Optional[list[CapacityProviderSettings]]) -> Optional[list[CapacityProviderSettings]]:
        return None if value is None else _strategy(value)

    @model_validator(mode="after")
    def _image_source(self) -> "TaskSettings":
        if self.image is None and self.repository is None:
            raise KeyProblem("image", "required: an image reference pinned by tag or digest, or a repository "
                                      "section that gives the image")
        if self.image is not None and self.repository is not None:
            raise KeyProblem("repository", "the image comes from image or from repository, not both; remove image "
                                           "to run the repository's tag or build")
        build = self.repository.build if self.repository else None
        if build is not None:
            try:
                check_build(build.image_build(self.cpu_architecture))
            except BuildProblem as problem:
                raise KeyProblem(f"repository.build.{problem.key}", str(problem)) from None
        return self

    @model_validator(mode="after")
    def _task(self) -> "TaskSettings":
        if self.cpu not in validation.FARGATE_MEMORY:
            raise KeyProblem("cpu", validation.one_of(self.cpu, validation.FARGATE_MEMORY))
        try:
            validation.fargate_size(self.cpu, self.memory)
        except ValueError as error:
            raise KeyProblem("memory", str(error)) from None
        both = set(self.environment) & set(self.secrets)
        if both:
            raise KeyProblem("environment", f"{', '.join(sorted(both))} is also under secrets; keep one")
        # ContainerDefinition cpu and memoryReservation: what the sidecars reserve comes out of the task's.
        reserved = sum(s.memory_reservation or 0 for s in self.sidecars)
        if reserved >= self.memory:
            raise KeyProblem("sidecars", f"the sidecars reserve {reserved} MiB of the task's {self.memory}; leave "
                                         "memory for the main container")
        cpu = sum(s.cpu for s in self.sidecars)
        if cpu >= self.cpu:
            raise KeyProblem("sidecars", f"the sidecars reserve {cpu} of the task's {self.cpu} CPU units; leave CPU "
                                         "for the main container")
        return self

    def task_args(self, log_retention_days: int, image: Optional[pulumi.Input[str]] = None,
                  protect_data: bool = False) -> TaskArgs:
        """The task's args; ``image`` is the image of its repository, when it has one; ``protect_data`` keeps its
        log group when it leaves the stack."""
        if image is None and self.image is None:
            raise ValueError("the workload's image comes from its repository: pass the ImageRepository's image_uri")
        args: TaskArgs = {
            "image": image if image is not None else self.image,  # type: ignore[typeddict-item]
            "cpu": self.cpu,
            "memory": self.memory,
            "cpu_architecture": self.cpu_architecture,
            "environment": dict(self.environment),
            "secrets": dict(self.secrets),
            "read_only_root_filesystem": self.read_only_root_filesystem,
            "scratch_paths": list(self.scratch_paths),
            "log_retention_days": log_retention_days,
            "protect_data": protect_data,
            "sidecars": [
                {k: v for k, v in s.model_dump().items() if v is not None}  # type: ignore[misc]
                for s in self.sidecars
            ],
            "task_role_statements": [{"actions": s.actions, "resources": s.resources} for s in self.task_role_policy],
        }
        if self.stop_timeout_seconds is not None:
            args["stop_timeout_seconds"] = self.stop_timeout_seconds
        if self.command:
            args["command"] = list(self.command)
        if self.entry_point:
            args["entry_point"] = list(self.entry_point)
        if self.user:
            args["user"] = self.user
        if self.secrets_kms_key_arn:
            args["secrets_kms_key_arn"] = self.secrets_kms_key_arn
        if self.container_health_check:
            args["health_check"] = self.container_health_check.model_dump()  # type: ignore[typeddict-item]
        return args

    def strategy(self, fallback: list[CapacityProviderSettings]) -> list[CapacityProviderStrategyItem]:
        return [
            {"capacity_provider": s.capacity_provider, "weight": s.weight, "base": s.base}
            for s in (self.capacity_provider_strategy if self.capacity_provider_strategy is not None else fallback)
        ]


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


_MAX_VALUES_PER_CONDITION = 3


class ServiceSettings(TaskSettings):
    """A web service behind the load balancer."""

    container_port: int = Field(defaults.CONTAINER_PORT, ge=1, le=65535)
    path_patterns: list[str] = Field(default_factory=list)
    host_headers: list[str] = Field(default_factory=list)
    priority: int = Field(ge=1, le=MAX_PRIORITY, description="Listener rule priority, unique per stack. Required.")
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

    def url(self, base: pulumi.Input[str]) -> pulumi.Output[str]:
        """Where the service answers: the load balancer URL and its first path (without a trailing wildcard), or
        its first host name."""
        if self.path_patterns:
            path = self.path_patterns[0].rstrip("*")
            return pulumi.Output.concat(base, path if path.startswith("/") else f"/{path}")
        scheme = pulumi.Output.from_input(base).apply(lambda url: url.split("://", 1)[0])
        return pulumi.Output.concat(scheme, "://", self.host_headers[0])

    @model_validator(mode="after")
    def _routing(self) -> "ServiceSettings":
        if not self.path_patterns and not self.host_headers:
            raise KeyProblem("pathPatterns", "needs at least one path (or a hostHeaders entry) to route traffic")
        # ELB User Guide, "Condition types for listener rules": at most 3 values in one condition, 5 in a rule.
        for key, values in (("pathPatterns", self.path_patterns), ("hostHeaders", self.host_headers)):
            if len(values) > _MAX_VALUES_PER_CONDITION:
                raise KeyProblem(key, f"a listener rule condition takes at most {_MAX_VALUES_PER_CONDITION} values; "
                                      f"got {len(values)}")
        if len(self.path_patterns) + len(self.host_headers) > MAX_CONDITION_VALUES:
            raise KeyProblem("pathPatterns", f"a listener rule takes at most {MAX_CONDITION_VALUES} paths and hosts")
        if self.desired_count is not None and not (
            self.autoscaling.min_tasks <= self.desired_count <= self.autoscaling.max_tasks
        ):
            raise KeyProblem(
                "desiredCount",
                f"{self.desired_count} is outside autoscaling minTasks {self.autoscaling.min_tasks} to maxTasks "
                f"{self.autoscaling.max_tasks}",
            )
        return self


class QueueSettings(_Settings):
    visibility_timeout_seconds: int = Field(defaults.QUEUE_VISIBILITY_TIMEOUT_SECONDS, ge=0, le=43200)
    # The dead-letter queue keeps messages 14 days, the SQS maximum; its retention must exceed the source's, since
    # a message keeps its original enqueue time when it moves (SQS Developer Guide, dead-letter queues).
    message_retention_seconds: int = Field(defaults.QUEUE_RETENTION_SECONDS, ge=60)
    max_receive_count: int = Field(defaults.MAX_RECEIVE_COUNT, ge=1, le=1000)
    kms_key_arn: Optional[str] = None

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "kms", "key/")

    @field_validator("message_retention_seconds")
    @classmethod
    def _shorter_than_dead_letters(cls, value: int) -> int:
        limit = defaults.DEAD_LETTER_RETENTION_SECONDS
        if value >= limit:
            raise ValueError(f"must be shorter than the dead-letter queue's {limit} s (14 days, the SQS maximum), or "
                             f"messages would expire there before anyone could look; got {value}")
        return value


class ScalingStepSettings(_Settings):
    messages: int = Field(ge=1)
    add: int = Field(ge=1, le=1000)


_WAKE_SECONDS = 120
"""What the scaling rehearsal measures for a worker at zero tasks to run its first task (docs/benchmarks.md)."""


class WorkerScalingSettings(_Settings):
    mode: WorkerScalingMode = defaults.WORKER_SCALING_MODE
    min_tasks: int = Field(defaults.WORKER_MIN_TASKS, ge=0, le=1000)
    max_tasks: int = Field(defaults.WORKER_MAX_TASKS, ge=1, le=1000)
    scale_out_steps: list[ScalingStepSettings] = Field(
        default_factory=lambda: [
            ScalingStepSettings.model_validate({"messages": m, "add": a}) for m, a in defaults.SCALE_OUT_STEPS
        ],
        min_length=1,
    )
    idle_minutes: int = Field(defaults.IDLE_MINUTES, ge=defaults.MIN_IDLE_MINUTES, le=defaults.MAX_IDLE_MINUTES,
                              description="Minutes of an idle queue before scaling in, straight to minTasks.")
    acceptable_latency_seconds: float = Field(defaults.ACCEPTABLE_LATENCY_SECONDS, gt=0)
    seconds_per_message: float = Field(defaults.SECONDS_PER_MESSAGE, gt=0)
    scale_out_cooldown_seconds: int = Field(defaults.WORKER_SCALE_OUT_COOLDOWN_SECONDS, ge=0, le=3600)
    scale_in_cooldown_seconds: int = Field(defaults.WORKER_SCALE_IN_COOLDOWN_SECONDS, ge=0, le=3600)

    @model_validator(mode="after")
    def _keys_of_the_mode(self) -> "WorkerScalingSettings":
        ignored = {WorkerScalingMode.STEPS: ("acceptable_latency_seconds", "seconds_per_message"),
                   WorkerScalingMode.BACKLOG: ("scale_out_steps",)}[self.mode]
        for name in ignored:
            if name in self.model_fields_set:
                raise KeyProblem(to_camel(name), f"is not used in {self.mode.value} mode; remove it or set mode: "
                                                 f"{'backlog' if self.mode is WorkerScalingMode.STEPS else 'steps'}")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> "WorkerScalingSettings":
        for key, check in (
            ("minTasks", lambda: validation.scaling_bounds(self.min_tasks, self.max_tasks)),
            ("scaleOutSteps", lambda: validation.scale_out_steps([(s.messages, s.add) for s in self.scale_out_steps])),
        ):
            try:
                check()
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        if self.mode is WorkerScalingMode.BACKLOG and self.acceptable_latency_seconds < self.seconds_per_message:
            raise KeyProblem("acceptableLatencySeconds", "is shorter than secondsPerMessage: no backlog can meet it")
        if self.mode is WorkerScalingMode.BACKLOG and self.min_tasks == 0 and \
                self.acceptable_latency_seconds < _WAKE_SECONDS:
            raise KeyProblem("acceptableLatencySeconds",
                             f"a worker at zero tasks needs about {_WAKE_SECONDS} s to wake (a minute for the alarm, a "
                             f"minute for the task to start), so {self.acceptable_latency_seconds:g} s cannot be met; "
                             "allow longer or keep minTasks at 1 or more")
        return self


class WorkerSettings(TaskSettings):
    """An SQS queue worker."""

    stop_timeout_seconds: int = Field(defaults.WORKER_STOP_TIMEOUT_SECONDS, ge=2, le=120)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    scaling: WorkerScalingSettings = Field(default_factory=WorkerScalingSettings)
    service_connect: Optional[ServiceConnectSettings] = Field(
        None, description="Join the cluster's Service Connect namespace to call services there. Default: no.")
    alarms: WorkerAlarmSettings = Field(default_factory=WorkerAlarmSettings,
                                        description="This worker's alarm thresholds.")

    @model_validator(mode="after")
    def _a_client_only(self) -> "WorkerSettings":
        if self.service_connect is not None and self.service_connect.callers:
            raise KeyProblem("serviceConnect.callers", "a queue worker exposes no port to call; only web services "
                                                       "take callers")
        return self

    @model_validator(mode="after")
    def _visibility(self) -> "WorkerSettings":
        # A task told to stop keeps working on its message for up to stopTimeout; if the message became visible
        # again meanwhile, a second task would take it too.
        if self.queue.visibility_timeout_seconds <= self.stop_timeout_seconds:
            raise KeyProblem("queue.visibilityTimeoutSeconds",
                             f"must be longer than stopTimeoutSeconds ({self.stop_timeout_seconds}), so a stopping task "
                             f"finishes its message before anyone else can receive it; got "
                             f"{self.queue.visibility_timeout_seconds}")
        return self


class ScheduleRetrySettings(_Settings):
    maximum_retry_attempts: int = Field(defaults.SCHEDULE_RETRY_ATTEMPTS,
                                        description="Retries of a run that could not start, 0 to 185.")
    maximum_event_age_seconds: int = Field(defaults.SCHEDULE_MAX_EVENT_AGE_SECONDS,
                                           description="Seconds a run is retried, 60 to 86400.")

    @model_validator(mode="after")
    def _ranges(self) -> "ScheduleRetrySettings":
        problem = retry_problem(self.maximum_retry_attempts, self.maximum_event_age_seconds)
        if problem:
            blamed = _blame(problem)
            raise KeyProblem(blamed.key.removeprefix("retry."), str(blamed))
        return self


class ScheduledTaskSettings(TaskSettings):
    """A task EventBridge Scheduler starts on a schedule, on Spot unless onDemand."""

    schedule: str = Field(description="rate(1 day) or cron(0 3 * * ? *), as EventBridge Scheduler reads them. Required.")
    timezone: str = Field(defaults.SCHEDULE_TIMEZONE, description="IANA time zone of a cron expression.")
    retry: ScheduleRetrySettings = Field(default_factory=ScheduleRetrySettings)
    on_demand: Bool = Field(defaults.SCHEDULED_TASK_ON_DEMAND, description="Run on FARGATE instead of FARGATE_SPOT.")
    enabled: Bool = Field(defaults.SCHEDULE_ENABLED, description="false keeps everything but starts nothing.")

    _expression = field_validator("schedule")(_component_check(schedule_problem, "schedule"))
    _timezone = field_validator("timezone")(_component_check(timezone_problem, "timezone"))

    @model_validator(mode="after")
    def _capacity(self) -> "ScheduledTaskSettings":
        if self.capacity_provider_strategy is not None:
            raise KeyProblem("capacityProviderStrategy", "a scheduled task runs on FARGATE_SPOT, or FARGATE with "
                                                         "onDemand: true; remove it")
        return self


class ServiceDefaultsSettings(_Settings):
    """How every service and worker of the stack is deployed."""

    minimum_healthy_percent: int = Field(defaults.MINIMUM_HEALTHY_PERCENT, ge=0, le=100)
    maximum_percent: int = Field(defaults.MAXIMUM_PERCENT, ge=100, le=200)
    enable_execute_command: Bool = defaults.ENABLE_EXECUTE_COMMAND
    protect_queues: Bool = Field(True, description="Protect work and dead-letter queues from deletion.")
    wait_for_steady_state: Bool = Field(
        defaults.WAIT_FOR_STEADY_STATE,
        description="pulumi up waits for each deployment to reach steady state, so a rollback fails the update.")
    steady_state_timeout_minutes: int = Field(defaults.STEADY_STATE_TIMEOUT_MINUTES,
                                              ge=defaults.MIN_STEADY_STATE_TIMEOUT_MINUTES,
                                              le=defaults.MAX_STEADY_STATE_TIMEOUT_MINUTES)


class BudgetSettings(_Settings):
    """A monthly budget the offline plan holds the stack's cost estimate to."""

    monthly_usd: float = Field(gt=0, description="The budget in USD a month. Required.")
    enforcement: Literal["advisory", "mandatory"] = Field(
        "advisory", description="mandatory: a plan over the budget fails (exit 1); advisory: it warns.")
    count: Literal["desired", "max"] = Field(
        "desired", description="Which estimate is held to it: at the desired task counts, or at the maximum.")


def _default_worker_strategy() -> list[CapacityProviderSettings]:
    return [
        CapacityProviderSettings.model_validate({"capacityProvider": p, "weight": w, "base": b})
        for p, w, b in defaults.WORKER_CAPACITY_PROVIDER_STRATEGY
    ]


class StackSettings(_Settings):
    """Everything a stack file configures."""

    region: str = Field(alias="aws:region", description="AWS region of the stack (aws:region).")
    tags: TagSettings
    log_retention_days: int = Field(defaults.LOG_RETENTION_DAYS, description="Retention of every log group.")
    registry_scanning: Literal["managed", "external"] = Field("managed", description=(
        "managed: the stack sets the account's ECR registry scanning (every pushed image, every repository) when it "
        "has repositories; external: another stack or the account's owners do (one stack per account may manage "
        "it)."))
    protect_data: Bool = Field(False, description=(
        "Keep what the stack stores when a change would delete it: image repositories and the Service Connect "
        "namespace refuse deletion and replacement (protect); log groups and the access-log bucket stay in AWS "
        "(retainOnDelete). Queues follow serviceDefaults.protectQueues."))
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    # Validated even when absent, so a stack without the section hears that HTTPS needs a certificate.
    load_balancer: LoadBalancerSettings = Field(default_factory=lambda: {})  # type: ignore[arg-type]
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    service_defaults: ServiceDefaultsSettings = Field(default_factory=ServiceDefaultsSettings)
    alarm_topic_arn: Optional[str] = Field(
        None, description="SNS topic the on-call alarms and dead-letter alarms tell. Default: none, no on-call alarms.")
    alarms: StackAlarmSettings = Field(default_factory=StackAlarmSettings,
                                       description="Alarm thresholds of every service and worker (each may override).")
    services: dict[str, ServiceSettings] = Field(default_factory=dict, description="Web services by name.")
    workers: dict[str, WorkerSettings] = Field(default_factory=dict, description="Queue workers by name.")
    scheduled_tasks: dict[str, ScheduledTaskSettings] = Field(default_factory=dict,
                                                              description="Scheduled tasks by name.")
    budget: Optional[BudgetSettings] = Field(None, description="Monthly budget the offline plan checks.")
    provider: dict[str, Any] = Field(
        default_factory=dict, alias="aws:*",
        description="The stack file's other aws: keys (profile, assumeRoles...), for the stack's AWS provider.",
    )

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.sns_topic_arn(value)

    @field_validator("services", "workers", "scheduled_tasks")
    @classmethod
    def _names(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind, children = {"services": ("service", naming.WEB_SERVICE_CHILDREN),
                          "workers": ("worker", naming.QUEUE_WORKER_CHILDREN),
                          "scheduled_tasks": ("scheduled task", naming.SCHEDULED_TASK_CHILDREN)}[info.field_name]
        for name, workload in value.items():
            _check_name(kind, name, children)
            old = workload.renamed_from
            if old is not None:
                if not _NAME.match(old):
                    raise KeyProblem(f"{name}.renamedFrom", "names are lowercase letters, digits and hyphens, "
                                                            f"starting with a letter; got {old!r}")
                if old == name:
                    raise KeyProblem(f"{name}.renamedFrom", "is the workload's own name; give the name it had before")
        return value

    @field_validator("services")
    @classmethod
    def _unique_priorities(cls, services: dict[str, ServiceSettings]) -> dict[str, ServiceSettings]:
        seen: dict[int, str] = {}
        for name, service in services.items():
            if service.priority in seen:
                raise KeyProblem(
                    f"{name}.priority", f"{service.priority} is already the priority of service {seen[service.priority]}"
                )
            seen[service.priority] = name
        return services

    @model_validator(mode="after")
    def _cross_checks(self) -> "StackSettings":
        """Every cross-key check, every problem at once: a person fixes them all in one go."""
        problems = [problem for check in (
            self._renames,
            self._workloads,
            self._insights_for_backlog,
            self._deployments,
            self._service_connect,
            self._alarms_tell_someone,
            self._routes,
            self._regional,
            self._secrets_from_other_accounts,
        ) for problem in check()]
        if problems:
            raise KeyProblems(problems)
        return self

    def _renames(self) -> Iterator[KeyProblem]:
        """A rename moves one workload's state to another name: the old name must be free, and claimed once."""
        names = {name for _, name, _ in self._each_workload()}
        claimed: dict[str, str] = {}
        for kind, name, w in self._each_workload():
            old = w.renamed_from
            if old is None:
                continue
            if old in names:
                yield KeyProblem(f"{kind}.{name}.renamedFrom", f"{old} is still a workload of this stack; remove it "
                                                               "or rename it too")
            if old in claimed:
                yield KeyProblem(f"{kind}.{name}.renamedFrom", f"{old} was already renamed to {claimed[old]}")
            claimed[old] = name

    def renamed_from(self, name: str) -> Optional[str]:
        """The name workload ``name`` had before a rename, or None."""
        return next((w.renamed_from for _, n, w in self._each_workload() if n == name), None)

    def _workloads(self) -> Iterator[KeyProblem]:
        for name in set(self.services) & set(self.workers):
            yield KeyProblem("workers", f"{name} is also a service; names must be unique across both")
        for name in sorted(set(self.scheduled_tasks) & (set(self.services) | set(self.workers))):
            yield KeyProblem("scheduledTasks", f"{name} is also a service or worker; names must be unique")
        for kind, name, workload in self._each_workload():
            for index, sidecar in enumerate(workload.sidecars):
                if sidecar.name == name:
                    yield KeyProblem(f"{kind}.{name}.sidecars[{index}].name",
                                     f"{name!r} is the name of the main container; give the sidecar another name")

    def _insights_for_backlog(self) -> Iterator[KeyProblem]:
        """Backlog scaling divides by the running task count, which only Container Insights publishes."""
        if self.cluster.container_insights is ContainerInsights.DISABLED:
            for name, worker in self.workers.items():
                if worker.scaling.mode is WorkerScalingMode.BACKLOG:
                    yield KeyProblem(f"workers.{name}.scaling.mode",
                                     "backlog reads the running task count from Container Insights, which "
                                     "cluster.containerInsights disables; use steps or enable Container Insights")

    def _deployments(self) -> Iterator[KeyProblem]:
        """What ECS would refuse of each service's strategy, with the stack's deployment percentages and waiting."""
        for name, service in self.services.items():
            prefix = f"services.{name}."
            for problem in deployment_problems({**self._deployment(), **self._strategy(service)}):
                yield _blame(problem, prefix)
            strategy = service.deployment.strategy
            problem = rollback_alarm_actions_problem(strategy, self._alarm_actions())
            if problem:
                yield KeyProblem(f"{prefix}deployment.strategy",
                                 f"{strategy.value} creates the alarms ECS rolls back on; set alarmTopicArn so they "
                                 "tell someone (CloudWatch.15 wants an ALARM action on every alarm)")
            problem = alternate_target_group_problem(name) if strategy in PROGRESSIVE_STRATEGIES else None
            if problem:
                yield KeyProblem(f"{prefix}deployment.strategy", problem)

    def _service_connect(self) -> Iterator[KeyProblem]:
        """Members need the namespace; callers must be members of it too (their proxy makes the call)."""
        members = {name: w.service_connect for kind in (self.services, self.workers) for name, w in kind.items()
                   if w.service_connect is not None}
        kinds = {**{n: "services" for n in self.services}, **{n: "workers" for n in self.workers}}
        discovery: dict[str, str] = {}
        for name, connect in members.items():
            key = f"{kinds[name]}.{name}.serviceConnect"
            if self.cluster.service_connect_namespace is None:
                yield KeyProblem(key, "needs cluster.serviceConnectNamespace, the namespace to join")
            for caller in connect.callers:
                if caller == name:
                    yield KeyProblem(f"{key}.callers", f"{name} cannot be its own caller")
                    continue
                if caller not in kinds:
                    yield KeyProblem(f"{key}.callers", f"{caller!r} is not a service or worker of this stack"
                                                       f"{validation.did_you_mean(caller, list(kinds))}")
                elif caller not in members:
                    yield KeyProblem(f"{key}.callers", f"{caller} calls through Service Connect only as a member; "
                                                       f"give {kinds[caller]}.{caller} a serviceConnect section")
            if name in self.services:
                dns = connect.discovery_name or self.services[name].renamed_from or name
                if dns in discovery:
                    yield KeyProblem(f"{key}.discoveryName", f"{dns!r} is already the name of service "
                                                             f"{discovery[dns]} in the namespace")
                discovery[dns] = name

    def _alarms_tell_someone(self) -> Iterator[KeyProblem]:
        if self.alarm_topic_arn is None:
            configured = [("alarms", self.alarms)] + [
                (f"{kind}.{name}.alarms", w.alarms)
                for kind, workloads in (("services", self.services), ("workers", self.workers))
                for name, w in workloads.items()]
            for key, alarms in configured:
                if alarms.model_fields_set:
                    yield KeyProblem(key, "on-call alarms tell alarmTopicArn; set it, or remove these thresholds")

    def _routes(self) -> Iterator[KeyProblem]:
        """Two services answering the same path on the same hosts: the lower priority would never be reached."""
        seen: dict[tuple[str, str], str] = {}
        for name, service in self.services.items():
            for host in service.host_headers or ["*"]:
                for path in service.path_patterns or ["/*"]:
                    other = seen.get((host, path))
                    if other is not None:
                        yield KeyProblem(f"services.{name}.pathPatterns",
                                         f"{path} is already routed to service {other}"
                                         + (f" for host {host}" if host != "*" else ""))
                    seen[(host, path)] = name

    def _regional(self) -> Iterator[KeyProblem]:
        """What must fit the stack's region: its zones, and the certificate, topic and keys it uses."""
        try:
            validation.zones_fit(self.region, self.network.az_count)
        except ValueError as error:
            yield KeyProblem("network.azCount", str(error))
        arns: list[tuple[str, Optional[str]]] = [
            ("loadBalancer.certificateArn", self.load_balancer.certificate_arn),
            ("alarmTopicArn", self.alarm_topic_arn),
        ]
        arns += [(f"{kind}.{name}.secretsKmsKeyArn", w.secrets_kms_key_arn) for kind, name, w in self._each_workload()]
        arns += [(f"{kind}.{name}.secrets.{key}", value) for kind, name, w in self._each_workload()
                 for key, value in w.secrets.items()]
        arns += [(f"workers.{name}.queue.kmsKeyArn", w.queue.kms_key_arn) for name, w in self.workers.items()]
        arns += [(f"{kind}.{name}.repository.kmsKeyArn", w.repository.kms_key_arn)
                 for kind, name, w in self._each_workload() if w.repository is not None]
        for key, arn in arns:
            if arn is not None:
                try:
                    validation.regional_arn(arn, self.region)
                except ValueError as error:
                    yield KeyProblem(key, str(error))

    def _secrets_from_other_accounts(self) -> Iterator[KeyProblem]:
        """A secret another account shares is encrypted with a customer managed key of that account (the AWS
        managed keys cannot be shared), and the execution role needs kms:Decrypt on it: secretsKmsKeyArn. The stack's
        account is the one allowedAccountIds names, or the one its certificate and topic are in."""
        account = self.account()
        if account is None:
            return
        for kind, name, w in self._each_workload():
            for key, value in w.secrets.items():
                other = validation.account_of(value)
                if other and other != account and not w.secrets_kms_key_arn:
                    yield KeyProblem(f"{kind}.{name}.secrets.{key}",
                                     f"is in account {other}, not the stack's {account}: a secret shared from another "
                                     "account is encrypted with a customer managed KMS key the tasks must be allowed "
                                     f"to use; give {kind}.{name}.secretsKmsKeyArn")

    def account(self) -> Optional[str]:
        """The AWS account the stack deploys to, when the stack file says it: one allowedAccountIds, or the one
        account its certificate and alarm topic share."""
        allowed = self.provider.get("allowed_account_ids")
        if isinstance(allowed, list) and len(allowed) == 1:
            return str(allowed[0])
        accounts = {validation.account_of(a) for a in (self.load_balancer.certificate_arn, self.alarm_topic_arn) if a}
        accounts.discard(None)
        return accounts.pop() if len(accounts) == 1 else None

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return validation.known_region(value)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return validation.log_retention_days(value)

    def _each_workload(self) -> list[tuple[str, str, TaskSettings]]:
        """(stack-file section, name, settings) of every service, worker and scheduled task."""
        return [(kind, name, w) for kind, workloads in (("services", self.services), ("workers", self.workers),
                                                        ("scheduledTasks", self.scheduled_tasks))
                for name, w in workloads.items()]

    def image_repositories(self) -> dict[str, ImageRepositoryArgs]:
        """Args of the ImageRepository of each workload that has a repository section, by workload name."""
        return {name: {**w.repository.args(w.cpu_architecture), "protect_data": self.protect_data,
                       **self._renamed(name)}  # type: ignore[misc]
                for _, name, w in self._each_workload() if w.repository is not None}

    def warnings(self, namespace: str) -> list[str]:
        """One line per image that can change under a running workload (a mutable tag such as latest, or no tag),
        naming its key: worth fixing, not worth refusing (the policy pack advises the same)."""
        found = []
        for kind, name, w in self._each_workload():
            images = [("image", w.image)] + [(f"sidecars[{i}].image", c.image) for i, c in enumerate(w.sidecars)]
            for key, image in images:
                problem = mutable_tag_problem(image) if image else None
                if problem:
                    found.append(f"{namespace}:{kind}.{name}.{key}: {problem}")
        return found

    def default_tags(self, project: str, stack: str) -> dict[str, str]:
        return {"environment": stack, "project": project, "owner": self.tags.owner, **self.tags.extra}

    def network_args(self) -> NetworkArgs:
        n = self.network
        return {
            "cidr_block": n.cidr,
            "availability_zone_count": n.az_count,
            "nat_gateway_strategy": n.nat_gateways,
            "public_subnet_prefix": n.public_subnet_prefix,
            "private_subnet_prefix": n.private_subnet_prefix,
            "flow_log_retention_days": self.log_retention_days,
            "vpc_endpoints": list(n.endpoints),
            "protect_data": self.protect_data,
            **({"nat_instance_type": n.nat_instance_type} if n.nat_gateways is NatGatewayStrategy.INSTANCE else {}),
        }

    def load_balancer_args(
        self, vpc_id: pulumi.Input[str], vpc_cidr_block: pulumi.Input[str], public_subnet_ids: pulumi.Input[list[str]]
    ) -> LoadBalancerArgs:
        lb = self.load_balancer
        args: LoadBalancerArgs = {
            "vpc_id": vpc_id,
            "vpc_cidr_block": vpc_cidr_block,
            "public_subnet_ids": public_subnet_ids,
            "protocol": lb.protocol,
            "ssl_policy": lb.ssl_policy,
            "ingress_cidrs": list(lb.ingress_cidrs),
            "idle_timeout_seconds": lb.idle_timeout_seconds,
            "deletion_protection": lb.deletion_protection,
            "access_logs": lb.access_logs,
            "access_log_retention_days": lb.access_log_retention_days,
            "protect_data": self.protect_data,
        }
        if lb.certificate_arn:
            args["certificate_arn"] = lb.certificate_arn
        return args

    def _deployment(self) -> Deployment:
        d = self.service_defaults
        return {
            "minimum_healthy_percent": d.minimum_healthy_percent,
            "maximum_percent": d.maximum_percent,
            "enable_execute_command": d.enable_execute_command,
            "wait_for_steady_state": d.wait_for_steady_state,
            "steady_state_timeout_minutes": d.steady_state_timeout_minutes,
        }

    @staticmethod
    def _strategy(service: ServiceSettings) -> dict[str, Any]:
        """The service's strategy and the keys it uses (ECS rejects a canary configuration on a linear rollout)."""
        d = service.deployment
        return {"strategy": d.strategy, **{k: getattr(d, k) for k in d.model_fields_set if k != "strategy"}}

    def _alarm_actions(self) -> list[str]:
        return [self.alarm_topic_arn] if self.alarm_topic_arn else []

    def _alarms(self, own: AlarmSettings, *, web: bool) -> Optional[ServiceAlarms]:
        """On-call alarms with the stack's thresholds under the workload's own, telling alarmTopicArn; none without
        it."""
        if not self.alarm_topic_arn:
            return None
        elsewhere = WORKER_ONLY_ALARMS if web else WEB_ONLY_ALARMS
        stack = {k: v for k, v in self.alarms.thresholds().items() if k not in elsewhere}
        return {  # type: ignore[typeddict-item]
            "actions": self._alarm_actions(),
            **stack,
            **own.thresholds(),
            "container_insights": self.cluster.container_insights is not ContainerInsights.DISABLED,
        }

    def _connect_args(self, name: str, own: Optional[ServiceConnectSettings],
                         namespace: Optional[pulumi.Input[str]]) -> dict[str, Any]:
        if own is None:
            return {}
        if namespace is None:
            raise ValueError(f"{name} joins Service Connect: pass the cluster's service_connect_namespace_arn")
        # A renamed service keeps the discovery name its callers know unless the stack file gives another.
        return {"service_connect": own.args(self.renamed_from(name) or name, namespace)}

    def _renamed(self, name: str) -> dict[str, Any]:
        old = self.renamed_from(name)
        return {"renamed_from": old} if old else {}

    def callers(self) -> list[tuple[str, str]]:
        """(callee, caller) pairs of the stack's Service Connect: who may call whom."""
        return [(name, caller) for name, s in self.services.items() if s.service_connect is not None
                for caller in s.service_connect.callers]

    def web_service_args(self, name: str, placement: Placement, *, namespace: Optional[pulumi.Input[str]] = None,
                         image: Optional[pulumi.Input[str]] = None, **wiring: Any) -> WebServiceArgs:
        """Args of the WebService `name`; `wiring` supplies the load balancer outputs, `namespace` the cluster's
        Service Connect namespace ARN, `image` its ImageRepository's image_uri when it has a repository."""
        s = self.services[name]
        alarms = self._alarms(s.alarms, web=True)
        args: dict[str, Any] = {
            **wiring,
            **self._connect_args(name, s.service_connect, namespace),
            **({"alarms": alarms} if alarms else {}),
            **self._renamed(name),
            "placement": placement,
            "deployment": {**self._deployment(), **self._strategy(s)},
            "task": s.task_args(self.log_retention_days, image, self.protect_data),
            "priority": s.priority,
            "path_patterns": list(s.path_patterns),
            "host_headers": list(s.host_headers),
            "container_port": s.container_port,
            "health_check": s.health_check.model_dump(),
            "deregistration_delay_seconds": s.deregistration_delay_seconds,
            "health_check_grace_period_seconds": s.health_check_grace_period_seconds,
            "capacity_provider_strategy": s.strategy(self.cluster.default_capacity_provider_strategy),
            "autoscaling": {k: v for k, v in s.autoscaling.model_dump().items() if v is not None},
        }
        if s.desired_count is not None:
            args["desired_count"] = s.desired_count
        return args  # type: ignore[return-value]

    def queue_worker_args(self, name: str, placement: Placement, *, namespace: Optional[pulumi.Input[str]] = None,
                          image: Optional[pulumi.Input[str]] = None) -> QueueWorkerArgs:
        """Args of the QueueWorker `name`; `namespace` is the cluster's Service Connect namespace ARN, `image` its
        ImageRepository's image_uri when it has a repository."""
        w = self.workers[name]
        queue = {k: v for k, v in w.queue.model_dump().items() if v is not None}
        scaling = w.scaling.model_dump()
        alarms = self._alarms(w.alarms, web=False)
        args: dict[str, Any] = {
            **self._connect_args(name, w.service_connect, namespace),
            **({"alarms": alarms} if alarms else {}),
            **self._renamed(name),
            "placement": placement,
            "deployment": self._deployment(),
            "task": w.task_args(self.log_retention_days, image, self.protect_data),
            "queue": queue,
            "protect_queues": self.service_defaults.protect_queues,
            "scaling": scaling,
            "capacity_provider_strategy": w.strategy(_default_worker_strategy()),
            "alarm_actions": [self.alarm_topic_arn] if self.alarm_topic_arn else [],
        }
        return args  # type: ignore[return-value]

    def scheduled_task_args(self, name: str, placement: Placement, *,
                            image: Optional[pulumi.Input[str]] = None) -> ScheduledTaskArgs:
        """Args of the ScheduledTask `name`; its dead-letter alarm tells alarmTopicArn; `image` is its
        ImageRepository's image_uri when it has a repository."""
        t = self.scheduled_tasks[name]
        return {
            **self._renamed(name),  # type: ignore[typeddict-item]
            "placement": placement,
            "task": t.task_args(self.log_retention_days, image, self.protect_data),
            "schedule": t.schedule,
            "timezone": t.timezone,
            "retry": t.retry.model_dump(),  # type: ignore[typeddict-item]
            "on_demand": t.on_demand,
            "enabled": t.enabled,
            "alarm_actions": self._alarm_actions(),  # type: ignore[typeddict-item]
        }

    def cluster_args(self) -> ClusterArgs:
        strategy: list[CapacityProviderStrategyItem] = [
            {"capacity_provider": i.capacity_provider, "weight": i.weight, "base": i.base}
            for i in self.cluster.default_capacity_provider_strategy
        ]
        args: ClusterArgs = {
            "container_insights": self.cluster.container_insights,
            "default_capacity_provider_strategy": strategy,
            "exec_log_retention_days": self.log_retention_days,
            "protect_data": self.protect_data,
        }
        if self.cluster.service_connect_namespace is not None:
            args["service_connect_namespace"] = self.cluster.service_connect_namespace
        return args


# Reading the config --------------------------------------------------------------------------------------------


def parse(config: Mapping[str, str], namespace: str) -> StackSettings:
    """Settings from a flat config map as the Pulumi engine passes it to a program (``PULUMI_CONFIG``): keys are
    ``namespace:key`` and structured values are JSON text.

    Raises :class:`SettingsError` with one line naming the first bad key.
    """
    prefix = f"{namespace}:"
    data: dict[str, Any] = {key[len(prefix):]: _decode(value) for key, value in config.items() if key.startswith(prefix)}
    _check_namespaces(config, namespace)
    if "aws:region" in config:
        data["aws:region"] = config["aws:region"]
    data["aws:*"] = provider_options(config)
    try:
        return StackSettings.model_validate(data)
    except ValidationError as error:
        raise _problems(error, namespace) from None


# Config namespaces a stack of this project may use besides its own: the AWS provider's, and Pulumi's own.
_OTHER_NAMESPACES = ("aws", "pulumi")
# aws: keys the platform sets itself.
_PLATFORM_PROVIDER_KEYS = {"region": "aws:region is read separately", "defaultTags": "use ecs-platform:tags"}


def _check_namespaces(config: Mapping[str, str], namespace: str) -> None:
    """Refuse a key no one reads (a misspelt namespace drops a whole section silently otherwise)."""
    for key in config:
        space, _, name = key.partition(":")
        if space == namespace or space == "pulumi":
            continue
        if space == "aws":
            if name not in _PLATFORM_PROVIDER_KEYS and name not in aws_provider_keys():
                raise SettingsError(key, "not a setting of the AWS provider"
                                    f"{validation.did_you_mean(name, aws_provider_keys())}")
            if name == "defaultTags":
                raise SettingsError(key, "the platform sets the provider's default tags; use ecs-platform:tags")
            continue
        suggestion = validation.did_you_mean(space, (namespace, *_OTHER_NAMESPACES))
        if suggestion:
            suggestion = f"; did you mean {suggestion.split()[-1].rstrip('?')}:{name}?"
        raise SettingsError(key, f"unknown config namespace {space!r}: this project reads {namespace}: and aws: "
                                 f"keys{suggestion}")


def aws_provider_keys() -> dict[str, str]:
    """The AWS provider's config keys (camelCase, as a stack file writes them) and their argument names, from the
    provider's own Python arguments."""
    import inspect

    import pulumi_aws as aws

    names = [n for n in inspect.signature(aws.ProviderArgs.__init__).parameters if n != "__self__"]
    return {to_camel(n): n for n in names}


def provider_options(config: Mapping[str, str]) -> dict[str, Any]:
    """The stack file's aws: keys other than the region and default tags, as arguments of ``aws.Provider`` (the
    program's explicit provider does not read the aws: namespace by itself)."""
    keys = aws_provider_keys()
    options: dict[str, Any] = {}
    for key, value in config.items():
        space, _, name = key.partition(":")
        if space == "aws" and name in keys and name not in _PLATFORM_PROVIDER_KEYS:
            options[keys[name]] = _provider_value(value)
    return options


def _provider_value(value: str) -> Any:
    """Structured values and JSON scalars (true, 3) as the provider's typed arguments take them."""
    if isinstance(value, str) and (value[:1] in ("{", "[") or value in ("true", "false") or value.isdigit()):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def from_pulumi_config() -> StackSettings:
    """Settings of the running stack, read from the config the engine passed (namespace: the project name)."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    try:
        settings = parse(merged, pulumi.get_project())
    except SettingsError as error:
        where = f" (stack file Pulumi.{pulumi.get_stack()}.yaml)"
        (key, message), *more = error.problems
        raise SettingsError(key, message + where, [(k, m + where) for k, m in more]) from None
    for warning in settings.warnings(pulumi.get_project()):
        pulumi.log.warn(warning)
    return settings


def _decode(value: Any) -> Any:
    """The engine passes objects and arrays as JSON text and scalars as plain strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


_WORKLOAD_FIELDS = {"services": "service", "workers": "worker", "scheduled_tasks": "scheduled task"}
_WORKLOAD_KEYS = {
    field: {f.alias or n for n, f in model.model_fields.items()}
    for field, model in (("services", ServiceSettings), ("workers", WorkerSettings),
                         ("scheduled_tasks", ScheduledTaskSettings))
}
"""The keys of each kind of workload: written where a workload's name goes, one is misplaced, not a name."""


def _problems(error: ValidationError, namespace: str) -> SettingsError:
    """Every problem of a stack file, one (key, message) each, the misplaced and misspelt keys first."""
    problems = error.errors(include_url=False)
    # A misspelt key also leaves its right spelling missing: report the misspelling, with its suggestion.
    misspelt = {tuple(p["loc"][:-1]) for p in problems if p["type"] == "extra_forbidden"}
    problems = [p for p in problems if not (p["type"] == "missing" and tuple(p["loc"][:-1]) in misspelt)]
    found: list[tuple[str, str]] = []
    # A workload's key written one level too far left reads as a workload of that name: say so, once, and drop
    # what the misreading makes of it.
    misplaced: set[tuple[Any, ...]] = set()
    for p in problems:
        loc = p["loc"]
        if len(loc) >= 2 and loc[0] in _WORKLOAD_FIELDS and str(loc[1]) in _WORKLOAD_KEYS[loc[0]] \
                and tuple(loc[:2]) not in misplaced:
            misplaced.add(tuple(loc[:2]))
            section = _as_written(loc[:1], keep_last=False)[0]
            found.append((f"{namespace}:{section}.{loc[1]}",
                          f"misplaced: {loc[1]} is a key of a {_WORKLOAD_FIELDS[loc[0]]}, not a "
                          f"{_WORKLOAD_FIELDS[loc[0]]} of its own; indent it under the {_WORKLOAD_FIELDS[loc[0]]} it "
                          "belongs to"))
    problems = [p for p in problems if tuple(p["loc"][:2]) not in misplaced]
    for p in sorted(problems, key=lambda p: p["type"] != "extra_forbidden"):
        blamed = p.get("ctx", {}).get("error")
        for each in (blamed.problems if isinstance(blamed, KeyProblems) else [blamed]):
            one = {**p, "ctx": {**p.get("ctx", {}), "error": each}} if isinstance(blamed, KeyProblems) else p
            found.append((_key_path(one, namespace), _describe(one)))
    unique = list(dict.fromkeys(found))
    return SettingsError(*unique[0], unique[1:])


def _key_path(problem: Mapping[str, Any], namespace: str) -> str:
    loc = _as_written(problem["loc"], keep_last=problem["type"] == "extra_forbidden")
    blamed = problem.get("ctx", {}).get("error")
    if isinstance(blamed, KeyProblem):
        loc.append(blamed.key)
    if not loc:
        return namespace
    head, *rest = loc
    path = head if ":" in str(head) else f"{namespace}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _as_written(loc: tuple[Any, ...], keep_last: bool) -> list[Any]:
    """The path with field names turned into the camelCase keys a stack file uses (defaults are validated under
    their Python names). The key of an unknown-key error is kept exactly as the user wrote it."""
    written: list[Any] = []
    annotation: Any = StackSettings
    for index, part in enumerate(loc):
        model = _strip_optional(annotation)
        if _is_model(model) and part in model.model_fields and not (keep_last and index == len(loc) - 1):
            written.append(model.model_fields[part].alias or part)
        else:
            written.append(part)
        annotation = _descend(annotation, part)
    return written


def _describe(problem: Mapping[str, Any]) -> str:
    kind, ctx, given = problem["type"], problem.get("ctx", {}), problem.get("input")
    if kind == "extra_forbidden":
        key, parent = str(problem["loc"][-1]), problem["loc"][:-1]
        allowed = _allowed_keys(parent)
        misplaced = _misplaced(key, parent)
        if misplaced:
            return misplaced
        hint = difflib.get_close_matches(key, allowed, n=1)
        suggestion = f"did you mean {hint[0]}? " if hint else ""
        return f"unknown key; {suggestion}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", problem["msg"])).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"allowed: {ctx['expected'].replace(chr(39), '')}; got {given!r}"
    expected = {
        "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
        "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "a string",
        "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys", "dict_type": "a mapping",
        "list_type": "a list",
    }.get(kind)
    if expected:
        return f"expected {expected}; got {given!r}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("above", "gt"), "less_than": ("below", "lt")}.get(kind)
    if bounds:
        return f"must be {bounds[0]} {ctx[bounds[1]]}; got {given!r}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return problem["msg"].replace("Value", "value").replace("List", "list")
    return problem["msg"]


def _misplaced(key: str, parent: tuple[Any, ...]) -> Optional[str]:
    """Where ``key``, unknown at ``parent``, belongs: one level up, or one level down under a section of
    ``parent``; None when it belongs to neither."""
    def written(loc: tuple[Any, ...]) -> str:
        return ".".join(str(part) for part in _as_written(loc, keep_last=False))

    if len(parent) >= 1 and key in _allowed_keys(parent[:-1]):
        return f"misplaced: {key} belongs one level up, under {written(parent[:-1]) or 'the top of the stack file'}"
    annotation = _strip_optional(_descend_path(parent))
    if _is_model(annotation):
        for name, field in annotation.model_fields.items():
            child = field.alias or name
            if key in _allowed_keys((*parent, child)) and _is_model(_strip_optional(field.annotation)):
                return f"misplaced: {key} belongs one level down, under {written((*parent, child))}"
    return None


def _descend_path(loc: tuple[Any, ...]) -> Any:
    annotation: Any = StackSettings
    for part in loc:
        annotation = _descend(annotation, part)
    return annotation


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys a settings model accepts at ``loc``, walking the annotations down the path."""
    annotation: Any = StackSettings
    for part in loc:
        annotation = _descend(annotation, part)
    annotation = _strip_optional(annotation)
    if not _is_model(annotation):
        return []
    # `aws:*` is where the provider's keys land, not something a stack file writes.
    return [field.alias or name for name, field in annotation.model_fields.items() if field.alias != "aws:*"]


def _descend(annotation: Any, part: Any) -> Any:
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if _is_model(annotation):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
    return None


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        remaining = [a for a in typing.get_args(annotation) if a is not type(None)]
        return remaining[0] if len(remaining) == 1 else annotation
    return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
