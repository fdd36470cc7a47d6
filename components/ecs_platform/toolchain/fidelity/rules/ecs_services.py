"""Services and clusters: what CreateService, CreateCluster and PutClusterCapacityProviders accept, and how a
service must agree with its cluster, its task definition and its target groups.

Sources are the ECS API reference (CreateService, CapacityProviderStrategyItem, LoadBalancer, ClusterSetting,
ExecuteCommandConfiguration) and the ECS Developer Guide.
"""

from __future__ import annotations

import re
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
        return (f"mixes Fargate and other (Auto Scaling group or Managed Instances) capacity providers; got "
                f"{', '.join(map(str, providers))}")
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


# Service Connect ------------------------------------------------------------------------------------------------

_DISCOVERY_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,63}$")
_DNS_NAME = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,126}$")


def _connect_services(service: ApiRequest) -> list[tuple[int, dict[str, Any]]]:
    return indexed(dig(service.params, "serviceConnectConfiguration", "services"))


@rule
def service_connect_port_names(stack: Stack) -> Iterator[Finding]:
    """ServiceConnectService portName: "must match the name of one of the portMappings from all the containers in
    the task definition of this Amazon ECS service"."""
    for service in stack.of(SERVICE):
        entries = _connect_services(service)
        definition = task_definition_of(stack, service) if entries else None
        listed = all_containers(definition) if definition is not None else None
        if listed is None:
            continue
        lists = [whole_list(c.get("portMappings")) for c in listed]
        if any(mapped is None for mapped in lists):
            continue  # a container's port mappings are unknown at preview: their names can't be judged
        mappings = [m for mapped in lists for m in mapped]
        if not all(isinstance(m, dict) and known(m.get("name")) for m in mappings):
            continue
        names = sorted({str(m["name"]) for m in mappings if m.get("name")})
        for index, entry in entries:
            port_name = entry.get("portName")
            if known(port_name) and port_name not in names:
                yield (service, f"serviceConnectConfiguration.services[{index}].portName",
                       f"task definition {definition.resource.name} names no port mapping {show(port_name)}; its "
                       f"named port mappings are {', '.join(names) or 'none'}")


@rule
def service_connect_names(stack: Stack) -> Iterator[Finding]:
    """ServiceConnectService: discoveryName is "up to 64 characters ... lowercase letters, numbers, underscores (_),
    and hyphens (-). The name can't start with a hyphen" and "must be unique within the Cloud Map namespace";
    clientAliases: "The maximum number of client aliases that you can have in this list is 1" and "you must provide
    at least one clientAlias with one port"; ServiceConnectClientAlias dnsName: up to 127 characters, those and
    periods, and "Each name and port mapping must be unique within the namespace"."""
    seen: dict[tuple[Any, str], str] = {}
    for service in stack.of(SERVICE):
        namespace = _namespace_of(stack, service)
        for index, entry in _connect_services(service):
            at = f"serviceConnectConfiguration.services[{index}]"
            name = entry.get("discoveryName")
            if isinstance(name, str) and known(name) and not _DISCOVERY_NAME.match(name):
                yield (service, f"{at}.discoveryName",
                       f"must be 1 to 64 lowercase letters, digits, _ or -, not starting with -; got {show(name)}")
            aliases = whole_list(entry.get("clientAliases"))
            if aliases is not None and len(aliases) != 1:
                yield service, f"{at}.clientAliases", f"takes exactly one client alias with a port; got {len(aliases)}"
            for alias_index, alias in enumerate(aliases or []):
                dns = alias.get("dnsName") if isinstance(alias, dict) else None
                if isinstance(dns, str) and known(dns) and not _DNS_NAME.match(dns):
                    yield (service, f"{at}.clientAliases[{alias_index}].dnsName", "must be 1 to 127 lowercase "
                           f"letters, digits, _, - or ., not starting with -; got {show(dns)}")
            if namespace is None or not known(namespace):
                continue
            endpoints = [("discovery name", name)] + [
                ("client alias", f"{a.get('dnsName')}:{show(a.get('port'))}") for a in aliases or []
                if isinstance(a, dict) and known(a.get("dnsName"), a.get("port")) and a.get("dnsName")]
            for kind, value in endpoints:
                if not isinstance(value, str) or not known(value):
                    continue
                owner = seen.setdefault((namespace, f"{kind} {value}"), service.resource.name)
                if owner != service.resource.name:
                    yield (service, at, f"{kind} {value} is already service {owner}'s in namespace {namespace}; "
                                        "names and aliases are unique in a namespace")


def _namespace_of(stack: Stack, service: ApiRequest) -> Any:
    """The namespace a Service Connect service joins: its own, or its cluster's default."""
    namespace = dig(service.params, "serviceConnectConfiguration", "namespace")
    if namespace is not None:
        return namespace
    cluster = cluster_of(stack, service)
    return dig(cluster.params, "serviceConnectDefaults", "namespace") if cluster is not None else None


