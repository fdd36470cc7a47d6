"""QueueWorker: tasks that drain an SQS queue, on Spot with an on-demand base, scaled by the queue (to zero)."""

import math
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming, validation
from ._args import check_keys
from ._aws import AccountContext
from ._service import (
    Deployment,
    OnCallAlarms,
    Placement,
    ScalingPolicies,
    ServiceAlarms,
    ServiceConnect,
    admit_caller,
    alarm_thresholds_problem,
    checked_bounds,
    checked_service_connect,
    checked_strategy,
    deployment_defaults,
    fargate_service,
    managed_instances_problem,
    scalable_target,
    service_connect_configuration,
    task_security_group,
)
from ._volumes import infrastructure_role, volume_configuration
from .cluster import CapacityProviderStrategyItem
from .enums import WorkerScalingMode
from .task_definition import TaskArgs, TaskSpec
from .topics import Subscription, subscribe, subscription_problem

_PERIOD = 60
"""SQS publishes its queue-depth metrics every minute."""


class QueueArgs(TypedDict):
    """The work queue; its dead-letter queue keeps messages 14 days."""

    visibility_timeout_seconds: NotRequired[int]
    """Seconds a received message stays hidden; longer than the slowest message takes and than the task's stop
    timeout. Default: 300."""
    message_retention_seconds: NotRequired[int]
    """Seconds an unprocessed message is kept, 60 to 1209599 (shorter than the dead-letter queue's 14 days).
    Default: 345600 (4 days)."""
    max_receive_count: NotRequired[int]
    """Receives before a message moves to the dead-letter queue, 1 to 1000. Default: 5."""
    kms_key_arn: NotRequired[str]
    """Customer managed KMS key for both queues. Default: SQS-managed encryption (SSE-SQS)."""
    fifo: NotRequired[bool]
    """FIFO queues (ordered, exactly-once processing; what a FIFO topic delivers to). Cannot change later: a change
    replaces both queues and loses the messages in them. Default: false."""


class ScalingStep(TypedDict):
    """Add `add` tasks once `messages` are visible."""

    messages: int
    """Visible messages at which the step starts."""
    add: int
    """Tasks to add."""


class WorkerScaling(TypedDict):
    """How the worker follows its queue."""

    mode: NotRequired[WorkerScalingMode]
    """steps or backlog. Default: steps."""
    min_tasks: NotRequired[int]
    """Fewest tasks. Default: 0 (an idle worker costs nothing)."""
    max_tasks: NotRequired[int]
    """Most tasks. Default: 20."""
    scale_out_steps: NotRequired[list[ScalingStep]]
    """steps mode: thresholds and adjustments. Default: +1 from 100 messages, +5 from 500, +10 from 1000."""
    idle_minutes: NotRequired[int]
    """Minutes with nothing visible, nothing in flight and nothing arriving before the worker scales in, straight to
    min_tasks, 3 to 60. Default: 3."""
    acceptable_latency_seconds: NotRequired[float]
    """backlog mode: how long a message may wait. Default: 300."""
    seconds_per_message: NotRequired[float]
    """backlog mode: average seconds one task spends on a message. Default: 1."""
    scale_out_cooldown_seconds: NotRequired[int]
    """Seconds after a scale-out before the next. Default: 60."""
    scale_in_cooldown_seconds: NotRequired[int]
    """Seconds after a scale-in before the next. Default: 120."""


