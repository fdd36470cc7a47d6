"""CloudWatch alarms (PutMetricAlarm, MetricDataQuery) and CloudWatch Logs retention (PutRetentionPolicy).

Sources are the CloudWatch API reference and the CloudWatch Logs API reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional

from ecs_platform import validation
from ..requests import ApiRequest
from .base import Finding, Stack, dig, indexed, items, known, number, rule, show, whole_list

ALARM = "cloudwatch:PutMetricAlarm"


def _metric_periods(alarm: ApiRequest) -> list[tuple[str, Any]]:
    periods = []
    for index, query in indexed(alarm.params.get("Metrics")):
        periods.append((f"Metrics[{index}].Period", query.get("Period")))
        periods.append((f"Metrics[{index}].MetricStat.Period", dig(query, "MetricStat", "Period")))
    return periods


@rule
def alarm_periods(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60" (so are the periods of the
    metrics of a metric math alarm)."""
    for alarm in stack.of(ALARM):
        for field, period in [("Period", alarm.params.get("Period"))] + _metric_periods(alarm):
            seconds = number(period)
            if seconds is not None and not (seconds in (10, 20, 30) or (seconds > 0 and seconds % 60 == 0)):
                yield (alarm, field,
                       f"an alarm period must be 10, 20, 30 or a multiple of 60 seconds; got {show(period)}")


def _period(alarm: ApiRequest) -> Optional[float]:
    """The alarm's period: its own, or the one period its metrics share."""
    if alarm.params.get("Period") is not None:
        return number(alarm.params.get("Period"))
    found = {number(p) for field, p in _metric_periods(alarm) if p is not None}
    return found.pop() if len(found) == 1 else None


