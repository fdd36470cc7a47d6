"""The checks of a schedule that need no SDK: the expression EventBridge Scheduler takes, the time zone, the retry
policy. The ScheduledTask component, the stack settings and the deploy-fidelity rules share them; each returns
why a value would be refused, or None."""

import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from . import defaults, validation


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



__all__ = ["retry_problem", "schedule_problem", "timezone_problem"]