class QueueWorkerArgs(TypedDict):
    """Inputs of a QueueWorker."""

    placement: Placement
    """Cluster, VPC and private subnets the tasks run in."""
    task: TaskArgs
    """Image, size, configuration and permissions of the tasks. QUEUE_URL is added to the environment."""
    queue: NotRequired[QueueArgs]
    """The work queue. Default: SSE-SQS, 300 s visibility, 4 days retention, 5 receives."""
    protect_queues: NotRequired[bool]
    """Protect both queues from deletion and replacement (`protect`). Default: false."""
    scaling: NotRequired[WorkerScaling]
    """Queue-driven scaling. Default: steps, 0 to 20 tasks."""
    capacity_provider_strategy: NotRequired[list[CapacityProviderStrategyItem]]
    """Where tasks run. Default: FARGATE_SPOT weight 4, FARGATE weight 1 base 1."""
    managed_instances: NotRequired[pulumi.Input[str]]
    """Name of a Managed Instances capacity provider of the cluster (a Cluster's capacity_provider_names[...]): the
    tasks run there (a MANAGED_INSTANCES task definition) instead of on Fargate; not with
    capacity_provider_strategy. Default: none (Fargate)."""
    alarm_actions: NotRequired[list[pulumi.Input[str]]]
    """SNS topics told when the dead-letter queue receives a message (alarms.actions are told too). Default: none."""
    deployment: NotRequired[Deployment]
    """Rolling deployment bounds, waiting for rollouts and ECS Exec (a worker takes no traffic to shift, so its
    strategy is rolling). Default: 100% to 200%, no waiting, ECS Exec off."""
    service_connect: NotRequired[ServiceConnect]
    """Join a Service Connect namespace to reach its services by their short names; with a port, also be reached
    there (callers are let in with admit()). Default: none."""
    alarms: NotRequired[ServiceAlarms]
    """On-call alarms (oldest message age, tasks below desired, CPU, memory) and the topics they and the
    dead-letter alarm tell. Default: none."""
    subscriptions: NotRequired[list[Subscription]]
    """SNS topics whose messages arrive on the work queue (a FIFO topic needs a FIFO queue). Default: none."""
    renamed_from: NotRequired[str]
    """The name this component had before a rename: its resources keep their state under the new name (Pulumi
    aliases) instead of being deleted and created again. Keep it for as long as any stack may still hold the old
    name. Default: none."""


