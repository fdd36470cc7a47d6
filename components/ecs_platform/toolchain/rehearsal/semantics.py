"""AWS's documented rules for alarms and scaling, one pure function each, so tests/test_conformance.py can check them
row by row against the examples on the pages they cite.

- :func:`alarm_state`: CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data" (both tables,
  and "Avoiding premature transitions to alarm state").
- :func:`capacity_change`: Application Auto Scaling User Guide, "How step scaling for Application Auto Scaling
  works", "Scaling adjustment types" (the rounding of PercentChangeInCapacity) and the API reference's
  ``MinAdjustmentMagnitude``.

Step bounds live on :class:`~ecs_platform.toolchain.rehearsal.model.Step` (the API reference's ``StepAdjustment``).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"

EXTRA_PERIODS = 2
"""How much longer an alarm's evaluation range is than its evaluation periods. CloudWatch publishes no formula (it
"depends on the length of the alarm period and whether it is based on a metric with standard resolution or high
resolution"); its tables give 5 for 3 evaluation periods, and the replay assumes the same two extra for any count."""


def evaluation_range(periods: int) -> int:
    return periods + EXTRA_PERIODS


def alarm_state(points: Sequence[Optional[bool]], periods: int, datapoints: int, treat_missing: str,
                current: str) -> str:
    """The state an alarm goes to, given its evaluation range ``points`` (oldest first; True breaching, False not
    breaching, None missing), ``periods`` (N), ``datapoints`` to alarm (M) and ``treat_missing``; ``current`` is kept
    where the page says "Retain current state".

    - At least N real datapoints in the range: the most recent N real ones decide and missing data is not consulted.
    - Fewer: the missing ones are filled as few times as possible, as breaching or not breaching; every real
      datapoint in the range still counts.
    - ``missing``/``ignore`` with fewer than M real datapoints: when the oldest breaching datapoint of the last N
      periods is at least M periods old and every more recent one is breaching or missing, the alarm goes to ALARM
      ("premature alarm state"; ``ignore`` keeps its state instead, as the tables show). With no real datapoint at
      all, ``missing`` goes to INSUFFICIENT_DATA and ``ignore`` keeps its state.
    """
    real = [p for p in points if p is not None]
    if len(real) >= periods:
        return ALARM if sum(real[-periods:]) >= datapoints else OK
    if treat_missing in ("breaching", "notBreaching"):
        filled = periods - len(real)
        breaching = sum(real) + (filled if treat_missing == "breaching" else 0)
        return ALARM if breaching >= datapoints else OK
    if not real:
        return current if treat_missing == "ignore" else INSUFFICIENT_DATA
    if len(real) < datapoints and _premature(points[-periods:], datapoints):
        return current if treat_missing == "ignore" else ALARM
    return ALARM if sum(real) >= datapoints else OK


def _premature(latest: Sequence[Optional[bool]], datapoints: int) -> bool:
    """Whether the oldest breaching datapoint of ``latest`` (the last N periods, oldest first) is at least
    ``datapoints`` periods old with nothing but breaching or missing datapoints after it."""
    breaching = [i for i, p in enumerate(latest) if p is True]
    if not breaching:
        return False
    oldest = breaching[0]
    age = len(latest) - oldest
    return age >= datapoints and all(p is not False for p in latest[oldest + 1:])


def percent_change(capacity: int, percent: float) -> int:
    """``percent`` of ``capacity`` as Application Auto Scaling rounds it: values greater than 1 down, between 0 and 1
    to 1, between 0 and -1 to -1, less than -1 up (12.7 is 12, .67 is 1, -.58 is -1, -6.67 is -6)."""
    raw = capacity * percent / 100
    if raw >= 1:
        return math.floor(raw)
    if raw > 0:
        return 1
    if raw == 0:
        return 0
    if raw > -1:
        return -1
    return math.ceil(raw)


def capacity_change(adjustment_type: str, adjustment: float, capacity: int,
                    min_magnitude: Optional[int] = None) -> int:
    """The capacity a step adjustment asks for, from ``capacity``: ``ChangeInCapacity`` adds the adjustment,
    ``ExactCapacity`` is the adjustment, ``PercentChangeInCapacity`` adds the rounded percentage, at least
    ``min_magnitude`` (MinAdjustmentMagnitude: 25 percent of 4 tasks with a minimum of 2 adds 2)."""
    if adjustment_type == "ExactCapacity":
        return int(adjustment)
    if adjustment_type == "PercentChangeInCapacity":
        change = percent_change(capacity, adjustment)
        if min_magnitude and change and abs(change) < min_magnitude:
            change = int(math.copysign(min_magnitude, change))
        return capacity + change
    return capacity + int(adjustment)


def tracking_capacity(capacity: int, metric: float, target: float) -> int:
    """The capacity a target tracking policy asks for: proportional to the metric (capacity x metric / target),
    rounded up, as the policy "responds by adding capacity proportional to the metric value". At zero capacity the
    replay asks for one task (AWS does not say how many)."""
    if capacity == 0:
        return 1
    return math.ceil(capacity * metric / target)


__all__ = ["ALARM", "INSUFFICIENT_DATA", "OK", "alarm_state", "capacity_change", "evaluation_range",
           "percent_change", "tracking_capacity"]
