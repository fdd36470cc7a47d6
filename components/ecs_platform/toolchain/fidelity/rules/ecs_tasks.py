"""Task definitions: what RegisterTaskDefinition accepts, and what Fargate requires and forbids.

Sources are the ECS API reference (RegisterTaskDefinition, ContainerDefinition and the types it holds) and the ECS
Developer Guide. Fargate rules apply to task definitions that require FARGATE compatibility and to those a service
of the program runs on Fargate (ECS checks those against Fargate when it creates the service).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional

from ecs_platform import validation
from ..requests import ApiRequest
from .base import Finding, Stack, depends_on, indexed, items, known, number, rule, show
from .ecs_facts import (
    SERVICE,
    TASK_DEFINITION,
    all_containers,
    containers,
    cpu_units,
    fargate_definitions,
    is_windows,
    memory_mib,
    network_mode,
    runtime_platform,
    task_definition_of,
)


def _given(value: Any) -> bool:
    """Whether a parameter is set to something that uses it (false, empty and unknown values do not count)."""
    return known(value) and value not in (None, False, [], {}, "")


def _outside(value: Any, low: float, high: float) -> bool:
    measured = number(value)
    return measured is not None and not low <= measured <= high


def _at(index: int, key: str = "") -> str:
    return f"containerDefinitions[{index}]" + (f".{key}" if key else "")


# Fargate --------------------------------------------------------------------------------------------------------


@rule
def fargate_network_mode(stack: Stack) -> Iterator[Finding]:
    """RegisterTaskDefinition, networkMode: "For Amazon ECS tasks on Fargate, the awsvpc network mode is required"
    (the default is bridge)."""
    for definition, where in fargate_definitions(stack):
        mode = network_mode(definition)
        if known(mode) and mode != "awsvpc":
            default = "" if "networkMode" in definition.params else " (the default)"
            yield definition, "networkMode", f"{where} requires networkMode awsvpc; got {show(mode)}{default}"


@rule
def fargate_task_size(stack: Stack) -> Iterator[Finding]:
    """ECS Developer Guide, "Task CPU and memory", and RegisterTaskDefinition cpu/memory: Fargate requires
    task-level cpu and memory from its table, and at least 1 vCPU for Windows containers."""
    for definition, where in fargate_definitions(stack):
        cpu, memory = definition.params.get("cpu"), definition.params.get("memory")
        if not known(cpu) or not known(memory):
            continue
        if cpu is None or memory is None:
            yield (definition, "cpu/memory",
                   f"{where} requires task-level cpu and memory; got cpu {show(cpu)}, memory {show(memory)}")
            continue
        units, mib = cpu_units(cpu), memory_mib(memory)
        if units is None or mib is None:
            yield (definition, "cpu/memory", f"cpu must be CPU units or vCPUs (1024, '1 vCPU') and memory MiB or GB "
                                             f"(2048, '2 GB'); got cpu {show(cpu)}, memory {show(memory)}")
            continue
        try:
            validation.fargate_size(int(units), int(mib))
        except ValueError as error:
            yield definition, "cpu/memory", str(error)
            continue
        if is_windows(definition) and units < 1024:
            yield definition, "cpu", f"Windows containers on Fargate need at least 1 vCPU (1024); got {show(cpu)}"


# ECS Developer Guide, "Amazon ECS task definition differences for Fargate": not valid in Fargate tasks.
_NOT_ON_FARGATE = ("disableNetworking", "dnsSearchDomains", "dnsServers", "dockerSecurityOptions", "extraHosts",
                   "links", "privileged")
# Same page, linuxParameters: devices, sharedMemorySize and tmpfs are not supported, nor maxSwap and swappiness.
_LINUX_NOT_ON_FARGATE = ("devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness")


@rule
def fargate_container_parameters(stack: Stack) -> Iterator[Finding]:
    """ECS Developer Guide, "Amazon ECS task definition differences for Fargate": container parameters that are
    not valid on Fargate; a container may add only the SYS_PTRACE capability; GPUs are not available."""
    for definition, where in fargate_definitions(stack):
        for index, container in containers(definition):
            for key in _NOT_ON_FARGATE:
                if _given(container.get(key)):
                    yield definition, _at(index, key), f"{key} is not valid on {where}; got {show(container[key])}"
            yield from _fargate_linux_parameters(definition, where, index, container.get("linuxParameters"))
            for r_index, requirement in indexed(container.get("resourceRequirements")):
                if requirement.get("type") == "GPU":
                    yield (definition, _at(index, f"resourceRequirements[{r_index}].type"),
                           f"GPUs are not available on {where}; got a GPU requirement")


def _fargate_linux_parameters(definition: ApiRequest, where: str, index: int, linux: Any) -> Iterator[Finding]:
    if not isinstance(linux, dict):
        return
    for key in _LINUX_NOT_ON_FARGATE:
        if _given(linux.get(key)):
            yield (definition, _at(index, f"linuxParameters.{key}"),
                   f"linuxParameters.{key} is not supported on {where}; got {show(linux[key])}")
    capabilities = linux.get("capabilities")
    added = items(capabilities.get("add")) if isinstance(capabilities, dict) else []
    extra = [c for c in added if c not in ("SYS_PTRACE", "CAP_SYS_PTRACE")]
    if extra:
        yield (definition, _at(index, "linuxParameters.capabilities.add"),
               f"{where} lets a container add only the SYS_PTRACE capability; got {extra}")


@rule
def fargate_task_parameters(stack: Stack) -> Iterator[Finding]:
    """RegisterTaskDefinition: ipcMode "is not supported for ... tasks run on Fargate"; pidMode "On Fargate for
    Linux containers, the only valid value is task" (none for Windows); placementConstraints "isn't supported for
    tasks run on Fargate"; Volume and HostVolumeProperties: Docker volumes and a host sourcePath are not supported
    on Fargate."""
    for definition, where in fargate_definitions(stack):
        params = definition.params
        if _given(params.get("ipcMode")):
            yield definition, "ipcMode", f"ipcMode is not valid on {where}; got {show(params['ipcMode'])}"
        pid = params.get("pidMode")
        if _given(pid) and (pid != "task" or is_windows(definition)):
            yield definition, "pidMode", f"{where} allows pidMode task only (and none for Windows); got {show(pid)}"
        if items(params.get("placementConstraints")):
            yield (definition, "placementConstraints",
                   f"placement constraints are not valid on {where}; got {len(items(params['placementConstraints']))}")
        yield from _fargate_volumes(definition, where)


def _fargate_volumes(definition: ApiRequest, where: str) -> Iterator[Finding]:
    for index, volume in indexed(definition.params.get("volumes")):
        if volume.get("dockerVolumeConfiguration"):
            yield (definition, f"volumes[{index}].dockerVolumeConfiguration",
                   f"Docker volumes are not valid on {where}; use a bind mount or EFS volume")
        host = volume.get("host")
        if isinstance(host, dict) and _given(host.get("sourcePath")):
            yield (definition, f"volumes[{index}].host.sourcePath",
                   f"{where} supports bind mounts without a host sourcePath only; got {show(host['sourcePath'])}")


# ContainerDefinition stopTimeout: "For tasks that use the Fargate launch type, the max stop timeout value is 120
# seconds"; startTimeout: "The valid values for Fargate are 2-120 seconds."
_FARGATE_TIMEOUTS = {"stopTimeout": (0, 120), "startTimeout": (2, 120)}


@rule
def fargate_container_timeouts(stack: Stack) -> Iterator[Finding]:
    for definition, where in fargate_definitions(stack):
        for index, container in containers(definition):
            for key, (low, high) in _FARGATE_TIMEOUTS.items():
                if _outside(container.get(key), low, high):
                    yield (definition, _at(index, key),
                           f"{where} allows {key} {low} to {high} s; got {show(container[key])}")


@rule
def ephemeral_storage(stack: Stack) -> Iterator[Finding]:
    """EphemeralStorage, sizeInGiB: "The minimum supported value is 21 GiB and the maximum supported value is
    200 GiB"."""
    for definition in stack.of(TASK_DEFINITION):
        storage = definition.params.get("ephemeralStorage")
        if isinstance(storage, dict) and _outside(storage.get("sizeInGiB"), 21, 200):
            yield definition, "ephemeralStorage.sizeInGiB", f"must be 21 to 200 GiB; got {show(storage['sizeInGiB'])}"


