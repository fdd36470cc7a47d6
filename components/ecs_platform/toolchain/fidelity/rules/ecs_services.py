"""Services and clusters: what CreateService, CreateCluster and PutClusterCapacityProviders accept, and how a
service must agree with its cluster, its task definition and its target groups.

Sources are the ECS API reference (CreateService, CapacityProviderStrategyItem, LoadBalancer, ClusterSetting,
ExecuteCommandConfiguration) and the ECS Developer Guide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

from ..requests import ApiRequest
from .base import Finding, Stack, depends_on, dig, indexed, items, known, number, rule, show, whole_list
from .ecs_facts import (
    CLUSTER,
    CLUSTER_PROVIDERS,
    FARGATE_PROVIDERS,
    SERVICE,
    all_containers,
    capacity,
    capacity_providers_of,
    cluster_of,
    is_windows,
    network_mode,
    on_fargate,
    task_definition_of,
)

TARGET_GROUP = "elbv2:CreateTargetGroup"


@rule
def launch_type_or_strategy(stack: Stack) -> Iterator[Finding]:
    """CreateService: "If a capacityProviderStrategy is specified, the launchType parameter must be omitted."."""
    for service in stack.of(SERVICE):
        launch_type = service.params.get("launchType")
        if launch_type and service.params.get("capacityProviderStrategy"):
            yield (service, "launchType", "launchType and capacityProviderStrategy are mutually exclusive; got "
                                          f"launchType {show(launch_type)} and a capacity provider strategy")


def _strategies(stack: Stack) -> Iterator[tuple[ApiRequest, str, Any]]:
    for service in stack.of(SERVICE):
        yield service, "capacityProviderStrategy", service.params.get("capacityProviderStrategy")
    for association in stack.of(CLUSTER_PROVIDERS):
        yield association, "defaultCapacityProviderStrategy", association.params.get("defaultCapacityProviderStrategy")


@rule
def capacity_provider_strategies(stack: Stack) -> Iterator[Finding]:
    """CapacityProviderStrategyItem: "Only one capacity provider in a capacity provider strategy can have a base
    defined"; with several providers "at least one of the capacity providers must have a weight value greater than
    zero"; a strategy names each provider once. ECS Developer Guide, "Amazon ECS capacity providers": a strategy
    holds Fargate providers or Auto Scaling group providers, not both."""
    for request, field, strategy in _strategies(stack):
        listed = whole_list(strategy)
        if not listed or not known(listed):
            continue
        problem = _strategy_problem(listed)
        if problem:
            yield request, field, problem


def _strategy_problem(strategy: list[dict[str, Any]]) -> Optional[str]:
    providers = [s.get("capacityProvider") for s in strategy]
    if len(set(providers)) != len(providers):
        return f"names a capacity provider more than once; got {', '.join(map(str, providers))}"
    based = [p for p, s in zip(providers, strategy) if (number(s.get("base")) or 0) > 0]
    if len(based) > 1:
        return f"only one capacity provider may have a base; got a base on {', '.join(map(str, based))}"
    if len(strategy) > 1 and not any((number(s.get("weight")) or 0) > 0 for s in strategy):
        return "with several capacity providers at least one needs a weight above 0; all weights are 0"
    fargate = {p for p in providers if p in FARGATE_PROVIDERS}
    if fargate and len(fargate) < len(providers):
        return f"mixes Fargate and Auto Scaling group capacity providers; got {', '.join(map(str, providers))}"
    return None


@rule
def capacity_providers_associated(stack: Stack) -> Iterator[Finding]:
    """CapacityProviderStrategyItem: "Only capacity providers that are already associated with a cluster ... can be
    used in a capacity provider strategy" (PutClusterCapacityProviders associates them): a service's providers are
    associated with its cluster, and the service depends on that association so that Pulumi makes it first; a
    cluster's default strategy may use only the providers the same call associates."""
    for association in stack.of(CLUSTER_PROVIDERS):
        associated = whole_list(association.params.get("capacityProviders"))
        if associated is None:
            continue
        for index, item in indexed(association.params.get("defaultCapacityProviderStrategy")):
            provider = item.get("capacityProvider")
            if known(provider) and provider not in associated:
                listed = ", ".join(map(str, associated)) or "none"
                yield (association, f"defaultCapacityProviderStrategy[{index}].capacityProvider",
                       f"must be one of the providers associated here ({listed}); got {provider}")
    for service in stack.of(SERVICE):
        yield from _service_providers_associated(stack, service)


