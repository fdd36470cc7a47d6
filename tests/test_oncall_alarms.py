"""On-call alarms: what each watches, when it fires, whom it tells, and that there are none without a topic."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from ecs_platform import QueueWorker, WebService, WorkerScalingMode
from ecs_platform._service import alarm_thresholds_problem
from ecs_platform.testing import ProgramRun, Registration, run
from ecs_platform.toolchain import fidelity

from .helpers import LB_ARN_SUFFIX as LB
from .helpers import PLACEMENT, MetricMath, alarm_expression, breaches, web_args

TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"
PAGER = "arn:aws:sns:us-east-1:123456789012:pager"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GROUP = "aws:lb/targetGroup:TargetGroup"


def web(run_component, **overrides: Any) -> ProgramRun:
    return run_component(lambda: WebService("api", web_args(**overrides)))


def worker(run_component, **overrides: Any) -> ProgramRun:
    return run_component(lambda: QueueWorker("orders", {"placement": PLACEMENT, "task": {"image": "x:1"}, **overrides}))


def paged(run: ProgramRun, prefix: str) -> dict[str, Registration]:
    return {a.name.removeprefix(prefix): a for a in run.of_type(ALARM) if a.name.startswith(prefix)}


def metrics_of(alarm: Registration) -> dict[str, dict[str, Any]]:
    return {q["id"]: q["metric"] for q in alarm.inputs["metricQueries"] if q.get("metric")}


# No topic, no alarm ------------------------------------------------------------------------------------------


def test_no_alarms_without_actions(run_component) -> None:
    assert not web(run_component).of_type(ALARM)
    assert not web(run_component, alarms={"actions": []}).of_type(ALARM)
    # A worker keeps exactly its scaling alarms and the dead-letter alarm it always had.
    assert sorted(a.name for a in worker(run_component).of_type(ALARM)) == [
        "orders-dlq-not-empty", "orders-scale-in", "orders-scale-out", "orders-wake"]


def test_a_progressive_deployment_without_topics_gets_only_its_rollback_alarms(run_component) -> None:
    run = web(run_component, deployment={"strategy": "canary"})
    alarms = paged(run, "api-")
    assert sorted(alarms) == ["5xx-rate", "unhealthy-hosts"]
    assert all(not a.inputs.get("alarmActions") for a in alarms.values())


def test_every_web_alarm_tells_the_topics_on_alarm_and_on_ok(run_component) -> None:
    alarms = paged(web(run_component, alarms={"actions": [TOPIC, PAGER]}), "api-")
    assert sorted(alarms) == ["5xx-rate", "below-desired", "cpu-high", "memory-high", "p95-latency", "unhealthy-hosts"]
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [TOPIC, PAGER] and alarm.inputs["okActions"] == [TOPIC, PAGER]
        assert alarm.inputs["actionsEnabled"] is True and alarm.inputs["treatMissingData"] == "notBreaching"


# Web service ---------------------------------------------------------------------------------------------------


def test_5xx_rate_is_target_5xx_over_requests_of_the_target_group_3_of_5_minutes(run_component) -> None:
    run = web(run_component, alarms={"actions": [TOPIC], "target_5xx_rate_percent": 2})
    alarm = paged(run, "api-")["5xx-rate"]
    metrics = metrics_of(alarm)
    dimensions = {"TargetGroup": run.one(GROUP).outputs["arnSuffix"], "LoadBalancer": LB}
    assert (metrics["errors0"]["metricName"], metrics["errors0"]["stat"]) == ("HTTPCode_Target_5XX_Count", "Sum")
    assert (metrics["requests0"]["metricName"], metrics["requests0"]["stat"]) == ("RequestCount", "Sum")
    assert all(m["namespace"] == "AWS/ApplicationELB" and m["dimensions"] == dimensions for m in metrics.values())
    assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (2, "GreaterThanThreshold")
    assert (alarm.inputs["datapointsToAlarm"], alarm.inputs["evaluationPeriods"]) == (3, 5)
    rate = alarm_expression(alarm)
    assert breaches(alarm, rate(errors0=3, requests0=100))
    assert not breaches(alarm, rate(errors0=1, requests0=100))
    assert not breaches(alarm, rate(errors0=None, requests0=100))  # no 5XX: ALB publishes no count
    assert not breaches(alarm, rate(errors0=None, requests0=None))  # no traffic


def test_5xx_default_threshold_is_five_percent(run_component) -> None:
    assert paged(web(run_component, alarms={"actions": [TOPIC]}), "api-")["5xx-rate"].inputs["threshold"] == 5


def test_5xx_during_a_canary_reads_the_worse_target_group(run_component) -> None:
    run = web(run_component, deployment={"strategy": "canary"}, alarms={"actions": [TOPIC]})
    alarm = paged(run, "api-")["5xx-rate"]
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    alternate = run.one(GROUP, "api-tg-alt").outputs["arnSuffix"]
    assert queries["errors1"]["metric"]["dimensions"]["TargetGroup"] == alternate

    def evaluate(**values: Optional[float]) -> Optional[float]:
        rates = {f"rate{i}": MetricMath(queries[f"rate{i}"]["expression"])(**values) for i in (0, 1)}
        return alarm_expression(alarm)(**rates)

    # The canary gets 5% of the traffic and fails half of it: 2.5% overall, but its own group is at 50%.
    assert breaches(alarm, evaluate(errors0=None, requests0=950, errors1=25, requests1=50))
    assert not breaches(alarm, evaluate(errors0=None, requests0=950, errors1=None, requests1=50))


def test_unhealthy_targets_alarm_after_three_minutes(run_component) -> None:
    run = web(run_component, alarms={"actions": [TOPIC]})
    alarm = paged(run, "api-")["unhealthy-hosts"]
    (query,) = alarm.inputs["metricQueries"]
    assert (query["metric"]["metricName"], query["metric"]["stat"]) == ("UnHealthyHostCount", "Maximum")
    assert query["metric"]["dimensions"] == {"TargetGroup": run.one(GROUP).outputs["arnSuffix"], "LoadBalancer": LB}
    assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (0, "GreaterThanThreshold")
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (3, 3)


def test_unhealthy_targets_of_both_groups_count_during_a_deployment(run_component) -> None:
    alarm = paged(web(run_component, deployment={"strategy": "blueGreen"}), "api-")["unhealthy-hosts"]
    assert breaches(alarm, alarm_expression(alarm)(unhealthy0=0, unhealthy1=1))
    assert not breaches(alarm, alarm_expression(alarm)(unhealthy0=0, unhealthy1=None))


def test_p95_latency_above_two_seconds_for_five_minutes(run_component) -> None:
    run = web(run_component, alarms={"actions": [TOPIC]})
    alarm = paged(run, "api-")["p95-latency"]
    (query,) = alarm.inputs["metricQueries"]
    assert (query["metric"]["metricName"], query["metric"]["stat"]) == ("TargetResponseTime", "p95")
    assert alarm.inputs["threshold"] == 2
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (5, 5)
    custom = paged(web(run_component, alarms={"actions": [TOPIC], "p95_latency_seconds": 0.5}), "api-")["p95-latency"]
    assert custom.inputs["threshold"] == 0.5


# Every service ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "metric"), [("cpu-high", "CPUUtilization"), ("memory-high", "MemoryUtilization")])
def test_cpu_and_memory_average_above_ninety_percent_for_five_of_five_minutes(run_component, suffix: str,
                                                                              metric: str) -> None:
    run = web(run_component, alarms={"actions": [TOPIC]})
    alarm = paged(run, "api-")[suffix].inputs
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == ("AWS/ECS", metric, "Average")
    assert alarm["dimensions"] == {"ClusterName": "main",
                                   "ServiceName": run.one("aws:ecs/service:Service").outputs["name"]}
    assert (alarm["threshold"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (90, 5, 5)


def test_thresholds_follow_args(run_component) -> None:
    alarms = paged(worker(run_component, alarms={"actions": [TOPIC], "cpu_percent": 75, "memory_percent": 80,
                                                 "running_below_desired_minutes": 10}), "orders-")
    assert (alarms["cpu-high"].inputs["threshold"], alarms["memory-high"].inputs["threshold"]) == (75, 80)
    assert alarms["below-desired"].inputs["evaluationPeriods"] == 10


def test_running_below_desired_reads_container_insights_and_spares_a_worker_at_zero(run_component) -> None:
    run = worker(run_component, alarms={"actions": [TOPIC]})
    alarm = paged(run, "orders-")["below-desired"]
    metrics = metrics_of(alarm)
    assert {m["metricName"] for m in metrics.values()} == {"DesiredTaskCount", "RunningTaskCount"}
    assert all(m["namespace"] == "ECS/ContainerInsights" for m in metrics.values())
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (5, 5)
    missing = alarm_expression(alarm)
    assert breaches(alarm, missing(desired=3, running=1))
    assert breaches(alarm, missing(desired=1, running=None))  # woken, but the task never started
    assert not breaches(alarm, missing(desired=0, running=None))  # scaled to zero
    assert not breaches(alarm, missing(desired=None, running=None))  # nothing published at zero tasks
    assert not breaches(alarm, missing(desired=2, running=4))  # a rolling deployment


def test_without_container_insights_there_is_no_running_below_desired_alarm(run_component) -> None:
    alarms = paged(web(run_component, alarms={"actions": [TOPIC], "container_insights": False}), "api-")
    assert "below-desired" not in alarms and "cpu-high" in alarms


# Queue worker --------------------------------------------------------------------------------------------------


def test_oldest_message_older_than_five_minutes_alarms(run_component) -> None:
    run = worker(run_component, alarms={"actions": [TOPIC]})
    alarm = paged(run, "orders-")["oldest-message"].inputs
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum")
    assert alarm["dimensions"] == {"QueueName": run.one("aws:sqs/queue:Queue", "orders").outputs["name"]}
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (300, "GreaterThanThreshold")
    assert alarm["alarmActions"] == [TOPIC]


def test_oldest_message_in_backlog_mode_alarms_past_the_acceptable_latency(run_component) -> None:
    run = worker(run_component, alarms={"actions": [TOPIC]},
                 scaling={"mode": WorkerScalingMode.BACKLOG, "acceptable_latency_seconds": 120})
    assert paged(run, "orders-")["oldest-message"].inputs["threshold"] == 120


def test_dead_letter_alarm_also_tells_the_on_call_topics(run_component) -> None:
    run = worker(run_component, alarm_actions=[PAGER], alarms={"actions": [TOPIC, PAGER]})
    alarm = paged(run, "orders-")["dlq-not-empty"].inputs
    assert alarm["alarmActions"] == [PAGER, TOPIC] and alarm["okActions"] == [PAGER, TOPIC]


def test_worker_has_no_web_alarms(run_component) -> None:
    alarms = paged(worker(run_component, alarms={"actions": [TOPIC]}), "orders-")
    assert sorted(alarms) == ["below-desired", "cpu-high", "dlq-not-empty", "memory-high", "oldest-message",
                              "scale-in", "scale-out", "wake"]


@pytest.mark.parametrize(
    ("alarms", "web_service", "message"),
    [
        ({"actions": [], "oldest_message_age_seconds": 60}, True, "applies to queue workers only"),
        ({"actions": [], "p95_latency_seconds": 1}, False, "applies to web services only"),
        ({"actions": [], "cpu_percent": 120}, True, "cpu_percent must be above 0 and at most 100"),
        ({"actions": [], "unhealthy_hosts": -1}, True, "unhealthy_hosts must be 0 or more"),
        ({"actions": [], "running_below_desired_minutes": 0}, False, "must be 1 to 60"),
    ],
)
def test_thresholds_that_do_not_fit_are_refused(alarms: dict, web_service: bool, message: str) -> None:
    assert message in (alarm_thresholds_problem(alarms, web=web_service) or "")


def test_a_worker_refuses_web_thresholds_before_registration(run_component) -> None:
    with pytest.raises(ValueError, match="alarms.target_5xx_rate_percent applies to web services only"):
        worker(run_component, alarms={"actions": [TOPIC], "target_5xx_rate_percent": 1})


def test_alarm_requests_pass_the_fidelity_check() -> None:
    def program() -> None:
        WebService("api", web_args(alarms={"actions": [TOPIC]}))
        QueueWorker("orders", {"placement": PLACEMENT, "task": {"image": "x:1"}, "alarms": {"actions": [TOPIC]}})

    report = fidelity.check(run(program, project="fidelity", stack="test", config={"aws:region": "us-east-1"}))
    assert report.operations["cloudwatch:PutMetricAlarm"] == 6 + 8
    assert not report.violations, [v.line() for v in report.violations]


def test_rollback_alarms_without_a_topic_are_a_problem_settings_can_check() -> None:
    from ecs_platform._service import rollback_alarm_actions_problem
    from ecs_platform.enums import DeploymentStrategy

    assert "CloudWatch.15" in rollback_alarm_actions_problem(DeploymentStrategy.CANARY, [])
    assert rollback_alarm_actions_problem(DeploymentStrategy.CANARY, [TOPIC]) is None
    assert rollback_alarm_actions_problem(DeploymentStrategy.ROLLING, []) is None