# Any launch type ---------------------------------------------------------------------------------------------------


@rule
def container_memory(stack: Stack) -> Iterator[Finding]:
    """ContainerDefinition memory and memoryReservation: "The total amount of memory reserved for all containers
    within a task must be lower than the task memory value"; "memory must be greater than memoryReservation"; with
    no task-level memory each container needs one of them; Docker reserves "a minimum of 6 MiB"."""
    for definition in stack.of(TASK_DEFINITION):
        task_memory = memory_mib(definition.params.get("memory"))
        for index, container in containers(definition):
            yield from _container_memory(definition, index, container, task_memory)
        listed = all_containers(definition)
        if task_memory is None or listed is None:
            continue
        reserved = sum(number(c.get("memoryReservation")) or number(c.get("memory")) or 0 for c in listed)
        if reserved > task_memory:
            yield (definition, "memory",
                   f"containers reserve {show(reserved)} MiB in all; the task has {show(task_memory)} MiB")


def _container_memory(definition: ApiRequest, index: int, container: dict[str, Any],
                      task_memory: Any) -> Iterator[Finding]:
    memory, reservation = number(container.get("memory")), number(container.get("memoryReservation"))
    for key, value in (("memory", memory), ("memoryReservation", reservation)):
        if value is not None and value < 6:
            yield definition, _at(index, key), f"Docker needs at least 6 MiB for a container; got {show(value)}"
    if memory is not None and reservation is not None and memory <= reservation:
        yield (definition, _at(index, "memory"), f"memory must be greater than memoryReservation; got memory "
                                                 f"{show(memory)}, memoryReservation {show(reservation)}")
    if task_memory is not None and memory is not None and memory > task_memory:
        yield (definition, _at(index, "memory"),
               f"a container's memory may not exceed the task's {show(task_memory)} MiB; got {show(memory)}")
    unset = all(container.get(k) is None for k in ("memory", "memoryReservation"))
    if definition.params.get("memory") is None and unset:
        yield (definition, _at(index, "memory"),
               "with no task-level memory, every container needs memory or memoryReservation; got neither")


