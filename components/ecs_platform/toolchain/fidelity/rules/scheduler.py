"""EventBridge Scheduler schedules: what CreateSchedule accepts beyond its model, and what an ECS RunTask target
needs from its cluster, its task definition, its dead-letter queue and its execution role.

Sources are the EventBridge Scheduler User Guide ("Schedule types on EventBridge Scheduler", "Configuring a
schedule's dead-letter queue"), the EventBridge Scheduler API reference (CreateSchedule, RetryPolicy, EcsParameters,
AwsVpcConfiguration), the EventBridge User Guide's rate and cron expression references (the same expressions), the
ECS API reference (RunTask, CapacityProviderStrategyItem) and the ECS Developer Guide ("Amazon ECS EventBridge IAM
role", "Grant permission to tag resources on creation").

Ranges the service model also carries (RetryPolicy, TaskCount, the dead-letter ARN's pattern) are judged here only
while the request is not fully known, as at a first preview: the model is consulted once everything is known, and
one breach is reported once.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any, Optional

from ecs_platform.offline.engine import has_unknown
from ecs_platform.schedules import schedule_problem, timezone_problem
from ..requests import ApiRequest
from .base import Finding, Stack, dig, indexed, items, known, number, rule, show
from .ecs_facts import CLUSTER, FARGATE_PROVIDERS, TASK_DEFINITION, capacity_providers_of, network_mode

SCHEDULE = "scheduler:CreateSchedule"
QUEUE = "sqs:CreateQueue"
ROLE = "iam:CreateRole"
ROLE_POLICY = "iam:PutRolePolicy"
MANAGED_POLICY = "iam:AttachRolePolicy"
_ECS = "Target.EcsParameters"


def _ecs(schedule: ApiRequest) -> Optional[dict[str, Any]]:
    parameters = dig(schedule.params, "Target", "EcsParameters")
    return parameters if isinstance(parameters, dict) else None


def _model_not_consulted(request: ApiRequest) -> bool:
    """Whether the model validation skipped this request (some parameter is not known yet)."""
    return has_unknown(request.params)


@rule
def schedule_expressions(stack: Stack) -> Iterator[Finding]:
    """CreateSchedule ScheduleExpression (Scheduler User Guide, "Schedule types"): at(yyyy-mm-ddThh:mm:ss),
    rate(value unit) with a positive whole value and the unit minute(s), hour(s) or day(s), singular for 1 and
    plural above (EventBridge "Rate expressions reference"), or cron(fields) with six fields, each value and
    wildcard in its field's range (minutes 0-59, hours 0-23, day-of-month 1-31 with , - * ? / L W, month 1-12 or
    JAN-DEC, day-of-week 1-7 or SUN-SAT with , - * ? L #, year 1970-2199) and exactly one of day-of-month and
    day-of-week a ? (EventBridge "Cron expressions reference")."""
    for schedule in stack.of(SCHEDULE):
        expression = schedule.params.get("ScheduleExpression")
        if isinstance(expression, str) and known(expression):
            problem = schedule_problem(expression, allow_one_time=True)
            if problem:
                yield schedule, "ScheduleExpression", problem


@rule
def schedule_timezones(stack: Stack) -> Iterator[Finding]:
    """CreateSchedule ScheduleExpressionTimezone: "The timezone in which the scheduling expression is evaluated",
    an IANA time zone name (Scheduler User Guide, "Time zones on EventBridge Scheduler"); the provider sends UTC when
    the program sets none."""
    for schedule in stack.of(SCHEDULE):
        zone = schedule.params.get("ScheduleExpressionTimezone")
        if isinstance(zone, str) and known(zone):
            problem = timezone_problem(zone)
            if problem:
                yield schedule, "ScheduleExpressionTimezone", problem


# RetryPolicy (MaximumEventAgeInSeconds 60-86400, MaximumRetryAttempts 0-185) and EcsParameters TaskCount (1-10),
# as the Scheduler API reference and its model bound them. The provider accepts a task count of 0.
_RANGES = (
    (("Target", "RetryPolicy", "MaximumEventAgeInSeconds"), 60, 86400),
    (("Target", "RetryPolicy", "MaximumRetryAttempts"), 0, 185),
    (("Target", "EcsParameters", "TaskCount"), 1, 10),
)


@rule
def schedule_ranges(stack: Stack) -> Iterator[Finding]:
    """RetryPolicy: MaximumEventAgeInSeconds 60 to 86400, MaximumRetryAttempts 0 to 185; EcsParameters TaskCount 1
    to 10; each a whole number."""
    for schedule in filter(_model_not_consulted, stack.of(SCHEDULE)):
        for path, low, high in _RANGES:
            value = dig(schedule.params, *path)
            measured = number(value)
            if value is None or not known(value):
                continue
            if measured is None or measured != int(measured) or not low <= measured <= high:
                yield schedule, ".".join(path), f"must be a whole number from {low} to {high}; got {show(value)}"


_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$")
_DEAD_LETTER = "Target.DeadLetterConfig.Arn"


def _find(stack: Stack, schedule: ApiRequest, label: str, value: Any) -> Optional[ApiRequest]:
    """The ``label`` request a value of the schedule's target names: by the value, or (an identifier built from a
    name while the resource's own ARN is not known yet, as at a first preview) through the target's dependencies."""
    if value is None:
        return None
    return stack.referenced(schedule, "target", label, value) or stack.depended(schedule, "target", label)


def _dead_letter_queue(stack: Stack, schedule: ApiRequest) -> Optional[ApiRequest]:
    return _find(stack, schedule, QUEUE, dig(schedule.params, "Target", "DeadLetterConfig", "Arn"))


@rule
def dead_letter_queues(stack: Stack) -> Iterator[Finding]:
    """Target DeadLetterConfig Arn: "The Amazon Resource Name (ARN) of the SQS queue specified as the destination for
    the dead-letter queue" (pattern arn:aws[a-z-]*:sqs:<region>:<account>:<name>); Scheduler User Guide,
    "Configuring a schedule's dead-letter queue": "EventBridge Scheduler does not support using a FIFO queue as
    your schedule's DLQ"."""
    for schedule in stack.of(SCHEDULE):
        arn = dig(schedule.params, "Target", "DeadLetterConfig", "Arn")
        if isinstance(arn, str) and known(arn) and _model_not_consulted(schedule) and not _QUEUE_ARN.match(arn):
            yield schedule, _DEAD_LETTER, f"must be the ARN of an SQS queue; got {show(arn)}"
            continue
        queue = _dead_letter_queue(stack, schedule)
        attributes = queue.params.get("Attributes") if queue is not None else None
        if isinstance(attributes, dict) and attributes.get("FifoQueue") == "true":
            yield (schedule, _DEAD_LETTER,
                   f"queue {queue.resource.name} is a FIFO queue; a schedule's dead-letter queue must be standard")


