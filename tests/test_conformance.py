"""The rehearsal's conformance table: behaviours AWS documents with examples, one row each, checked against the
replay's rules. Every row cites the page its numbers come from; a row that fails means the replay disagrees with AWS,
and the replay is what gets fixed.

Pages (as of 2026-12):

- STEP_ADJUSTMENT: Application Auto Scaling API Reference, "StepAdjustment"
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepAdjustment.html
- STEP_CONFIG: Application Auto Scaling API Reference, "StepScalingPolicyConfiguration" (MinAdjustmentMagnitude)
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
- STEP_GUIDE: Application Auto Scaling User Guide, "How step scaling for Application Auto Scaling works"
  https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html
- PUT_POLICY: AWS CLI reference, "put-scaling-policy" (precedence of several policies)
  https://awscli.amazonaws.com/v2/documentation/api/latest/reference/application-autoscaling/put-scaling-policy.html
- MISSING_DATA: CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data"
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
- METRIC_MATH: CloudWatch User Guide, "Using math expressions with CloudWatch metrics"
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
- TRACKING_GUIDE: Application Auto Scaling User Guide, "How target tracking scaling for Application Auto Scaling
  works" https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
- TRACKING_ALARMS: the alarms target tracking creates, as AWS Copilot's documentation prints them
  ("CPUUtilization > 70.00 for 3 datapoints within 3 minutes", "CPUUtilization < 63.00 for 15 datapoints within 15
  minutes"), aws/copilot-cli site/content/docs/concepts/services.en.md; no user guide states the counts.
- ECS_SCALING: ECS Developer Guide, "Automatically scale your Amazon ECS service"
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html
"""

from __future__ import annotations

from typing import Optional

import pytest

from ecs_platform.toolchain.rehearsal.metric_math import Expression
from ecs_platform.toolchain.rehearsal.model import Alarm, Metric, Query, Step, StepPolicy, TrackingPolicy, Worker
from ecs_platform.toolchain.rehearsal.semantics import (
    alarm_state, capacity_change, evaluation_range, percent_change)
from ecs_platform.toolchain.rehearsal.simulate import Assumptions, Replay

MINUTE = 60

# Step adjustments -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric, inside", [(50, True), (55, True), (59.99, True), (60, False), (49.99, False)])
def test_step_adjustment_0_to_10_holds_50_up_to_but_not_60_for_an_alarm_above_50(metric: float, inside: bool) -> None:
    # STEP_ADJUSTMENT: "greater than or equal to 50 and less than 60, specify a lower bound of 0 and an upper bound
    # of 10". This row failed when inclusiveness followed the sign of metric - threshold (50 fell through).
    assert Step(0, 10, 1).contains(metric - 50, above=True) is inside


@pytest.mark.parametrize("metric, inside", [(50, True), (45, True), (40.01, True), (40, False), (50.01, False)])
def test_step_adjustment_minus_10_to_0_holds_above_40_up_to_50_for_an_alarm_below_50(metric: float,
                                                                                    inside: bool) -> None:
    # STEP_ADJUSTMENT: "greater than 40 and less than or equal to 50, specify a lower bound of -10 and an upper
    # bound of 0".
    assert Step(-10, 0, -1).contains(metric - 50, above=False) is inside


SCALE_OUT = [Step(0, 10, 0), Step(10, 20, 10), Step(20, None, 30)]
SCALE_IN = [Step(-10, 0, 0), Step(-20, -10, -10), Step(None, -20, -30)]
"""STEP_GUIDE's example: PercentChangeInCapacity steps around a breach threshold of 50."""


@pytest.mark.parametrize("metric, steps, above, adjustment", [
    (45, SCALE_IN, False, 0), (55, SCALE_OUT, True, 0),     # "maintained while ... greater than 40 and less than 60"
    (60, SCALE_OUT, True, 10), (69, SCALE_OUT, True, 10),   # +10%
    (70, SCALE_OUT, True, 30), (500, SCALE_OUT, True, 30),  # +30%
    (40, SCALE_IN, False, -10), (31, SCALE_IN, False, -10),  # -10%
    (30, SCALE_IN, False, -30), (0, SCALE_IN, False, -30),  # -30%
])
def test_the_guides_step_table_maps_each_metric_to_its_step(metric: float, steps: list[Step], above: bool,
                                                            adjustment: int) -> None:
    # STEP_GUIDE: "-infinity 30% 40% 60% 70% infinity: -30% | -10% | Unchanged | +10% | +30%".
    (step,) = [s for s in steps if s.contains(metric - 50, above)]
    assert step.adjustment == adjustment


