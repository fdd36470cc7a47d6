"""The task definition builder WebService and QueueWorker share: log group, roles and the Fargate task definition.

`TaskSpec.of(...)` checks a task's args without touching Pulumi (so a component can fail before it registers
anything); `TaskSpec.build(...)` then creates, as children of the calling component:

- the task's log group, with bounded retention, created before the task definition that writes to it;
- the execution role (ECS pulls the image, writes logs, reads exactly the secrets the task references);
- the task role (what the application may call: only the statements the component and its caller add);
- the task definition: awsvpc, FARGATE, a main container and optional sidecars.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming, validation
from ._aws import AccountContext, policy_document
from ._volumes import EBS_VOLUME_NAME, DEFAULT_PATH, EbsVolume, ebs_volume_problem, volume_path_problem
from .enums import CpuArchitecture


class ContainerHealthCheck(TypedDict):
    """A health check Docker runs inside the container."""

    command: list[str]
    """For example ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]."""
    interval_seconds: NotRequired[int]
    """Seconds between checks, 5 to 300. Default: 30."""
    timeout_seconds: NotRequired[int]
    """Seconds a check may take, 2 to 60. Default: 5."""
    retries: NotRequired[int]
    """Failures in a row before the container is unhealthy, 1 to 10. Default: 3."""
    start_period_seconds: NotRequired[int]
    """Grace period after start during which failures do not count, 0 to 300. Default: 60."""


class Publish(TypedDict):
    """An SNS topic the application publishes to."""

    name: str
    """The topic's name in the stack: its key in SNS_TOPIC_ARNS."""
    topic_arn: pulumi.Input[str]
    """The topic's ARN: the task role may sns:Publish to it and nothing else."""
    kms_key_arn: NotRequired[str]
    """The topic's customer managed KMS key, when it has one: publishing needs GenerateDataKey and Decrypt on it."""


FILE_SYSTEM_TAG = "ecs-platform:file-system"
"""The tag of a file system the stack creates (ecs_platform.file_system.FILE_SYSTEM_TAG)."""

PUBLISH_ENVIRONMENT = "SNS_TOPIC_ARNS"
"""The variable a publisher reads its topics from: a JSON object of name to ARN (Copilot's COPILOT_SNS_TOPIC_ARNS
has the same shape)."""


class Sidecar(TypedDict):
    """An extra container in the task (a proxy, an agent)."""

    name: str
    """Container name, unique in the task."""
    image: pulumi.Input[str]
    """Image, pinned by tag or digest."""
    essential: NotRequired[bool]
    """Stop the task when this container stops. Default: false."""
    cpu: NotRequired[int]
    """CPU units reserved for the sidecar out of the task's. Default: 0 (shared)."""
    memory_reservation: NotRequired[int]
    """Soft memory reservation in MiB. Default: none."""
    port: NotRequired[int]
    """A TCP port the sidecar listens on. Default: none."""
    command: NotRequired[list[str]]
    """Command override. Default: the image's."""
    environment: NotRequired[dict[str, str]]
    """Plain environment variables (names that look like secrets are refused)."""
    secrets: NotRequired[dict[str, str]]
    """Environment variables read from SSM Parameter Store or Secrets Manager ARNs."""
    read_only_root_filesystem: NotRequired[bool]
    """Mount the root filesystem read-only. Default: true."""
    user: NotRequired[str]
    """User the sidecar runs as. Default: the image's."""


class PolicyStatement(TypedDict):
    """An Allow statement of the task role."""

    actions: list[str]
    """IAM actions, for example ["s3:GetObject"]."""
    resources: list[str]
    """ARNs the actions apply to."""


class EgressRule(TypedDict):
    """One more way out of the workload's tasks (to a database, a cache...): exactly one of cidr and
    security_group_id, and port or from_port and to_port."""

    cidr: NotRequired[str]
    """IPv4 or IPv6 CIDR block the tasks may reach, such as 10.20.0.0/16; 0.0.0.0/0 and ::/0 only on port 443."""
    security_group_id: NotRequired[str]
    """Security group whose members the tasks may reach (sg-...); plain, since the rule's name derives from it."""
    port: NotRequired[int]
    """The one port, 1 to 65535."""
    from_port: NotRequired[int]
    """First port of a range (with to_port)."""
    to_port: NotRequired[int]
    """Last port of a range (with from_port)."""
    protocol: NotRequired[str]
    """tcp or udp. Default: tcp."""
    description: NotRequired[str]
    """Rule description (EC2's characters, up to 255). Default: names the workload, the destination and ports."""


@dataclass(frozen=True)
class CheckedEgress:
    """An egress rule, checked, with its defaults applied."""

    key: str
    """Stable suffix of the rule's logical name (what it opens, never its place in the list)."""
    protocol: str
    ports: tuple[int, int]
    cidr: Optional[str]
    security_group_id: Optional[str]
    description: str


