"""Cluster: the ECS cluster with FARGATE and FARGATE_SPOT capacity providers, and any Managed Instances ones."""


import re
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, validation
from ._args import check_keys
from .enums import CapacityProvider, ContainerInsights
from .managed_instances import ManagedInstancesArgs, ManagedInstancesCapacity, checked


class CapacityProviderStrategyItem(TypedDict):
    """One capacity provider of a strategy: ECS places `base` tasks on it first, then shares the rest by weight."""

    capacity_provider: CapacityProvider
    """FARGATE or FARGATE_SPOT."""
    weight: int
    """Relative share of the tasks above every base, 0 to 1000."""
    base: NotRequired[int]
    """Tasks placed on this provider before any weight applies. Default: 0."""


class ClusterArgs(TypedDict):
    """Inputs of a Cluster."""

    container_insights: NotRequired[ContainerInsights]
    """Container Insights level. Default: enabled."""
    default_capacity_provider_strategy: NotRequired[list[CapacityProviderStrategyItem]]
    """Strategy for services that set none. Default: FARGATE, weight 1, base 1 (on-demand only)."""
    exec_log_retention_days: NotRequired[int]
    """Days the ECS Exec audit log group keeps sessions. Default: 365."""
    service_connect_namespace: NotRequired[str]
    """Name of a Cloud Map HTTP namespace to create for Service Connect (for example "internal"); it becomes the
    cluster's default namespace. Default: none."""
    protect_data: NotRequired[bool]
    """Refuse to delete or replace the Service Connect namespace (`protect`), and keep the ECS Exec audit log group
    in AWS if the cluster is removed (retainOnDelete). Default: false."""
    managed_instances: NotRequired[dict[str, ManagedInstancesArgs]]
    """ECS Managed Instances capacity providers by name (for example gpu), associated with the cluster beside
    FARGATE and FARGATE_SPOT; workloads opt in by name. Needs vpc_id and subnet_ids. Default: none."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """VPC of the Managed Instances' security group. Required with managed_instances."""
    subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """Private subnets the Managed Instances launch in. Required with managed_instances."""


def namespace_name_problem(name: str) -> Optional[str]:
    """Why ``name`` cannot name a Cloud Map HTTP namespace, or None (CreateHttpNamespace Name: 1 to 1024 printable
    ASCII characters without spaces, and not an ARN)."""
    if not re.fullmatch(r"[!-~]{1,1024}", name) or name.startswith("arn:"):
        return (f"service_connect_namespace {name!r} must be 1 to 1024 printable characters without spaces, and not "
                "an ARN")
    return None


def strategy_items(items: list[CapacityProviderStrategyItem]) -> list[tuple[CapacityProvider, int, int]]:
    """A strategy as ``(provider, weight, base)`` tuples, checked against the rules of CreateService."""
    tuples = [(CapacityProvider(i["capacity_provider"]), int(i["weight"]), int(i.get("base", 0))) for i in items]
    validation.capacity_provider_strategy(tuples)
    return tuples