@pytest.mark.parametrize("kind, adjustment, capacity, expected", [
    ("ChangeInCapacity", 5, 3, 8),           # "If the current capacity is 3 and the adjustment is 5 ... 8"
    ("ExactCapacity", 5, 3, 5),              # "... changes the capacity to 5"
    ("PercentChangeInCapacity", 10, 10, 11),  # "capacity is 10 and the adjustment is 10 percent ... 11"
])
def test_adjustment_types_as_the_guide_defines_them(kind: str, adjustment: int, capacity: int,
                                                   expected: int) -> None:
    # STEP_GUIDE, "Scaling adjustment types".
    assert capacity_change(kind, adjustment, capacity) == expected


@pytest.mark.parametrize("capacity, percent, change", [
    (100, 12.7, 12),    # "12.7 is rounded to 12"
    (1, 67, 1),         # ".67 is rounded to 1"
    (1, -58, -1),       # "-.58 is rounded to -1"
    (100, -6.67, -6),   # "-6.67 is rounded to -6"
])
def test_percent_change_rounds_as_the_guide_says(capacity: int, percent: float, change: int) -> None:
    # STEP_GUIDE, "Scaling adjustment types": values greater than 1 down, between 0 and 1 to 1, between 0 and -1 to
    # -1, less than -1 up.
    assert percent_change(capacity, percent) == change


def test_min_adjustment_magnitude_scales_four_tasks_out_by_two_for_25_percent() -> None:
    # STEP_CONFIG, MinAdjustmentMagnitude: "25 percent of 4 is 1. However, because you specified a
    # MinAdjustmentMagnitude of 2, Application Auto Scaling scales out the service by 2 tasks."
    assert capacity_change("PercentChangeInCapacity", 25, 4, min_magnitude=2) == 6


# The replay's scaling, driven through Replay.act ------------------------------------------------------------------


def _alarm(name: str, policy: str, above: bool = True) -> Alarm:
    metric = Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", "q"),), "Maximum", 60)
    return Alarm(name=name, queries=[Query("m", metric=metric, returns=True)], threshold=50,
                 comparison="GreaterThanOrEqualToThreshold" if above else "LessThanOrEqualToThreshold",
                 evaluation_periods=1, datapoints_to_alarm=1, treat_missing="missing", period=60, policies=[policy])


def _replay(capacity: int, *, steps: Optional[dict[str, StepPolicy]] = None,
            tracking: Optional[list[TrackingPolicy]] = None, max_tasks: int = 100) -> Replay:
    """A worker already running ``capacity`` tasks (tasks start at once, so the running count follows the desired
    count)."""
    worker = Worker(service="s", cluster="c", queue="q", visibility_timeout=30, max_receive_count=None,
                    desired=capacity, min_tasks=0, max_tasks=max_tasks, strategy=[("FARGATE", 1, 0)],
                    stop_timeout=30, step_policies=steps or {}, tracking_policies=tracking or [])
    replay = Replay(worker, [], Assumptions(task_start_seconds=0), minutes=1)
    replay.act([], 0, 0.0)
    return replay


def test_the_guides_worked_example_goes_10_11_14_13_10() -> None:
    # STEP_GUIDE: at capacity 10, metric 60 -> 11 ("add 10 percent of 10"); 70 -> 14 ("30 percent of 11, 3.3,
    # rounded down to 3"); 40 -> 13 ("10 percent of 14, 1.4, rounded down to 1"); 30 -> 10 ("30 percent of 13,
    # 3.9, rounded down to 3"). Each activity is taken after the previous one's cooldown (300 s) has ended.
    out = StepPolicy("out", "PercentChangeInCapacity", SCALE_OUT, cooldown=300)
    in_ = StepPolicy("in", "PercentChangeInCapacity", SCALE_IN, cooldown=300)
    high, low = _alarm("high", "out"), _alarm("low", "in", above=False)
    replay = _replay(10, steps={"out": out, "in": in_})
    seen = [replay.act([(alarm, metric)], 0, second)
            for second, alarm, metric in [(0, high, 60), (400, high, 70), (800, low, 40), (1200, low, 30)]]
    assert seen == [11, 14, 13, 10]