@rule
def container_cpu(stack: Stack) -> Iterator[Finding]:
    """ContainerDefinition cpu: "the total amount of CPU reserved for all containers within a task" must be lower
    than the task-level cpu value."""
    for definition in stack.of(TASK_DEFINITION):
        task_cpu, listed = cpu_units(definition.params.get("cpu")), all_containers(definition)
        if task_cpu is None or listed is None:
            continue
        reserved = sum(number(c.get("cpu")) or 0 for c in listed)
        if reserved > task_cpu:
            yield (definition, "cpu",
                   f"containers reserve {show(reserved)} CPU units in all; the task has {show(task_cpu)}")


@rule
def essential_container(stack: Stack) -> Iterator[Finding]:
    """ContainerDefinition essential: "If this parameter is omitted, a container is assumed to be essential. All
    tasks must have at least one essential container."."""
    for definition in stack.of(TASK_DEFINITION):
        listed = all_containers(definition)
        flags = [c.get("essential", True) for c in listed or []]
        if listed and all(known(f) for f in flags) and not any(flags):
            yield (definition, "containerDefinitions",
                   f"a task needs at least one essential container; all {len(listed)} set essential false")


_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


@rule
def container_names(stack: Stack) -> Iterator[Finding]:
    """ContainerDefinition name: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens
    are allowed"; links, dependsOn and service load balancers find a container by name, so ECS refuses a task
    definition that names two containers alike."""
    for definition in stack.of(TASK_DEFINITION):
        seen: set[str] = set()
        for index, container in containers(definition):
            name = container.get("name")
            if not isinstance(name, str) or not known(name):
                continue
            if not _CONTAINER_NAME.match(name):
                yield (definition, _at(index, "name"),
                       f"must be 1 to 255 letters, digits, underscores or hyphens; got {show(name)}")
            if name in seen:
                yield definition, _at(index, "name"), f"container names must be unique in a task; {show(name)} repeats"
            seen.add(name)