class QueueWorker(pulumi.ComponentResource):
    """An SQS work queue with a dead-letter queue and its alarm, and a Fargate service that drains it, scaled by
    the queue from zero, never scaled in while messages are in flight."""

    queue_url: pulumi.Output[str]
    """URL of the work queue (QUEUE_URL in the containers)."""
    queue_arn: pulumi.Output[str]
    """ARN of the work queue."""
    dead_letter_queue_url: pulumi.Output[str]
    """URL of the dead-letter queue."""
    dead_letter_queue_arn: pulumi.Output[str]
    """ARN of the dead-letter queue."""
    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    log_group_name: pulumi.Output[str]
    """Log group the containers write to."""
    task_role_arn: pulumi.Output[str]
    """Role the application runs as."""
    security_group_id: pulumi.Output[str]
    """Security group of the tasks (admit it on a database, or on a Service Connect service, to let the worker in)."""

    def __init__(self, name: str, args: QueueWorkerArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        naming.check_name("QueueWorker", name, naming.QUEUE_WORKER_CHILDREN)
        check_keys("QueueWorker", args, QueueWorkerArgs)
        problem = managed_instances_problem(args.get("managed_instances"), args.get("capacity_provider_strategy"))
        if problem:
            raise ValueError(problem)
        spec = TaskSpec.of(name, args["task"], default_stop_timeout=defaults.WORKER_STOP_TIMEOUT_SECONDS,
                           managed_instances="managed_instances" in args)
        queue_args = args.get("queue", {})
        scaling = args.get("scaling", {})
        mode = WorkerScalingMode(scaling.get("mode", defaults.WORKER_SCALING_MODE))
        min_tasks = int(scaling.get("min_tasks", defaults.WORKER_MIN_TASKS))
        max_tasks = int(scaling.get("max_tasks", defaults.WORKER_MAX_TASKS))
        steps = [
            (int(s["messages"]), int(s["add"]))
            for s in scaling.get("scale_out_steps", [{"messages": m, "add": a} for m, a in defaults.SCALE_OUT_STEPS])
        ]
        idle_minutes = int(scaling.get("idle_minutes", defaults.IDLE_MINUTES))
        strategy = checked_strategy(args.get("capacity_provider_strategy"), defaults.WORKER_CAPACITY_PROVIDER_STRATEGY)
        deployment = deployment_defaults(args.get("deployment", {}), shifts_traffic=False)
        placement = args["placement"]
        connect = checked_service_connect(name, args.get("service_connect"), default_port=None)
        alarm_settings = dict(args.get("alarms", {}))
        problem = alarm_thresholds_problem(alarm_settings, web=False)
        if problem:
            raise ValueError(problem)
        checked_bounds(min_tasks, max_tasks)
        validation.scale_out_steps(steps)
        if not defaults.MIN_IDLE_MINUTES <= idle_minutes <= defaults.MAX_IDLE_MINUTES:
            raise ValueError(f"idle_minutes must be {defaults.MIN_IDLE_MINUTES} to {defaults.MAX_IDLE_MINUTES}; "
                             f"got {idle_minutes}")
        target_backlog = _target_backlog(scaling) if mode is WorkerScalingMode.BACKLOG else None
        queue_settings = _queue_settings(queue_args)
        for problem in (
            visibility_timeout_problem(queue_settings["visibility"], spec.stop_timeout),
            dead_letter_retention_problem(queue_settings["retention"]),
            subscription_problem(list(args.get("subscriptions", [])), bool(queue_args.get("fifo", False))),
        ):
            if problem:
                raise ValueError(problem)

        opts = naming.renamed("QueueWorker", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:QueueWorker", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)
        # A protected queue survives a mistaken destroy or a rename that would replace it: messages are data.
        queue_opts = pulumi.ResourceOptions(parent=self, protect=bool(args.get("protect_queues", False)))

        encryption: dict[str, Any] = (
            {"kms_master_key_id": queue_args["kms_key_arn"], "kms_data_key_reuse_period_seconds": 300}
            if "kms_key_arn" in queue_args
            else {"sqs_managed_sse_enabled": True}
        )
        fifo = bool(queue_args.get("fifo", False))
        if fifo:
            # AWS requires the .fifo suffix, which Pulumi's auto-names lack: named here, replaced delete-first.
            queue_opts = pulumi.ResourceOptions.merge(queue_opts, pulumi.ResourceOptions(delete_before_replace=True))

        def fifo_names(suffix: str) -> dict[str, Any]:
            if not fifo:
                return {}
            return {"fifo_queue": True, "name": naming.fifo_name(
                pulumi.get_project(), pulumi.get_stack(), f"{name}{suffix}", naming.NAME_LIMITS["aws:sqs/queue:Queue"][1])}

        dead_letters = aws.sqs.Queue(
            f"{name}-dlq",
            message_retention_seconds=defaults.DEAD_LETTER_RETENTION_SECONDS,
            **encryption,
            **fifo_names("-dlq"),
            opts=queue_opts,
        )
        queue = aws.sqs.Queue(
            name,
            visibility_timeout_seconds=queue_settings["visibility"],
            message_retention_seconds=queue_settings["retention"],
            # Long polling: fewer empty receives, lower cost, messages seen as soon as they arrive.
            receive_wait_time_seconds=20,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": account.queue_arn(dead_letters.name),
                 "maxReceiveCount": queue_settings["max_receives"]}
            ),
            **encryption,
            **fifo_names(""),
            opts=queue_opts,
        )
        subscribe(name, account.queue_arn(queue.name), account.queue_url(queue.name),
                  list(args.get("subscriptions", [])), child)
        # Only this worker's queue may send its failures to this dead-letter queue.
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq",
            queue_url=account.queue_url(dead_letters.name),
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [account.queue_arn(queue.name)]}
            ),
            opts=child,
        )
        alarm_actions = list(args.get("alarm_actions", []))
        alarm_actions += [a for a in alarm_settings.get("actions", []) if a not in alarm_actions]
        _visible_above(
            f"{name}-dlq-not-empty", dead_letters.name, 0,
            f"Messages of {name} failed {queue_settings['max_receives']} times and wait in the dead-letter queue",
            alarm_actions, child, actions_enabled=True, ok_actions=alarm_actions,
        )

        consume: list[pulumi.Input[dict[str, Any]]] = [
            {
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                "Resource": account.queue_arn(queue.name),
            }
        ]
        if "kms_key_arn" in queue_args:
            consume.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": queue_args["kms_key_arn"]})
        task = spec.build(
            self,
            # A worker exposing a port through Service Connect names it in its port mapping (the portName).
            port=connect.port if connect is not None else None,
            extra_environment={"QUEUE_URL": account.queue_url(queue.name)},
            task_role_statements=consume,
            enable_execute_command=deployment.enable_execute_command,
            execute_command_log_group=placement.get("execute_command_log_group_name"),
        )
        security_group = task_security_group(name, placement["vpc_id"], f"Tasks of {name}: nothing in, HTTPS out", child,
                                             spec.egress)
        permissions, volumes = list(task.permissions), {}
        ebs = args["task"].get("ebs_volume")
        if ebs is not None:
            volumes_role, volume_permissions = infrastructure_role(name, ebs, self)
            permissions += volume_permissions
            volumes["volume_configuration"] = volume_configuration(ebs, account.role_arn(volumes_role.name))
        service = fargate_service(
            name,
            cluster_arn=placement["cluster_arn"],
            task_definition=task.task_definition,
            desired_count=min_tasks,
            strategy=strategy,
            subnet_ids=placement["subnet_ids"],
            security_group=security_group,
            deployment=deployment,
            parent=self,
            permissions=permissions,
            extra_security_group_ids=spec.security_group_ids,
            **volumes,
            managed_instances=args.get("managed_instances"),
            service_connect_configuration=(
                service_connect_configuration(connect, task.log_group.name, account.region)
                if connect is not None else None),
        )
        oncall = OnCallAlarms(name, alarm_settings, child)
        oncall.service_health(placement["cluster_name"], service.name)
        if oncall.paging:
            # Backlog mode promises a latency: a message waiting longer breaks that promise.
            default_age = (scaling.get("acceptable_latency_seconds", defaults.ACCEPTABLE_LATENCY_SECONDS)
                           if mode is WorkerScalingMode.BACKLOG else defaults.OLDEST_MESSAGE_AGE_SECONDS)
            age = float(alarm_settings.get("oldest_message_age_seconds", default_age))
            minutes = defaults.OLDEST_MESSAGE_MINUTES
            oncall.add("oldest-message", f"A message has waited in the {name} queue for more than {age:g} s",
                       namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                       dimensions={"QueueName": queue.name}, statistic="Maximum", period=defaults.ALARM_PERIOD_SECONDS,
                       evaluation_periods=minutes, datapoints_to_alarm=minutes, threshold=age,
                       comparison_operator="GreaterThanThreshold")

        target = scalable_target(f"{name}-scaling", placement["cluster_name"], service, min_tasks, max_tasks, child)
        metrics = _Metrics(queue.name, placement["cluster_name"], service.name)
        _scaling_alarms(
            name, ScalingPolicies(name, target, self), metrics, mode=mode, steps=steps, idle_minutes=idle_minutes,
            min_tasks=min_tasks, max_tasks=max_tasks, target_backlog=target_backlog, scale_out_cooldown=int(scaling.get("scale_out_cooldown_seconds", defaults.WORKER_SCALE_OUT_COOLDOWN_SECONDS)),
            scale_in_cooldown=int(scaling.get("scale_in_cooldown_seconds", defaults.WORKER_SCALE_IN_COOLDOWN_SECONDS)),
            opts=child,
        )

        self.service = service
        """The aws.ecs.Service, for escape hatches."""
        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.dead_letter_queue_url = dead_letters.url
        self.dead_letter_queue_arn = dead_letters.arn
        self.service_name = service.name
        self.log_group_name = task.log_group.name
        self.task_role_arn = task.task_role.arn
        self.security_group_id = security_group.id
        self._admission = (name, connect.port if connect is not None else None, security_group,
                           args.get("renamed_from"))
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
                "service_name": self.service_name,
                "log_group_name": self.log_group_name,
                "task_role_arn": self.task_role_arn,
                "security_group_id": self.security_group_id,
            }
        )

    def admit(self, caller: str, security_group_id: pulumi.Input[str],
              caller_renamed_from: Optional[str] = None) -> aws.vpc.SecurityGroupIngressRule:
        """Let the tasks in ``security_group_id`` (the service ``caller``) reach this worker's Service Connect port,
        and only that port: an ingress rule `<name>-from-<caller>` from that security group, plus the matching egress
        rule on it; ``caller_renamed_from`` is the caller's name before a rename, so the rules keep their state.
        ValueError when the worker exposes no port (a client only)."""
        name, port, group, renamed_from = self._admission
        return admit_caller(self, name, caller, security_group_id, port, group,
                            before=(renamed_from or name, caller_renamed_from or caller))


