"""How the components name their children, and how long a component name may be because of it.

Pulumi auto-names a physical resource `<logical name>-<7 random characters>`, and AWS caps name lengths per
resource type. A component's children derive their logical names from the component's name with a fixed suffix,
so the longest name a component accepts is the tightest of `limit - len(suffix) - 8` over its children. Settings
use these bounds to refuse a name that would only fail at `pulumi up`; the deploy-fidelity checker measures the
names the program actually produced against the same limits.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import pulumi

RANDOM_SUFFIX = len("-") + 7
"""What Pulumi's auto-naming appends: a dash and seven random characters."""

# Name limits AWS enforces, by Pulumi type and the property that holds the name. Sources: ELB User Guide
# (load balancer and target group names: 32), IAM quotas (role names: 64; policy names: 128), SQS quotas (queue
# names: 80), CloudWatch Logs quotas (log group names: 512), CloudWatch PutMetricAlarm (alarm names: 255), ECS API
# (cluster, service and task family names: 255), EC2 security group names (255), S3 bucket naming rules (63),
# Application Auto Scaling PutScalingPolicy (policy names: 256).
NAME_LIMITS: dict[str, tuple[str, int]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("name", 32),
    "aws:lb/targetGroup:TargetGroup": ("name", 32),
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128),
    "aws:sqs/queue:Queue": ("name", 80),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", 255),
    "aws:ecs/cluster:Cluster": ("name", 255),
    "aws:ecs/service:Service": ("name", 255),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", 255),
    "aws:ec2/securityGroup:SecurityGroup": ("name", 255),
    "aws:s3/bucket:Bucket": ("bucket", 63),
    "aws:appautoscaling/policy:Policy": ("name", 256),
    "aws:scheduler/schedule:Schedule": ("name", 64),
}