@rule
def service_connect_namespace(stack: Stack) -> Iterator[Finding]:
    """ServiceConnectConfiguration namespace: a service that turns Service Connect on joins the namespace it names,
    or its cluster's default (CreateCluster serviceConnectDefaults: "the default Service Connect namespace ... used
    when you create a service and don't specify a Service Connect configuration"); with neither there is nothing to
    join."""
    for service in stack.of(SERVICE):
        config = service.params.get("serviceConnectConfiguration")
        if not isinstance(config, dict) or config.get("enabled") is not True or config.get("namespace") is not None:
            continue
        cluster = cluster_of(stack, service)
        if cluster is not None and dig(cluster.params, "serviceConnectDefaults", "namespace") is None:
            yield (service, "serviceConnectConfiguration.namespace",
                   f"Service Connect is on but names no namespace, and cluster {cluster.resource.name} has no default")


# Deployment strategies ------------------------------------------------------------------------------------------

_PROGRESSIVE = ("BLUE_GREEN", "CANARY", "LINEAR")
_BAKES = (("bakeTimeInMinutes",), ("canaryConfiguration", "canaryBakeTimeInMinutes"),
          ("linearConfiguration", "stepBakeTimeInMinutes"))
_SHARES = (("canaryConfiguration", "canaryPercent", 0.1), ("linearConfiguration", "stepPercent", 3.0))


@rule
def deployment_strategies(stack: Stack) -> Iterator[Finding]:
    """DeploymentConfiguration: bakeTimeInMinutes "You must provide this parameter when you use the BLUE_GREEN
    deployment strategy"; canaryConfiguration and linearConfiguration are "Only valid when the deployment strategy
    is CANARY" (LINEAR); bake times "Valid values are 0 to 1440 minutes"; canaryPercent "multiples of 0.1 from 0.1 to
    100.0", stepPercent "multiples of 0.1 from 3.0 to 100.0" (CanaryConfiguration, LinearConfiguration). Both are
    "only valid when you run CreateService or UpdateService with deploymentController set to ECS"."""
    for service in stack.of(SERVICE):
        config = service.params.get("deploymentConfiguration")
        if not isinstance(config, dict):
            continue
        strategy = config.get("strategy", "ROLLING")
        if not known(strategy):
            continue
        controller = dig(service.params, "deploymentController", "type") or "ECS"
        if strategy != "ROLLING" and known(controller) and controller != "ECS":
            yield (service, "deploymentConfiguration.strategy",
                   f"strategy {strategy} needs the ECS deployment controller; got {controller}")
        if strategy == "BLUE_GREEN" and config.get("bakeTimeInMinutes") is None:
            yield service, "deploymentConfiguration.bakeTimeInMinutes", "the BLUE_GREEN strategy needs a bake time"
        for block, owner in (("canaryConfiguration", "CANARY"), ("linearConfiguration", "LINEAR")):
            if config.get(block) is not None and strategy != owner:
                yield (service, f"deploymentConfiguration.{block}",
                       f"is only valid with the {owner} strategy; got {strategy}")
        for path in _BAKES:
            minutes = number(dig(config, *path))
            if minutes is not None and not 0 <= minutes <= 1440:
                yield (service, "deploymentConfiguration." + ".".join(path),
                       f"a bake time is 0 to 1440 minutes; got {show(minutes)}")
        for block, key, low in _SHARES:
            share = number(dig(config, block, key))
            if share is not None and (not low <= share <= 100 or abs(share * 10 - round(share * 10)) > 1e-6):
                yield (service, f"deploymentConfiguration.{block}.{key}",
                       f"must be {show(low)} to 100 in steps of 0.1; got {show(share)}")


@rule
def progressive_traffic(stack: Stack) -> Iterator[Finding]:
    """ECS Developer Guide, "Required resources for Amazon ECS blue/green deployments": managed traffic shifting
    needs Elastic Load Balancing or Service Connect; with a load balancer, each target group entry names the
    alternate target group, the production listener rule and the role ECS uses (AdvancedConfiguration). Linear and
    canary deployments shift traffic in steps, which a service with neither cannot do (a headless blue/green
    deployment only replaces tasks)."""
    for service in stack.of(SERVICE):
        strategy = dig(service.params, "deploymentConfiguration", "strategy")
        if not known(strategy) or strategy not in _PROGRESSIVE:
            continue
        balancers = indexed(service.params.get("loadBalancers"))
        for index, lb in balancers:
            advanced = lb.get("advancedConfiguration")
            if advanced is None:
                yield (service, f"loadBalancers[{index}].advancedConfiguration",
                       f"strategy {strategy} shifts traffic between target groups: name the alternate target group, "
                       "the production listener rule and the role")
            elif isinstance(advanced, dict):
                for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
                    if advanced.get(key) is None:
                        yield (service, f"loadBalancers[{index}].advancedConfiguration.{key}",
                               f"strategy {strategy} needs it; got none")
        connected = dig(service.params, "serviceConnectConfiguration", "enabled") is True
        if strategy != "BLUE_GREEN" and not balancers and not connected and known(service.params.get("loadBalancers")):
            yield (service, "deploymentConfiguration.strategy",
                   f"strategy {strategy} shifts traffic in steps: it needs a load balancer or Service Connect")