def test_within_a_scale_out_cooldown_a_larger_step_adds_only_the_difference() -> None:
    # STEP_GUIDE, "Cooldown period": "when the alarm triggers the policy to increase the capacity by 2 ... If an
    # alarm triggers again during the cooldown period but at a more aggressive step adjustment of 3, the previous
    # increase of 2 is considered part of the current capacity. Therefore, only 1 is added".
    policy = StepPolicy("out", "ChangeInCapacity", [Step(0, 10, 2), Step(10, None, 3)], cooldown=300)
    alarm = _alarm("high", "out")
    replay = _replay(10, steps={"out": policy})
    assert [replay.act([(alarm, metric)], 0, second) for second, metric in [(0, 55), (60, 65)]] == [12, 13]


def test_within_a_scale_out_cooldown_the_same_step_adds_nothing() -> None:
    # STEP_GUIDE: "A scaling policy won't increase the desired capacity again unless either a larger scale out is
    # triggered or the cooldown period ends."
    policy = StepPolicy("out", "ChangeInCapacity", [Step(0, None, 2)], cooldown=300)
    alarm = _alarm("high", "out")
    replay = _replay(10, steps={"out": policy})
    assert [replay.act([(alarm, 55)], 0, second) for second in (0, 60, 240, 300)] == [12, 12, 12, 14]


def test_within_a_scale_in_cooldown_nothing_is_removed() -> None:
    # STEP_GUIDE: "scale-in activities are blocked until the scale-in cooldown period has expired".
    policy = StepPolicy("in", "ChangeInCapacity", [Step(None, 0, -1)], cooldown=300)
    alarm = _alarm("low", "in", above=False)
    replay = _replay(10, steps={"in": policy})
    assert [replay.act([(alarm, 10)], 0, second) for second in (0, 60, 299, 300)] == [9, 9, 9, 8]


def test_a_scale_out_during_a_scale_in_cooldown_is_immediate_and_ends_that_cooldown() -> None:
    # STEP_GUIDE: "if another alarm triggers a scale-out activity during the scale-in cooldown period, Application
    # Auto Scaling scales out the target immediately. In this case, the scale-in cooldown period stops".
    out = StepPolicy("out", "ChangeInCapacity", [Step(0, None, 2)], cooldown=300)
    in_ = StepPolicy("in", "ChangeInCapacity", [Step(None, 0, -1)], cooldown=300)
    high, low = _alarm("high", "out"), _alarm("low", "in", above=False)
    replay = _replay(10, steps={"out": out, "in": in_})
    assert [replay.act([(alarm, metric)], 0, second)
            for second, alarm, metric in [(0, low, 10), (60, high, 60), (120, low, 10)]] == [9, 11, 10]


def test_the_policy_asking_for_the_largest_capacity_wins() -> None:
    # PUT_POLICY: "if one policy increases capacity by 3, another policy increases capacity by 200 percent, and the
    # current capacity is 10, Application Auto Scaling uses the policy with the highest calculated capacity (200% of
    # 10 = 20) and scales out to 30."
    plus3 = StepPolicy("plus3", "ChangeInCapacity", [Step(0, None, 3)], cooldown=300)
    double = StepPolicy("double", "PercentChangeInCapacity", [Step(0, None, 200)], cooldown=300)
    replay = _replay(10, steps={"plus3": plus3, "double": double})
    assert replay.act([(_alarm("a", "plus3"), 60), (_alarm("b", "double"), 60)], 0, 0.0) == 30


def test_scaling_starts_from_the_running_task_count_not_the_desired_count() -> None:
    # ECS_SCALING: "the actual running task count in a service is the value that Service Auto Scaling uses as its
    # starting point, as opposed to the desired count".
    policy = StepPolicy("out", "ChangeInCapacity", [Step(0, None, 2)], cooldown=0)
    replay = _replay(2, steps={"out": policy})
    replay.assumptions.task_start_seconds = 600  # what starts now is not running for ten minutes
    alarm = _alarm("high", "out")
    assert [replay.act([(alarm, 60)], 0, second) for second in (0, 60)] == [4, 4]


# CloudWatch alarms and missing data ---------------------------------------------------------------------------------


def _points(text: str) -> list[Optional[bool]]:
    """The guide's notation, oldest first: 0 not breaching, X breaching, - missing."""
    return [{"0": False, "X": True, "-": None}[c] for c in text.split()]


RETAIN = "retain"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")

THREE_OF_THREE = [  # MISSING_DATA, first table: Datapoints to Alarm and Evaluation Periods both 3
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - X - -", "ALARM", RETAIN, "ALARM", "OK"),
]
TWO_OF_THREE = [  # MISSING_DATA, second table: Datapoints to Alarm 2, Evaluation Periods 3
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - X -", "ALARM", RETAIN, "ALARM", "OK"),
]


