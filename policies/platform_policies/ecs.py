"""ECS rules: task definitions, services and clusters (Security Hub ECS.* controls)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import Control, Messages, containers, resource_policy, tag_keys

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"

SECRET_NAME_PATTERNS = [
    "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA",
]
# Values that are credentials whatever their variable is called.
SECRET_VALUES = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a URL with a password": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
}


def _each_container(args: ResourceValidationArgs) -> list[tuple[str, Mapping[str, Any]]]:
    return [(str(c.get("name", "?")), c) for c in containers(args.props)]


def _privileged(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for name, container in _each_container(args):
        if container.get("privileged") is True:
            yield f"container {name!r} runs privileged; remove privileged (it gets root on the host)"


def _read_only(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for name, container in _each_container(args):
        if container.get("readonlyRootFilesystem") is not True:
            yield f"container {name!r} has a writable root filesystem; set readonlyRootFilesystem and mount scratch volumes"


# Docker's default capabilities (moby `oci/caps/defaults.go`). A one-shot volume preparer may keep CHOWN only.
DEFAULT_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}


def _one_shot_preparer(container: Mapping[str, Any], everything: list[Mapping[str, Any]]) -> bool:
    """A root container that only prepares volumes and exits before the workload starts: not essential, listens
    on nothing, holds no secrets, keeps a read-only root filesystem, adds no capability and drops every default one
    but CHOWN, and another container waits for it to exit successfully. Fargate creates bind-mount volumes owned by
    root, so handing a scratch volume to a non-root user needs exactly this (a deliberate deviation from ECS.20,
    which Security Hub itself still reports; docs/policies.md)."""
    capabilities = (container.get("linuxParameters") or {}).get("capabilities") or {}
    dropped = {str(c).upper() for c in capabilities.get("drop") or []}
    awaited = any(
        d.get("containerName") == container.get("name") and d.get("condition") in ("SUCCESS", "COMPLETE")
        for other in everything if other is not container for d in other.get("dependsOn") or []
    )
    return (container.get("essential") is False and not container.get("portMappings") and not container.get("secrets")
            and container.get("readonlyRootFilesystem") is True and not capabilities.get("add")
            and ("ALL" in dropped or DEFAULT_CAPABILITIES - {"CHOWN"} <= dropped) and awaited)


def _non_root(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    everything = [c for _, c in _each_container(args)]
    for name, container in _each_container(args):
        user = str(container.get("user") or "")
        if not user:
            yield f"container {name!r} sets no user, so it runs as the image's user (often root); set a non-root user"
        elif user.split(":")[0] in ("root", "0") and not _one_shot_preparer(container, everything):
            yield f"container {name!r} runs as {user!r}; set a non-root user"


def _environment_secrets(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    patterns = [str(p).upper() for p in config["secretNamePatterns"]]
    for name, container in _each_container(args):
        for variable in container.get("environment") or []:
            key, value = str(variable.get("name", "")), str(variable.get("value", ""))
            if any(p in key.upper().replace("-", "_") for p in patterns):
                yield f"container {name!r} passes {key} in plain environment; reference it under secrets (valueFrom)"
                continue
            for label, pattern in SECRET_VALUES.items():
                if pattern.search(value):
                    yield f"container {name!r}: the value of {key} looks like {label}; move it to secrets"


def _logging(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for name, container in _each_container(args):
        log = container.get("logConfiguration")
        if not isinstance(log, Mapping) or not log.get("logDriver"):
            yield f"container {name!r} has no logConfiguration with a logDriver"


def _network_mode(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    mode = args.props.get("networkMode")
    if mode != "awsvpc":
        yield f"networkMode is {mode!r}; use awsvpc (each task its own ENI and security group, never the host's)"


def _pid_mode(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("pidMode") == "host":
        yield "pidMode is host: containers would see every process on the host"


def _no_public_ip(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    network = args.props.get("networkConfiguration") or {}
    if network.get("assignPublicIp") in (True, "ENABLED"):
        yield "the service assigns public IPs to its tasks; run them in private subnets with assignPublicIp false"


def _uses_fargate(props: Mapping[str, Any]) -> bool:
    strategy = props.get("capacityProviderStrategies") or []
    return props.get("launchType") == "FARGATE" or any(
        str(s.get("capacityProvider", "")).startswith("FARGATE") for s in strategy
    )


def _platform_version(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    version = args.props.get("platformVersion")
    if _uses_fargate(args.props) and version not in (None, "", "LATEST", "1.4.0"):
        yield f"platformVersion is pinned to {version}; use LATEST to get the platform's security patches"


def _container_insights(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    settings = {s.get("name"): s.get("value") for s in args.props.get("settings") or []}
    if settings.get("containerInsights") not in ("enabled", "enhanced"):
        yield "Container Insights is off; add the containerInsights setting with value enabled or enhanced"


def _efs_transit(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for volume in args.props.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration")
        if isinstance(efs, Mapping) and efs.get("transitEncryption") != "ENABLED":
            yield f"EFS volume {volume.get('name')!r} does not encrypt in transit; set transitEncryption ENABLED"


def _tagged(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    missing = [k for k in config["requiredTags"] if k not in tag_keys(args.props, args.provider)]
    if missing:
        kind = args.resource_type.rsplit(":", 1)[-1]
        yield f"{kind} {args.name!r} lacks the tags {', '.join(missing)}"


def _circuit_breaker(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    controller = (args.props.get("deploymentController") or {}).get("type", "ECS")
    strategy = (args.props.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"
    breaker = args.props.get("deploymentCircuitBreaker") or {}
    alarms = args.props.get("alarms") or {}
    if controller != "ECS":
        return
    if strategy in ("CANARY", "LINEAR"):
        # AWS documents the circuit breaker for rolling and blue/green only; these roll back on their alarms.
        if not (alarms.get("enable") is True and alarms.get("rollback") is True and alarms.get("alarmNames")):
            yield (f"{strategy.lower()} deployments have no alarms with rollback; a failing release would take all "
                   "the traffic")
    elif not (breaker.get("enable") is True and breaker.get("rollback") is True):
        yield (f"{strategy.lower().replace('_', '/')} deployments have no circuit breaker with rollback; a failing "
               "release would keep replacing tasks")


def _spot_base(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    strategy = {str(s.get("capacityProvider")): s for s in args.props.get("capacityProviderStrategies") or []}
    spot = strategy.get("FARGATE_SPOT")
    if spot is not None and (spot.get("weight") or 0) > 0:
        base = int((strategy.get("FARGATE") or {}).get("base") or 0)
        if base < config["minOnDemandBase"]:
            yield (f"the service uses FARGATE_SPOT with an on-demand FARGATE base of {base}; keep at least "
                   f"{config['minOnDemandBase']} on FARGATE so work continues when Spot capacity is reclaimed")


def _separate_roles(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    task_role, execution_role = args.props.get("taskRoleArn"), args.props.get("executionRoleArn")
    if task_role and task_role == execution_role:
        yield "the task role is also the execution role; the application would hold ECS's image and secret access"


def _memory_rightsizing(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    if "FARGATE" not in (args.props.get("requiresCompatibilities") or ["FARGATE"]):
        return  # Managed Instances bill the instance, not the task's allocation
    try:
        cpu, memory = int(args.props.get("cpu")), int(args.props.get("memory"))
    except (TypeError, ValueError):
        return
    ratio = (memory / 1024) / (cpu / 1024)
    if ratio > config["maxGibPerVcpu"]:
        yield (f"{memory} MiB for {cpu} CPU units is {ratio:g} GiB per vCPU (above {config['maxGibPerVcpu']}); "
               "Fargate bills allocated memory, not used memory: size it to what the task needs")


def _az_rebalancing(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    # Absent counts too: an update without the field keeps a service created before AWS had it at DISABLED
    # (ECS API reference, CreateService availabilityZoneRebalancing).
    value = args.props.get("availabilityZoneRebalancing")
    if value != "ENABLED":
        yield (f"availabilityZoneRebalancing is {value or 'not set'}; set ENABLED so ECS evens the tasks out across "
               "Availability Zones after an AZ outage or Spot reclaims")


def _managed_ebs_encrypted(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    volume = (args.props.get("volumeConfiguration") or {}).get("managedEbsVolume") or {}
    # The provider's default for `encrypted` is true: only an explicit false leaves the volumes unencrypted
    # (unless the account encrypts EBS by default, which the pack cannot see).
    if volume and volume.get("encrypted") is False:
        yield (f"the tasks' managed EBS volume {(args.props.get('volumeConfiguration') or {}).get('name')!r} is not "
               "encrypted; set encrypted true")


def _ecs(control_id: str, severity: Severity, config_rule: str | None = None) -> Control:
    return Control(control_id, severity, config_rule, "ecs")


def _platform(control_id: str, severity: Severity) -> Control:
    return Control(control_id, severity)


def _ec2(control_id: str, severity: Severity, config_rule: str) -> Control:
    return Control(control_id, severity, config_rule, "ec2")


_TAGS = {"requiredTags": {"type": "array", "items": {"type": "string"}, "default": ["environment", "project", "owner"],
                          "description": "Tag keys every ECS cluster, service and task definition must carry."}}

POLICIES = [
    resource_policy("ecs-no-privileged-containers", _ecs("ECS.4", Severity.HIGH, "ecs-containers-nonprivileged"),
                    "ECS containers must not run privileged.", [TASK_DEFINITION], _privileged),
    resource_policy("ecs-read-only-root-filesystem", _ecs("ECS.5", Severity.HIGH, "ecs-containers-readonly-access"),
                    "ECS containers must mount their root filesystem read-only.", [TASK_DEFINITION], _read_only),
    resource_policy("ecs-non-root-user", _ecs("ECS.20", Severity.MEDIUM, "ecs-task-definition-linux-user-non-root"),
                    "ECS containers must run as a non-root user.", [TASK_DEFINITION], _non_root),
    resource_policy("ecs-no-secrets-in-environment", _ecs("ECS.8", Severity.HIGH, "ecs-no-environment-secrets"),
                    "Credentials must not be passed as plain environment variables.", [TASK_DEFINITION],
                    _environment_secrets,
                    config={"secretNamePatterns": {
                        "type": "array", "items": {"type": "string"}, "default": SECRET_NAME_PATTERNS,
                        "description": "Substrings (case-insensitive) of variable names that hold credentials."}}),
    resource_policy("ecs-container-logging", _ecs("ECS.9", Severity.HIGH, "ecs-task-definition-log-configuration"),
                    "Every ECS container must have a log configuration.", [TASK_DEFINITION], _logging),
    resource_policy("ecs-awsvpc-network-mode", _ecs("ECS.17", Severity.MEDIUM, "ecs-task-definition-network-mode-not-host"),
                    "ECS tasks must use the awsvpc network mode, never the host's network.", [TASK_DEFINITION],
                    _network_mode),
    resource_policy("ecs-no-host-pid-mode", _ecs("ECS.3", Severity.HIGH, "ecs-task-definition-pid-mode-check"),
                    "ECS tasks must not share the host's process namespace.", [TASK_DEFINITION], _pid_mode),
    resource_policy("ecs-service-no-public-ip", _ecs("ECS.2", Severity.HIGH, "ecs-service-assign-public-ip-disabled"),
                    "ECS services must not assign public IP addresses to tasks.", [SERVICE], _no_public_ip),
    resource_policy("ecs-fargate-latest-platform", _ecs("ECS.10", Severity.MEDIUM, "ecs-fargate-latest-platform-version"),
                    "Fargate services must run on the LATEST platform version.", [SERVICE], _platform_version),
    resource_policy("ecs-cluster-container-insights", _ecs("ECS.12", Severity.MEDIUM, "ecs-container-insights-enabled"),
                    "ECS clusters must have Container Insights on.", [CLUSTER], _container_insights),
    resource_policy("ecs-efs-transit-encryption", _ecs("ECS.18", Severity.MEDIUM, "ecs-task-definition-efs-encryption-enabled"),
                    "EFS volumes of ECS tasks must encrypt data in transit.", [TASK_DEFINITION], _efs_transit),
    resource_policy("ecs-service-tags", _ecs("ECS.13", Severity.LOW, "tagged-ecs-service"),
                    "ECS services must carry the required tags.", [SERVICE], _tagged, config=_TAGS),
    resource_policy("ecs-cluster-tags", _ecs("ECS.14", Severity.LOW, "tagged-ecs-cluster"),
                    "ECS clusters must carry the required tags.", [CLUSTER], _tagged, config=_TAGS),
    resource_policy("ecs-task-definition-tags", _ecs("ECS.15", Severity.LOW, "tagged-ecs-taskdefinition"),
                    "ECS task definitions must carry the required tags.", [TASK_DEFINITION], _tagged, config=_TAGS),
    resource_policy("ecs-deployment-circuit-breaker", _platform("PLATFORM.ECS-CIRCUIT-BREAKER", Severity.HIGH),
                    "ECS services roll back failed deployments: the circuit breaker for rolling and blue/green, alarms for canary and linear.", [SERVICE],
                    _circuit_breaker),
    resource_policy("ecs-spot-on-demand-base", _platform("PLATFORM.ECS-SPOT-BASE", Severity.MEDIUM),
                    "Services on FARGATE_SPOT keep an on-demand FARGATE base.", [SERVICE], _spot_base,
                    config={"minOnDemandBase": {"type": "integer", "minimum": 0, "default": 1,
                                                "description": "Fewest tasks kept on on-demand FARGATE."}}),
    resource_policy("ecs-separate-execution-role", _platform("PLATFORM.ECS-SEPARATE-ROLES", Severity.MEDIUM),
                    "The task role and the execution role of a task definition must differ.", [TASK_DEFINITION],
                    _separate_roles),
    resource_policy("ecs-fargate-memory-rightsizing", _platform("PLATFORM.FARGATE-RIGHTSIZING", Severity.LOW),
                    "Fargate task memory far above what the CPU size needs is billed but unused.", [TASK_DEFINITION],
                    _memory_rightsizing,
                    config={"maxGibPerVcpu": {"type": "number", "exclusiveMinimum": 0, "default": 4,
                                              "description": "GiB of memory per vCPU above which a task is flagged."}}),
    resource_policy("ecs-service-az-rebalancing", _platform("PLATFORM.ECS-AZ-REBALANCING", Severity.LOW),
                    "ECS services rebalance their tasks across Availability Zones.", [SERVICE], _az_rebalancing),
    # Security Hub EC2.3, "Attached Amazon EBS volumes should be encrypted at-rest" (AWS Config encrypted-volumes):
    # ECS attaches these volumes to the tasks' hosts, so the control reports them like any attached volume.
    resource_policy("ecs-managed-ebs-encrypted", _ec2("EC2.3", Severity.MEDIUM, "encrypted-volumes"),
                    "Managed EBS volumes of ECS tasks must be encrypted at rest.", [SERVICE], _managed_ebs_encrypted),
]
