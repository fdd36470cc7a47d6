"""ScheduledTask: a Fargate task that EventBridge Scheduler starts on a schedule (rate or cron), on Spot by default.

EventBridge Scheduler calls ECS RunTask with its own execution role, retries a call that fails, and sends the event
of a run it could not start to a dead-letter queue. What the component creates, as children:

- the task's log group, execution role, task role and task definition, from the builder the services share
  (:class:`~ecs_platform.task_definition.TaskSpec`);
- a task security group: nothing in, HTTPS out;
- an encrypted SQS dead-letter queue (14 days, SSE-SQS) and, when topics are given, an alarm on its first message;
- the scheduler's execution role, allowed exactly: RunTask of this task definition family in this cluster, passing
  the task's two roles to ECS, tagging the tasks it starts, and sending to the dead-letter queue;
- the ``aws.scheduler.Schedule`` itself.

The pure checks a stack's settings can share are :func:`schedule_problem`, :func:`timezone_problem` and
:func:`retry_problem`.
"""

import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming, validation
from ._args import check_keys
from ._aws import AccountContext, policy_document, service_trust_policy
from ._service import Placement, task_security_group
from .enums import CapacityProvider
from .task_definition import TaskArgs, TaskSpec

_PERIOD = 60
"""SQS publishes its queue-depth metrics every minute."""
_SCHEDULER = "scheduler.amazonaws.com"
_ECS_TASKS = "ecs-tasks.amazonaws.com"
_DEFAULT_GROUP = "default"
"""The schedule group a schedule joins when it names none (EventBridge Scheduler CreateSchedule GroupName)."""
PROPAGATE_TAGS = "TASK_DEFINITION"
"""The tasks get the task definition's tags (the stack's default tags), so a run is attributed like a service's
tasks. Tagging on creation is authorized separately (ecs:TagResource), so the scheduler role gets it."""


class ScheduleRetry(TypedDict):
    """How EventBridge Scheduler retries a RunTask call that failed before it gives the run up to the dead-letter
    queue."""

    maximum_retry_attempts: NotRequired[int]
    """Retries before the run's event goes to the dead-letter queue, 0 to 185. Default: 3."""
    maximum_event_age_seconds: NotRequired[int]
    """Seconds Scheduler keeps retrying one run, 60 to 86400. Default: 3600."""


class ScheduledTaskArgs(TypedDict):
    """Inputs of a ScheduledTask."""

    placement: Placement
    """Cluster (ARN and name), VPC and private subnets the task runs in. The cluster must have the FARGATE_SPOT
    capacity provider (FARGATE with on_demand)."""
    task: TaskArgs
    """Image, size, configuration and permissions of the task; the same task args as the services. Default stop
    timeout: 120 s on Spot (its two-minute notice), 30 s on demand."""
    schedule: str
    """When the task runs: `rate(value unit)` (unit minute(s), hour(s) or day(s)) or `cron(minutes hours
    day-of-month month day-of-week year)`, as EventBridge Scheduler reads them. Required."""
    timezone: NotRequired[str]
    """IANA time zone the expression is evaluated in, for example Europe/Paris. Default: UTC."""
    retry: NotRequired[ScheduleRetry]
    """Retries of a RunTask call that failed. Default: 3 retries within 3600 s."""
    on_demand: NotRequired[bool]
    """Run on on-demand FARGATE instead of FARGATE_SPOT. Default: false (Spot)."""
    alarm_actions: NotRequired[list[pulumi.Input[str]]]
    """SNS topics told when a run's event reaches the dead-letter queue (and when it is empty again). Default: none
    (the alarm still exists; the policy pack's CloudWatch.15 wants an action on it)."""
    enabled: NotRequired[bool]
    """Whether the schedule starts tasks; false keeps everything but starts nothing. Default: true."""
    renamed_from: NotRequired[str]
    """The name this component had before a rename: its resources keep their state under the new name (Pulumi
    aliases) instead of being deleted and created again. Keep it for as long as any stack may still hold the old
    name. Default: none."""