# The auto-named children of each component: type -> the suffixes appended to the component's name.
TASK_CHILDREN: dict[str, tuple[str, ...]] = {
    "aws:cloudwatch/logGroup:LogGroup": ("-logs",),
    "aws:iam/role:Role": ("-execution", "-task"),
    "aws:iam/rolePolicy:RolePolicy": ("-secrets", "-task", "-efs"),
    "aws:ec2/securityGroup:SecurityGroup": ("-tasks",),
    "aws:ecs/service:Service": ("",),
    "aws:appautoscaling/policy:Policy": ("-scale-out", "-scale-in", "-backlog", "-wake", "-cpu", "-memory",
                                          "-requests"),
}
WEB_SERVICE_CHILDREN: dict[str, tuple[str, ...]] = {**TASK_CHILDREN, "aws:lb/targetGroup:TargetGroup": ("-tg",)}
QUEUE_WORKER_CHILDREN: dict[str, tuple[str, ...]] = {
    **TASK_CHILDREN,
    "aws:sqs/queue:Queue": ("", "-dlq"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("-dlq-not-empty", "-wake", "-scale-out", "-scale-in"),
}
SCHEDULED_TASK_CHILDREN: dict[str, tuple[str, ...]] = {
    "aws:cloudwatch/logGroup:LogGroup": ("-logs",),
    "aws:iam/role:Role": ("-execution", "-task", "-scheduler"),
    "aws:iam/rolePolicy:RolePolicy": ("-secrets", "-task", "-scheduler", "-efs"),
    "aws:ec2/securityGroup:SecurityGroup": ("-tasks",),
    "aws:sqs/queue:Queue": ("-dlq",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("-dlq-not-empty",),
    # EventBridge Scheduler CreateSchedule Name: 1 to 64 characters.
    "aws:scheduler/schedule:Schedule": ("",),
}
LOAD_BALANCER_CHILDREN: dict[str, tuple[str, ...]] = {
    "aws:lb/loadBalancer:LoadBalancer": ("-alb",),
    "aws:ec2/securityGroup:SecurityGroup": ("-alb",),
    "aws:s3/bucket:Bucket": ("-access-logs",),
}


def binding_child(children: Mapping[str, tuple[str, ...]]) -> tuple[int, str, str]:
    """(longest allowed component name, the child type that sets it, its suffix)."""
    return min(
        (NAME_LIMITS[type_][1] - len(suffix) - RANDOM_SUFFIX, type_, suffix)
        for type_, suffixes in children.items()
        for suffix in suffixes
        if type_ in NAME_LIMITS
    )


def max_name_length(children: Mapping[str, tuple[str, ...]]) -> int:
    """The longest component name whose every auto-named child stays within its AWS limit."""
    return binding_child(children)[0]


def check_name(kind: str, name: str, children: Mapping[str, tuple[str, ...]]) -> None:
    """Refuse a component name that would make an auto-named child too long for AWS, saying which and why."""
    longest, type_, suffix = binding_child(children)
    if len(name) > longest:
        limit = NAME_LIMITS[type_][1]
        child = type_.rsplit(":", 1)[-1]
        raise ValueError(
            f"{kind} name {name!r} is {len(name)} characters; it may be at most {longest}, because its {child} is "
            f"named '{name}{suffix}-' plus 7 random characters and AWS allows {limit}"
        )


# ECS RegisterTaskDefinition, `family`: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
# hyphens are allowed." Pulumi allows more in a stack name (letters, digits, `-`, `_` and `.`, up to 100) and checks
# project names even less, so a family built from them is sanitized.
FAMILY_LIMIT = 255
FAMILY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_HASH_LENGTH = 8


def task_family(project: str, stack: str, name: str) -> str:
    """Task definition families are not auto-named; they carry the project and stack to stay unique per account.

    A family that ECS would accept as it is stays readable and unchanged (`ecs-platform-prod-api`). Otherwise every
    run of other characters becomes `-` and a hash of the original is appended, so `prod.eu-1` and `prod-eu-1` keep
    separate families, and the result is cut to ECS's 255 characters.
    """
    family = f"{project}-{stack}-{name}"
    if FAMILY_PATTERN.match(family):
        return family
    digest = hashlib.sha256(family.encode()).hexdigest()[:_HASH_LENGTH]
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", family).strip("-")[: FAMILY_LIMIT - _HASH_LENGTH - 1].rstrip("-")
    return f"{readable}-{digest}" if readable else digest


def fifo_name(project: str, stack: str, name: str, limit: int) -> str:
    """The fixed name of a FIFO topic or queue: `<project>-<stack>-<name>.fifo`, cut with a hash to `limit` (SNS 256,
    SQS 80). AWS requires the `.fifo` suffix, which Pulumi's auto-names do not add, so these are named here; a
    change that replaces them deletes the old one first (`delete_before_replace`)."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{project}-{stack}-{name}").strip("-")
    room = limit - len(".fifo")
    if len(base) > room:
        digest = hashlib.sha256(base.encode()).hexdigest()[:_HASH_LENGTH]
        base = f"{base[: room - _HASH_LENGTH - 1].rstrip('-')}-{digest}"
    return f"{base}.fifo"


MAX_WEB_SERVICE_NAME = max_name_length(WEB_SERVICE_CHILDREN)
MAX_QUEUE_WORKER_NAME = max_name_length(QUEUE_WORKER_CHILDREN)


def renamed(kind: str, name: str, renamed_from: object,
            opts: Optional[pulumi.ResourceOptions]) -> Optional[pulumi.ResourceOptions]:
    """``opts`` with the component's old name as an alias, so its state (and every child's: a child named after the
    component inherits the alias with the old name in place of the new) moves to the new name instead of the old
    resources being deleted and new ones created. ValueError for a name that cannot have been a component's."""
    import pulumi

    if renamed_from is None:
        return opts
    if not isinstance(renamed_from, str) or not renamed_from or renamed_from == name:
        raise ValueError(f"{kind} renamed_from must be the name {name!r} had before, a different non-empty string; "
                         f"got {renamed_from!r}")
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=renamed_from)]))