def _table(rows: list[tuple[str, ...]], datapoints: int) -> list:
    return [pytest.param(row[0], datapoints, treat, expected, id=f"{datapoints}of3 {row[0]} {treat}")
            for row in rows for treat, expected in zip(TREATMENTS, row[1:])]


@pytest.mark.parametrize("points, datapoints, treat, expected", _table(THREE_OF_THREE, 3) + _table(TWO_OF_THREE, 2))
@pytest.mark.parametrize("current", ["OK", "ALARM"])
def test_the_missing_data_tables_row_by_row(points: str, datapoints: int, treat: str, expected: str,
                                            current: str) -> None:
    state = alarm_state(_points(points), 3, datapoints, treat, current)
    assert state == (current if expected == RETAIN else expected)


def test_the_evaluation_range_of_three_evaluation_periods_is_five() -> None:
    # MISSING_DATA: "CloudWatch retrieves the 5 most recent data points when evaluating the alarm ... 5 is the
    # evaluation range for the alarm."
    assert evaluation_range(3) == 5


@pytest.mark.parametrize("points", ["- - - - X", "- - - X -"])
def test_a_recent_lone_breach_is_not_a_premature_alarm(points: str) -> None:
    # MISSING_DATA, "Avoiding premature transitions to alarm state": "the alarm does not go immediately into ALARM
    # state when the data is either - - - - X or - - - X - and Datapoints to Alarm is 3".
    assert alarm_state(_points(points), 3, 3, "missing", "OK") != "ALARM"


# Metric math ------------------------------------------------------------------------------------------------------

METRIC1 = [30, 20, 0, 0]
METRIC2 = [20, None, 20, None]
"""METRIC_MATH, comparison and logical operators: "metric1 has values of [30, 20, 0, 0] and metric2 has values of
[20, -, 20, -]"."""


def _series(expression: str, **series: list) -> list[Optional[float]]:
    compiled = Expression(expression)
    length = len(next(iter(series.values())))
    return [compiled({name: values[i] for name, values in series.items()}) for i in range(length)]


@pytest.mark.parametrize("expression, output", [
    ("metric1 < metric2", [0, 0, 1, 0]),
    ("metric1 >= 30", [1, 0, 0, 0]),
    ("metric1 > 15 AND metric2 > 15", [1, 0, 0, 0]),
])
def test_comparison_and_logical_operators_as_the_guides_table(expression: str, output: list[int]) -> None:
    # METRIC_MATH: "When comparison operators are used between two time series, and only one of the time series has a
    # value for a particular time stamp, the function treats the missing value in the other time series as 0."
    assert _series(expression, metric1=METRIC1, metric2=METRIC2) == output


CONDITION = [1, 1, 0, 0, None]
TRUE_VALUES = [30, None, 0, 0, 30]
FALSE_VALUES = [0, 0, 20, None, 20]


@pytest.mark.parametrize("expression, output", [
    ("IF(metric1, metric2, metric3)", [30, 0, 20, None, None]),
    ("IF(metric1, 5, metric3)", [5, 5, 20, None, None]),
    ("IF(metric1, metric2, 5)", [30, 0, 5, 5, None]),
])
def test_if_as_the_guides_tables(expression: str, output: list[Optional[int]]) -> None:
    # METRIC_MATH, "Using IF expressions": metric1 [1, 1, 0, 0, -], metric2 [30, -, 0, 0, 30], metric3
    # [0, 0, 20, -, 20], scalar 5.
    assert _series(expression, metric1=CONDITION, metric2=TRUE_VALUES, metric3=FALSE_VALUES) == output


def test_if_without_a_false_value_drops_the_false_points() -> None:
    # METRIC_MATH: "is dropped, if the corresponding data point of metric1 is FALSE and ... metric3 is omitted".
    assert _series("IF(metric1, metric2)", metric1=CONDITION, metric2=TRUE_VALUES) == [30, 0, None, None, None]


def test_fill_with_a_value_replaces_only_missing_points() -> None:
    # METRIC_MATH, FILL: "Fills the missing values of a time series" (example FILL(m1,10)).
    assert _series("FILL(m1, 10)", m1=[3, None, 0]) == [3, 10, 0]


def test_fill_with_repeat_uses_the_most_recent_value() -> None:
    # TRACKING_GUIDE: "to use the most recent values, then use the FILL(m1,REPEAT) function".
    fill = Expression("FILL(m1, REPEAT)")
    assert fill({"m1": None}, {"m1": 7.0}.get) == 7.0
    assert fill({"m1": 2.0}, {"m1": 7.0}.get) == 2.0