@rule
def container_dependencies(stack: Stack) -> Iterator[Finding]:
    """ContainerDependency: containerName is another container of the task; HEALTHY "requires that the dependent
    container has health checks configured"; COMPLETE and SUCCESS "can't be set on an essential container"."""
    for definition in stack.of(TASK_DEFINITION):
        listed = all_containers(definition)
        if listed is None or not all(known(c.get("name")) for c in listed):
            continue
        by_name = {c.get("name"): c for c in listed}
        for index, container in enumerate(listed):
            for d_index, dependency in indexed(container.get("dependsOn")):
                at = _at(index, f"dependsOn[{d_index}]")
                yield from _dependency(definition, at, container.get("name"), dependency, by_name)


def _dependency(definition: ApiRequest, at: str, own_name: Any, dependency: dict[str, Any],
                by_name: dict[Any, dict[str, Any]]) -> Iterator[Finding]:
    name, condition = dependency.get("containerName"), dependency.get("condition")
    if not known(name) or not known(condition):
        return
    target = by_name.get(name)
    if target is None or name == own_name:
        others = ", ".join(str(n) for n in by_name if n != own_name) or "none"
        yield (definition, f"{at}.containerName",
               f"must name another container of this task ({others}); got {show(name)}")
    elif condition == "HEALTHY" and not target.get("healthCheck"):
        yield definition, f"{at}.condition", f"HEALTHY needs a healthCheck on container {name}, which has none"
    elif condition in ("COMPLETE", "SUCCESS") and target.get("essential", True) is True:
        yield (definition, f"{at}.condition", f"{condition} can't wait for essential container {name}; mark it "
                                              "essential false or use START or HEALTHY")


@rule
def network_mode_container_parameters(stack: Stack) -> Iterator[Finding]:
    """ContainerDefinition: hostname "is not supported if you're using the awsvpc network mode"; links are "only
    supported if the network mode of a task definition is bridge"; extraHosts "isn't supported for ... tasks that use
    the awsvpc network mode"; portMappings: none allows no port mappings, and with awsvpc or host "the hostPort can
    either be left blank or set to the same value as the containerPort" (PortMapping)."""
    for definition in stack.of(TASK_DEFINITION):
        mode = network_mode(definition)
        if not known(mode):
            continue
        for index, container in containers(definition):
            for key, allowed in (("hostname", mode != "awsvpc"), ("links", mode == "bridge"),
                                 ("extraHosts", mode != "awsvpc")):
                if not allowed and _given(container.get(key)):
                    yield definition, _at(index, key), f"{key} is not supported with networkMode {mode}"
            yield from _port_mappings(definition, mode, index, container)


def _port_mappings(definition: ApiRequest, mode: str, index: int, container: dict[str, Any]) -> Iterator[Finding]:
    mappings = indexed(container.get("portMappings"))
    if mode == "none" and mappings:
        yield definition, _at(index, "portMappings"), f"networkMode none allows no port mappings; got {len(mappings)}"
    if mode not in ("awsvpc", "host"):
        return
    for m_index, mapping in mappings:
        host, port = mapping.get("hostPort"), mapping.get("containerPort")
        if host is None or not known(host) or not known(port):
            continue
        field = _at(index, f"portMappings[{m_index}].hostPort")
        if mapping.get("containerPortRange") is not None:
            yield definition, field, f"leave hostPort empty with a containerPortRange; got {show(host)}"
        elif number(host) != number(port):
            yield (definition, field, f"with networkMode {mode}, hostPort must be omitted or equal containerPort "
                                      f"{show(port)}; got {show(host)}")


