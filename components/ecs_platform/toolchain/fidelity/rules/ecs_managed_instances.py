"""ECS Managed Instances: what CreateCapacityProvider, RegisterTaskDefinition, CreateService and RunTask need when
tasks run on a managed-instances capacity provider (research/managed-instances.md: botocore ecs 2014-11-13 and the
ECS Developer Guide pages it cites)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..requests import ApiRequest
from .base import Finding, Stack, dig, indexed, items, known, rule, show
from .ecs_facts import FARGATE_PROVIDERS, SERVICE, TASK_DEFINITION, all_containers, task_definition_of

CAPACITY_PROVIDER = "ecs:CreateCapacityProvider"
RUN_SCHEDULE = "scheduler:CreateSchedule"
_RESERVED_PREFIXES = ("aws", "ecs", "fargate")
_MI_NETWORK_MODES = ("awsvpc", "host", "none")
"""API_ManagedInstancesNetworkConfiguration lists awsvpc, host and none; bridge is not among them."""


def managed_providers(stack: Stack) -> set[str]:
    """Names of the program's managed-instances capacity providers (known names only)."""
    return stack.memo("mi-providers", lambda: {
        p.params.get("name") for p in stack.of(CAPACITY_PROVIDER)
        if p.params.get("managedInstancesProvider") and known(p.params.get("name"))})


def _on_managed_instances(stack: Stack, strategy: Any) -> bool:
    return any(s.get("capacityProvider") in managed_providers(stack) for _, s in indexed(strategy))


@rule
def managed_instances_provider(stack: Stack) -> Iterator[Finding]:
    """CreateCapacityProvider: `cluster` is required with managedInstancesProvider ("it becomes available only
    within the specified cluster"); the name may not begin with aws, ecs or fargate; ec2InstanceProfileArn is an
    instance profile's ARN; scaleInAfter is null, -1 or 0 to 3600 (InfrastructureOptimization)."""
    for provider in stack.of(CAPACITY_PROVIDER):
        managed = provider.params.get("managedInstancesProvider")
        if not managed:
            continue
        if provider.params.get("cluster") is None:
            yield provider, "cluster", "is required with managedInstancesProvider (the provider is cluster-scoped)"
        name = provider.params.get("name")
        if known(name) and isinstance(name, str) and name.lower().startswith(_RESERVED_PREFIXES):
            yield provider, "name", f"cannot begin with aws, ecs or fargate; got {show(name)}"
        profile = dig(managed, "instanceLaunchTemplate", "ec2InstanceProfileArn")
        if known(profile) and isinstance(profile, str) and ":instance-profile/" not in profile:
            yield (provider, "managedInstancesProvider.instanceLaunchTemplate.ec2InstanceProfileArn",
                   f"must be an instance profile's ARN (arn:aws:iam::<account>:instance-profile/...); got {profile}")
        delay = dig(managed, "infrastructureOptimization", "scaleInAfter")
        if known(delay) and delay is not None and not (delay == -1 or 0 <= delay <= 3600):
            yield (provider, "managedInstancesProvider.infrastructureOptimization.scaleInAfter",
                   f"must be -1 or 0 to 3600; got {show(delay)}")


@rule
def managed_instances_task_definition(stack: Stack) -> Iterator[Finding]:
    """RegisterTaskDefinition for MANAGED_INSTANCES: a network mode Managed Instances offer (awsvpc, host, none),
    no ephemeralStorage (Fargate's: "only supported for tasks hosted on Fargate"); and a GPU resourceRequirement
    never on a FARGATE definition (Fargate has no GPUs; ResourceRequirement)."""
    for definition in stack.of(TASK_DEFINITION):
        compatibilities = items(definition.params.get("requiresCompatibilities"))
        if "MANAGED_INSTANCES" in compatibilities:
            mode = definition.params.get("networkMode", "awsvpc")
            if known(mode) and mode not in _MI_NETWORK_MODES:
                yield (definition, "networkMode", f"Managed Instances support {', '.join(_MI_NETWORK_MODES)}; got "
                                                  f"{show(mode)}")
            if definition.params.get("ephemeralStorage"):
                yield definition, "ephemeralStorage", "is Fargate's; Managed Instances size task storage per provider"
        if "FARGATE" in compatibilities:
            for index, container in enumerate(all_containers(definition) or []):
                for r_index, requirement in indexed(container.get("resourceRequirements")):
                    if requirement.get("type") == "GPU":
                        yield (definition, f"containerDefinitions[{index}].resourceRequirements[{r_index}]",
                               "GPU on a FARGATE task definition: Fargate has no GPUs")


@rule
def managed_instances_service(stack: Stack) -> Iterator[Finding]:
    """CreateService on Managed Instances: "you must use the capacityProviderStrategy request parameter and omit the
    launchType"; platformVersion "is specified only for tasks using the Fargate launch type"; the task definition
    requires MANAGED_INSTANCES compatibility; one provider type per strategy (Fargate or Managed Instances)."""
    for service in stack.of(SERVICE):
        strategy = service.params.get("capacityProviderStrategy")
        if not _on_managed_instances(stack, strategy):
            continue
        yield from _mixed(stack, service, "capacityProviderStrategy", strategy)
        for key in ("launchType", "platformVersion"):
            if service.params.get(key) is not None:
                yield (service, key, f"must be omitted on Managed Instances (a Fargate setting); got "
                                     f"{show(service.params[key])}")
        definition = task_definition_of(stack, service)
        compatibilities = items(definition.params.get("requiresCompatibilities")) if definition else []
        if definition is not None and known(definition.params.get("requiresCompatibilities")) \
                and "MANAGED_INSTANCES" not in compatibilities:
            yield (service, "taskDefinition", f"runs on Managed Instances, but task definition "
                                              f"{definition.resource.name} requires {', '.join(compatibilities)}")


def _mixed(stack: Stack, request: ApiRequest, field: str, strategy: Any) -> Iterator[Finding]:
    names = [s.get("capacityProvider") for _, s in indexed(strategy)]
    if any(n in FARGATE_PROVIDERS for n in names) and any(n in managed_providers(stack) for n in names):
        yield (request, field, f"mixes Fargate and Managed Instances capacity providers ({', '.join(map(str, names))})"
                               "; a strategy holds one provider type")


@rule
def managed_instances_scheduled_run(stack: Stack) -> Iterator[Finding]:
    """RunTask through EventBridge Scheduler on Managed Instances: a strategy of one provider type, no launch type,
    no platform version (RunTaskRequest.launchType: "omit the launchType" for Managed Instances)."""
    for schedule in stack.of(RUN_SCHEDULE):
        ecs = dig(schedule.params, "Target", "EcsParameters")
        if not isinstance(ecs, dict):
            continue
        strategy = ecs.get("CapacityProviderStrategy")
        names = [s.get("capacityProvider", s.get("CapacityProvider")) for _, s in indexed(strategy)]
        if not any(n in managed_providers(stack) for n in names):
            continue
        if any(n in FARGATE_PROVIDERS for n in names):
            yield (schedule, "Target.EcsParameters.CapacityProviderStrategy",
                   "mixes Fargate and Managed Instances capacity providers; a strategy holds one provider type")
        for key in ("LaunchType", "PlatformVersion"):
            if ecs.get(key) is not None:
                yield (schedule, f"Target.EcsParameters.{key}", f"must be omitted on Managed Instances; got "
                                                                f"{show(ecs[key])}")
