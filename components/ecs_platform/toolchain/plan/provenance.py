"""Where in the stack file a finding comes from: the key a person changes, and the line it is on.

A finding is about a resource (a policy violation, a deploy-fidelity violation, a hazard) or a key (a budget, a
warning). A resource of the platform belongs to a top-level component, which one section of the stack file made
(`ecs-platform:services.api` made the WebService `api` and everything in it); the finding's own subject narrows it
to a key (`ecs-platform:services.api.readOnlyRootFilesystem` for a writable root filesystem). The line is that key's,
or, when the stack file leaves the key to its default, the line of the closest key above it that is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from ecs_platform.offline.engine import ProgramRun, Registration

COMPONENT_SECTIONS = {
    "ecs-platform:index:Network": "network",
    "ecs-platform:index:LoadBalancer": "loadBalancer",
    "ecs-platform:index:Cluster": "cluster",
    "ecs-platform:index:WebService": "services",
    "ecs-platform:index:QueueWorker": "workers",
    "ecs-platform:index:ScheduledTask": "scheduledTasks",
    "ecs-platform:index:RegistryScanning": "registryScanning",
}
"""The stack-file section each top-level component of the platform is made from."""
WORKLOAD_SECTIONS = ("services", "workers", "scheduledTasks")

# The keys a policy's finding asks to change, most specific first: `{w}` is the key of the resource's workload (or
# section), `{p}` the project namespace. The first key the stack file writes is the one named; when it writes none,
# the first is named at the line of the closest key above it. A policy not listed points at the resource's section.
POLICY_KEYS: dict[str, tuple[str, ...]] = {
    "cloudwatch-log-retention": ("{p}:logRetentionDays",),
    "cloudwatch-alarm-actions": ("{p}:alarmTopicArn",),
    "cloudwatch-scale-in-evaluation-periods": ("{w}.scaling.idleMinutes",),
    "ecr-image-scanning": ("{p}:registryScanning",),
    "ecr-lifecycle-policy": ("{w}.keepImages",),
    "ecr-tag-immutability": ("{w}.tag",),
    "ecs-image-pinned": ("{w}.image", "{w}.repository.tag"),
    "ecs-read-only-root-filesystem": ("{w}.readOnlyRootFilesystem",),
    "ecs-non-root-user": ("{w}.user",),
    "ecs-no-secrets-in-environment": ("{w}.environment",),
    "ecs-cluster-container-insights": ("{p}:cluster.containerInsights",),
    "ecs-deployment-circuit-breaker": ("{w}.deployment.strategy",),
    # A service without its own strategy runs the cluster's default one.
    "ecs-spot-on-demand-base": ("{w}.capacityProviderStrategy", "{p}:cluster.defaultCapacityProviderStrategy"),
    "ecs-spot-stop-timeout": ("{w}.stopTimeoutSeconds",),
    "ecs-fargate-memory-rightsizing": ("{w}.memory",),
    "ecs-web-service-autoscaling": ("{w}.autoscaling.minTasks",),
    "ecs-service-tags": ("{p}:tags",),
    "ecs-cluster-tags": ("{p}:tags",),
    "ecs-task-definition-tags": ("{p}:tags",),
    "elb-https-listeners": ("{p}:loadBalancer.protocol",),
    "elb-tls-policy": ("{p}:loadBalancer.sslPolicy",),
    "elb-access-logs": ("{p}:loadBalancer.accessLogs",),
    "elb-deletion-protection": ("{p}:loadBalancer.deletionProtection",),
    "elb-target-group-health-check": ("{w}.healthCheck",),
    "sqs-encrypted": ("{w}.queue.kmsKeyArn",),
}


@dataclass(frozen=True)
class StackFileRef:
    path: str
    """The stack file, as the user names it (`Pulumi.prod.yaml`)."""
    line: int
    key: str
    """The key to change, namespace included (`ecs-platform:services.api.user`)."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "key": self.key}

    def where(self) -> str:
        return f"{self.path}:{self.line} {self.key}"


