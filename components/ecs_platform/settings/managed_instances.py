"""Settings of a Managed Instances capacity provider (``ecs-platform:cluster.managedInstances.<name>``) and the
checks of the workloads placed on one (research/managed-instances.md has the facts and their sources)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..enums import AcceleratorType, CpuArchitecture, InstanceCapacity, InstanceMonitoring
from ..managed_instances import (ACCELERATOR_MANUFACTURERS, MAX_INSTANCE_TYPES, CheckedManagedInstances,
                                 ManagedInstancesArgs, checked)
from .base import KeyProblem, _Settings


class RangeSettings(_Settings):
    min: int = Field(ge=0)
    max: Optional[int] = Field(None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "RangeSettings":
        if self.max is not None and self.max < self.min:
            raise KeyProblem("max", f"must be at least min ({self.min}); got {self.max}")
        return self

    def args(self) -> dict[str, int]:
        return {"min": self.min, **({"max": self.max} if self.max is not None else {})}


class ManagedInstancesSettings(_Settings):
    """One Managed Instances capacity provider: the instances ECS may launch for the workloads placed on it."""

    vcpu: RangeSettings = Field(description="vCPUs per instance, {min, max}. Required.")
    memory_mib: RangeSettings = Field(description="Memory per instance in MiB, {min, max}. Required.")
    cpu_architecture: CpuArchitecture = Field(defaults.MANAGED_INSTANCES_CPU_ARCHITECTURE, description=(
        "X86_64 (Intel, AMD) or ARM64 (Graviton). Default: X86_64."))
    accelerator_types: list[AcceleratorType] = Field(default_factory=list, description="gpu, inference. Default: none.")
    accelerator_count: Optional[RangeSettings] = None
    accelerator_manufacturers: list[str] = Field(default_factory=list)
    allowed_instance_types: list[str] = Field(default_factory=list, max_length=MAX_INSTANCE_TYPES)
    excluded_instance_types: list[str] = Field(default_factory=list, max_length=MAX_INSTANCE_TYPES)
    capacity: InstanceCapacity = Field(defaults.MANAGED_INSTANCES_CAPACITY, description=(
        "onDemand or spot. Changing it replaces the capacity provider. Default: onDemand."))
    storage_gib: Optional[int] = Field(None, ge=1, description="Task volume of each instance in GiB. Default: AWS's.")
    scale_in_after_seconds: Optional[int] = Field(None, ge=-1, le=3600, description=(
        "Seconds an idle instance waits before ECS removes it, 0 to 3600, -1 never. Default: AWS's."))
    monitoring: InstanceMonitoring = defaults.MANAGED_INSTANCES_MONITORING

    @field_validator("vcpu", "memory_mib")
    @classmethod
    def _positive(cls, value: RangeSettings) -> RangeSettings:
        if value.min < 1:
            raise ValueError(f"min must be at least 1; got {value.min}")
        return value

    @field_validator("accelerator_manufacturers")
    @classmethod
    def _makers(cls, value: list[str]) -> list[str]:
        for maker in value:
            if maker not in ACCELERATOR_MANUFACTURERS:
                raise ValueError(f"{maker!r} must be one of {', '.join(ACCELERATOR_MANUFACTURERS)}")
        return value

    @model_validator(mode="after")
    def _component(self) -> "ManagedInstancesSettings":
        if self.allowed_instance_types and self.excluded_instance_types:
            raise KeyProblem("excludedInstanceTypes", "cannot be set with allowedInstanceTypes (EC2 instance "
                                                      "requirements take one or the other)")
        try:
            checked("", self.args())
        except ValueError as error:
            key = str(error).split(" ", 1)[0]
            raise KeyProblem({"allowed_instance_types": "allowedInstanceTypes",
                              "excluded_instance_types": "excludedInstanceTypes"}.get(key, key),
                             str(error).split(" ", 1)[1]) from None
        return self

    def args(self) -> ManagedInstancesArgs:
        args: dict[str, Any] = {
            "vcpu": self.vcpu.args(),
            "memory_mib": self.memory_mib.args(),
            "cpu_architecture": self.cpu_architecture,
            "capacity": self.capacity,
            "monitoring": self.monitoring,
        }
        for key in ("accelerator_types", "accelerator_manufacturers", "allowed_instance_types",
                    "excluded_instance_types"):
            if getattr(self, key):
                args[key] = list(getattr(self, key))
        if self.accelerator_count is not None:
            args["accelerator_count"] = self.accelerator_count.args()
        for key in ("storage_gib", "scale_in_after_seconds"):
            if getattr(self, key) is not None:
                args[key] = getattr(self, key)
        return args  # type: ignore[return-value]

    def checked(self, name: str) -> CheckedManagedInstances:
        return checked(name, self.args())


def placement_problems(prefix: str, workload: Any, providers: dict[str, ManagedInstancesSettings]) -> list[KeyProblem]:
    """What would go wrong placing ``workload`` (a TaskSettings) where it asks: one KeyProblem per mistake, keys
    relative to the stack file's top (``prefix`` is ``workers.inference``)."""
    name, gpus = workload.managed_instances, workload.gpus
    if name is None:
        if gpus is not None:
            return [KeyProblem(f"{prefix}.gpus", "a GPU on Fargate is not possible: place the workload on a "
                                                 "Managed Instances provider with GPUs (managedInstances)")]
        return []
    found: list[KeyProblem] = []
    if workload.capacity_provider_strategy is not None:
        found.append(KeyProblem(f"{prefix}.capacityProviderStrategy",
                                "cannot be set with managedInstances: a capacity provider strategy holds one provider "
                                "type (Fargate or Managed Instances)"))
    if name not in providers:
        from ..validation import did_you_mean
        known = ", ".join(sorted(providers)) or "none"
        return found + [KeyProblem(f"{prefix}.managedInstances",
                                   f"{name!r} is not a provider of cluster.managedInstances (known: {known})"
                                   f"{did_you_mean(name, providers)}")]
    spec = providers[name]
    if gpus is not None and AcceleratorType.GPU not in spec.accelerator_types:
        found.append(KeyProblem(f"{prefix}.gpus", f"provider {name} launches no GPU instances; give it "
                                                  "acceleratorTypes: [gpu]"))
    if gpus is not None and spec.accelerator_count and spec.accelerator_count.max is not None \
            and gpus > spec.accelerator_count.max:
        found.append(KeyProblem(f"{prefix}.gpus", f"{gpus} GPUs do not fit provider {name}'s instances (at most "
                                                  f"{spec.accelerator_count.max})"))
    if workload.cpu_architecture is not spec.cpu_architecture:
        found.append(KeyProblem(f"{prefix}.cpuArchitecture",
                                f"is {workload.cpu_architecture.value} but provider {name} launches "
                                f"{spec.cpu_architecture.value} instances"))
    if spec.vcpu.max is not None and workload.cpu > spec.vcpu.max * 1024:
        found.append(KeyProblem(f"{prefix}.cpu", f"{workload.cpu} CPU units do not fit provider {name}'s largest "
                                                 f"instance ({spec.vcpu.max} vCPU = {spec.vcpu.max * 1024})"))
    if spec.memory_mib.max is not None and workload.memory > spec.memory_mib.max:
        found.append(KeyProblem(f"{prefix}.memory", f"{workload.memory} MiB do not fit provider {name}'s largest "
                                                    f"instance ({spec.memory_mib.max} MiB)"))
    return found