def visibility_timeout_problem(visibility_timeout_seconds: int, stop_timeout_seconds: int) -> Optional[str]:
    """Why a queue's visibility timeout does not fit the task's stop timeout, or None.

    A task told to stop (a Spot interruption, a scale-in, a deployment) may keep working on a message for its whole
    stop timeout. If the message became visible again before then, another task would receive it while the first
    still processes it: the visibility timeout must be longer than the stop timeout.
    """
    if visibility_timeout_seconds <= stop_timeout_seconds:
        return (
            f"queue.visibility_timeout_seconds ({visibility_timeout_seconds}) must be greater than the task's "
            f"stop_timeout_seconds ({stop_timeout_seconds}), or a message a stopping task still works on is "
            "delivered again"
        )
    return None


def dead_letter_retention_problem(
    message_retention_seconds: int, dead_letter_retention_seconds: int = defaults.DEAD_LETTER_RETENTION_SECONDS,
) -> Optional[str]:
    """Why a queue's retention does not fit its dead-letter queue's, or None.

    A message keeps its original enqueue timestamp when SQS moves it to a standard dead-letter queue, so the
    dead-letter queue's retention must be longer than the source queue's or failed messages expire there early (SQS
    Developer Guide, "Setting-up dead-letter queue retention"). The dead-letter queue keeps 14 days, the SQS maximum,
    so the work queue must keep less than 14 days.
    """
    if message_retention_seconds >= dead_letter_retention_seconds:
        return (
            f"queue.message_retention_seconds ({message_retention_seconds}) must be shorter than the dead-letter "
            f"queue's {dead_letter_retention_seconds} s: a failed message keeps its enqueue time and would expire "
            "from the dead-letter queue early"
        )
    return None