def _providers(ecs: dict[str, Any]) -> list[Any]:
    return [item.get("capacityProvider") for _, item in indexed(ecs.get("CapacityProviderStrategy"))]


def _task_definition(stack: Stack, schedule: ApiRequest, ecs: dict[str, Any]) -> Optional[ApiRequest]:
    return _find(stack, schedule, TASK_DEFINITION, ecs.get("TaskDefinitionArn"))


@rule
def ecs_launch_type_or_strategy(stack: Stack) -> Iterator[Finding]:
    """RunTask: "If a capacityProviderStrategy is specified, the launchType parameter must be omitted"."""
    for schedule in stack.of(SCHEDULE):
        ecs = _ecs(schedule)
        if ecs and ecs.get("LaunchType") and items(ecs.get("CapacityProviderStrategy")):
            yield (schedule, f"{_ECS}.LaunchType", "LaunchType and CapacityProviderStrategy are mutually exclusive; "
                                                  f"got LaunchType {show(ecs.get('LaunchType'))} and a strategy")


@rule
def ecs_network_configuration(stack: Stack) -> Iterator[Finding]:
    """RunTask networkConfiguration: "This parameter is required for task definitions that use the awsvpc network
    mode", which every Fargate task uses; AwsVpcConfiguration AssignPublicIp: "You can specify ENABLED only when
    LaunchType in EcsParameters is set to FARGATE"."""
    for schedule in stack.of(SCHEDULE):
        ecs = _ecs(schedule)
        if ecs is None:
            continue
        definition = _task_definition(stack, schedule, ecs)
        fargate = ecs.get("LaunchType") == "FARGATE" or any(p in FARGATE_PROVIDERS for p in _providers(ecs))
        awsvpc = definition is not None and network_mode(definition) == "awsvpc"
        if ecs.get("NetworkConfiguration") is None and (fargate or awsvpc):
            why = "runs on Fargate" if fargate else f"task definition {definition.resource.name} uses awsvpc"
            yield (schedule, f"{_ECS}.NetworkConfiguration",
                   f"the task {why}, which needs an awsvpc NetworkConfiguration")
            continue
        public = dig(ecs, "NetworkConfiguration", "awsvpcConfiguration", "AssignPublicIp")
        if public == "ENABLED" and known(ecs.get("LaunchType")) and ecs.get("LaunchType") != "FARGATE":
            yield (schedule, f"{_ECS}.NetworkConfiguration.awsvpcConfiguration.AssignPublicIp",
                   f"ENABLED needs LaunchType FARGATE; got {show(ecs.get('LaunchType') or 'no launch type')}")


_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/.+$")


