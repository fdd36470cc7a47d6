"""Settings of what a workload runs, shared by services, workers and scheduled tasks: the task (image, size,
environment, secrets, role), its container health check and its sidecars."""

from __future__ import annotations

import re
from typing import Any, Optional

import pulumi
from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..cluster import CapacityProviderStrategyItem
from ..enums import CpuArchitecture
from ..image_repository import BuildProblem, check_build
from .._volumes import volume_path_problem
from ..task_definition import (TaskArgs, managed_instances_task_problem, mount_paths_problem, scratch_path_problem,
                               secret_arn_problem)
from .base import Bool, KeyProblem, _Settings
from .cluster import CapacityProviderSettings, _strategy
from .network import EgressSettings, extra_security_groups, unique_egress
from .file_systems import VolumeSettings
from .repositories import RepositorySettings
from .volumes import EbsVolumeSettings


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
    volumes: dict[str, VolumeSettings] = Field(default_factory=dict, description=(
        "EFS file systems of fileSystems mounted into the main container, by volume name. Default: none."))
    user: Optional[str] = None
    stop_timeout_seconds: Optional[int] = Field(None, ge=2, le=120)
    publishes: list[str] = Field(default_factory=list, description=(
        "Topics (names under topics) the application publishes to: their ARNs in SNS_TOPIC_ARNS, sns:Publish on "
        "exactly those. Default: none."))
    ephemeral_storage_gib: Optional[int] = Field(None, ge=21, le=200, description=(
        "Ephemeral storage of each task in GiB, above Fargate's free 20 (billed per GiB-hour). Default: 20."))
    enable_execute_command: Optional[Bool] = Field(None, description=(
        "ECS Exec into this workload's tasks (aws ecs execute-command). Default: serviceDefaults.enableExecuteCommand."))
    ebs_volume: Optional[EbsVolumeSettings] = Field(None, description=(
        "Services and workers: a managed EBS volume per task, mounted writable at its path (scratch, deleted with "
        "the task). Default: none."))
    sidecars: list[SidecarSettings] = Field(default_factory=list)
    task_role_policy: list[PolicyStatementSettings] = Field(default_factory=list)
    capacity_provider_strategy: Optional[list[CapacityProviderSettings]] = None
    egress: list[EgressSettings] = Field(default_factory=list, description=(
        "Ways out besides HTTPS (databases, caches): rules on the workload's security group. Default: none."))
    security_group_ids: list[str] = Field(default_factory=list, description=(
        "Security groups attached to the tasks besides the workload's own, at most 4. Default: none."))
    managed_instances: Optional[str] = Field(None, description=(
        "Run on this cluster.managedInstances provider instead of Fargate. Default: none (Fargate)."))
    gpus: Optional[int] = Field(None, ge=1, description=(
        "GPUs for the main container; needs managedInstances on a provider with acceleratorTypes [gpu]. Default: none."))
    renamed_from: Optional[str] = Field(None, description=(
        "The name this workload had before a rename: its queue, repository, log group and the rest keep their state "
        "under the new name (Pulumi aliases) instead of being deleted and created again."))

    _environment = field_validator("environment")(classmethod(lambda cls, v: _check_environment(v)))
    _secrets = field_validator("secrets")(classmethod(lambda cls, v: _check_secrets(v)))
    _egress = field_validator("egress")(classmethod(lambda cls, v: unique_egress(v)))
    _groups = field_validator("security_group_ids")(classmethod(lambda cls, v: extra_security_groups(v)))
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

    @field_validator("volumes")
    @classmethod
    def _volume_names(cls, volumes: dict[str, VolumeSettings]) -> dict[str, VolumeSettings]:
        for name in volumes:
            if not re.match(r"^[A-Za-z0-9_-]{1,200}$", name):
                raise KeyProblem(name, "volume names are 1 to 200 letters, digits, _ and -")
        return volumes

    @field_validator("user")
    @classmethod
    def _user(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^[a-zA-Z0-9_.-]+(:[a-zA-Z0-9_.-]+)?$", value):
            raise ValueError(f"must be a user, or user:group, as a name or a number such as 1000:1000; got {value!r}")
        return value

    @field_validator("publishes")
    @classmethod
    def _publishes_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a topic twice: {value}")
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
        if self.managed_instances is not None:
            problem = managed_instances_task_problem(self.cpu, self.memory, self.task_args_shape())
            if problem:
                key = problem.split(" ", 1)[0]
                raise KeyProblem({"ephemeral_storage_gib": "ephemeralStorageGib"}.get(key, key),
                                 problem.split(" ", 1)[1])
        elif self.cpu not in validation.FARGATE_MEMORY:
            raise KeyProblem("cpu", validation.one_of(self.cpu, validation.FARGATE_MEMORY))
        else:
            try:
                validation.fargate_size(self.cpu, self.memory)
            except ValueError as error:
                raise KeyProblem("memory", str(error)) from None
        paths = [(name, v.path) for name, v in self.volumes.items()]
        for index, (name, path) in enumerate(paths):
            others = tuple(self.scratch_paths) + tuple(p for n, p in paths[:index])
            problem = mount_paths_problem([path], others)
            if problem:
                raise KeyProblem(f"volumes.{name}.path", problem)
        both = set(self.environment) & set(self.secrets)
        if both:
            raise KeyProblem("environment", f"{', '.join(sorted(both))} is also under secrets; keep one")
        # ContainerDefinition cpu and memoryReservation: what the sidecars reserve comes out of the task's.
        reserved = sum(s.memory_reservation or 0 for s in self.sidecars)
        if reserved >= self.memory:
            raise KeyProblem("sidecars", f"the sidecars reserve {reserved} MiB of the task's {self.memory}; leave "
                                         "memory for the main container")
        if self.ebs_volume is not None:
            problem = volume_path_problem(self.ebs_volume.path, self.scratch_paths)
            if problem:
                raise KeyProblem("ebsVolume.path", problem.removeprefix("ebs_volume.path "))
        cpu = sum(s.cpu for s in self.sidecars)
        if cpu >= self.cpu:
            raise KeyProblem("sidecars", f"the sidecars reserve {cpu} of the task's {self.cpu} CPU units; leave CPU "
                                         "for the main container")
        return self

    def task_args_shape(self) -> dict[str, Any]:
        """The task keys the Managed Instances check reads."""
        return {k: v for k, v in (("ephemeral_storage_gib", self.ephemeral_storage_gib), ("gpus", self.gpus))
                if v is not None}

    def task_args(self, log_retention_days: int, image: Optional[pulumi.Input[str]] = None,
                  protect_data: bool = False, topics: Optional[dict[str, Any]] = None) -> TaskArgs:
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
        if self.egress:
            args["egress"] = [e.args() for e in self.egress]  # type: ignore[misc]
        if self.security_group_ids:
            args["security_group_ids"] = list(self.security_group_ids)
        if self.stop_timeout_seconds is not None:
            args["stop_timeout_seconds"] = self.stop_timeout_seconds
        if self.publishes:
            # topics: name -> (ARN, the topic's settings), from the program's Topic components.
            args["publishes"] = [{"name": t, "topic_arn": topics[t][0],  # type: ignore[index]
                                  **({"kms_key_arn": topics[t][1].kms_key_arn}  # type: ignore[index]
                                     if topics[t][1].kms_key_arn else {})}  # type: ignore[index]
                                 for t in self.publishes]
        if self.ephemeral_storage_gib is not None:
            args["ephemeral_storage_gib"] = self.ephemeral_storage_gib
        if self.ebs_volume is not None:
            args["ebs_volume"] = self.ebs_volume.args()
        if self.gpus is not None:
            args["gpus"] = self.gpus
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

    def placement_args(self, fallback: list[CapacityProviderSettings],
                       capacity_providers: Optional[dict[str, Any]]) -> dict[str, Any]:
        """Where the workload runs, as component args: its Managed Instances provider's name (from the Cluster's
        capacity_provider_names), or its Fargate strategy."""
        if self.managed_instances is None:
            return {"capacity_provider_strategy": self.strategy(fallback)}
        if not capacity_providers or self.managed_instances not in capacity_providers:
            raise ValueError(f"the workload runs on Managed Instances provider {self.managed_instances}: pass the "
                             "Cluster's capacity_provider_names")
        return {"managed_instances": capacity_providers[self.managed_instances]}

    def strategy(self, fallback: list[CapacityProviderSettings]) -> list[CapacityProviderStrategyItem]:
        return [
            {"capacity_provider": s.capacity_provider, "weight": s.weight, "base": s.base}
            for s in (self.capacity_provider_strategy if self.capacity_provider_strategy is not None else fallback)
        ]