class Cluster(pulumi.ComponentResource):
    """An ECS cluster with Container Insights, FARGATE and FARGATE_SPOT capacity providers and audited ECS Exec."""

    cluster_name: pulumi.Output[str]
    """Name of the cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the cluster."""
    exec_log_group_name: pulumi.Output[str]
    """Log group that records ECS Exec sessions."""
    service_connect_namespace_arn: pulumi.Output[Optional[str]]
    """ARN of the Service Connect namespace (the cluster's default), or none without service_connect_namespace."""
    capacity_provider_names: pulumi.Output[dict[str, str]]
    """Name of each Managed Instances capacity provider, by its key: what a workload's managed_instances takes."""

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys("Cluster", args, ClusterArgs)
        insights = ContainerInsights(args.get("container_insights", defaults.CONTAINER_INSIGHTS))
        strategy = strategy_items(
            args.get(
                "default_capacity_provider_strategy",
                [
                    {"capacity_provider": p, "weight": w, "base": b}
                    for p, w, b in defaults.DEFAULT_CAPACITY_PROVIDER_STRATEGY
                ],
            )
        )
        retention = validation.log_retention_days(int(args.get("exec_log_retention_days", defaults.LOG_RETENTION_DAYS)))
        namespace_name = args.get("service_connect_namespace")
        problem = namespace_name_problem(namespace_name) if namespace_name is not None else None
        if problem:
            raise ValueError(problem)
        managed = {key: checked(key, spec) for key, spec in args.get("managed_instances", {}).items()}
        if managed and ("vpc_id" not in args or "subnet_ids" not in args):
            raise ValueError("managed_instances needs vpc_id and subnet_ids (the private subnets the instances use)")

        super().__init__("ecs-platform:index:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        protect = bool(args.get("protect_data", False))
        exec_logs = aws.cloudwatch.LogGroup(f"{name}-exec", retention_in_days=retention,
                                            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=protect))
        namespace = (
            aws.servicediscovery.HttpNamespace(
                f"{name}-namespace",
                name=namespace_name,
                description=f"Service Connect namespace of the {name} cluster",
                # Every Service Connect service is registered in it: replaced or deleted, their calls fail.
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            if namespace_name is not None
            else None
        )
        cluster = aws.ecs.Cluster(
            name,
            settings=[{"name": "containerInsights", "value": insights.value}],
            configuration={
                "execute_command_configuration": {
                    # OVERRIDE sends every ECS Exec session's output to the audit log group (DEFAULT would not log).
                    "logging": "OVERRIDE",
                    "log_configuration": {"cloud_watch_log_group_name": exec_logs.name},
                }
            },
            # Services that join Service Connect without naming a namespace join this one.
            service_connect_defaults={"namespace": namespace.arn} if namespace is not None else None,
            opts=child,
        )
        instances = (ManagedInstancesCapacity(name, cluster, managed, vpc_id=args["vpc_id"],
                                              subnet_ids=args["subnet_ids"], parent=self) if managed else None)
        providers = instances.providers if instances is not None else {}
        capacity = aws.ecs.ClusterCapacityProviders(
            name,
            cluster_name=cluster.name,
            # A cluster may hold Fargate and Managed Instances providers; a strategy may not mix them (ECS Developer
            # Guide, cluster capacity providers), so each workload's strategy names one kind only.
            capacity_providers=[CapacityProvider.FARGATE.value, CapacityProvider.FARGATE_SPOT.value,
                                *(p.name for p in providers.values())],
            default_capacity_provider_strategies=[
                {"capacity_provider": p.value, "weight": w, "base": b} for p, w, b in strategy
            ],
            opts=child,
        )

        self.cluster = cluster
        """The aws.ecs.Cluster, for escape hatches."""
        self.default_capacity_provider_strategy = strategy
        """The default strategy as (provider, weight, base) tuples, for services in the same program."""
        # Services may only use capacity providers already associated with the cluster, so the outputs that services
        # take carry a dependency on the association (and a destroy removes the services before it).
        self.cluster_name = capacity.cluster_name
        self.cluster_arn = pulumi.Output.all(cluster.arn, capacity.cluster_name).apply(lambda values: values[0])
        self.exec_log_group_name = exec_logs.name
        self.managed_instances = instances
        """The Managed Instances roles, instance profile, security group and providers, or None."""
        self.managed_instances_specs = managed
        """Each Managed Instances provider's checked args, by name (what workloads placed on it are checked against)."""
        # Known names, so workloads' strategies are known at a first preview; the workloads take cluster_arn, which
        # carries the dependency on the association (CreateService refuses a provider not associated yet).
        self.capacity_provider_names = dict(instances.names) if instances is not None else {}  # type: ignore[assignment]
        self.namespace = namespace
        """The aws.servicediscovery.HttpNamespace, or None, for escape hatches."""
        self.service_connect_namespace_arn = (
            namespace.arn if namespace is not None else pulumi.Output.from_input(None)
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "exec_log_group_name": self.exec_log_group_name,
                "service_connect_namespace_arn": self.service_connect_namespace_arn,
                "capacity_provider_names": self.capacity_provider_names,
            }
        )
