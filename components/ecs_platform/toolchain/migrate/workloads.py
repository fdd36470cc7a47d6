"""One Copilot workload manifest as a stack-file entry: what each field becomes, and a :class:`~.manifests.Finding`
for every field approximated, dropped or refused.

Copilot's field reference and defaults: aws/copilot-cli `site/content/docs/manifest/*.en.md` and
`site/content/docs/include/*.en.md` (commit 4c858e718); the schedule conversion follows
`internal/pkg/deploy/cloudformation/stack/scheduled_job.go`."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ecs_platform import validation

from .manifests import Manifest, seconds

# Fields every workload type may have, and what each type adds (the rest are noted as not carried).
_COMMON = {"name", "type", "image", "cpu", "memory", "platform", "count", "exec", "command", "entrypoint",
           "variables", "env_file", "secrets", "storage", "network", "sidecars", "logging", "publish",
           "taskdef_overrides", "observability", "deployment", "environments"}
_OWN = {"Load Balanced Web Service": {"http", "nlb"}, "Backend Service": {"http"},
        "Worker Service": {"subscribe"}, "Scheduled Job": {"on", "retries", "timeout"}}

COPILOT_DEFAULTS = {
    # http.healthcheck (site/content/docs/include/http-healthcheck.en.md)
    "path": "/", "success_codes": "200", "healthy_threshold": 5, "unhealthy_threshold": 2, "interval": 30,
    "timeout": 5, "grace_period": 60,
    # http.deregistration_delay (include/http.en.md) and image.healthcheck (include/image-healthcheck.en.md)
    "deregistration_delay": 60, "container_interval": 10, "container_retries": 2, "container_timeout": 5,
    "container_start_period": 0,
    # subscribe.queue (manifest/worker-service.en.md): SQS's own defaults
    "queue_timeout": 30, "queue_retention": 345600,
}


@dataclass
class Context:
    """What every workload's conversion needs from the command line and the workspace."""

    region: str
    account: Optional[str]
    secret_arns: dict[str, str]
    workspace: Path
    out_dir: Path
    topics: dict[tuple[str, str], str] = field(default_factory=dict)
    """(publishing workload, topic name) -> the stack's topic name."""