def checked_egress(name: str, rules: list[EgressRule]) -> list[CheckedEgress]:
    """The workload's extra egress rules, checked: ValueError naming the rule's index and what is wrong."""
    found: list[CheckedEgress] = []
    for index, rule in enumerate(rules):
        where = f"egress[{index}]"
        cidr, group = rule.get("cidr"), rule.get("security_group_id")
        try:
            if (cidr is None) == (group is None):
                raise ValueError("needs exactly one of cidr and security_group_id")
            cidr = None if cidr is None else validation.egress_cidr(cidr)
            if group is not None:
                validation.ec2_id(group, "sg")
            protocol = rule.get("protocol", "tcp")
            if protocol not in validation.EGRESS_PROTOCOLS:
                raise ValueError(f"protocol must be tcp or udp; got {protocol!r}")
            ports = validation.egress_ports(rule.get("port"), rule.get("from_port"), rule.get("to_port"))
            problem = validation.world_egress_problem(cidr, ports)
            if problem:
                raise ValueError(problem)
            if cidr == "0.0.0.0/0" and protocol == "tcp":
                raise ValueError("the tasks already leave on TCP 443 to anywhere; remove this rule")
            span = str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"
            description = validation.rule_description(
                rule.get("description") or f"{name} to {cidr or group} on {protocol} {span}")
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        key = validation.egress_key(cidr, group, protocol, ports)
        if any(f.key == key for f in found):
            raise ValueError(f"{where}: opens {protocol} {span} to {cidr or group} again; keep one rule")
        found.append(CheckedEgress(key, protocol, ports, cidr, group, description))
    return found


def checked_security_groups(ids: list[str]) -> list[str]:
    """The extra security groups of the tasks' network interfaces: distinct sg- ids, at most 4 beside the
    platform's own group."""
    room = validation.MAX_SECURITY_GROUPS_PER_ENI - 1
    if len(ids) > room:
        raise ValueError(f"security_group_ids: at most {room} beside the workload's own group (a network interface "
                         f"takes {validation.MAX_SECURITY_GROUPS_PER_ENI} by default); got {len(ids)}")
    try:
        return validation.ec2_ids(ids, "sg")
    except ValueError as error:
        raise ValueError(f"security_group_ids: {error}") from None
class EfsVolume(TypedDict):
    """An EFS file system mounted into the main container."""

    name: str
    """Volume name in the task definition: letters, digits, _ and -."""
    file_system_id: pulumi.Input[str]
    """The file system (fs-...), for example a FileSystem's file_system_id."""
    container_path: str
    """Absolute path the file system appears at in the main container."""
    read_only: NotRequired[bool]
    """Mount read-only (and grant no elasticfilesystem:ClientWrite). Default: false."""
    access_point_id: NotRequired[pulumi.Input[str]]
    """An access point (fsap-...) to mount through. Default: none (see create_access_point)."""
    root_directory: NotRequired[str]
    """Directory of the file system to mount, without an access point. Default: /."""
    file_system_tag: NotRequired[str]
    """A created file system's `ecs-platform:file-system` tag: the task role's permission is scoped by it instead of
    by the id AWS has yet to assign. Default: none (scoped by file_system_id)."""
    create_access_point: NotRequired[bool]
    """Create an access point for this workload and volume: POSIX user the workload's numeric `user` (else
    1000:1000), rooted at access_point_root, created 0750 on first use. Not with access_point_id or root_directory.
    Default: false."""
    access_point_root: NotRequired[str]
    """Directory a created access point roots the workload in; changing it replaces the access point. Default:
    /<workload name>."""


class TaskArgs(TypedDict):
    """What runs: image, size, configuration and permissions of a task."""

    image: pulumi.Input[str]
    """Container image of the main container, pinned by tag or digest."""
    cpu: NotRequired[int]
    """Task CPU units (256 = 0.25 vCPU). Default: 256."""
    memory: NotRequired[int]
    """Task memory in MiB, one the Fargate table allows for the CPU. Default: 512."""
    cpu_architecture: NotRequired[CpuArchitecture]
    """X86_64 or ARM64. Default: X86_64."""
    entry_point: NotRequired[list[str]]
    """Entry point override of the main container. Default: the image's."""
    command: NotRequired[list[str]]
    """Command override of the main container. Default: the image's."""
    environment: NotRequired[dict[str, str]]
    """Plain environment variables; names that look like secrets (PASSWORD, TOKEN...) are refused."""
    secrets: NotRequired[dict[str, str]]
    """Environment variables read at start from SSM Parameter Store or Secrets Manager ARNs."""
    secrets_kms_key_arn: NotRequired[str]
    """Customer managed KMS key the secrets are encrypted with, if any. Default: none."""
    health_check: NotRequired[ContainerHealthCheck]
    """Container health check. Default: none (the load balancer's check still applies to web services)."""
    read_only_root_filesystem: NotRequired[bool]
    """Mount the main container's root filesystem read-only. Default: true."""
    scratch_paths: NotRequired[list[str]]
    """Writable, task-scoped scratch directories for a read-only container (for example /tmp). Default: none. With a
    non-root `user`, a short-lived init container makes them the user's before the main container starts."""
    scratch_init_image: NotRequired[str]
    """Image of that init container; it needs `chown` (or `chmod`). Default: public.ecr.aws/docker/library/busybox,
    pinned by tag."""
    user: NotRequired[str]
    """User (and group) the main container runs as, for example "101" or "1000:1000"; "root" only when the image
    needs it. Default: 1000:1000 (not root, whatever the image says)."""
    stop_timeout_seconds: NotRequired[int]
    """Seconds between SIGTERM and SIGKILL, 2 to 120. Default: 30."""
    publishes: NotRequired[list[Publish]]
    """SNS topics the application publishes to: their ARNs in SNS_TOPIC_ARNS (JSON, name to ARN) and sns:Publish on
    exactly those in the task role. Default: none."""
    ephemeral_storage_gib: NotRequired[int]
    """The task's ephemeral storage, 21 to 200 GiB (Fargate, platform 1.4.0 or later; encrypted by AWS). Default:
    Fargate's 20 GiB, which are free; every GiB above is billed per hour."""
    ebs_volume: NotRequired[EbsVolume]
    """Services and workers: a managed EBS volume ECS creates for each task and mounts writable in the main
    container (scratch, deleted with the task), for more space than ephemeral storage's 200 GiB or faster disks. The
    task definition gets a volume configured at launch; the service its size, type and encryption. Default: none."""
    gpus: NotRequired[int]
    """GPUs reserved for the main container (a GPU resourceRequirement); only on a Managed Instances provider whose
    instances have GPUs. Default: none."""
    sidecars: NotRequired[list[Sidecar]]
    """Additional containers. Default: none."""
    task_role_statements: NotRequired[list[PolicyStatement]]
    """Allow statements the application needs, added to the task role. Default: none."""
    volumes: NotRequired[list[EfsVolume]]
    """EFS file systems mounted into the main container, over TLS and with the task role's IAM identity. Default:
    none."""
    log_retention_days: NotRequired[int]
    """Days the task's log group keeps events. Default: 365."""
    protect_data: NotRequired[bool]
    """Keep the log group in AWS when the workload is removed or its log group replaced (retainOnDelete); it then
    expires on its retention. Default: false."""
    egress: NotRequired[list[EgressRule]]
    """Ways out of the tasks besides HTTPS (which they always have): rules on the workload's security group, each
    named for what it opens, so reordering them changes nothing. Default: none."""
    security_group_ids: NotRequired[list[str]]
    """Security groups attached to the tasks' network interfaces besides the workload's own (for example a
    database's client group), at most 4. Default: none."""