def _service_providers_associated(stack: Stack, service: ApiRequest) -> Iterator[Finding]:
    cluster = cluster_of(stack, service)
    if cluster is None or not items(service.params.get("capacityProviderStrategy")):
        return
    associations = capacity_providers_of(stack, cluster)
    associated: set[Any] = set()
    for association in associations:
        listed = whole_list(association.params.get("capacityProviders"))
        if listed is None:
            return
        associated.update(listed)
    for index, item in indexed(service.params.get("capacityProviderStrategy")):
        provider = item.get("capacityProvider")
        if known(provider) and provider not in associated:
            yield (service, f"capacityProviderStrategy[{index}].capacityProvider",
                   f"cluster {cluster.resource.name} has no association with {provider} (ClusterCapacityProviders "
                   f"associates {', '.join(sorted(map(str, associated))) or 'none'})")
            return
    waiting = [a for a in associations if not depends_on(service, a)]
    if waiting:
        yield (service, "capacityProviderStrategy",
               f"must depend on ClusterCapacityProviders {waiting[0].resource.name}, or Pulumi may create the service "
               "before its capacity providers are associated")


@rule
def service_network_configuration(stack: Stack) -> Iterator[Finding]:
    """CreateService networkConfiguration: "This parameter is required for task definitions that use the awsvpc
    network mode ..., and it isn't supported for other network modes"."""
    for service in stack.of(SERVICE):
        definition = task_definition_of(stack, service)
        if definition is None or not known(network_mode(definition)):
            continue
        mode, network = network_mode(definition), service.params.get("networkConfiguration")
        if mode == "awsvpc" and network is None:
            yield (service, "networkConfiguration",
                   f"task definition {definition.resource.name} uses awsvpc, which needs a networkConfiguration")
        elif mode != "awsvpc" and network is not None:
            yield (service, "networkConfiguration", f"task definition {definition.resource.name} uses networkMode "
                                                    f"{mode}, which takes no networkConfiguration")


@rule
def service_load_balancer_containers(stack: Stack) -> Iterator[Finding]:
    """LoadBalancer (ECS API reference): containerName is "The name of the container (as it appears in a container
    definition)"; containerPort "must correspond to a containerPort in the task definition"."""
    for service in stack.of(SERVICE):
        definition = task_definition_of(stack, service)
        listed = all_containers(definition) if definition is not None else None
        if listed is None or not all(known(c.get("name")) for c in listed):
            continue
        by_name = {c.get("name"): c for c in listed}
        for index, lb in indexed(service.params.get("loadBalancers")):
            yield from _load_balancer_container(service, definition, f"loadBalancers[{index}]", lb, by_name)


def _load_balancer_container(service: ApiRequest, definition: ApiRequest, at: str, lb: dict[str, Any],
                             by_name: dict[Any, dict[str, Any]]) -> Iterator[Finding]:
    name, port = lb.get("containerName"), lb.get("containerPort")
    if not known(name) or not known(port):
        return
    container = by_name.get(name)
    if container is None:
        yield (service, f"{at}.containerName", f"task definition {definition.resource.name} has no container "
                                               f"{show(name)}; it has {', '.join(map(str, by_name)) or 'none'}")
        return
    ports = [number(m.get("containerPort")) for _, m in indexed(container.get("portMappings"))]
    if port is not None and known(container.get("portMappings")) and number(port) not in ports:
        listed = ", ".join(show(p) for p in ports if p is not None) or "none"
        yield (service, f"{at}.containerPort",
               f"container {name} maps no containerPort {show(port)}; its containerPorts are {listed}")