@rule
def ecs_targets_are_clusters(stack: Stack) -> Iterator[Finding]:
    """Scheduler templated targets, Amazon ECS RunTask: the target's Arn is the cluster the task runs in (RunTask's
    cluster); CapacityProviderStrategyItem: "Only capacity providers that are already associated with a cluster
    ... can be used in a capacity provider strategy"."""
    for schedule in stack.of(SCHEDULE):
        ecs, arn = _ecs(schedule), dig(schedule.params, "Target", "Arn")
        if ecs is None:
            continue
        if isinstance(arn, str) and known(arn) and not _CLUSTER_ARN.match(arn):
            yield schedule, "Target.Arn", f"an ECS RunTask target is the ARN of a cluster; got {show(arn)}"
            continue
        cluster = _find(stack, schedule, CLUSTER, arn)
        associated = _associated(stack, cluster) if cluster is not None else None
        if associated is None:
            continue
        for index, provider in enumerate(_providers(ecs)):
            if known(provider) and provider not in associated:
                yield (schedule, f"{_ECS}.CapacityProviderStrategy[{index}].capacityProvider",
                       f"cluster {cluster.resource.name} has no association with {provider} (associated: "
                       f"{', '.join(sorted(map(str, associated))) or 'none'})")


def _associated(stack: Stack, cluster: ApiRequest) -> Optional[set[Any]]:
    """The capacity providers the program associates with a cluster; None while any association is not known."""
    associated: set[Any] = set()
    for association in capacity_providers_of(stack, cluster):
        listed = association.params.get("capacityProviders")
        if not isinstance(listed, list) or not known(listed):
            return None
        associated.update(listed)
    return associated


# The execution role ------------------------------------------------------------------------------------------------


def _documents(stack: Stack, role: ApiRequest) -> Optional[list[Any]]:
    """The parsed inline policies of a role; None when any is unknown or the role has managed policies (whose
    statements the program does not show)."""
    if any(stack.referenced(a, "role", ROLE, a.params.get("RoleName")) is role for a in stack.of(MANAGED_POLICY)):
        return None
    documents = []
    for policy in stack.of(ROLE_POLICY):
        if stack.referenced(policy, "role", ROLE, policy.params.get("RoleName")) is not role:
            continue
        text = policy.params.get("PolicyDocument")
        if not isinstance(text, str) or not known(text):
            return None
        try:
            documents.append(json.loads(text))
        except json.JSONDecodeError:
            return None
    return documents


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(documents: list[Any], action: str, resource: str) -> Optional[bool]:
    """Whether an Allow statement grants ``action`` on ``resource`` (conditions aside); None when a statement uses
    NotAction or NotResource, which this reading does not judge."""
    for document in documents:
        statements = document.get("Statement") if isinstance(document, dict) else None
        for statement in _as_list(statements):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                return None
            actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
            resources = [str(r) for r in _as_list(statement.get("Resource"))]
            if any(fnmatch.fnmatchcase(action.lower(), a) for a in actions) and \
                    any(fnmatch.fnmatchcase(resource, r) for r in resources):
                return True
    return False


def _needed(stack: Stack, schedule: ApiRequest) -> Iterator[tuple[str, str, str]]:
    """(action, resource, why) the execution role of an ECS schedule needs, for the values that are known."""
    ecs = _ecs(schedule) or {}
    definition_arn = ecs.get("TaskDefinitionArn")
    if ecs and isinstance(definition_arn, str) and known(definition_arn):
        yield "ecs:RunTask", definition_arn, "to start the task"
        definition = _task_definition(stack, schedule, ecs)
        for key, kind in (("executionRoleArn", "execution role"), ("taskRoleArn", "task role")):
            role = definition.params.get(key) if definition is not None else None
            if isinstance(role, str) and known(role):
                yield "iam:PassRole", role, f"to hand the task its {kind}"
    cluster = dig(schedule.params, "Target", "Arn")
    tags = ecs.get("PropagateTags") or items(ecs.get("Tags"))
    if ecs and tags and isinstance(cluster, str) and known(cluster) and _CLUSTER_ARN.match(cluster):
        head, _, name = cluster.rpartition(":cluster/")
        yield "ecs:TagResource", f"{head}:task/{name}/{'0' * 32}", "to tag the task it starts"
    dead_letters = dig(schedule.params, "Target", "DeadLetterConfig", "Arn")
    if isinstance(dead_letters, str) and known(dead_letters):
        yield "sqs:SendMessage", dead_letters, "to deliver dead letters"


@rule
def execution_role_permissions(stack: Stack) -> Iterator[Finding]:
    """Target RoleArn, the schedule's execution role: for an ECS target it needs ecs:RunTask on the task definition
    and iam:PassRole on the task's execution and task roles (ECS Developer Guide, "Amazon ECS EventBridge IAM role":
    "you must add iam:PassRole permissions for each task execution role, task role"), ecs:TagResource when the
    tasks get tags ("Grant permission to tag resources on creation"), and with a dead-letter queue sqs:SendMessage on
    it (Scheduler User Guide, "Configuring a schedule's dead-letter queue"). Judged when the role's inline policies
    are all known and it has no managed policy; conditions are not evaluated."""
    for schedule in stack.of(SCHEDULE):
        role = _find(stack, schedule, ROLE, dig(schedule.params, "Target", "RoleArn"))
        documents = _documents(stack, role) if role is not None else None
        if documents is None:
            continue
        for action, resource, why in _needed(stack, schedule):
            if _allows(documents, action, resource) is False:
                yield (schedule, "Target.RoleArn",
                       f"role {role.resource.name} does not allow {action} on {resource} ({why})")
