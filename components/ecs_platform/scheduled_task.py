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
:func:`retry_problem` (defined in :mod:`ecs_platform.schedules`, which needs no SDK).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming
from ._args import check_keys
from ._aws import AccountContext, policy_document, service_trust_policy
from ._service import Placement, task_security_group
from .enums import CapacityProvider
from .schedules import retry_problem, schedule_problem, timezone_problem
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

EBS_ON_SCHEDULE = ("ebs_volume applies to services and workers: EventBridge Scheduler's ECS target (EcsParameters) "
                   "has no volume configurations to give a run its EBS volume; use scratchPaths or "
                   "ephemeralStorageGib")


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
    managed_instances: NotRequired[pulumi.Input[str]]
    """Name of a Managed Instances capacity provider of the cluster: runs go there (a MANAGED_INSTANCES task
    definition) instead of Fargate; on_demand does not apply. Default: none (Fargate)."""
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
        if "ebs_volume" in args["task"]:
            raise ValueError(EBS_ON_SCHEDULE)
        managed = args.get("managed_instances")
        if managed is not None and "on_demand" in args:
            raise ValueError("on_demand chooses between FARGATE and FARGATE_SPOT; with managed_instances the capacity "
                             "provider's capacity decides. Remove on_demand")
        spec = TaskSpec.of(name, args["task"], default_stop_timeout=settings.default_stop_timeout,
                           managed_instances=managed is not None)
        placement = args["placement"]

        opts = naming.renamed("ScheduledTask", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:ScheduledTask", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)

        task = spec.build(self)
        security_group = task_security_group(name, placement["vpc_id"], f"Tasks of {name}: nothing in, HTTPS out",
                                             child, spec.egress)
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
                    "capacity_provider_strategies": [{"capacity_provider": settings.capacity_provider.value
                                                      if managed is None else managed, "weight": 1}],
                    "network_configuration": {
                        "subnets": placement["subnet_ids"],
                        "security_groups": [security_group.id, *spec.security_group_ids],
                        # pulumi-aws takes a bool here and sends DISABLED (terraform-provider-aws scheduler flex.go).
                        "assign_public_ip": False,
                    },
                    "enable_ecs_managed_tags": True,
                    "propagate_tags": PROPAGATE_TAGS,
                    # Fargate's only: RunTask on Managed Instances takes no platform version.
                    "platform_version": "LATEST" if managed is None else None,
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


__all__ = [
    "CheckedSchedule", "ScheduleRetry", "ScheduledTask", "ScheduledTaskArgs", "checked_settings", "retry_problem",
    "schedule_problem", "scheduler_statements", "timezone_problem",
]