# ContainerDefinition and RegisterTaskDefinition: "This parameter is not supported for Windows containers."
_NOT_ON_WINDOWS = ("links", "linuxParameters", "readonlyRootFilesystem", "user", "privileged", "disableNetworking",
                   "dnsServers", "dnsSearchDomains", "extraHosts", "ulimits")


@rule
def windows_task_parameters(stack: Stack) -> Iterator[Finding]:
    """RuntimePlatform cpuArchitecture: ARM64 runs Linux tasks only. ContainerDefinition and RegisterTaskDefinition:
    parameters "not supported for Windows containers"."""
    for definition in stack.of(TASK_DEFINITION):
        if not is_windows(definition):
            continue
        family = runtime_platform(definition, "operatingSystemFamily")
        if runtime_platform(definition, "cpuArchitecture") == "ARM64":
            yield (definition, "runtimePlatform.cpuArchitecture",
                   f"ARM64 runs Linux tasks only; got ARM64 with {family}")
        for key in ("pidMode", "ipcMode"):
            if _given(definition.params.get(key)):
                yield definition, key, f"{key} is not supported for Windows containers ({family})"
        for index, container in containers(definition):
            for key in _NOT_ON_WINDOWS:
                if _given(container.get(key)):
                    yield definition, _at(index, key), f"{key} is not supported for Windows containers ({family})"


# HealthCheck (ECS API reference): the ranges ECS accepts for a container health check.
_HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}


@rule
def container_health_checks(stack: Stack) -> Iterator[Finding]:
    """HealthCheck: interval 5-300 s, timeout 2-60 s, retries 1-10, startPeriod 0-300 s; the command "must start
    with CMD to run the command arguments directly, or CMD-SHELL"."""
    for definition in stack.of(TASK_DEFINITION):
        for index, container in containers(definition):
            check = container.get("healthCheck")
            if not isinstance(check, dict):
                continue
            for key, (low, high) in _HEALTH_CHECK_RANGES.items():
                if _outside(check.get(key), low, high):
                    yield (definition, _at(index, f"healthCheck.{key}"),
                           f"a container health check allows {key} {low} to {high}; got {show(check[key])}")
            command = check.get("command")
            if isinstance(command, list) and command and known(command[0]) and command[0] not in ("CMD", "CMD-SHELL"):
                yield (definition, _at(index, "healthCheck.command"),
                       f"must start with CMD or CMD-SHELL; got {show(command[0])}")


# LogConfiguration logDriver: "For tasks on AWS Fargate, the supported log drivers are awslogs, splunk, and
# awsfirelens."
_FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")


@rule
def fargate_log_drivers(stack: Stack) -> Iterator[Finding]:
    for definition, where in fargate_definitions(stack):
        for index, container in containers(definition):
            log = container.get("logConfiguration")
            driver = log.get("logDriver") if isinstance(log, dict) else None
            if known(driver) and driver is not None and driver not in _FARGATE_LOG_DRIVERS:
                yield (definition, _at(index, "logConfiguration.logDriver"),
                       f"{where} supports the log drivers {', '.join(_FARGATE_LOG_DRIVERS)}; got {show(driver)}")


# Docker's size format for max-buffer-size (a number and an optional unit: 25m, 1g, 512k).
_SIZE = re.compile(r"^\d+(\.\d+)?\s?[kmgtp]?i?b?$", re.IGNORECASE)


@rule
def log_options(stack: Stack) -> Iterator[Finding]:
    """LogConfiguration options: awslogs needs awslogs-group and awslogs-region, and awslogs-stream-prefix on
    Fargate; "You cannot configure both the awslogs-datetime-format and awslogs-multiline-pattern options"; mode is
    non-blocking or blocking; max-buffer-size is a size such as 25m; splunk needs a splunk-token and a splunk-url;
    the awsfirelens driver needs a log router container (firelensConfiguration) in the task."""
    fargate = {d.resource.urn for d, _ in fargate_definitions(stack)}
    for definition in stack.of(TASK_DEFINITION):
        listed = all_containers(definition)
        # Whether the task has a log router; None when a container is not known yet.
        router = None if listed is None else any(c.get("firelensConfiguration") for c in listed)
        for index, container in containers(definition):
            log = container.get("logConfiguration")
            if isinstance(log, dict) and known(log.get("logDriver")):
                yield from _log_options(definition, _at(index, "logConfiguration"), log,
                                        definition.resource.urn in fargate, router)