_TRUST_ECS_TASKS = "ecs-tasks.amazonaws.com"
EXEC_AGENT_PATHS = ("/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm")
"""Where the ECS Exec (SSM) agent writes inside the container: the paths aws/containers-roadmap#1359 found it needs
(confirmed in aws-containers/amazon-ecs-exec-checker#71). A read-only container gets a writable task volume at each
when ECS Exec is on. AWS documents Exec as unsupported with readonlyRootFilesystem, so this is best effort."""

SCRATCH_INIT_CONTAINER = "scratch-init"
"""Name of the init container that hands the scratch volumes to the main container's user."""
_SCRATCH_INIT_MOUNT = "/mnt"
"""Where the init container mounts each scratch volume (never over its own binaries, whatever the paths are)."""
_SCRATCH_INIT_MEMORY_RESERVATION = 16
"""MiB reserved for the init container: busybox chown needs a few, ECS needs at least 6."""
# Docker's (and containerd's) default capability set (moby oci/caps/defaults.go). Fargate accepts no `add` except
# SYS_PTRACE (ECS API reference, KernelCapabilities), so the init container keeps CHOWN by dropping every other one.
_DEFAULT_CAPABILITIES = (
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
)

_VOLUME_SLUG_LENGTH = 64
"""Characters of the path kept in a volume name; with the prefix and hash well within ECS's 255."""


def volume_name(path: str) -> str:
    """The task volume for a writable path: a readable slug of the path plus a hash of it, so names stay valid for
    ECS ("Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens", RegisterTaskDefinition
    Volume name) and distinct for paths that slug alike (`/a-b` and `/a/b`)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:_VOLUME_SLUG_LENGTH].strip("-") or "root"
    return f"scratch-{slug}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def efs_volume_name(name: str) -> str:
    """The task definition volume of an EFS volume: a prefix keeps it apart from the scratch volumes' names."""
    return f"efs-{name}"


def scratch_path_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be a scratch path, or None: ECS mounts only absolute container paths, and a volume over `/`
    would hide the whole image."""
    if not path.startswith("/") or path.rstrip("/") == "":
        return f"scratch path {path!r} must be an absolute directory below / (for example /tmp)"
    if any(c.isspace() for c in path):
        return f"scratch path {path!r} must not contain whitespace"
    return None


_VOLUME_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def mount_paths_problem(paths: list[str], others: tuple[str, ...] = ()) -> Optional[str]:
    """Why the EFS mount ``paths`` cannot all be mounted beside ``others`` (the scratch paths), or None: each must be
    absolute and below /, and none may be, or lie inside, another mount (one would hide the other)."""
    for path in paths:
        if not path.startswith("/") or path.rstrip("/") == "" or any(c.isspace() for c in path):
            return f"mount path {path!r} must be an absolute directory below / without whitespace (for example /data)"
    clean = [p.rstrip("/") for p in paths]
    for i, a in enumerate(clean):
        for b in clean[i + 1:] + [o.rstrip("/") for o in others]:
            if a == b or b.startswith(a + "/") or a.startswith(b + "/"):
                return f"mount path {a} overlaps {b}: one would hide the other; mount them at separate paths"
    return None


def efs_volume_problem(volume: "EfsVolume") -> Optional[str]:
    """Why one EFS volume cannot be registered, or None."""
    if not _VOLUME_NAME.match(volume["name"]):
        return f"volume name {volume['name']!r} must be 1 to 200 letters, digits, _ and -"
    root = volume.get("root_directory")
    if root is not None and ("access_point_id" in volume or volume.get("create_access_point")):
        # RegisterTaskDefinition EFSVolumeConfiguration rootDirectory: "If an EFS access point is specified in the
        # authorizationConfig, the root directory parameter must either be omitted or set to /".
        return "root_directory cannot be combined with an access point (AWS refuses it); the access point sets it"
    if root is not None and not root.startswith("/"):
        return f"root_directory must be an absolute path on the file system; got {root!r}"
    if "access_point_id" in volume and volume.get("create_access_point"):
        return "give access_point_id or create_access_point, not both"
    return None


def access_point_user(user: Optional[str]) -> tuple[int, int]:
    """The POSIX uid and gid of a created access point: the workload's user when numeric ("1000" or "1000:1000", a
    lone uid being its own group), else the platform's default 1000:1000."""
    uid, _, gid = (user or "").partition(":")
    if uid.isdigit() and (not gid or gid.isdigit()):
        return int(uid), int(gid or uid)
    return defaults.EFS_ACCESS_POINT_USER


