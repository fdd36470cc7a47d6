"""QueueWorker component: queues, dead letters, Spot placement and queue-driven scaling in both modes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecs_platform import CapacityProvider, CpuArchitecture, QueueWorker, WorkerScalingMode
from ecs_platform.queue_worker import dead_letter_retention_problem, visibility_timeout_problem
from ecs_platform.testing import ProgramRun

from .helpers import PLACEMENT, alarm_expression, breaches, containers, policy, refusal_of, statements_by_action

QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY = "aws:appautoscaling/policy:Policy"
SERVICE = "aws:ecs/service:Service"


def worker(run_component, **overrides: Any) -> ProgramRun:
    args: dict[str, Any] = {
        "placement": PLACEMENT,
        "task": {"image": "example/orders:1.0"},
    }
    args.update(overrides)
    return run_component(lambda: QueueWorker("orders", args))


def step_policy(run: ProgramRun, suffix: str) -> dict:
    return run.one(POLICY, f"orders-{suffix}").inputs["stepScalingPolicyConfiguration"]


def alarm_of(run: ProgramRun, suffix: str):
    return run.one(ALARM, f"orders-{suffix}")


# Queues --------------------------------------------------------------------------------------------------------


def test_work_queue_is_encrypted_with_long_polling(run_component) -> None:
    queue = worker(run_component).one(QUEUE, "orders").inputs
    assert queue["sqsManagedSseEnabled"] is True
    assert queue["receiveWaitTimeSeconds"] == 20


def test_queue_timeouts_follow_args(run_component) -> None:
    run = worker(run_component, queue={"visibility_timeout_seconds": 900, "message_retention_seconds": 86400})
    queue = run.one(QUEUE, "orders").inputs
    assert (queue["visibilityTimeoutSeconds"], queue["messageRetentionSeconds"]) == (900, 86400)


def test_customer_key_replaces_sqs_managed_encryption(run_component) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    run = worker(run_component, queue={"kms_key_arn": key})
    for queue in run.of_type(QUEUE):
        assert queue.inputs["kmsMasterKeyId"] == key and "sqsManagedSseEnabled" not in queue.inputs
    assert statements_by_action(policy(run.one("aws:iam/rolePolicy:RolePolicy", "orders-task")))["kms:Decrypt"] == key


def test_dead_letter_queue_keeps_messages_fourteen_days(run_component) -> None:
    dead_letters = worker(run_component).one(QUEUE, "orders-dlq").inputs
    assert dead_letters["messageRetentionSeconds"] == 14 * 24 * 3600
    assert dead_letters["sqsManagedSseEnabled"] is True


def test_failed_messages_are_redriven_after_max_receives(run_component) -> None:
    run = worker(run_component, queue={"max_receive_count": 3})
    redrive = json.loads(run.one(QUEUE, "orders").inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": run.one(QUEUE, "orders-dlq").outputs["arn"], "maxReceiveCount": 3}


def test_only_this_queue_may_redrive_into_the_dead_letter_queue(run_component) -> None:
    run = worker(run_component)
    allow = run.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs
    assert allow["queueUrl"] == run.one(QUEUE, "orders-dlq").id
    assert json.loads(allow["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue", "sourceQueueArns": [run.one(QUEUE, "orders").outputs["arn"]]}


def refusal(run_component, **overrides: Any) -> str:
    """The one-line refusal of a QueueWorker, checked to come before the component or any child registers."""
    args: dict[str, Any] = {"placement": PLACEMENT, "task": {"image": "example/orders:1.0"}, **overrides}
    return refusal_of(run_component, lambda: QueueWorker("orders", args))


def test_visibility_timeout_not_above_the_stop_timeout_is_refused_before_registration(run_component) -> None:
    # Worker tasks get 120 s to stop: a message visible again after 120 s reaches a second task mid-work.
    message = refusal(run_component, queue={"visibility_timeout_seconds": 120})
    assert ("queue.visibility_timeout_seconds (120) must be greater than the task's stop_timeout_seconds (120)"
            in message)


def test_retention_as_long_as_the_dead_letter_queues_is_refused_before_registration(run_component) -> None:
    message = refusal(run_component, queue={"message_retention_seconds": 14 * 24 * 3600})
    assert "queue.message_retention_seconds (1209600) must be shorter than the dead-letter queue's" in message


@pytest.mark.parametrize(("visibility", "stop", "refused"), [(121, 120, False), (120, 120, True), (30, 90, True)])
def test_visibility_timeout_problem_is_a_plain_check(visibility: int, stop: int, refused: bool) -> None:
    assert (visibility_timeout_problem(visibility, stop) is not None) is refused


@pytest.mark.parametrize(("retention", "refused"), [(14 * 24 * 3600 - 1, False), (14 * 24 * 3600, True)])
def test_dead_letter_retention_problem_is_a_plain_check(retention: int, refused: bool) -> None:
    assert (dead_letter_retention_problem(retention) is not None) is refused


def test_dead_letter_alarm_fires_on_the_first_message(run_component) -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:oncall"
    run = worker(run_component, alarm_actions=[topic])
    alarm = alarm_of(run, "dlq-not-empty").inputs
    assert alarm["namespace"] == "AWS/SQS" and alarm["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["dimensions"] == {"QueueName": run.one(QUEUE, "orders-dlq").outputs["name"]}
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["alarmActions"] == [topic]


def test_queues_are_unprotected_unless_asked(run_component) -> None:
    assert not any(q.protect for q in worker(run_component).of_type(QUEUE))


def test_protected_queues_survive_destroy_and_replacement(run_component) -> None:
    run = worker(run_component, protect_queues=True)
    assert all(q.protect for q in run.of_type(QUEUE))
    assert not run.one(SERVICE).protect


# Tasks ---------------------------------------------------------------------------------------------------------


def test_container_receives_the_queue_url(run_component) -> None:
    run = worker(run_component)
    environment = {e["name"]: e["value"] for e in containers(run, "orders")[0]["environment"]}
    assert environment["QUEUE_URL"] == run.one(QUEUE, "orders").outputs["url"]


def test_task_role_consumes_this_queue_only(run_component) -> None:
    run = worker(run_component)
    document = policy(run.one("aws:iam/rolePolicy:RolePolicy", "orders-task"))
    (statement,) = document["Statement"]
    assert sorted(statement["Action"]) == [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    assert statement["Resource"] == run.one(QUEUE, "orders").outputs["arn"]


def test_spot_tasks_get_the_full_two_minutes_to_stop(run_component) -> None:
    assert containers(worker(run_component), "orders")[0]["stopTimeout"] == 120


def test_spot_worker_keeps_one_on_demand_task(run_component) -> None:
    strategy = {s["capacityProvider"]: s for s in worker(run_component).one(SERVICE).inputs["capacityProviderStrategies"]}
    assert strategy["FARGATE_SPOT"] == {"capacityProvider": "FARGATE_SPOT", "weight": 4, "base": 0}
    assert strategy["FARGATE"] == {"capacityProvider": "FARGATE", "weight": 1, "base": 1}


def test_worker_has_no_load_balancer_and_no_inbound_rule(run_component) -> None:
    run = worker(run_component)
    assert not run.one(SERVICE).inputs.get("loadBalancers")
    assert not run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert run.one(SERVICE).inputs["networkConfiguration"]["assignPublicIp"] is False


def test_arm64_worker_runs_on_spot_too(run_component) -> None:
    run = worker(run_component, task={"image": "x:1", "cpu_architecture": CpuArchitecture.ARM64})
    providers = {s["capacityProvider"] for s in run.one(SERVICE).inputs["capacityProviderStrategies"]}
    assert providers == {"FARGATE", "FARGATE_SPOT"}
    assert run.one(SERVICE).inputs["platformVersion"] == "LATEST"


def test_arm64_worker_runs_on_demand(run_component) -> None:
    run = worker(run_component, task={"image": "x:1", "cpu_architecture": CpuArchitecture.ARM64},
                 capacity_provider_strategy=[{"capacity_provider": CapacityProvider.FARGATE, "weight": 1}])
    assert run.one(SERVICE).inputs["capacityProviderStrategies"][0]["capacityProvider"] == "FARGATE"


# Scaling: shared ---------------------------------------------------------------------------------------------


def test_idle_worker_costs_nothing_and_scales_to_twenty(run_component) -> None:
    run = worker(run_component)
    target = run.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 20)
    assert run.one(SERVICE).inputs["desiredCount"] == 0
    assert run.one(SERVICE).ignore_changes == ["desiredCount"]


def test_wake_up_starts_one_task_for_a_few_messages_and_what_the_steps_add_for_a_backlog(run_component) -> None:
    config = step_policy(worker(run_component), "wake")
    assert config["adjustmentType"] == "ChangeInCapacity"
    # Long enough for the task to start and Container Insights to report it, so a wake-up is not repeated.
    assert config["cooldown"] >= 300
    assert config["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": "100", "scalingAdjustment": 1},
        {"metricIntervalLowerBound": "100", "metricIntervalUpperBound": "500", "scalingAdjustment": 1},
        {"metricIntervalLowerBound": "500", "metricIntervalUpperBound": "1000", "scalingAdjustment": 5},
        {"metricIntervalLowerBound": "1000", "scalingAdjustment": 10},
    ]


def test_wake_up_in_backlog_mode_starts_tasks_for_multiples_of_the_target(run_component) -> None:
    run = worker(run_component, scaling={"mode": WorkerScalingMode.BACKLOG, "acceptable_latency_seconds": 300,
                                         "seconds_per_message": 10, "max_tasks": 6})
    adjustments = step_policy(run, "wake")["stepAdjustments"]
    assert [(a["metricIntervalLowerBound"], a["scalingAdjustment"]) for a in adjustments] == [
        ("0", 1), ("60", 2), ("150", 5)]


@pytest.mark.parametrize("mode", list(WorkerScalingMode))
def test_wake_up_fires_at_zero_tasks_with_messages_waiting(run_component, mode) -> None:
    alarm = alarm_of(worker(run_component, scaling={"mode": mode}), "wake")
    wake = alarm_expression(alarm)
    # No running task: Container Insights publishes nothing for the service, so the count is missing.
    assert breaches(alarm, wake(visible=3, tasks=None, inflight=0, received=0))
    assert breaches(alarm, wake(visible=3, tasks=0, inflight=0, received=0))
    assert not breaches(alarm, wake(visible=0, tasks=None, inflight=0, received=0))
    assert not breaches(alarm, wake(visible=500, tasks=2, inflight=2, received=12))


def test_wake_up_is_not_fooled_by_a_late_task_count_while_tasks_receive(run_component) -> None:
    alarm = alarm_of(worker(run_component), "wake")
    # The running task count is late (missing), but SQS saw messages received and in flight.
    assert not breaches(alarm, alarm_expression(alarm)(visible=40, tasks=None, inflight=3, received=18))


def test_wake_up_never_divides_by_the_task_count(run_component) -> None:
    (expression,) = [q["expression"] for q in alarm_of(worker(run_component), "wake").inputs["metricQueries"]
                     if q.get("expression")]
    assert "/" not in expression


@pytest.mark.parametrize("mode", list(WorkerScalingMode))
def test_scale_in_waits_for_three_idle_minutes_with_nothing_in_flight_or_arriving(run_component, mode) -> None:
    alarm = alarm_of(worker(run_component, scaling={"mode": mode}), "scale-in")
    pending = alarm_expression(alarm)
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (3, 3)
    assert alarm.inputs["comparisonOperator"] == "LessThanOrEqualToThreshold"
    metrics = {q["id"]: q["metric"]["metricName"] for q in alarm.inputs["metricQueries"] if q.get("metric")}
    assert sorted(metrics.values()) == ["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesVisible",
                                        "NumberOfMessagesSent"]
    assert breaches(alarm, pending(visible=0, inflight=0, sent=0))
    assert not breaches(alarm, pending(visible=0, inflight=4, sent=0))
    assert not breaches(alarm, pending(visible=0, inflight=0, sent=3))


def test_idle_minutes_set_how_long_the_queue_must_be_idle(run_component) -> None:
    alarm = alarm_of(worker(run_component, scaling={"idle_minutes": 10}), "scale-in")
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (10, 10)


def test_scale_in_goes_straight_to_the_minimum(run_component) -> None:
    config = step_policy(worker(run_component, scaling={"min_tasks": 2}), "scale-in")
    assert config["adjustmentType"] == "ExactCapacity"
    assert config["stepAdjustments"] == [{"metricIntervalUpperBound": "0", "scalingAdjustment": 2}]


# Scaling: steps mode -------------------------------------------------------------------------------------------


def test_steps_scale_out_alarm_watches_visible_messages_above_one_hundred(run_component) -> None:
    alarm = alarm_of(worker(run_component), "scale-out").inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (100, "GreaterThanThreshold")
    assert (alarm["period"], alarm["evaluationPeriods"]) == (60, 1)


def test_steps_add_one_task_from_one_hundred_five_from_five_hundred_and_ten_from_a_thousand(run_component) -> None:
    config = step_policy(worker(run_component), "scale-out")
    assert config["adjustmentType"] == "ChangeInCapacity" and config["cooldown"] == 60
    assert config["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": "400", "scalingAdjustment": 1},
        {"metricIntervalLowerBound": "400", "metricIntervalUpperBound": "900", "scalingAdjustment": 5},
        {"metricIntervalLowerBound": "900", "scalingAdjustment": 10},
    ]


def test_alarms_point_at_their_policies(run_component) -> None:
    run = worker(run_component)
    for suffix in ("wake", "scale-out", "scale-in"):
        assert alarm_of(run, suffix).inputs["alarmActions"] == [run.one(POLICY, f"orders-{suffix}").outputs["arn"]]


def test_zero_to_one_and_back(run_component) -> None:
    """Replays a minute-by-minute timeline through the alarms and policies the worker registered."""
    run = worker(run_component)
    wake, scale_out, scale_in = (alarm_of(run, s) for s in ("wake", "scale-out", "scale-in"))
    adjustments = {s: step_policy(run, s)["stepAdjustments"] for s in ("wake", "scale-out", "scale-in")}
    tasks, idle_minutes, history = 0, 0, []
    # (visible, in flight, sent, received) per minute: 5 messages arrive, one task works through them, it drains.
    for visible, inflight, sent, received in [(0, 0, 0, 0), (5, 0, 5, 0), (3, 2, 0, 2), (0, 1, 0, 3), (0, 0, 0, 0),
                                              (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0)]:
        running = tasks or None  # no task, no Container Insights datapoint
        if breaches(wake, alarm_expression(wake)(visible=visible, tasks=running, inflight=inflight, received=received)):
            tasks += adjustments["wake"][0]["scalingAdjustment"]
        elif breaches(scale_out, visible):
            tasks += adjustments["scale-out"][0]["scalingAdjustment"]
        idle_minutes = idle_minutes + 1 if breaches(scale_in, visible + inflight + sent) else 0
        if idle_minutes >= scale_in.inputs["evaluationPeriods"] and tasks > 0:
            tasks = adjustments["scale-in"][0]["scalingAdjustment"]
        history.append(tasks)
    assert history == [0, 1, 1, 1, 1, 1, 0, 0]


# Scaling: backlog mode ---------------------------------------------------------------------------------------


def backlog(run_component, **scaling: Any) -> ProgramRun:
    return worker(run_component, scaling={"mode": WorkerScalingMode.BACKLOG, **scaling})


def test_backlog_target_is_latency_over_seconds_per_message(run_component) -> None:
    run = backlog(run_component, acceptable_latency_seconds=120, seconds_per_message=0.5)
    config = run.one(POLICY, "orders-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["targetValue"] == 240


def test_backlog_is_visible_messages_per_running_task(run_component) -> None:
    config = backlog(run_component).one(POLICY, "orders-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    queries = {q["id"]: q for q in config["customizedMetricSpecification"]["metrics"]}
    assert queries["visible"]["metricStat"]["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert queries["tasks"]["metricStat"]["metric"]["namespace"] == "ECS/ContainerInsights"
    assert queries["tasks"]["metricStat"]["metric"]["metricName"] == "RunningTaskCount"
    (returned,) = [q for q in queries.values() if q.get("returnData")]
    assert returned["expression"] == "visible / tasks"


def test_backlog_tracking_leaves_scale_in_to_the_guarded_alarm(run_component) -> None:
    run = backlog(run_component)
    config = run.one(POLICY, "orders-backlog").inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["disableScaleIn"] is True
    assert sorted(a.name for a in run.of_type(ALARM)) == ["orders-dlq-not-empty", "orders-scale-in", "orders-wake"]


def test_backlog_that_no_task_can_meet_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="no backlog"):
        backlog(run_component, acceptable_latency_seconds=1, seconds_per_message=5)


@pytest.mark.parametrize(
    ("scaling", "message"),
    [
        ({"min_tasks": 5, "max_tasks": 2}, "above maxTasks"),
        ({"scale_out_steps": [{"messages": 500, "add": 5}, {"messages": 100, "add": 1}]}, "increase"),
        ({"scale_out_steps": [{"messages": 100, "add": 0}]}, "at least one task"),
        ({"idle_minutes": 1}, "3 to 60"),
    ],
    ids=["min above max", "steps out of order", "zero step", "too short an idle period"],
)
def test_bad_scaling_fails_before_registration(run_component, scaling: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        worker(run_component, scaling=scaling)


def test_scaling_policies_are_written_one_after_another(run_component) -> None:
    run = worker(run_component)
    policies = {p.name: p for p in run.of_type(POLICY)}
    urns = {p.urn for p in policies.values()}
    chained = [name for name, p in policies.items() if any(d in urns for d in p.dependencies)]
    assert len(chained) == len(policies) - 1