def key_lines(text: str, project: str) -> dict[str, int]:
    """Every key of a stack file's `config:` (`ecs-platform:services.api.cpu`, a key without a namespace gaining
    the project's) to its 1-based line; list items as `[i]`. Keys a merge (`<<`) brings in are at their anchor's
    lines."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # marks only: libyaml's do
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if key_node.value == "<<":
                    for merged in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                        walk(merged, path)
                    continue
                child = f"{path}.{key_node.value}"
                lines.setdefault(child, key_node.start_mark.line + 1)
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                lines.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    if isinstance(root, yaml.MappingNode):
        for key_node, value in root.value:
            if key_node.value == "config" and isinstance(value, yaml.MappingNode):
                for top, section in value.value:
                    key = top.value if ":" in top.value else f"{project}:{top.value}"
                    lines[key] = top.start_mark.line + 1
                    walk(section, key)
    return lines


def owners(run: ProgramRun) -> dict[str, Registration]:
    """Each resource's top-level component, by URN (a resource with no component above it is absent)."""
    by_urn = {r.urn: r for r in run.resources}
    found: dict[str, Registration] = {}
    for resource in run.resources:
        top, parent = None, by_urn.get(resource.parent)
        while parent is not None:
            if not parent.custom and not parent.remote:
                top = parent
            parent = by_urn.get(parent.parent)
        if top is not None:
            found[resource.urn] = top
    return found


def workload_key(project: str, component_type: str, name: str, config: dict[str, Any]) -> Optional[str]:
    """The stack-file key that made a top-level component: `<project>:services.api` for the WebService `api`; an
    ImageRepository's is the `repository` section of the workload of that name (in ``config``: the stack file's
    decoded config)."""
    section = COMPONENT_SECTIONS.get(component_type)
    if section in WORKLOAD_SECTIONS:
        return f"{project}:{section}.{name}"
    if section:
        return f"{project}:{section}"
    if component_type == "ecs-platform:index:ImageRepository":
        for section in WORKLOAD_SECTIONS:
            if name in (config.get(f"{project}:{section}") or {}):
                return f"{project}:{section}.{name}.repository"
    return None


class Provenance:
    """Findings of one plan, placed in its stack file."""

    def __init__(self, stack_file: Path, project: str, run: ProgramRun, config: dict[str, Any]) -> None:
        self.path = stack_file.name
        self.project = project
        self.config = config
        self.lines = key_lines(stack_file.read_text(), project) if stack_file.is_file() else {}
        self.run = run
        self.owner = owners(run)
        self.by_name = {(r.type, r.name): r for r in run.resources}

    def _workload(self, resource: Optional[Registration]) -> Optional[str]:
        owner = self.owner.get(resource.urn) if resource is not None else None
        if owner is None:
            return None
        return workload_key(self.project, owner.type, owner.name, self.config)

    def _closest(self, key: str) -> Optional[int]:
        """The line of ``key``, or of the closest key above it the file writes."""
        probe = key
        while True:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= probe.find(":"):
                return None
            probe = probe[:cut]

    def at(self, key: str, fallback_line: Optional[int] = None) -> Optional[StackFileRef]:
        """``key`` with its line, or the line of the closest key above it the file writes (else ``fallback_line``)."""
        line = self._closest(key)
        line = line if line is not None else fallback_line
        return StackFileRef(self.path, line, key) if line is not None else None

    def of_resource(self, type_: str, name: str, policy: Optional[str] = None) -> Optional[StackFileRef]:
        """Where a finding about the resource ``type_::name`` (by ``policy``, when a policy made it) points."""
        workload = self._workload(self.by_name.get((type_, name)))
        candidates = [c.replace("{w}", workload or "\0").replace("{p}", self.project)
                      for c in POLICY_KEYS.get(policy or "", ())]
        candidates = [c for c in candidates if "\0" not in c]
        for key in candidates:
            if key in self.lines:
                return StackFileRef(self.path, self.lines[key], key)
        home = self._closest(workload) if workload else None
        if candidates:
            first = candidates[0]
            # A key of the workload the file leaves out: at its workload's line; a stack key it leaves out: there too.
            return self.at(first, fallback_line=home if home is not None else self._first_line())
        return self.at(workload) if workload else None

    def _first_line(self) -> Optional[int]:
        return min(self.lines.values()) if self.lines else None