def runs_as_root(user: Optional[str]) -> bool:
    """Whether a container `user` ("uid", "uid:gid", "name"...) is root. None means the image's user, unknown here."""
    return user is not None and user.split(":", 1)[0] in ("0", "root")


def scratch_init_command(user: str, paths: list[str]) -> list[str]:
    """What the init container runs on the mounted scratch volumes so that ``user`` can write to them.

    Fargate creates bind-mount volumes owned by root with mode 0755 (ECS Developer Guide, "Use bind mounts"), so a
    non-root user cannot write to them. A numeric uid (and gid) is chowned directly; a user or group given by name
    cannot be resolved in another image, so the directories are made world-writable with the sticky bit, as /tmp is.
    """
    uid, _, gid = user.partition(":")
    if uid.isdigit():
        return ["chown", f"{uid}:{gid}" if gid.isdigit() else uid, *paths]
    return ["chmod", "1777", *paths]


_SECRET_SUFFIX = re.compile(r".-[A-Za-z0-9]{6}$")


def secret_arn_problem(value: str) -> Optional[str]:
    """Why ``value`` (a `valueFrom`) cannot be granted exactly, or None.

    A Secrets Manager ARN ends in `-` and six random characters that Secrets Manager appends to the secret's name.
    Secrets Manager resolves a reference without them (a partial ARN), but IAM evaluates the secret's full ARN, so a
    policy on the partial ARN matches nothing and the tasks fail to start. Partial ARNs are refused rather than
    granted with a `-??????` wildcard: the execution role then names exactly the secret the task reads. A name that
    itself ends in `-` and six letters or digits reads as a full ARN, as it does for Secrets Manager (Secrets Manager
    User Guide, "Troubleshoot": finding a secret from a partial ARN); name secrets so that they do not."""
    parts = value.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        return None
    name = parts[6]
    if _SECRET_SUFFIX.search(name):
        return None
    return (
        f"{value} lacks the 6 characters Secrets Manager appends to a secret's ARN (...:secret:{name}-AbCdEf); use "
        f"the full ARN (aws secretsmanager describe-secret --secret-id {name} --query ARN) so the execution role can "
        "read it"
    )


MI_TASK_CPU = (128, 196608)
"""Task CPU units off Fargate: "between 128 CPU units (0.125 vCPUs) and 196608 CPU units (192 vCPUs)"
(RegisterTaskDefinition cpu, for EC2; AWS states no other range for Managed Instances, which run EC2 instances)."""
MI_MIN_TASK_MEMORY = 6
"""The least memory ECS gives a container, in MiB (ContainerDefinition memory)."""


def managed_instances_task_problem(cpu: int, memory: int, task: Any) -> Optional[str]:
    """Why a task cannot run on Managed Instances, or None. Any cpu/memory the instance can hold (no Fargate table);
    both stay set, as AWS's own Managed Instances examples do (research/managed-instances.md §3)."""
    low, high = MI_TASK_CPU
    if not low <= cpu <= high:
        return f"cpu must be {low} to {high} CPU units on Managed Instances; got {cpu}"
    if memory < MI_MIN_TASK_MEMORY:
        return f"memory must be at least {MI_MIN_TASK_MEMORY} MiB; got {memory}"
    if "ephemeral_storage_gib" in task:
        return ("ephemeral_storage_gib is Fargate's; on Managed Instances the capacity provider's storage_gib sizes "
                "the task volume")
    if "gpus" in task and int(task["gpus"]) < 1:
        return f"gpus must be at least 1; got {task['gpus']}"
    return None