@rule
def ip_targets_for_awsvpc(stack: Stack) -> Iterator[Finding]:
    """CreateService loadBalancers: for tasks in the awsvpc network mode "you must choose ip as the target type, not
    instance" (ECS Developer Guide, "Use a load balancer")."""
    for service in stack.of(SERVICE):
        definition = task_definition_of(stack, service)
        if definition is None or network_mode(definition) != "awsvpc":
            continue
        for lb in items(service.params.get("loadBalancers")):
            group = stack.referenced(service, "loadBalancers", TARGET_GROUP, lb.get("targetGroupArn"))
            target_type = group.params.get("TargetType", "instance") if group is not None else None
            if group is not None and known(target_type) and target_type != "ip":
                yield (group, "TargetType",
                       f"service {service.resource.name} runs awsvpc tasks, so its target group must have target type "
                       f"ip; got {group.params.get('TargetType', 'instance (the default)')}")


@rule
def grace_period_needs_a_health_check(stack: Stack) -> Iterator[Finding]:
    """CreateService healthCheckGracePeriodSeconds applies to load balancer and container health checks: "If you do
    not use any of the health checks, then healthCheckGracePeriodSeconds is unused" (older ECS versions refused it
    outright without a load balancer)."""
    for service in stack.of(SERVICE):
        if service.params.get("healthCheckGracePeriodSeconds") is None or service.params.get("loadBalancers"):
            continue
        definition = task_definition_of(stack, service)
        listed = all_containers(definition) if definition is not None else None
        if listed is not None and not any(c.get("healthCheck") for c in listed):
            grace = show(service.params["healthCheckGracePeriodSeconds"])
            yield (service, "healthCheckGracePeriodSeconds", "a health check grace period needs a load balancer or a "
                                                             f"container health check to apply to; got {grace} s "
                                                             "with neither")


@rule
def fargate_service_placement(stack: Stack) -> Iterator[Finding]:
    """CreateService schedulingStrategy: "Tasks using the Fargate launch type or the CODE_DEPLOY or EXTERNAL
    deployment controller types don't support the DAEMON scheduling strategy"; PlacementConstraint: "If you're
    using the Fargate launch type, task placement constraints aren't supported"."""
    for service in stack.of(SERVICE):
        controller = dig(service.params, "deploymentController", "type")
        daemon = service.params.get("schedulingStrategy") == "DAEMON"
        fargate = on_fargate(stack, service)
        if daemon and (fargate or controller in ("CODE_DEPLOY", "EXTERNAL")):
            why = "Fargate" if fargate else f"the {controller} deployment controller"
            yield service, "schedulingStrategy", f"{why} supports the REPLICA scheduling strategy only; got DAEMON"
        if fargate and items(service.params.get("placementConstraints")):
            yield (service, "placementConstraints", "task placement constraints are not supported on Fargate; "
                                                    f"got {len(items(service.params['placementConstraints']))}")


@rule
def windows_not_on_fargate_spot(stack: Stack) -> Iterator[Finding]:
    """CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks with the X86_64 architecture on platform
    version 1.3.0 or later ... with the ARM64 architecture on platform version 1.4.0 or later": not Windows."""
    for service in stack.of(SERVICE):
        definition = task_definition_of(stack, service)
        if definition is not None and is_windows(definition) and "FARGATE_SPOT" in (capacity(stack, service) or ()):
            yield (service, "capacityProviderStrategy",
                   f"FARGATE_SPOT runs Linux tasks only; task definition {definition.resource.name} is Windows")


@rule
def cluster_settings(stack: Stack) -> Iterator[Finding]:
    """ClusterSetting value: "The supported values are enhanced, enabled, and disabled"; ExecuteCommandConfiguration
    logConfiguration: "When logging=OVERRIDE is specified, a logConfiguration must be provided"."""
    for cluster in stack.of(CLUSTER):
        for index, setting in indexed(cluster.params.get("settings")):
            value = setting.get("value")
            if setting.get("name") == "containerInsights" and known(value) and value not in (
                    "enhanced", "enabled", "disabled"):
                yield (cluster, f"settings[{index}].value",
                       f"containerInsights must be enhanced, enabled or disabled; got {show(value)}")
        execute = dig(cluster.params, "configuration", "executeCommandConfiguration")
        if isinstance(execute, dict) and execute.get("logging") == "OVERRIDE" and not execute.get("logConfiguration"):
            yield (cluster, "configuration.executeCommandConfiguration.logConfiguration",
                   "logging OVERRIDE needs a logConfiguration (a log group or an S3 bucket); got none")