def _go(value: Any) -> str:
    """A variable's value as Copilot passes it to the container (Go's formatting of YAML scalars)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _words(value: Any) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


class Workload:
    def __init__(self, manifest: Manifest, context: Context) -> None:
        self.m, self.c, self.body = manifest, context, manifest.body
        self.settings: dict[str, Any] = {}
        self.comments: dict[tuple[str, ...], str] = {}
        self.file_systems: dict[str, dict[str, Any]] = {}
        """File systems the workload's volumes use: name in fileSystems -> its settings."""
        self.connect = False
        """network.connect: the workload joins Service Connect."""

    def set(self, path: str, value: Any, comment: Optional[str] = None) -> None:
        keys = path.split(".")
        node = self.settings
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        if comment:
            self.comments[tuple(keys)] = comment

    # Fields every type shares ----------------------------------------------------------------------------------

    def task(self) -> None:
        for key in sorted(set(self.body) - _COMMON - _OWN.get(self.m.kind, set())):
            self.m.note(str(key), "is not a field of this workload type; Copilot ignores it and so does the migration")
        self._image()
        for key in ("cpu", "memory"):
            if key in self.body:
                self.set(key, self.body[key])
        self._platform()
        for key, target in (("command", "command"), ("entrypoint", "entryPoint")):
            if self.body.get(key):
                self.set(target, _words(self.body[key]))
        self.m.note("user", "not in Copilot's manifest: the platform runs the main container as 1000:1000 unless "
                            "user says otherwise (Copilot ran the image's USER); set user if the image needs another")
        if self.body.get("exec"):
            self.set("enableExecuteCommand", True)
        self._variables()
        self._secrets()
        self._storage()
        self._sidecars()
        self._network()
        self._publish()
        self._dropped()

    def _image(self) -> None:
        image = self.body.get("image")
        if not isinstance(image, dict):
            self.m.refuse("image", "has no location or build for this environment; give one")
            return
        if image.get("credentials"):
            self.m.refuse("image.credentials", "private registry credentials are not carried; push the image to ECR "
                                               "(repository) or a public registry")
        if image.get("build") is not None:
            self._build(image["build"])
        elif image.get("location"):
            self.set("image", self._pinned("image.location", str(image["location"])))
        else:
            self.m.refuse("image", "has no location or build for this environment; give one")
        if image.get("healthcheck"):
            self._container_health(image["healthcheck"])
        for key in ("labels", "depends_on", "docker_labels"):
            if image.get(key):
                self.m.note(f"image.{key}", "dropped: the platform sets no Docker labels or container ordering")

    def _pinned(self, where: str, image: str) -> str:
        """An image without a tag as Copilot ran it (``latest`` at each deploy), said so; the settings warn and the
        pack's ecs-image-pinned rule flags it until someone pins a version."""
        try:
            return validation.pinned_image(image)
        except ValueError:
            if "@" in image:
                raise
            self.m.note(where, f"{image!r} has no tag: written as {image}:latest, the image Copilot pulled; pin a "
                               "version")
            return f"{image}:latest"

    def _relative(self, path: str) -> str:
        return os.path.relpath(self.c.workspace / path, self.c.out_dir)

    def _build(self, build: Any) -> None:
        if isinstance(build, str):
            build = {"dockerfile": build, "context": os.path.dirname(build) or "."}
        if not isinstance(build, dict) or not (build.get("context") or build.get("dockerfile")):
            self.m.refuse("image.build", "needs a Dockerfile path or a context")
            return
        context = build.get("context") or os.path.dirname(build["dockerfile"]) or "."
        spec: dict[str, Any] = {"context": self._relative(context)}
        if build.get("dockerfile"):
            spec["dockerfile"] = self._relative(build["dockerfile"])
        if build.get("target"):
            spec["target"] = str(build["target"])
        if build.get("args"):
            spec["args"] = {str(k): _go(v) for k, v in build["args"].items()}
        if build.get("cache_from"):
            self.m.note("image.build.cache_from", "dropped: the platform's build uses Docker's own cache")
        self.set("repository", {"build": spec},
                 "Copilot built and pushed this image on deploy; the platform builds it into the workload's own ECR "
                 "repository on pulumi up")

    def _container_health(self, check: Any) -> None:
        if not isinstance(check, dict) or not check.get("command"):
            self.m.refuse("image.healthcheck", "needs a command")
            return
        command = _words(check["command"])
        if command[0] not in ("CMD", "CMD-SHELL"):
            command = ["CMD-SHELL", " ".join(command)]
        d = COPILOT_DEFAULTS
        interval = int(seconds(check.get("interval")) or d["container_interval"])
        timeout = int(seconds(check.get("timeout")) or d["container_timeout"])
        if timeout >= interval:
            self.m.note("image.healthcheck.timeout", f"{timeout} s is not shorter than the interval: written as "
                                                     f"{interval - 1} s (ECS needs it shorter)")
            timeout = interval - 1
        self.set("containerHealthCheck", {
            "command": command,
            "intervalSeconds": interval,
            "timeoutSeconds": timeout,
            "retries": max(1, int(check.get("retries", d["container_retries"]))),
            "startPeriodSeconds": int(seconds(check.get("start_period")) or d["container_start_period"]),
        }, "Copilot's defaults where the manifest gave none (10 s interval, 2 retries, 5 s timeout, no start period)")

    def _platform(self) -> None:
        platform = self.body.get("platform")
        if isinstance(platform, dict):
            platform = f"{platform.get('osfamily', 'linux')}/{platform.get('architecture', 'x86_64')}"
        if platform is None:
            return
        os_family, _, arch = str(platform).lower().partition("/")
        if os_family != "linux":
            self.m.refuse("platform", f"{platform}: the platform runs Linux tasks only; keep this workload on Copilot "
                                      "or move it to a Linux image")
        elif arch in ("arm64", "arm"):
            self.set("cpuArchitecture", "ARM64")

    def _variables(self) -> None:
        environment: dict[str, str] = {}
        if self.body.get("env_file"):
            path = self.c.workspace / str(self.body["env_file"])
            if not path.is_file():
                self.m.refuse("env_file", f"{self.body['env_file']} is not in the workspace; the variables cannot be "
                                          "carried without it")
            else:
                for line in path.read_text().splitlines():
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        key, value = line.split("=", 1)
                        environment[key.strip()] = value.strip()
                self.m.note("env_file", f"its {len(environment)} variables are written under environment (the "
                                        "platform keeps no env file in S3)")
        for key, value in (self.body.get("variables") or {}).items():
            if isinstance(value, dict):
                self.m.refuse(f"variables.{key}", "takes its value from a CloudFormation export (from_cfn); write the "
                                                  "value, or a secret ARN under secrets")
            else:
                environment[str(key)] = _go(value)
        if environment:
            self.set("environment", environment)

    def _secrets(self) -> None:
        secrets: dict[str, str] = {}
        for key, value in (self.body.get("secrets") or {}).items():
            arn = self._secret(f"secrets.{key}", value)
            if arn:
                secrets[str(key)] = arn
        if secrets:
            self.set("secrets", secrets)

    def _secret(self, where: str, value: Any) -> Optional[str]:
        if isinstance(value, dict) and "secretsmanager" in value:
            name = str(value["secretsmanager"])
            if name.startswith("arn:"):
                return name
            base, _, rest = name.partition(":")
            arn = self.c.secret_arns.get(base)
            if arn is None:
                self.m.refuse(where, f"Secrets Manager secret {base!r} is named, not given by ARN (its ARN ends in a "
                                     f"random suffix); pass --secret-arn {base}=arn:aws:secretsmanager:...")
                return None
            return f"{arn}:{rest}" if rest else arn
        if isinstance(value, dict):
            self.m.refuse(where, "takes its value from a CloudFormation export (from_cfn); give the secret's ARN")
            return None
        text = str(value)
        if text.startswith("arn:"):
            return text
        if self.c.account is None:
            self.m.refuse(where, f"SSM parameter {text!r} needs the account for its ARN; pass --account")
            return None
        return f"arn:aws:ssm:{self.c.region}:{self.c.account}:parameter/{text.lstrip('/')}"

    def _storage(self) -> None:
        storage = self.body.get("storage") or {}
        readonly = bool(storage.get("readonly_fs", False))
        self.set("readOnlyRootFilesystem", readonly,
                 None if readonly else "Copilot's default: a writable root filesystem. The platform's is read-only "
                                       "(scratchPaths for the folders the app writes to)")
        if storage.get("ephemeral") and int(storage["ephemeral"]) > 20:
            self.set("ephemeralStorageGib", int(storage["ephemeral"]))
        scratch: list[str] = []
        volumes: dict[str, Any] = {}
        for name, volume in (storage.get("volumes") or {}).items():
            volume = volume or {}
            path = volume.get("path")
            efs = volume.get("efs")
            if not path:
                self.m.refuse(f"storage.volumes.{name}.path", "is required")
            elif efs:
                entry = self._efs(str(name), efs)
                if entry:
                    volumes[str(name)] = {"path": str(path), **entry, "readOnly": bool(volume.get("read_only", False))}
            else:
                scratch.append(str(path))
                self.m.note(f"storage.volumes.{name}", "a task-local volume: the main container's scratch path "
                                                       f"{path} (sidecars' mount_points are not carried)")
        if scratch:
            self.set("scratchPaths", scratch)
        if volumes:
            self.set("volumes", volumes)

    def _efs(self, name: str, efs: Any) -> Optional[dict[str, Any]]:
        if efs is True:
            # fileSystems names: 1 to 40 lowercase letters, digits and -, starting with a letter.
            system = re.sub(r"[^a-z0-9]+", "-", f"{self.m.name}-{name}".lower()).strip("-")[:40].rstrip("-")
            self.file_systems[system] = {}
            self.m.note(f"storage.volumes.{name}.efs", f"a file system the stack manages (fileSystems.{system}); "
                                                       "Copilot's held your data: copy it over (AWS DataSync) before "
                                                       "switching traffic")
            return {"fileSystem": system}
        if not isinstance(efs, dict) or not isinstance(efs.get("id"), str):
            self.m.refuse(f"storage.volumes.{name}.efs.id", "must name the file system (fs-...); a CloudFormation "
                                                            "export (from_cfn) is not carried")
            return None
        system = efs["id"]
        self.file_systems[system] = {"fileSystemId": system}
        entry: dict[str, Any] = {"fileSystem": system}
        auth = efs.get("auth") or {}
        if auth.get("access_point_id"):
            entry["accessPointId"] = str(auth["access_point_id"])
        elif efs.get("root_dir") and efs["root_dir"] != "/":
            entry["rootDirectory"] = str(efs["root_dir"])
        if auth.get("iam") is False:
            self.m.note(f"storage.volumes.{name}.efs.auth.iam", "the platform always mounts with IAM authorization; "
                                                                "the task role is allowed on this file system")
        return entry

    def _sidecars(self) -> None:
        sidecars = []
        for name, car in (self.body.get("sidecars") or {}).items():
            car = car or {}
            where = f"sidecars.{name}"
            image = car.get("image")
            if not isinstance(image, str):
                self.m.refuse(f"{where}.image", "must be an image reference (a sidecar built from a Dockerfile is not "
                                                "carried); push it and give its location")
                continue
            spec: dict[str, Any] = {"name": str(name), "image": self._pinned(f"{where}.image", image), "essential": bool(car.get("essential", True)),
                                    "readOnlyRootFilesystem": False}
            if car.get("port"):
                spec["port"] = int(str(car["port"]).split("/")[0])
            if car.get("command"):
                spec["command"] = _words(car["command"])
            if car.get("variables"):
                spec["environment"] = {str(k): _go(v) for k, v in car["variables"].items() if not isinstance(v, dict)}
            secrets = {str(k): self._secret(f"{where}.secrets.{k}", v) for k, v in (car.get("secrets") or {}).items()}
            if any(secrets.values()):
                spec["secrets"] = {k: v for k, v in secrets.items() if v}
            for key in ("mount_points", "depends_on", "labels", "healthcheck", "entrypoint", "credentialsParameter"):
                if car.get(key):
                    self.m.note(f"{where}.{key}", "dropped: the platform's sidecars take no such setting")
            sidecars.append(spec)
        if sidecars:
            self.set("sidecars", sidecars, "essential: true is Copilot's default for sidecars (the platform's is "
                                           "false); writable root filesystems as under Copilot")

    def _network(self) -> None:
        network = self.body.get("network") or {}
        connect = network.get("connect")
        if connect:
            self.connect = True
            if isinstance(connect, dict) and connect.get("alias"):
                self.set("serviceConnect.discoveryName", str(connect["alias"]))
        vpc = network.get("vpc") or {}
        placement = vpc.get("placement")
        if placement == "public" or placement is None and self.m.kind != "Request-Driven Web Service":
            self.m.note("network.vpc.placement", "public (Copilot's default): the platform runs tasks in private "
                                                 "subnets without public IPs; they reach the internet through NAT")
        elif isinstance(placement, dict):
            self.m.refuse("network.vpc.placement.subnets", "picks subnets per workload; the platform places every "
                                                           "workload in the network's private subnets")
        groups = vpc.get("security_groups")
        if isinstance(groups, dict):
            if groups.get("deny_default"):
                self.m.note("network.vpc.security_groups.deny_default", "the platform's own security group stays: "
                                                                        "it only admits the load balancer and callers")
            groups = groups.get("groups")
        ids = []
        for i, group in enumerate(groups or []):
            if isinstance(group, str):
                ids.append(group)
            else:
                self.m.refuse(f"network.vpc.security_groups[{i}]", "comes from a CloudFormation export (from_cfn); "
                                                                   "give the security group id (sg-...)")
        if ids:
            self.set("securityGroupIds", ids)

    def _publish(self) -> None:
        names = [str(t.get("name")) for t in (self.body.get("publish") or {}).get("topics") or [] if t.get("name")]
        if names:
            self.set("publishes", sorted({self.c.topics[(self.m.name, n)] for n in names}))
            self.m.note("publish.topics", "their ARNs are in SNS_TOPIC_ARNS, the same JSON object as Copilot's "
                                          "COPILOT_SNS_TOPIC_ARNS: read that name")

    def _dropped(self) -> None:
        logging = self.body.get("logging") or {}
        if logging.get("destination"):
            self.m.refuse("logging.destination", "sends logs through FireLens elsewhere; the platform writes them to "
                                                 "CloudWatch Logs. Drop it to accept that, or forward from there")
        elif logging:
            self.m.note("logging", "dropped: logs go to CloudWatch Logs, kept logRetentionDays")
        if (self.body.get("observability") or {}).get("tracing"):
            self.m.note("observability.tracing", "dropped: the platform adds no X-Ray sidecar; add one under sidecars")
        deployment = self.body.get("deployment") or {}
        if deployment.get("rollback_alarms"):
            self.m.note("deployment.rollback_alarms", "replaced by the platform's own deployment alarms and circuit "
                                                      "breaker (docs/changing-a-live-stack.md)")
        if deployment.get("rolling") == "recreate":
            self.m.note("deployment.rolling", "recreate is stack-wide here: serviceDefaults.minimumHealthyPercent: 0")
        if self.body.get("taskdef_overrides"):
            self.m.refuse("taskdef_overrides", "patches the CloudFormation template; the platform has no such escape "
                                               "hatch. Express each override as a stack-file key or keep the workload "
                                               "on Copilot")


def count_bounds(value: Any) -> tuple[Optional[int], Optional[int], Optional[int], dict[str, Any]]:
    """(min, max, spot_from, the rest) of a Copilot ``count``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value, None, {}
    if not isinstance(value, dict):
        return None, None, None, {}
    rest = dict(value)
    bounds = rest.pop("range", None)
    if isinstance(bounds, str) and re.fullmatch(r"\s*\d+\s*-\s*\d+\s*", bounds):
        low, high = (int(p) for p in bounds.split("-"))
        return low, high, None, rest
    if isinstance(bounds, dict):
        return bounds.get("min"), bounds.get("max"), bounds.get("spot_from"), rest
    return None, None, None, rest