@dataclass(frozen=True)
class TaskSpec:
    """A task's args, checked and with defaults applied. Holds no Pulumi resources."""

    name: str
    args: TaskArgs
    cpu: int
    memory: int
    architecture: CpuArchitecture
    stop_timeout: int
    read_only: bool
    secrets: dict[str, str]
    scratch_paths: tuple[str, ...] = ()
    user: Optional[str] = None
    egress: tuple[CheckedEgress, ...] = ()
    """Extra egress rules of the workload's security group."""
    security_group_ids: tuple[str, ...] = ()
    """Extra security groups of the tasks' network interfaces."""
    ebs_path: Optional[str] = None
    """Where the main container mounts the task's managed EBS volume, when it has one."""
    volumes: tuple[EfsVolume, ...] = ()
    managed_instances: bool = False
    """Runs on ECS Managed Instances: a MANAGED_INSTANCES task definition, no Fargate size table or ephemeral
    storage."""

    @property
    def needs_scratch_init(self) -> bool:
        """A non-root user cannot write to the root-owned scratch volumes (or the root of a freshly formatted EBS
        volume) until something hands them over."""
        return bool(self.scratch_paths or self.ebs_path) and self.user is not None and not runs_as_root(self.user)

    @property
    def _init_volumes(self) -> list[str]:
        """The task volumes the init container hands to the main container's user."""
        return [volume_name(p) for p in self.scratch_paths] + ([EBS_VOLUME_NAME] if self.ebs_path else [])

    @classmethod
    def of(cls, name: str, task: TaskArgs, *, default_stop_timeout: int = defaults.STOP_TIMEOUT_SECONDS,
           managed_instances: bool = False) -> "TaskSpec":
        cpu = int(task.get("cpu", defaults.TASK_CPU))
        memory = int(task.get("memory", defaults.TASK_MEMORY))
        if managed_instances:
            problem = managed_instances_task_problem(cpu, memory, task)
            if problem:
                raise ValueError(problem)
        else:
            validation.fargate_size(cpu, memory)
            if "gpus" in task:
                raise ValueError("gpus needs Managed Instances with GPUs: Fargate has no GPUs")
        stop_timeout = int(task.get("stop_timeout_seconds", default_stop_timeout))
        if not 2 <= stop_timeout <= 120:
            raise ValueError(f"stop_timeout_seconds must be 2 to 120 (the Fargate maximum); got {stop_timeout}")
        validation.log_retention_days(int(task.get("log_retention_days", defaults.LOG_RETENTION_DAYS)))
        if "ephemeral_storage_gib" in task and not 21 <= int(task["ephemeral_storage_gib"]) <= 200:
            raise ValueError(f"ephemeral_storage_gib must be 21 to 200 (Fargate's 20 GiB come without it); got "
                             f"{task['ephemeral_storage_gib']}")
        secrets: dict[str, str] = {}
        containers = [(name, task.get("environment", {}), task.get("secrets", {}))]
        containers += [(s["name"], s.get("environment", {}), s.get("secrets", {})) for s in task.get("sidecars", [])]
        for _, environment, container_secrets in containers:
            for key in list(environment) + list(container_secrets):
                validation.environment_name(key)
            validation.plaintext_environment(environment)
            for value in container_secrets.values():
                validation.secret_reference(value)
                problem = secret_arn_problem(value)
                if problem:
                    raise ValueError(problem)
            secrets.update(container_secrets)
        scratch_paths = tuple(dict.fromkeys(task.get("scratch_paths", [])))
        for path in scratch_paths:
            problem = scratch_path_problem(path)
            if problem:
                raise ValueError(problem)
        ebs = task.get("ebs_volume")
        ebs_path = str(ebs.get("path", DEFAULT_PATH)) if ebs is not None else None
        if ebs is not None:
            problem = ebs_volume_problem(ebs) or volume_path_problem(str(ebs_path), list(scratch_paths))
            if problem:
                raise ValueError(problem)
        volumes = tuple(task.get("volumes", []))
        for volume in volumes:
            problem = efs_volume_problem(volume)
            if problem:
                raise ValueError(problem)
        if len({v["name"] for v in volumes}) != len(volumes):
            raise ValueError(f"volume names must be unique in a task; got {[v['name'] for v in volumes]}")
        problem = mount_paths_problem([v["container_path"] for v in volumes], scratch_paths)
        if problem:
            raise ValueError(problem)
        user = task.get("user", defaults.TASK_USER)
        names = [c[0] for c in containers]
        if (scratch_paths or ebs_path) and user is not None and not runs_as_root(user):
            names.append(SCRATCH_INIT_CONTAINER)
        if len(set(names)) != len(names):
            raise ValueError(f"container names must be unique in a task; got {names}")
        if "secrets_kms_key_arn" in task:
            validation.arn(task["secrets_kms_key_arn"], "kms", "key/")
        if "health_check" in task:
            _health_check(task["health_check"])
        egress = tuple(checked_egress(name, list(task.get("egress", []))))
        security_group_ids = tuple(checked_security_groups(list(task.get("security_group_ids", []))))
        return cls(
            name=name,
            args=task,
            cpu=cpu,
            memory=memory,
            architecture=CpuArchitecture(task.get("cpu_architecture", defaults.CPU_ARCHITECTURE)),
            stop_timeout=stop_timeout,
            read_only=bool(task.get("read_only_root_filesystem", True)),
            secrets=secrets,
            scratch_paths=scratch_paths,
            user=user,
            egress=egress,
            security_group_ids=security_group_ids,
            ebs_path=ebs_path,
            volumes=volumes,
            managed_instances=managed_instances,
        )

    def build(
        self,
        parent: pulumi.Resource,
        *,
        port: Optional[int] = None,
        extra_environment: Optional[dict[str, pulumi.Input[str]]] = None,
        task_role_statements: Optional[list[pulumi.Input[dict[str, Any]]]] = None,
        execute_command_log_group: Optional[pulumi.Input[str]] = None,
        enable_execute_command: bool = False,
    ) -> "TaskResources":
        """Create the task's resources under ``parent``."""
        name, task = self.name, self.args
        child = pulumi.ResourceOptions(parent=parent)
        account = AccountContext.of(parent)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=int(task.get("log_retention_days", defaults.LOG_RETENTION_DAYS)),
            opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=bool(task.get("protect_data", False))),
        )
        trust = json.dumps(
            policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": _TRUST_ECS_TASKS},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account.account_id},
                        "ArnLike": {"aws:SourceArn": account.arn("ecs", "*")},
                    },
                }
            )
        )

        execution_role = aws.iam.Role(
            f"{name}-execution",
            description=f"ECS pulls the image of {name}, writes its logs and reads its secrets",
            assume_role_policy=trust,
            opts=child,
        )
        permissions: list[pulumi.Resource] = [aws.iam.RolePolicyAttachment(
            f"{name}-execution",
            role=execution_role.name,
            policy_arn=f"arn:{account.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=child,
        )]
        secret_statements = self._secret_statements()
        if secret_statements:
            permissions.append(aws.iam.RolePolicy(
                f"{name}-secrets",
                role=execution_role.name,
                policy=json.dumps(policy_document(*secret_statements)),
                opts=child,
            ))

        task_role = aws.iam.Role(
            f"{name}-task",
            description=f"What the {name} application may call",
            assume_role_policy=trust,
            opts=child,
        )
        statements: list[pulumi.Input[dict[str, Any]]] = list(task_role_statements or [])
        statements += [
            {"Effect": "Allow", "Action": s["actions"], "Resource": s["resources"]}
            for s in task.get("task_role_statements", [])
        ]
        if enable_execute_command:
            statements += _exec_statements(account, execute_command_log_group)
        publishes = list(task.get("publishes", []))
        if publishes:
            statements += _publish_statements(publishes)
            extra_environment = {**(extra_environment or {}), PUBLISH_ENVIRONMENT: pulumi.Output.json_dumps(
                {p["name"]: p["topic_arn"] for p in sorted(publishes, key=lambda p: p["name"])})}
        efs_volumes, efs_statements = self._efs(parent, account)
        if efs_statements:
            # A policy of its own: the file system and access point ids are unknown until EFS creates them, and in
            # the task policy they would leave the whole document unjudged at a first preview.
            permissions.append(aws.iam.RolePolicy(
                f"{name}-efs",
                role=task_role.name,
                policy=pulumi.Output.json_dumps(policy_document(*efs_statements)),
                opts=child,
            ))
        if statements:
            permissions.append(aws.iam.RolePolicy(
                f"{name}-task",
                role=task_role.name,
                policy=pulumi.Output.json_dumps(policy_document(*statements)),
                opts=child,
            ))

        containers = self._containers(account.region, log_group.name, port, extra_environment or {},
                                      enable_execute_command)
        volumes = sorted({volume_name(p) for p in self._writable_paths(enable_execute_command)})
        definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=naming.task_family(pulumi.get_project(), pulumi.get_stack(), name),
            cpu=str(self.cpu),
            memory=str(self.memory),
            # awsvpc on both: each task its own ENI and security group (MI's default network mode too).
            network_mode="awsvpc",
            requires_compatibilities=["MANAGED_INSTANCES" if self.managed_instances else "FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": self.architecture.value},
            execution_role_arn=account.role_arn(execution_role.name),
            task_role_arn=account.role_arn(task_role.name),
            container_definitions=pulumi.Output.json_dumps(containers),
            # The EBS volume's size, type and encryption come from the service when a task launches.
            volumes=[{"name": v} for v in volumes] + efs_volumes + (
                [{"name": EBS_VOLUME_NAME, "configure_at_launch": True}] if self.ebs_path else []),
            ephemeral_storage=({"size_in_gib": self.args["ephemeral_storage_gib"]}
                               if "ephemeral_storage_gib" in self.args else None),
            # The log group must exist before a task starts, or ECS cannot create its log streams.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_group]),
        )
        return TaskResources(log_group, execution_role, task_role, definition, permissions)

    # Helpers ---------------------------------------------------------------------------------------------------

    def _secret_statements(self) -> list[dict[str, Any]]:
        resources = sorted({validation.secret_resource(v) for v in self.secrets.values()})
        statements = []
        parameters = [r for r in resources if r.split(":")[2] == "ssm"]
        secrets = [r for r in resources if r.split(":")[2] == "secretsmanager"]
        if parameters:
            statements.append({"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters})
        if secrets:
            statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets})
        if statements and "secrets_kms_key_arn" in self.args:
            statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": self.args["secrets_kms_key_arn"]})
        return statements

    def _efs(self, parent: pulumi.Resource,
             account: AccountContext) -> tuple[list[dict[str, Any]], list[pulumi.Input[dict[str, Any]]]]:
        """The task definition's EFS volumes and the task role's statements for them, creating the access points
        asked for. Every volume mounts over TLS with the task role's IAM identity (transitEncryption and
        authorizationConfig.iam ENABLED), so the file system's policy can refuse anything else."""
        volumes: list[dict[str, Any]] = []
        statements: list[pulumi.Input[dict[str, Any]]] = []
        for volume in self.volumes:
            access_point: Optional[pulumi.Input[str]] = volume.get("access_point_id")
            if volume.get("create_access_point"):
                uid, gid = access_point_user(self.user)
                # Rooted at the workload's own directory; its path is ForceNew, so a renamed workload keeps it.
                home = volume.get("access_point_root", f"/{self.name}")
                access_point = aws.efs.AccessPoint(
                    f"{self.name}-{volume['name']}-efs",
                    file_system_id=volume["file_system_id"],
                    posix_user={"uid": uid, "gid": gid},
                    root_directory={"path": home, "creation_info": {
                        "owner_uid": uid, "owner_gid": gid, "permissions": defaults.EFS_ACCESS_POINT_PERMISSIONS}},
                    opts=pulumi.ResourceOptions(parent=parent),
                ).id
            configuration: dict[str, Any] = {
                "file_system_id": volume["file_system_id"],
                "transit_encryption": "ENABLED",
                "authorization_config": {"iam": "ENABLED"},
            }
            if access_point is not None:
                configuration["authorization_config"]["access_point_id"] = access_point
            elif "root_directory" in volume:
                configuration["root_directory"] = volume["root_directory"]
            volumes.append({"name": efs_volume_name(volume["name"]), "efs_volume_configuration": configuration})
            read_only = bool(volume.get("read_only", False))
            actions = ["elasticfilesystem:ClientMount"] + ([] if read_only else ["elasticfilesystem:ClientWrite"])
            tag = volume.get("file_system_tag")
            if tag:
                # A file system the stack creates: its id (and its access points') are unknown until EFS assigns
                # them, and a policy naming them could not be judged at a first preview; its tag is known.
                statements.append({"Effect": "Allow", "Action": actions,
                                   "Resource": account.arn("elasticfilesystem", "file-system/*"),
                                   "Condition": {"StringEquals": {f"aws:ResourceTag/{FILE_SYSTEM_TAG}": tag}}})
                continue
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Action": actions,
                "Resource": pulumi.Output.concat(account.arn("elasticfilesystem", "file-system/"),
                                                 volume["file_system_id"]),
            }
            if access_point is not None:
                statement["Condition"] = {"StringEquals": {"elasticfilesystem:AccessPointArn": pulumi.Output.concat(
                    account.arn("elasticfilesystem", "access-point/"), access_point)}}
            statements.append(statement)
        return volumes, statements

    def _writable_paths(self, enable_execute_command: bool) -> list[str]:
        """Paths of the main container that get a task volume: the scratch paths, and the ECS Exec agent's paths
        when Exec is on and the root filesystem is read-only."""
        paths = list(self.scratch_paths)
        if enable_execute_command and self.read_only:
            paths += [p for p in EXEC_AGENT_PATHS if p not in paths]
        return paths

    def _mounts(self, enable_execute_command: bool) -> list[list[dict[str, Any]]]:
        """Mount points of the main container, then of each sidecar: one ephemeral volume per writable path."""
        main = [{"sourceVolume": volume_name(p), "containerPath": p, "readOnly": False}
                for p in self._writable_paths(enable_execute_command)]
        if self.ebs_path:
            # Writable whatever the root filesystem: the volume is the task's own disk.
            main.append({"sourceVolume": EBS_VOLUME_NAME, "containerPath": self.ebs_path, "readOnly": False})
        main += [{"sourceVolume": efs_volume_name(v["name"]), "containerPath": v["container_path"],
                  "readOnly": bool(v.get("read_only", False))} for v in self.volumes]
        return [main] + [[] for _ in self.args.get("sidecars", [])]

    def _containers(
        self, region: str, log_group: pulumi.Output[str], port: Optional[int],
        extra_environment: dict[str, pulumi.Input[str]], enable_execute_command: bool,
    ) -> list[dict[str, Any]]:
        task = self.args
        mounts = self._mounts(enable_execute_command)

        def logging(prefix: str) -> dict[str, Any]:
            return {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": prefix,
                    # Non-blocking: a slow log pipeline must never stall the application; the buffer absorbs bursts.
                    "mode": "non-blocking",
                    "max-buffer-size": defaults.LOG_MAX_BUFFER_SIZE,
                },
            }

        main: dict[str, Any] = {
            "name": self.name,
            "image": task["image"],
            "essential": True,
            "environment": _pairs({**task.get("environment", {}), **extra_environment}, "value"),
            "secrets": _pairs(task.get("secrets", {}), "valueFrom"),
            "logConfiguration": logging(self.name),
            "readonlyRootFilesystem": self.read_only,
            "stopTimeout": self.stop_timeout,
            "mountPoints": mounts[0],
            # An init process reaps zombies and forwards SIGTERM, so the stop timeout is actually used.
            "linuxParameters": {"initProcessEnabled": True},
        }
        if port is not None:
            main["portMappings"] = [{"containerPort": port, "protocol": "tcp", "name": "http"}]
        if "entry_point" in task:
            main["entryPoint"] = list(task["entry_point"])
        if "command" in task:
            main["command"] = list(task["command"])
        if "gpus" in task:
            main["resourceRequirements"] = [{"type": "GPU", "value": str(int(task["gpus"]))}]
        main["user"] = task.get("user", defaults.TASK_USER)
        if "health_check" in task:
            main["healthCheck"] = _health_check(task["health_check"])
        containers = [main]
        init: Optional[dict[str, Any]] = None
        if self.needs_scratch_init:
            init = self._scratch_init(logging(SCRATCH_INIT_CONTAINER))
            # The main container starts only once the volumes are its user's (ECS ContainerDependency: SUCCESS means
            # the init container exited 0).
            main["dependsOn"] = [{"containerName": SCRATCH_INIT_CONTAINER, "condition": "SUCCESS"}]
        for sidecar, sidecar_mounts in zip(task.get("sidecars", []), mounts[1:]):
            container: dict[str, Any] = {
                "name": sidecar["name"],
                "image": sidecar["image"],
                "essential": bool(sidecar.get("essential", False)),
                "environment": _pairs(sidecar.get("environment", {}), "value"),
                "secrets": _pairs(sidecar.get("secrets", {}), "valueFrom"),
                "logConfiguration": logging(sidecar["name"]),
                "readonlyRootFilesystem": bool(sidecar.get("read_only_root_filesystem", True)),
                "mountPoints": sidecar_mounts,
            }
            for key, api in (("cpu", "cpu"), ("memory_reservation", "memoryReservation"), ("command", "command")):
                if key in sidecar:
                    container[api] = sidecar[key]  # type: ignore[literal-required]
            if "port" in sidecar:
                container["portMappings"] = [{"containerPort": sidecar["port"], "protocol": "tcp"}]
            if "user" in sidecar:
                container["user"] = sidecar["user"]
            containers.append(container)
        if init is not None:
            containers.append(init)
        return containers

    def _scratch_init(self, log_configuration: dict[str, Any]) -> dict[str, Any]:
        """A container that runs once before the main one: it mounts every scratch volume, hands it to the main
        container's user and exits.

        It must run as root: only the owner of the root-owned volumes, or CAP_CHOWN, may change them, and a non-root
        user keeps no effective capability after exec under Docker or containerd (moby/moby#36587). It keeps only
        CHOWN of the default capabilities (none at all when it only chmods directories it owns), a read-only root
        filesystem and no secrets or environment."""
        assert self.user is not None
        volumes = self._init_volumes
        command = scratch_init_command(self.user, [f"{_SCRATCH_INIT_MOUNT}/{v}" for v in volumes])
        keep = {"CHOWN"} if command[0] == "chown" else set()
        drop = ["ALL"] if not keep else [c for c in _DEFAULT_CAPABILITIES if c not in keep]
        return {
            "name": SCRATCH_INIT_CONTAINER,
            "image": self.args.get("scratch_init_image", defaults.SCRATCH_INIT_IMAGE),
            # Its exit must not stop the task; the main container's dependency on SUCCESS does the gating.
            "essential": False,
            "user": "0",
            "command": command,
            "readonlyRootFilesystem": True,
            "mountPoints": [{"sourceVolume": v, "containerPath": f"{_SCRATCH_INIT_MOUNT}/{v}", "readOnly": False}
                            for v in volumes],
            "linuxParameters": {"capabilities": {"drop": drop}},
            "cpu": 0,
            "memoryReservation": _SCRATCH_INIT_MEMORY_RESERVATION,
            # The task's own stop timeout: on Spot every container gets the full notice (policy PLATFORM.SPOT-STOP).
            "stopTimeout": self.stop_timeout,
            "environment": [],
            "secrets": [],
            "logConfiguration": log_configuration,
        }