@rule
def alternate_target_groups(stack: Stack) -> Iterator[Finding]:
    """ECS Developer Guide, "Application Load Balancer resources for blue/green deployments": the primary and the
    alternate target group hold the same tasks in turn (target type ip for awsvpc, same protocol, port and VPC), so
    they are two groups, alike; and both must be associated with the production listener rule (ECS rolls the
    deployment back with "Both targetGroup and alternateTargetGroup must be associated with the
    productionListenerRule or testListenerRule")."""
    for service in stack.of(SERVICE):
        for index, lb in indexed(service.params.get("loadBalancers")):
            advanced = lb.get("advancedConfiguration")
            if not isinstance(advanced, dict):
                continue
            at = f"loadBalancers[{index}].advancedConfiguration"
            primary_arn, alternate_arn = lb.get("targetGroupArn"), advanced.get("alternateTargetGroupArn")
            if known(primary_arn, alternate_arn) and primary_arn is not None and primary_arn == alternate_arn:
                yield service, f"{at}.alternateTargetGroupArn", "must differ from the service's target group"
                continue
            primary = stack.referenced(service, "loadBalancers", TARGET_GROUP, primary_arn)
            alternate = _alternate_group(stack, service, primary, alternate_arn)
            if primary is not None and alternate is not None:
                for key, default in (("TargetType", "instance"), ("Protocol", None), ("Port", None), ("VpcId", None)):
                    a, b = primary.params.get(key, default), alternate.params.get(key, default)
                    if known(a, b) and a != b:
                        yield (service, f"{at}.alternateTargetGroupArn",
                               f"target group {alternate.resource.name} has {key} {show(b)}, the service's "
                               f"{primary.resource.name} {show(a)}; the two groups take the same tasks in turn")
            yield from _production_rule(stack, service, at, advanced, [g for g in (primary, alternate) if g])


def _alternate_group(stack: Stack, service: ApiRequest, primary: Optional[ApiRequest],
                     arn: Any) -> Optional[ApiRequest]:
    if arn is None:
        return None
    if known(arn):
        return stack.referenced(service, "loadBalancers", TARGET_GROUP, arn)
    others = [g for g in stack.of(TARGET_GROUP) if g is not primary and depends_on(service, g)]
    return others[0] if len(others) == 1 else None


def _production_rule(stack: Stack, service: ApiRequest, at: str, advanced: dict[str, Any],
                     groups: list[ApiRequest]) -> Iterator[Finding]:
    rule_arn = advanced.get("productionListenerRule")
    listener_rule = stack.referenced(service, "loadBalancers", "elbv2:CreateRule", rule_arn) if rule_arn else None
    if listener_rule is None or len(groups) != 2:
        return
    actions = listener_rule.params.get("Actions")
    arns = [g.resource.outputs.get("arn") for g in groups]
    if not known(actions, *arns):
        return  # the rule's actions or the groups' ARNs are unknown at preview
    forwarded: set[Any] = set()
    for action in items(actions):
        if isinstance(action, dict):
            forwarded.update(g.get("TargetGroupArn") for g in items(dig(action, "ForwardConfig", "TargetGroups"))
                             if isinstance(g, dict))
            forwarded.add(action.get("TargetGroupArn"))
    missing = [g.resource.name for g, arn in zip(groups, arns) if arn not in forwarded]
    if missing:
        yield (service, f"{at}.productionListenerRule",
               f"listener rule {listener_rule.resource.name} does not forward to target group "
               f"{', '.join(missing)}; it must forward to both the target group and the alternate")


@rule
def deployment_alarm_names(stack: Stack) -> Iterator[Finding]:
    """DeploymentAlarms alarmNames: ECS fails (and rolls back) a deployment when one of these alarms goes into ALARM.
    A name no alarm of the program has never goes into ALARM, so the rollback it stands for never comes; the alarms
    must also exist before the service, which they do when the service depends on them."""
    names = {a.params.get("AlarmName") for a in stack.of("cloudwatch:PutMetricAlarm")}
    for service in stack.of(SERVICE):
        for index, name in enumerate(items(dig(service.params, "deploymentConfiguration", "alarms", "alarmNames"))):
            if isinstance(name, str) and known(name) and name not in names:
                yield (service, f"deploymentConfiguration.alarms.alarmNames[{index}]",
                       f"no alarm of this program is named {show(name)}")