def _log_options(definition: ApiRequest, at: str, log: dict[str, Any], fargate: bool,
                 has_router: Optional[bool]) -> Iterator[Finding]:
    driver, options, secret_options = log.get("logDriver"), log.get("options") or {}, log.get("secretOptions")
    if not isinstance(options, dict) or not known(secret_options):
        return
    secrets = {s.get("name") for _, s in indexed(secret_options)}
    required = {"awslogs": ["awslogs-group", "awslogs-region"] + (["awslogs-stream-prefix"] if fargate else []),
                "splunk": ["splunk-token", "splunk-url"]}.get(driver, [])
    missing = [o for o in required if o not in options and o not in secrets]
    if missing:
        yield definition, f"{at}.options", f"the {driver} driver needs {', '.join(missing)}; got none"
    if driver == "awslogs" and "awslogs-datetime-format" in options and "awslogs-multiline-pattern" in options:
        yield (definition, f"{at}.options",
               "awslogs takes awslogs-datetime-format or awslogs-multiline-pattern, not both")
    if driver == "awsfirelens" and has_router is False:
        yield (definition, f"{at}.logDriver",
               "the awsfirelens driver needs a log router container with firelensConfiguration in the task; got none")
    mode, size = options.get("mode"), options.get("max-buffer-size")
    if known(mode) and mode is not None and mode not in ("non-blocking", "blocking"):
        yield definition, f"{at}.options.mode", f"mode must be non-blocking or blocking; got {show(mode)}"
    if known(size) and size is not None and not _SIZE.match(str(size)):
        yield (definition, f"{at}.options.max-buffer-size",
               f"must be a size such as 25m (a number and k, m or g); got {show(size)}")


@rule
def awslogs_group_of_the_program(stack: Stack) -> Iterator[Finding]:
    """ECS Developer Guide, "Send Amazon ECS logs to CloudWatch": awslogs writes to an existing log group unless
    awslogs-create-group is true, and awslogs-group is the group's name. A container whose definitions depend on a
    log group of the program must name one of them (not an ARN or an id), and a group of the program it names must
    exist before its tasks start: its task definition, or the services that run it, depend on the group."""
    groups = {r.params.get("logGroupName"): r for r in stack.of("logs:CreateLogGroup")}
    for definition in stack.of(TASK_DEFINITION):
        wired = [g for g in groups.values()
                 if g.resource.urn in definition.resource.property_dependencies.get("containerDefinitions", [])]
        for index, container in containers(definition):
            group = _awslogs_group(container)
            if group is None:
                continue
            field = _at(index, "logConfiguration.options.awslogs-group")
            if group in groups and not _waits_for(stack, definition, groups[group]):
                yield (definition, field, f"log group {group} of this program must exist before the tasks start, "
                                          "but neither the task definition nor its services depend on it")
            elif group not in groups and wired:
                names = ", ".join(str(g.params.get("logGroupName")) for g in wired)
                yield (definition, field,
                       f"must be the name of a log group; the definitions use {names}; got {show(group)}")


def _awslogs_group(container: dict[str, Any]) -> Any:
    """The known awslogs-group a container writes to, unless the driver creates its group itself."""
    log = container.get("logConfiguration")
    if not isinstance(log, dict) or log.get("logDriver") != "awslogs" or not isinstance(log.get("options"), dict):
        return None
    group = log["options"].get("awslogs-group")
    if not known(group) or str(log["options"].get("awslogs-create-group", "")).lower() == "true":
        return None
    return group


def _waits_for(stack: Stack, definition: ApiRequest, group: ApiRequest) -> bool:
    if depends_on(definition, group):
        return True
    return any(depends_on(s, group) for s in stack.of(SERVICE) if task_definition_of(stack, s) is definition)