def _queue_settings(queue: QueueArgs) -> dict[str, int]:
    settings = {
        "visibility": int(queue.get("visibility_timeout_seconds", defaults.QUEUE_VISIBILITY_TIMEOUT_SECONDS)),
        "retention": int(queue.get("message_retention_seconds", defaults.QUEUE_RETENTION_SECONDS)),
        "max_receives": int(queue.get("max_receive_count", defaults.MAX_RECEIVE_COUNT)),
    }
    # SQS CreateQueue attribute limits.
    for key, label, low, high in (
        ("visibility", "visibility_timeout_seconds", 0, 43200),
        ("retention", "message_retention_seconds", 60, 1209600),
        ("max_receives", "max_receive_count", 1, 1000),
    ):
        if not low <= settings[key] <= high:
            raise ValueError(f"queue.{label} must be {low} to {high}; got {settings[key]}")
    if "kms_key_arn" in queue:
        validation.arn(queue["kms_key_arn"], "kms", "key/")
    return settings


def _target_backlog(scaling: WorkerScaling) -> float:
    """Messages one task may have waiting so that none waits longer than the acceptable latency (the AWS recipe
    for SQS consumers: acceptable latency / seconds per message)."""
    latency = float(scaling.get("acceptable_latency_seconds", defaults.ACCEPTABLE_LATENCY_SECONDS))
    per_message = float(scaling.get("seconds_per_message", defaults.SECONDS_PER_MESSAGE))
    if latency <= 0 or per_message <= 0:
        raise ValueError("acceptable_latency_seconds and seconds_per_message must be above 0")
    target = latency / per_message
    if target < 1:
        raise ValueError(
            f"a message takes {per_message} s but may wait only {latency} s: no backlog per task can meet that"
        )
    return target


