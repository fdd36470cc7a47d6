"""Settings of the ECS cluster (``ecs-platform:cluster``) and the capacity provider strategies that services,
workers and the cluster's default share."""

from __future__ import annotations

import re
from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..cluster import CapacityProviderStrategyItem, ClusterArgs, namespace_name_problem
from ..enums import CapacityProvider, ContainerInsights
from .base import KeyProblem, _component_check, _Settings
from .managed_instances import ManagedInstancesSettings

_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


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

    managed_instances: dict[str, ManagedInstancesSettings] = Field(default_factory=dict, description=(
        "ECS Managed Instances capacity providers by name (for example gpu); workloads opt in with managedInstances. "
        "Default: none."))
    service_connect_namespace: Optional[str] = Field(
        None, description="Cloud Map namespace services join with serviceConnect, for example internal. Default: none.")

    @field_validator("default_capacity_provider_strategy")
    @classmethod
    def _check_strategy(cls, value: list[CapacityProviderSettings]) -> list[CapacityProviderSettings]:
        return _strategy(value)

    @field_validator("managed_instances")
    @classmethod
    def _provider_names(cls, value: dict[str, ManagedInstancesSettings]) -> dict[str, ManagedInstancesSettings]:
        for name in value:
            # ECS refuses provider names starting aws, ecs or fargate (CreateCapacityProvider name).
            if not _PROVIDER_NAME.match(name) or name.startswith(("aws", "ecs", "fargate")):
                raise KeyProblem(name, "names are 1 to 32 lowercase letters, digits and hyphens, starting with a "
                                       "letter, not with aws, ecs or fargate")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_strategy_is_fargate(cls, data: Any) -> Any:
        """The default strategy serves workloads without managedInstances, on Fargate; naming a Managed Instances
        provider there would mix provider types in one strategy, which ECS refuses."""
        if isinstance(data, dict):
            names = set(data.get("managedInstances") or {})
            for index, item in enumerate(data.get("defaultCapacityProviderStrategy") or []):
                if isinstance(item, dict) and item.get("capacityProvider") in names:
                    raise KeyProblem(f"defaultCapacityProviderStrategy[{index}].capacityProvider",
                                     f"{item['capacityProvider']} is a Managed Instances provider: the default "
                                     "strategy is Fargate's (a strategy holds one provider type); place workloads "
                                     f"on it with managedInstances: {item['capacityProvider']}")
        return data

    _namespace = field_validator("service_connect_namespace")(
        _component_check(namespace_name_problem, "service_connect_namespace"))

    def args(self, exec_log_retention_days: int, protect_data: bool) -> ClusterArgs:
        """The Cluster's args; ECS Exec sessions keep the stack's log retention."""
        strategy: list[CapacityProviderStrategyItem] = [
            {"capacity_provider": i.capacity_provider, "weight": i.weight, "base": i.base}
            for i in self.default_capacity_provider_strategy
        ]
        args: ClusterArgs = {
            "container_insights": self.container_insights,
            "default_capacity_provider_strategy": strategy,
            "exec_log_retention_days": exec_log_retention_days,
            "protect_data": protect_data,
        }
        if self.service_connect_namespace is not None:
            args["service_connect_namespace"] = self.service_connect_namespace
        return args