def test_division_by_zero_drops_the_point_and_a_missing_series_value_counts_as_zero() -> None:
    # METRIC_MATH, arithmetic: "Missing values in a time series are treated as 0. If the value of a data point causes
    # a function to attempt to divide by zero, the data point is dropped."
    assert _series("m1 / m2", m1=[10, 10, None], m2=[2, 0, 5]) == [5, None, 0]


# Target tracking --------------------------------------------------------------------------------------------------

VISIBLE = Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", "q"),), "Average", 60)


def _tracker(**overrides) -> TrackingPolicy:
    values = dict(name="backlog", target=100.0, queries=[Query("m", metric=VISIBLE, returns=True)],
                  disable_scale_in=False, scale_out_cooldown=300, scale_in_cooldown=300)
    return TrackingPolicy(**{**values, **overrides})


def _track(replay: Replay, values: list[Optional[float]], first_minute: int = 0) -> list[int]:
    """Publishes one datapoint a minute and lets the policies act at the end of each minute."""
    seen = []
    for offset, value in enumerate(values):
        minute = first_minute + offset
        if value is not None:
            replay.publish("AWS/SQS", "ApproximateNumberOfMessagesVisible", minute, value)
        seen.append(replay.act([], minute, float((minute + 1) * MINUTE)))
    return seen


def test_target_tracking_scales_out_after_three_datapoints_above_the_target() -> None:
    # TRACKING_ALARMS: "> 70.00 for 3 datapoints within 3 minutes"; TRACKING_GUIDE: capacity "proportional to the
    # metric value": 2 tasks at 150 against a target of 100 become 3.
    assert _track(_replay(2, tracking=[_tracker()]), [150, 150, 150]) == [2, 2, 3]


def test_target_tracking_at_zero_tasks_scales_out_on_one_datapoint() -> None:
    # ECS_SCALING: "when actual capacity is 0 and the metric indicates that there is workload demand, Service Auto
    # Scaling waits for one data point to be sent before scaling out".
    assert _track(_replay(0, tracking=[_tracker()]), [150]) == [1]


def test_target_tracking_scales_in_after_fifteen_datapoints_below_ninety_percent() -> None:
    # TRACKING_ALARMS: "< 63.00 for 15 datapoints within 15 minutes" for a target of 70 (90% of it).
    seen = _track(_replay(4, tracking=[_tracker()]), [50] * 15)
    assert seen[:14] == [4] * 14 and seen[14] == 2


def test_target_tracking_does_not_scale_in_just_below_the_target() -> None:
    # TRACKING_GUIDE: it removes capacity "only when utilization passes a threshold that is far enough below the
    # target value (usually more than 10% lower)".
    assert _track(_replay(4, tracking=[_tracker()]), [95] * 20)[-1] == 4


def test_disable_scale_in_keeps_the_capacity() -> None:
    # TRACKING_GUIDE / API TargetTrackingScalingPolicyConfiguration: "If the value is true, scale in is disabled and
    # the target tracking scaling policy won't remove capacity".
    assert _track(_replay(4, tracking=[_tracker(disable_scale_in=True)]), [50] * 20)[-1] == 4


def test_a_missing_datapoint_stops_target_tracking_from_scaling() -> None:
    # TRACKING_GUIDE: "If the metric is missing data points, this causes the CloudWatch alarm state to change to
    # INSUFFICIENT_DATA. When this happens, Application Auto Scaling cannot scale your scalable target".
    assert _track(_replay(2, tracking=[_tracker()]), [150, None, 150]) == [2, 2, 2]


def test_target_tracking_within_its_scale_out_cooldown_only_scales_out_further() -> None:
    # TRACKING_GUIDE, "Define cooldown periods": "A scaling policy won't increase the desired capacity again unless
    # either a larger scale out is triggered or the cooldown period ends ... the capacity added by the initiating
    # scale-out activity is calculated as part of the desired capacity for the next scale-out activity."
    # 2 tasks: 150 three times -> 3; still 150 within the cooldown asks for 3 again (from 2): no change; 300 asks
    # for 6 (from 2): the larger scale-out goes ahead.
    assert _track(_replay(2, tracking=[_tracker()]), [150, 150, 150, 150, 300]) == [2, 2, 3, 3, 6]


def test_target_tracking_within_its_scale_in_cooldown_removes_nothing() -> None:
    # TRACKING_GUIDE: "scale-in activities are blocked until the scale-in cooldown period has expired".
    seen = _track(_replay(8, tracking=[_tracker()]), [50] * 21)
    assert seen[14] == 4 and seen[15:19] == [4] * 4 and seen[19] == 2
