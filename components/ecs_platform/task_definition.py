"""The task definition builder WebService and QueueWorker share: log group, roles and the Fargate task definition.

`TaskSpec.of(...)` checks a task's args without touching Pulumi (so a component can fail before it registers
anything); `TaskSpec.build(...)` then creates, as children of the calling component:

- the task's log group, with bounded retention, created before the task definition that writes to it;
- the execution role (ECS pulls the image, writes logs, reads exactly the secrets the task references);
- the task role (what the application may call: only the statements the component and its caller add);
- the task definition: awsvpc, FARGATE, a main container and optional sidecars.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import defaults, naming, validation
from ._aws import AccountContext, policy_document
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
    """Writable, task-scoped scratch directories for a read-only container (for example /tmp). Default: none."""
    user: NotRequired[str]
    """User (and group) the main container runs as, for example "1000:1000". Default: the image's."""
    stop_timeout_seconds: NotRequired[int]
    """Seconds between SIGTERM and SIGKILL, 2 to 120. Default: 30."""
    sidecars: NotRequired[list[Sidecar]]
    """Additional containers. Default: none."""
    task_role_statements: NotRequired[list[PolicyStatement]]
    """Allow statements the application needs, added to the task role. Default: none."""
    log_retention_days: NotRequired[int]
    """Days the task's log group keeps events. Default: 30."""


_TRUST_ECS_TASKS = "ecs-tasks.amazonaws.com"
_EXEC_AGENT_PATHS = ("/var/lib/amazon", "/var/log/amazon")
"""The ECS Exec (SSM) agent writes here; a read-only container needs them writable for ECS Exec to work."""


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

    @classmethod
    def of(cls, name: str, task: TaskArgs, *, default_stop_timeout: int = defaults.STOP_TIMEOUT_SECONDS) -> "TaskSpec":
        cpu = int(task.get("cpu", defaults.TASK_CPU))
        memory = int(task.get("memory", defaults.TASK_MEMORY))
        validation.fargate_size(cpu, memory)
        stop_timeout = int(task.get("stop_timeout_seconds", default_stop_timeout))
        if not 2 <= stop_timeout <= 120:
            raise ValueError(f"stop_timeout_seconds must be 2 to 120 (the Fargate maximum); got {stop_timeout}")
        validation.log_retention_days(int(task.get("log_retention_days", defaults.LOG_RETENTION_DAYS)))
        secrets: dict[str, str] = {}
        containers = [(name, task.get("environment", {}), task.get("secrets", {}))]
        containers += [(s["name"], s.get("environment", {}), s.get("secrets", {})) for s in task.get("sidecars", [])]
        for _, environment, container_secrets in containers:
            for key in list(environment) + list(container_secrets):
                validation.environment_name(key)
            validation.plaintext_environment(environment)
            for value in container_secrets.values():
                validation.secret_reference(value)
            secrets.update(container_secrets)
        names = [c[0] for c in containers]
        if len(set(names)) != len(names):
            raise ValueError(f"container names must be unique in a task; got {names}")
        if "secrets_kms_key_arn" in task:
            validation.arn(task["secrets_kms_key_arn"], "kms", "key/")
        if "health_check" in task:
            _health_check(task["health_check"])
        return cls(
            name=name,
            args=task,
            cpu=cpu,
            memory=memory,
            architecture=CpuArchitecture(task.get("cpu_architecture", defaults.CPU_ARCHITECTURE)),
            stop_timeout=stop_timeout,
            read_only=bool(task.get("read_only_root_filesystem", True)),
            secrets=secrets,
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
            opts=child,
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
        if statements:
            permissions.append(aws.iam.RolePolicy(
                f"{name}-task",
                role=task_role.name,
                policy=pulumi.Output.json_dumps(policy_document(*statements)),
                opts=child,
            ))

        containers = self._containers(account.region, log_group.name, port, extra_environment or {},
                                      enable_execute_command)
        volumes = sorted({m["sourceVolume"] for c in self._mounts(enable_execute_command) for m in c})
        definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=naming.task_family(pulumi.get_project(), pulumi.get_stack(), name),
            cpu=str(self.cpu),
            memory=str(self.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": self.architecture.value},
            execution_role_arn=account.role_arn(execution_role.name),
            task_role_arn=account.role_arn(task_role.name),
            container_definitions=pulumi.Output.json_dumps(containers),
            volumes=[{"name": v} for v in volumes],
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

    def _mounts(self, enable_execute_command: bool) -> list[list[dict[str, Any]]]:
        """Mount points of the main container, then of each sidecar: one ephemeral volume per writable path."""
        paths = list(self.args.get("scratch_paths", []))
        if enable_execute_command and self.read_only:
            paths += [p for p in _EXEC_AGENT_PATHS if p not in paths]
        main = [{"sourceVolume": _volume(p), "containerPath": p, "readOnly": False} for p in paths]
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
        if "user" in task:
            main["user"] = task["user"]
        if "health_check" in task:
            main["healthCheck"] = _health_check(task["health_check"])
        containers = [main]
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
        return containers


@dataclass(frozen=True)
class TaskResources:
    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    task_role: aws.iam.Role
    task_definition: aws.ecs.TaskDefinition
    permissions: list[pulumi.Resource]
    """Policies of both roles: tasks must not start before IAM grants what they need."""


def _volume(path: str) -> str:
    return "scratch" + path.replace("/", "-").rstrip("-")


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