@dataclass(frozen=True)
class TaskResources:
    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    task_definition: aws.ecs.TaskDefinition
    permissions: list[pulumi.Resource]
    """Policies of both roles: tasks must not start before IAM grants what they need."""


def _pairs(values: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [{"name": k, kind: values[k]} for k in sorted(values)]


# ECS HealthCheck limits (RegisterTaskDefinition API reference).
_HEALTH_CHECK_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}


def _health_check(check: ContainerHealthCheck) -> dict[str, Any]:
    result = {
        "command": list(check["command"]),
        "interval": int(check.get("interval_seconds", defaults.HEALTH_CHECK_INTERVAL_SECONDS)),
        "timeout": int(check.get("timeout_seconds", defaults.HEALTH_CHECK_TIMEOUT_SECONDS)),
        "retries": int(check.get("retries", defaults.HEALTH_CHECK_RETRIES)),
        "startPeriod": int(check.get("start_period_seconds", defaults.HEALTH_CHECK_START_PERIOD_SECONDS)),
    }
    if not result["command"] or result["command"][0] not in ("CMD", "CMD-SHELL"):
        raise ValueError("health_check.command must start with CMD or CMD-SHELL")
    for key, (low, high) in _HEALTH_CHECK_RANGES.items():
        if not low <= result[key] <= high:
            raise ValueError(f"health_check {key} must be {low} to {high}; got {result[key]}")
    if result["timeout"] >= result["interval"]:
        raise ValueError("health_check timeout must be shorter than its interval")
    return result


def _exec_statements(account: AccountContext, log_group: Optional[pulumi.Input[str]]) -> list[dict[str, Any]]:
    """What ECS Exec needs from the task role: the SSM message channels and, when sessions are audited, writing
    to the cluster's exec log group."""
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            # These four actions support no resource-level permissions.
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        }
    ]
    if log_group is not None:
        arn = account.log_group_arn(log_group)
        statements += [
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [arn, pulumi.Output.concat(arn, ":*")],
            },
        ]
    return statements


def _publish_statements(publishes: list[Publish]) -> list[pulumi.Input[dict[str, Any]]]:
    """sns:Publish on exactly the named topics; KMS data keys of the customer managed keys among them (SNS Developer
    Guide, "Encryption at rest": publishers to a topic under a customer managed key need kms:GenerateDataKey* and
    kms:Decrypt on it)."""
    statements: list[pulumi.Input[dict[str, Any]]] = [{
        "Effect": "Allow",
        "Action": "sns:Publish",
        "Resource": pulumi.Output.all(*[p["topic_arn"] for p in publishes]).apply(sorted),
    }]
    keys = sorted({p["kms_key_arn"] for p in publishes if p.get("kms_key_arn")})
    if keys:
        statements.append({"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": keys})
    return statements
