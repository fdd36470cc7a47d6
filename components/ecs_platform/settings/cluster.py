"""Settings of the ECS cluster (``ecs-platform:cluster``) and the capacity provider strategies that services,
workers and the cluster's default share."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from .. import defaults, validation
from ..cluster import CapacityProviderStrategyItem, ClusterArgs, namespace_name_problem
from ..enums import CapacityProvider, ContainerInsights
from .base import _component_check, _Settings


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