def _visible_above(
    name: str, queue_name: pulumi.Input[str], threshold: int, description: str,
    actions: list[pulumi.Input[str]], opts: pulumi.ResourceOptions, **extra: Any,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm on a queue holding more than `threshold` visible messages in a one-minute period."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue_name},
        statistic="Maximum",
        period=_PERIOD,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=actions,
        **extra,
        opts=opts,
    )


class _Metrics:
    """The CloudWatch metrics the scaling alarms read, as metric-math queries."""

    def __init__(self, queue_name: pulumi.Input[str], cluster_name: pulumi.Input[str],
                 service_name: pulumi.Input[str]) -> None:
        self.queue_name, self.cluster_name, self.service_name = queue_name, cluster_name, service_name

    def sqs(self, query_id: str, metric: str, stat: str = "Maximum") -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": "AWS/SQS",
                "metric_name": metric,
                "dimensions": {"QueueName": self.queue_name},
                "period": _PERIOD,
                "stat": stat,
            },
        }

    def running_tasks(self, query_id: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": "ECS/ContainerInsights",
                "metric_name": "RunningTaskCount",
                "dimensions": {"ClusterName": self.cluster_name, "ServiceName": self.service_name},
                "period": _PERIOD,
                "stat": "Maximum",
            },
        }


def wake_steps(mode: WorkerScalingMode, steps: list[tuple[int, int]], target_backlog: Optional[float],
               max_tasks: int) -> list[tuple[int, int]]:
    """(visible messages, tasks to start) when the worker wakes from zero: one task for a few messages, more at
    once for a backlog, so a burst found at zero tasks does not wait for the scale-out alarm's next minutes.

    steps mode starts what the scale-out steps would add; backlog mode starts enough tasks for the backlog target
    (2, 5, 10, 20... tasks at that many times the target backlog per task)."""
    if mode is WorkerScalingMode.STEPS:
        table = [(0, 1), *steps]
    else:
        assert target_backlog is not None
        table = [(0, 1)] + [(math.ceil(k * target_backlog), k) for k in (2, 5, 10, 20, 50, 100) if k <= max_tasks]
    return [(messages, min(add, max_tasks)) for messages, add in table]