@rule
def alarm_evaluation_range(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm Period: "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms
    with a period of less than one hour (3,600 seconds), the total evaluation period can't be longer than one day
    (86,400 seconds)"."""
    for alarm in stack.of(ALARM):
        period, evaluations = _period(alarm), number(alarm.params.get("EvaluationPeriods"))
        if period is None or evaluations is None:
            continue
        limit = 86400 if period < 3600 else 604800
        if period * evaluations > limit:
            yield (alarm, "EvaluationPeriods", f"period x evaluation periods may be at most {limit} s for a "
                                               f"{show(period)} s period; got {show(period * evaluations)} s")


_SINGLE_METRIC = ("Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic")


@rule
def alarm_metric_source(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm: "you must specify either MetricName, a Metrics array, or an EvaluationCriteria"; "If you use
    the Metrics parameter, you cannot include the Namespace, MetricName, Dimensions, Period, Unit, Statistic, or
    ExtendedStatistic parameters"; with a MetricName "you must specify either Statistic or ExtendedStatistic but not
    both"; "Period is required for alarms based on static thresholds"."""
    for alarm in stack.of(ALARM):
        params = alarm.params
        if params.get("Metrics") is not None:
            extra = [key for key in _SINGLE_METRIC if params.get(key) is not None]
            if extra:
                yield alarm, extra[0], f"an alarm on Metrics takes none of {', '.join(extra)}; set them per metric"
            continue
        if params.get("MetricName") is None:
            yield alarm, "MetricName", "an alarm needs a MetricName or Metrics; got neither"
            continue
        statistics = [key for key in ("Statistic", "ExtendedStatistic") if params.get(key) is not None]
        if len(statistics) != 1:
            yield (alarm, "Statistic", "an alarm on MetricName needs exactly one of Statistic and ExtendedStatistic; "
                                       f"got {' and '.join(statistics) or 'neither'}")
        if params.get("Period") is None and params.get("ThresholdMetricId") is None:
            yield alarm, "Period", "an alarm on MetricName with a static threshold needs a Period; got none"


_QUERY_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


@rule
def alarm_metric_queries(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm Metrics: "One item in the Metrics array is the expression that the alarm watches. You designate
    this expression by setting ReturnData to true" (MetricDataQuery: "If you omit this, the default of true is
    used"); each query has "either Expression or MetricStat but not both"; an Id's "valid characters are letters,
    numbers, and underscore. The first character must be a lowercase letter", unique in the alarm."""
    for alarm in stack.of(ALARM):
        queries = whole_list(alarm.params.get("Metrics"))
        if not queries or not all(isinstance(q, dict) for q in queries):
            continue
        returned = [q.get("Id") for q in queries if q.get("ReturnData", True) is not False]
        if all(known(q.get("ReturnData")) for q in queries) and len(returned) != 1:
            yield (alarm, "Metrics", f"exactly one metric query sets ReturnData true (the default); got "
                                     f"{len(returned)}: {', '.join(map(str, returned)) or 'none'}")
        ids = [q.get("Id") for q in queries]
        for index, query in enumerate(queries):
            yield from _metric_query(alarm, f"Metrics[{index}]", query, ids)


def _metric_query(alarm: ApiRequest, at: str, query: dict[str, Any], ids: list[Any]) -> Iterator[Finding]:
    kinds = [key for key in ("Expression", "MetricStat") if query.get(key) is not None]
    if len(kinds) != 1:
        given = " and ".join(kinds) or "neither"
        yield alarm, at, f"a metric query has exactly one of Expression and MetricStat; got {given}"
    identifier = query.get("Id")
    if isinstance(identifier, str) and known(identifier):
        if not _QUERY_ID.match(identifier):
            yield (alarm, f"{at}.Id",
                   f"must start with a lowercase letter and hold letters, digits or _; got {show(identifier)}")
        elif ids.count(identifier) > 1:
            yield alarm, f"{at}.Id", f"metric query ids must be unique in an alarm; {show(identifier)} repeats"


@rule
def alarm_datapoints(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm DatapointsToAlarm: the M of an "M out of N" alarm, N being EvaluationPeriods, so M <= N."""
    for alarm in stack.of(ALARM):
        datapoints = number(alarm.params.get("DatapointsToAlarm"))
        evaluations = number(alarm.params.get("EvaluationPeriods"))
        if datapoints is not None and evaluations is not None and datapoints > evaluations:
            yield (alarm, "DatapointsToAlarm",
                   f"may not exceed EvaluationPeriods {show(evaluations)} (M out of N); got {show(datapoints)}")


_BAND_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")


@rule
def alarm_thresholds(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm Threshold: "required for alarms based on static thresholds, but should not be used for alarms
    based on anomaly detection models"; ThresholdMetricId matches "the ID of the ANOMALY_DETECTION_BAND function" and
    "If your alarm uses this parameter, it cannot have Auto Scaling actions"; ComparisonOperator: the band operators
    are "used only for alarms based on anomaly detection models"."""
    for alarm in stack.of(ALARM):
        params = alarm.params
        band_id, threshold = params.get("ThresholdMetricId"), params.get("Threshold")
        operator = params.get("ComparisonOperator")
        if band_id is None:
            if threshold is None:
                yield alarm, "Threshold", "a static threshold alarm needs a Threshold; got none"
            if known(operator) and operator in _BAND_OPERATORS:
                yield (alarm, "ComparisonOperator",
                       f"{operator} needs an anomaly detection band (ThresholdMetricId); got a static threshold")
            continue
        if threshold is not None:
            yield (alarm, "Threshold",
                   f"an anomaly detection alarm (ThresholdMetricId) takes no Threshold; got {show(threshold)}")
        ids = [q.get("Id") for q in items(params.get("Metrics")) if isinstance(q, dict)]
        if known(band_id) and known(ids) and band_id not in ids:
            yield (alarm, "ThresholdMetricId",
                   f"must be the Id of a metric query ({', '.join(map(str, ids))}); got {show(band_id)}")
        scaling = [a for a in _actions(alarm) if ":autoscaling:" in a]
        if scaling:
            yield alarm, "AlarmActions", f"an anomaly detection alarm can't have Auto Scaling actions; got {scaling[0]}"


def _actions(alarm: ApiRequest) -> list[str]:
    return [a for key in ("AlarmActions", "OKActions", "InsufficientDataActions")
            for a in items(alarm.params.get(key)) if isinstance(a, str)]


# PutMetricAlarm: "Valid Values: evaluate | ignore" and "breaching | notBreaching | ignore | missing".
_ALLOWED = {"EvaluateLowSampleCountPercentile": ("evaluate", "ignore"),
            "TreatMissingData": ("breaching", "notBreaching", "ignore", "missing")}


@rule
def alarm_allowed_values(stack: Stack) -> Iterator[Finding]:
    for alarm in stack.of(ALARM):
        for key, allowed in _ALLOWED.items():
            value = alarm.params.get(key)
            if known(value) and value is not None and value not in allowed:
                yield alarm, key, f"must be {' or '.join(allowed)}; got {show(value)}"


# PutMetricAlarm AlarmActions (and OKActions, InsufficientDataActions): the kinds of action CloudWatch can take.
_ACTION_ARNS = [re.compile(p) for p in (
    r"^arn:aws[a-z-]*:automate:[a-z0-9-]+:ec2:(stop|terminate|reboot|recover)$",
    r"^arn:aws[a-z-]*:swf:[a-z0-9-]+:\d{12}:action/actions/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)/1\.0$",
    r"^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:.+",
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+",
    r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+",
    r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:opsitem:.+",
    r"^arn:aws[a-z-]*:ssm-incidents::\d{12}:responseplan/.+",
    r"^arn:aws[a-z-]*:aiops:[a-z0-9-]+:\d{12}:investigation-group:.+",
)]


@rule
def alarm_actions(stack: Stack) -> Iterator[Finding]:
    """PutMetricAlarm AlarmActions "Valid values": EC2 actions, Auto Scaling policies, Lambda functions, SNS topics,
    SSM OpsItems and Incident Manager response plans, and Amazon Q investigation groups, each by its ARN."""
    for alarm in stack.of(ALARM):
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            actions = alarm.params.get(key)
            for index, action in enumerate(actions if isinstance(actions, list) else []):
                if isinstance(action, str) and known(action) and not any(p.match(action) for p in _ACTION_ARNS):
                    yield (alarm, f"{key}[{index}]", "must be the ARN of an SNS topic, scaling policy, Lambda "
                                                     "function, EC2 action, OpsItem or response plan; "
                                                     f"got {show(action)}")


@rule
def log_retention(stack: Stack) -> Iterator[Finding]:
    """PutRetentionPolicy retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
    545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653"."""
    for request in stack.of("logs:PutRetentionPolicy"):
        days = number(request.params.get("retentionInDays"))
        if days is not None and days not in validation.LOG_RETENTION_DAYS:
            given = int(days) if float(days).is_integer() else days
            allowed = validation.one_of(given, validation.LOG_RETENTION_DAYS)
            yield request, "retentionInDays", f"not a CloudWatch Logs retention period ({allowed})"