class ScheduledTask(pulumi.ComponentResource):
    """A Fargate task that EventBridge Scheduler starts on a rate or cron schedule, in a time zone, on Spot unless
    asked otherwise, with retries and a dead-letter queue for the runs it could not start.

    The dead-letter queue receives a run EventBridge Scheduler could not start after its retries (the RunTask call
    failed, for example throttled or denied); a task that starts and then fails (a non-zero exit) is not a failed
    invocation and shows in the task's logs and ECS events instead. An alarm goes off at the first dead letter and
    tells the ``alarm_actions`` topics; as a QueueWorker's, it exists without topics too (its state shows in the
    console, and the policy pack's CloudWatch.15 asks for a topic where that is mandatory).
    """

    schedule_arn: pulumi.Output[str]
    """ARN of the EventBridge Scheduler schedule."""
    task_definition_arn: pulumi.Output[str]
    """ARN (with revision) of the task definition the schedule runs."""
    dead_letter_queue_url: pulumi.Output[str]
    """URL of the queue that receives the runs Scheduler could not start."""
    role_arn: pulumi.Output[str]
    """ARN of the scheduler's execution role."""
    log_group_name: pulumi.Output[str]
    """Log group the containers write to."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks (admit it on a database to let the task in)."""

    def __init__(self, name: str, args: ScheduledTaskArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys("ScheduledTask", args, ScheduledTaskArgs)
        naming.check_name("ScheduledTask", name, naming.SCHEDULED_TASK_CHILDREN)
        settings = checked_settings(args)
        spec = TaskSpec.of(name, args["task"], default_stop_timeout=settings.default_stop_timeout)
        placement = args["placement"]

        opts = naming.renamed("ScheduledTask", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:ScheduledTask", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)

        task = spec.build(self)
        security_group = task_security_group(name, placement["vpc_id"], f"Tasks of {name}: nothing in, HTTPS out",
                                             child)
        dead_letters = aws.sqs.Queue(
            f"{name}-dlq",
            message_retention_seconds=defaults.DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        dead_letter_arn = account.queue_arn(dead_letters.name)
        aws.cloudwatch.MetricAlarm(
            f"{name}-dlq-not-empty",
            alarm_description=f"A run of {name} could not be started after its retries and waits in the "
                              "dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dead_letters.name},
            statistic="Maximum",
            period=_PERIOD,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=settings.alarm_actions,
            ok_actions=settings.alarm_actions,
            opts=child,
        )

        # Confused-deputy protection as EventBridge Scheduler's guide documents it: the account, and aws:SourceArn
        # scoped to the schedule group (never to one schedule, the guide says); this schedule is in the default one.
        role = aws.iam.Role(
            f"{name}-scheduler",
            description=f"EventBridge Scheduler starts the {name} task",
            assume_role_policy=service_trust_policy(
                _SCHEDULER, source_account=account.account_id,
                source_arn=account.arn("scheduler", f"schedule-group/{_DEFAULT_GROUP}")),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-scheduler",
            role=role.name,
            policy=pulumi.Output.json_dumps(policy_document(*scheduler_statements(
                account,
                family=task.task_definition.family,
                cluster_name=placement["cluster_name"],
                passed_roles=[account.role_arn(task.execution_role.name), account.role_arn(task.task_role.name)],
                dead_letter_arn=dead_letter_arn,
                tags_tasks=bool(PROPAGATE_TAGS),
            ))),
            opts=child,
        )

        schedule = aws.scheduler.Schedule(
            name,
            description=f"Runs the {name} task: {settings.expression} ({settings.timezone})",
            schedule_expression=settings.expression,
            schedule_expression_timezone=settings.timezone,
            # Runs start at the minute asked for, not somewhere in a window.
            flexible_time_window={"mode": "OFF"},
            state="ENABLED" if settings.enabled else "DISABLED",
            target={
                "arn": placement["cluster_arn"],
                "role_arn": account.role_arn(role.name),
                "ecs_parameters": {
                    "task_definition_arn": task.task_definition.arn,
                    "task_count": 1,
                    # A capacity provider strategy and no launch type: RunTask takes one or the other.
                    "capacity_provider_strategies": [{"capacity_provider": settings.capacity_provider.value,
                                                      "weight": 1}],
                    "network_configuration": {
                        "subnets": placement["subnet_ids"],
                        "security_groups": [security_group.id],
                        # pulumi-aws takes a bool here and sends DISABLED (terraform-provider-aws scheduler flex.go).
                        "assign_public_ip": False,
                    },
                    "enable_ecs_managed_tags": True,
                    "propagate_tags": PROPAGATE_TAGS,
                    "platform_version": "LATEST",
                },
                "retry_policy": {
                    "maximum_retry_attempts": settings.retry_attempts,
                    "maximum_event_age_in_seconds": settings.event_age_seconds,
                },
                "dead_letter_config": {"arn": dead_letter_arn},
            },
            # The first run must find its permissions (the scheduler's, and the task's own) already granted.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *task.permissions]),
        )

        self.schedule = schedule
        """The aws.scheduler.Schedule, for escape hatches."""
        self.schedule_arn = schedule.arn
        self.task_definition_arn = task.task_definition.arn
        self.dead_letter_queue_url = dead_letters.url
        self.role_arn = role.arn
        self.log_group_name = task.log_group.name
        self.security_group_id = security_group.id
        self.register_outputs({
            "schedule_arn": self.schedule_arn,
            "task_definition_arn": self.task_definition_arn,
            "dead_letter_queue_url": self.dead_letter_queue_url,
            "role_arn": self.role_arn,
            "log_group_name": self.log_group_name,
            "security_group_id": self.security_group_id,
        })


def scheduler_statements(
    account: AccountContext, *, family: pulumi.Input[str], cluster_name: pulumi.Input[str],
    passed_roles: list[pulumi.Input[str]], dead_letter_arn: pulumi.Input[str], tags_tasks: bool,
) -> list[dict[str, Any]]:
    """What the scheduler's execution role may do, and nothing more.

    Every ARN is built from names, region and account (the cluster's too, from its name), so the policy is known at
    a first preview and the policy pack can judge it there (docs/decisions.md).

    - ecs:RunTask on every revision of the task's family (a new revision must not wait for IAM), only in this
      cluster (condition key ecs:cluster);
    - iam:PassRole on exactly the task's execution and task roles, only to ECS tasks (ECS Developer Guide, "Amazon
      ECS EventBridge IAM role": PassRole for each task execution role and task role);
    - with ``tags_tasks`` (tags propagated to the tasks), ecs:TagResource on the tasks of this cluster, only while
      RunTask creates them: ECS authorizes tags on creation separately, and only when there are tags (ECS Developer
      Guide, "Grant permission to tag resources on creation");
    - sqs:SendMessage on the dead-letter queue (EventBridge Scheduler User Guide, "Configuring a dead-letter queue":
      Scheduler delivers dead letters with the schedule's execution role, so no queue policy is needed).
    """
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": pulumi.Output.concat(account.arn("ecs", "task-definition/"), family, ":*"),
            "Condition": {"ArnEquals": {"ecs:cluster": pulumi.Output.concat(account.arn("ecs", "cluster/"),
                                                                           cluster_name)}},
        },
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": passed_roles,
            "Condition": {"StringEquals": {"iam:PassedToService": _ECS_TASKS}},
        },
    ]
    if tags_tasks:
        statements.append({
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": pulumi.Output.concat(account.arn("ecs", "task/"), cluster_name, "/*"),
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
        })
    statements.append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": dead_letter_arn})
    return statements


# Checks -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedSchedule:
    """A ScheduledTask's schedule settings with their defaults applied and their bounds checked."""

    expression: str
    timezone: str
    retry_attempts: int
    event_age_seconds: int
    on_demand: bool
    enabled: bool
    alarm_actions: list[pulumi.Input[str]]

    @property
    def capacity_provider(self) -> CapacityProvider:
        return CapacityProvider.FARGATE if self.on_demand else CapacityProvider.FARGATE_SPOT

    @property
    def default_stop_timeout(self) -> int:
        """Spot's two-minute notice on Spot; the web default on demand."""
        return defaults.STOP_TIMEOUT_SECONDS if self.on_demand else defaults.SCHEDULED_TASK_STOP_TIMEOUT_SECONDS


def checked_settings(args: Mapping[str, Any]) -> CheckedSchedule:
    """The schedule settings of ScheduledTask args with their defaults, or ValueError naming the first problem."""
    expression = args.get("schedule")
    if not isinstance(expression, str):
        raise ValueError(f"schedule must be a rate(...) or cron(...) expression; got {expression!r}")
    timezone = args.get("timezone", defaults.SCHEDULE_TIMEZONE)
    retry = args.get("retry", {})
    if not isinstance(retry, Mapping):
        raise ValueError(f"retry must hold maximum_retry_attempts and/or maximum_event_age_seconds; got {retry!r}")
    attempts = retry.get("maximum_retry_attempts", defaults.SCHEDULE_RETRY_ATTEMPTS)
    age = retry.get("maximum_event_age_seconds", defaults.SCHEDULE_MAX_EVENT_AGE_SECONDS)
    for problem in (schedule_problem(expression), timezone_problem(timezone), retry_problem(attempts, age)):
        if problem:
            raise ValueError(problem)
    actions = args.get("alarm_actions", [])
    if not isinstance(actions, (list, tuple)):
        raise ValueError(f"alarm_actions must be a list of SNS topic ARNs; got {actions!r}")
    return CheckedSchedule(
        expression=expression.strip(),
        timezone=timezone,
        retry_attempts=int(attempts),
        event_age_seconds=int(age),
        on_demand=_flag(args, "on_demand", defaults.SCHEDULED_TASK_ON_DEMAND),
        enabled=_flag(args, "enabled", defaults.SCHEDULE_ENABLED),
        alarm_actions=list(actions),
    )


def _flag(args: Mapping[str, Any], key: str, default: bool) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false; got {value!r}")
    return value


def retry_problem(maximum_retry_attempts: Any, maximum_event_age_seconds: Any) -> Optional[str]:
    """Why a retry policy would be refused, or None (EventBridge Scheduler RetryPolicy: MaximumRetryAttempts 0 to
    185, MaximumEventAgeInSeconds 60 to 86400, whole numbers)."""
    for key, value, low, high in (
        ("maximum_retry_attempts", maximum_retry_attempts,
         defaults.MIN_SCHEDULE_RETRY_ATTEMPTS, defaults.MAX_SCHEDULE_RETRY_ATTEMPTS),
        ("maximum_event_age_seconds", maximum_event_age_seconds,
         defaults.MIN_SCHEDULE_EVENT_AGE_SECONDS, defaults.MAX_SCHEDULE_EVENT_AGE_SECONDS),
    ):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not low <= value <= high:
            return f"retry.{key} must be a whole number from {low} to {high}; got {value!r}"
    return None


_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Keys the system's time zone database offers that are not time zones: the host's own setting and placeholders."""


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def timezone_problem(name: Any) -> Optional[str]:
    """Why ``name`` is not an IANA time zone EventBridge Scheduler can evaluate a schedule in, or None.

    Names are checked against the IANA database Python's zoneinfo reads (the system's, or the tzdata package).
    Where neither is installed nothing can be checked, and only "UTC" is known for certain."""
    if not isinstance(name, str) or not name:
        return f"timezone must be an IANA time zone name such as Europe/Paris or UTC; got {name!r}"
    zones = _zones()
    if name == "UTC" or (not zones and re.fullmatch(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*", name)):
        return None
    if name not in zones:
        hint = validation.did_you_mean(name, sorted(zones)) or "; for example Europe/Paris or UTC"
        return f"timezone {name!r} is not an IANA time zone name{hint}"
    return None


# Schedule expressions ---------------------------------------------------------------------------------------------
# EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler": rate(value unit), where the value is a
# positive whole number and the unit minute(s), hour(s) or day(s); cron(fields) with six fields (minutes, hours,
# day-of-month, month, day-of-week, year) whose values and wildcards are those of EventBridge's cron expressions;
# at(yyyy-mm-ddThh:mm:ss) for a one-time schedule. EventBridge's rate reference adds that a value of 1 takes the
# singular unit and any other value the plural one ("rate(1 hours) and rate(5 hour) aren't valid").

_EXPRESSION = re.compile(r"^(rate|cron|at)\((.*)\)$")
_RATE = re.compile(r"^(\S+)\s+(\S+)$")
_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}
_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                       "DEC"), start=1)}
_WEEKDAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    step: bool
    """Whether the / wildcard (increments) is allowed."""
    max_step: int


# Cron fields, their values and wildcards (EventBridge User Guide, "Cron expressions reference"): minutes 0-59
# (, - * /), hours 0-23 (, - * /), day-of-month 1-31 (, - * ? / L W), month 1-12 or JAN-DEC (, - * /), day-of-week
# 1-7 or SUN-SAT (, - * ? L #), year 1970-2199 (, - * /).
_CRON_FIELDS = (
    _CronField("minutes", 0, 59, {}, True, 59),
    _CronField("hours", 0, 23, {}, True, 23),
    _CronField("day-of-month", 1, 31, {}, True, 31),
    _CronField("month", 1, 12, _MONTHS, True, 12),
    _CronField("day-of-week", 1, 7, _WEEKDAYS, False, 7),
    _CronField("year", 1970, 2199, {}, True, 2199 - 1970 + 1),
)
_DAY_OF_MONTH, _DAY_OF_WEEK = 2, 4


def schedule_problem(expression: Any, *, allow_one_time: bool = False) -> Optional[str]:
    """Why ``expression`` is not a schedule EventBridge Scheduler accepts, or None.

    A ScheduledTask recurs, so ``at(...)`` (a one-time schedule) is refused unless ``allow_one_time``."""
    if not isinstance(expression, str):
        return f"schedule must be a rate(...) or cron(...) expression; got {expression!r}"
    match = _EXPRESSION.match(expression.strip())
    if not match:
        return (f"schedule {expression!r} must be rate(value unit) or cron(minutes hours day-of-month month "
                "day-of-week year)")
    kind, body = match.groups()
    if kind == "rate":
        return _rate_problem(expression, body)
    if kind == "cron":
        return _cron_problem(expression, body)
    if not allow_one_time:
        return f"schedule {expression!r} runs once; a scheduled task recurs: use rate(...) or cron(...)"
    return _at_problem(expression, body)


def _rate_problem(expression: str, body: str) -> Optional[str]:
    match = _RATE.match(body.strip())
    if not match:
        return f"schedule {expression!r}: a rate is rate(value unit), for example rate(5 minutes)"
    value, unit = match.groups()
    if not value.isdigit() or int(value) < 1:
        return f"schedule {expression!r}: a rate's value is a whole number of at least 1; got {value!r}"
    plural = {p: s for s, p in _RATE_UNITS.items()}
    if unit not in _RATE_UNITS and unit not in plural:
        return f"schedule {expression!r}: a rate's unit is minute(s), hour(s) or day(s); got {unit!r}"
    singular = unit if unit in _RATE_UNITS else plural[unit]
    wanted = singular if int(value) == 1 else _RATE_UNITS[singular]
    if unit != wanted:
        return f"schedule {expression!r}: rate({int(value)} ...) takes the unit {wanted!r}, not {unit!r}"
    return None


def _at_problem(expression: str, body: str) -> Optional[str]:
    import datetime

    try:
        valid = bool(_AT.match(body)) and datetime.datetime.fromisoformat(body) is not None
    except ValueError:
        valid = False
    if not valid:
        return f"schedule {expression!r}: a one-time schedule is at(yyyy-mm-ddThh:mm:ss)"
    return None


def _cron_problem(expression: str, body: str) -> Optional[str]:
    fields = body.split()
    if len(fields) != len(_CRON_FIELDS):
        return (f"schedule {expression!r} has {len(fields)} cron fields; cron takes 6: minutes hours day-of-month "
                "month day-of-week year")
    for spec, text in zip(_CRON_FIELDS, fields):
        problem = _cron_field_problem(spec, text)
        if problem:
            return f"schedule {expression!r}: {problem}"
    day_of_month, day_of_week = fields[_DAY_OF_MONTH], fields[_DAY_OF_WEEK]
    if (day_of_month == "?") == (day_of_week == "?"):
        return (f"schedule {expression!r}: exactly one of day-of-month and day-of-week must be ? (the other one, a "
                "value or *, sets the days)")
    return None


def _cron_field_problem(spec: _CronField, text: str) -> Optional[str]:
    where = f"the {spec.name} field {text!r}"
    if text == "?":
        return None if spec.name in ("day-of-month", "day-of-week") else f"{where} cannot be ? (only days can)"
    items = text.split(",")
    if "#" in text and len(items) > 1:
        return f"{where} may hold only one expression with #"
    for item in items:
        problem = _cron_item_problem(spec, item)
        if problem:
            return f"{where}: {problem}"
    return None


def _cron_item_problem(spec: _CronField, item: str) -> Optional[str]:
    if not item:
        return "an empty value"
    if item == "?":
        return "? stands alone in its field"
    if spec.name == "day-of-month" and (item in ("L", "LW") or item.endswith("W")):
        return None if item in ("L", "LW") else _value_problem(spec, item[:-1])
    if spec.name == "day-of-week":
        if item == "L":
            return None
        if item.endswith("L"):
            return _value_problem(spec, item[:-1])
        if "#" in item:
            day, _, nth = item.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                return f"the week of the month after # is 1 to 5; got {nth!r}"
            return _value_problem(spec, day)
    base = item
    if "/" in item:
        if not spec.step:
            return "/ (increments) is not allowed here"
        base, _, step = item.partition("/")
        if not step.isdigit() or not 1 <= int(step) <= spec.max_step:
            return f"the increment after / must be 1 to {spec.max_step}; got {step!r}"
    if base == "*":
        return None
    for part in base.split("-", 1) if "-" in base else [base]:
        problem = _value_problem(spec, part)
        if problem:
            return problem
    return None


def _value_problem(spec: _CronField, token: str) -> Optional[str]:
    if token.isdigit():
        if not spec.low <= int(token) <= spec.high:
            return f"values are {spec.low} to {spec.high}; got {token}"
        return None
    if token.upper() in spec.names:
        return None
    names = f" or {min(spec.names, key=spec.names.get)}-{max(spec.names, key=spec.names.get)}" if spec.names else ""
    return f"values are {spec.low} to {spec.high}{names}; got {token!r}"


__all__ = [
    "CheckedSchedule", "ScheduleRetry", "ScheduledTask", "ScheduledTaskArgs", "checked_settings", "retry_problem",
    "schedule_problem", "scheduler_statements", "timezone_problem",
]