def _step_adjustments(table: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Step adjustments of an alarm whose threshold is 0: each row from its messages to the next row's."""
    adjustments = []
    for index, (messages, add) in enumerate(table):
        adjustment: dict[str, Any] = {"metric_interval_lower_bound": str(messages), "scaling_adjustment": add}
        if index + 1 < len(table):
            adjustment["metric_interval_upper_bound"] = str(table[index + 1][0])
        adjustments.append(adjustment)
    return adjustments


def _scaling_alarms(
    name: str, policies: ScalingPolicies, metrics: _Metrics, *, mode: WorkerScalingMode,
    steps: list[tuple[int, int]], idle_minutes: int, min_tasks: int, max_tasks: int,
    target_backlog: Optional[float], scale_out_cooldown: int, scale_in_cooldown: int, opts: pulumi.ResourceOptions,
) -> None:
    def step_policy(suffix: str, cooldown: int, adjustments: list[dict[str, Any]],
                    adjustment_type: str = "ChangeInCapacity") -> aws.appautoscaling.Policy:
        return policies.add(suffix, "StepScaling", step_scaling_policy_configuration={
            "adjustment_type": adjustment_type,
            "cooldown": cooldown,
            "metric_aggregation_type": "Maximum",
            "step_adjustments": adjustments,
        })

    # Wake-up, both modes: with no task running, the visible messages start tasks. "No task" is read from the
    # running task count (missing, as at zero tasks, counts as none) and confirmed by SQS itself: nothing was
    # received and nothing is in flight. A late Container Insights datapoint, which FILL would read as zero tasks
    # while tasks run, is thereby not enough to add a task (CloudWatch metric math guide on FILL and late data).
    wake = step_policy("wake", max(scale_out_cooldown, defaults.WAKE_COOLDOWN_SECONDS),
                       _step_adjustments(wake_steps(mode, steps, target_backlog, max_tasks)))
    aws.cloudwatch.MetricAlarm(
        f"{name}-wake",
        alarm_description=f"{name} has messages waiting and no task running or receiving",
        comparison_operator="GreaterThanThreshold",
        threshold=0,
        evaluation_periods=1,
        treat_missing_data="notBreaching",
        metric_queries=[
            metrics.sqs("visible", "ApproximateNumberOfMessagesVisible"),
            metrics.sqs("inflight", "ApproximateNumberOfMessagesNotVisible"),
            metrics.sqs("received", "NumberOfMessagesReceived", "Sum"),
            metrics.running_tasks("tasks"),
            {"id": "wake", "expression": "IF(FILL(tasks, 0) < 1 AND inflight < 1 AND received < 1, visible, 0)",
             "label": "Messages waiting with no task at work", "return_data": True},
        ],
        alarm_actions=[wake.arn],
        opts=opts,
    )

    if mode is WorkerScalingMode.STEPS:
        threshold = steps[0][0]
        scale_out = step_policy("scale-out", scale_out_cooldown,
                                _step_adjustments([(messages - threshold, add) for messages, add in steps]))
        _visible_above(f"{name}-scale-out", metrics.queue_name, threshold,
                      f"{name} has more than {threshold} messages waiting", [scale_out.arn], opts)
    else:
        policies.add(
            "backlog",
            "TargetTrackingScaling",
            target_tracking_scaling_policy_configuration={
                "target_value": target_backlog,
                # Scale-in belongs to the idle alarm below, which also waits for in-flight and arriving messages.
                "disable_scale_in": True,
                "scale_out_cooldown": scale_out_cooldown,
                "customized_metric_specification": {
                    "metrics": [
                        _tracking_metric("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                         [("QueueName", metrics.queue_name)], "Sum"),
                        _tracking_metric("tasks", "ECS/ContainerInsights", "RunningTaskCount",
                                         [("ClusterName", metrics.cluster_name),
                                          ("ServiceName", metrics.service_name)], "Average"),
                        {"id": "backlog", "expression": "visible / tasks", "label": "Backlog per task",
                         "return_data": True},
                    ]
                },
            },
        )

    # Scale-in, both modes: once nothing has been visible, in flight or sent for idle_minutes in a row, straight to
    # the minimum, so a drained burst stops paying for its tasks at once. Counting sent messages keeps a steady
    # trickle (a queue that is empty whenever it is sampled) from scaling to zero and back every few minutes, and
    # nothing in flight means no task is stopped mid-message.
    scale_in = step_policy("scale-in", scale_in_cooldown,
                           [{"metric_interval_upper_bound": "0", "scaling_adjustment": min_tasks}],
                           adjustment_type="ExactCapacity")
    aws.cloudwatch.MetricAlarm(
        f"{name}-scale-in",
        alarm_description=f"{name} has had nothing visible, in flight or arriving for {idle_minutes} minutes",
        comparison_operator="LessThanOrEqualToThreshold",
        threshold=0,
        evaluation_periods=idle_minutes,
        datapoints_to_alarm=idle_minutes,
        # A missing datapoint is not evidence of an idle queue.
        treat_missing_data="notBreaching",
        metric_queries=[
            metrics.sqs("visible", "ApproximateNumberOfMessagesVisible"),
            metrics.sqs("inflight", "ApproximateNumberOfMessagesNotVisible"),
            metrics.sqs("sent", "NumberOfMessagesSent", "Sum"),
            {"id": "pending", "expression": "visible + inflight + sent",
             "label": "Visible, in-flight and arriving messages", "return_data": True},
        ],
        alarm_actions=[scale_in.arn],
        opts=opts,
    )


def _tracking_metric(query_id: str, namespace: str, metric: str, dimensions: list[tuple[str, Any]],
                     stat: str) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": False,
        "metric_stat": {
            "stat": stat,
            "metric": {
                "namespace": namespace,
                "metric_name": metric,
                "dimensions": [{"name": n, "value": v} for n, v in dimensions],
            },
        },
    }

