"""The replay: a queue worker's alarms and scaling policies against a traffic scenario, second by second.

Every modelling choice is an :class:`Assumptions` field with its AWS source in docs/rehearsal.md:

- SQS: a received message is hidden for the queue's visibility timeout and deleted when its task finishes it; a
  message received more than maxReceiveCount times goes to the dead-letter queue.
- Tasks: a task starts ``task_start_seconds`` after ECS launches it, then takes one message at a time (long polling)
  and spends ``seconds_per_message`` on each. ECS starts or stops tasks as soon as the desired count changes; it
  stops the newest tasks first, and a task stopped mid-message interrupts that message, which becomes visible again
  when its visibility timeout runs out. Spot tasks are interrupted at ``spot_interruptions_per_hour`` per task-hour,
  with two minutes' notice in which they finish their message and take no new one.
- CloudWatch: SQS publishes the queue's visible and in-flight counts as one sample a minute and the sent, received
  and deleted counts as sums a minute; Container Insights publishes the service's running, pending and desired task
  counts a minute. Each datapoint becomes readable ``metric_delay_seconds`` (SQS) or ``insights_delay_seconds``
  (Container Insights) after its minute ends; an alarm that evaluates before then sees it missing.
- Alarms evaluate every period on the latest ``evaluation_periods`` datapoints, go to ALARM when
  ``datapoints_to_alarm`` of them breach (missing ones as ``treatMissingData`` says), and invoke their Application
  Auto Scaling actions every minute they stay in ALARM.
- Step scaling applies the step containing (value - threshold), clamped to the target's bounds; within a scale-out
  cooldown only what exceeds the previous scale-out is added, within a scale-in cooldown nothing is removed. Target
  tracking scales out when its metric is above the target for 3 minutes, to ceil(capacity x metric / target), and in
  when below 90% of it for 15 minutes, unless scale-in is disabled.
"""

from __future__ import annotations

import math
import random
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional

from .model import Alarm, Query, StepPolicy, TrackingPolicy, Worker

MINUTE = 60
_EXTRA_PERIODS = 2
"""How many periods longer than its evaluation periods an alarm's evaluation range is (one-minute periods)."""


class ScenarioError(ValueError):
    """A --scenario that is not burst:N@M or rate:R@A-B (one line)."""


@dataclass(frozen=True)
class Traffic:
    kind: str
    messages: float
    start: float
    end: float

    @classmethod
    def parse(cls, spec: str) -> "Traffic":
        burst = re.fullmatch(r"burst:(\d+)@(\d+(?:\.\d+)?)", spec)
        if burst:
            return cls("burst", int(burst[1]), float(burst[2]), float(burst[2]))
        rate = re.fullmatch(r"rate:(\d+(?:\.\d+)?)@(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", spec)
        if rate and float(rate[3]) > float(rate[2]):
            return cls("rate", float(rate[1]), float(rate[2]), float(rate[3]))
        raise ScenarioError(f"--scenario {spec}: expected burst:N@M (N messages at minute M) or rate:R@A-B "
                            "(R messages a minute from minute A to minute B, B after A)")

    def arrivals(self) -> list[float]:
        """Arrival times in seconds: a burst all at once, a rate evenly spaced over its minutes, each message in the
        middle of its share of the minute (so arrivals do not line up with the minute marks metrics are sampled at)."""
        if self.kind == "burst":
            return [self.start * MINUTE] * int(self.messages)
        count = int(round(self.messages * (self.end - self.start)))
        gap = MINUTE / self.messages
        return [self.start * MINUTE + (i + 0.5) * gap for i in range(count)]


@dataclass
class Assumptions:
    seconds_per_message: float = 10.0
    task_start_seconds: int = 60
    metric_delay_seconds: int = 0
    insights_delay_seconds: int = 0
    spot_interruptions_per_hour: float = 0.0
    flap_window_minutes: int = 15
    seed: int = 0


@dataclass
class _Task:
    id: int
    spot: bool
    launched: float
    ready: float
    message: Optional[int] = None
    busy_until: float = 0.0
    draining_until: Optional[float] = None
    stopped: Optional[float] = None


@dataclass
class Event:
    second: float
    source: str
    before: int
    after: int


@dataclass
class Result:
    summary: dict[str, Any]
    series: list[dict[str, Any]]
    events: list[Event]
    alarms: list[str]
    scale_in_alarms: list[str] = field(default_factory=list)
    """Alarms whose actions only ever lower the task count: in ALARM while the worker idles, by design."""


@dataclass
class _Datapoints:
    """Per-minute datapoints of one metric: the minute's index to (value, readable from second)."""

    points: dict[int, tuple[float, float]] = field(default_factory=dict)

    def at(self, minute: int, now: float) -> Optional[float]:
        point = self.points.get(minute)
        return point[0] if point is not None and point[1] <= now else None

    def before(self, minute: int, now: float) -> Optional[float]:
        for earlier in range(minute - 1, -1, -1):
            value = self.at(earlier, now)
            if value is not None:
                return value
        return None


class Replay:
    def __init__(self, worker: Worker, traffic: list[Traffic], assumptions: Assumptions,
                 minutes: Optional[int] = None) -> None:
        self.worker, self.assumptions = worker, assumptions
        self.arrivals = sorted(t for item in traffic for t in item.arrivals())
        last = max([t.end for t in traffic], default=0)
        self.minutes = minutes or int(last) + 90
        self.random = random.Random(assumptions.seed)
        self.desired = min(max(worker.desired, worker.min_tasks), worker.max_tasks)
        self.tasks: list[_Task] = []
        self.visible: deque[int] = deque()
        self.in_flight: dict[int, float] = {}
        """Message to the second it becomes visible again."""
        self.received_by: dict[int, Optional[int]] = {}
        self.receives: dict[int, int] = {}
        self.arrived: dict[int, float] = {}
        self.first_receive: dict[int, float] = {}
        self.processed = self.interrupted = self.dead_lettered = 0
        self.minute_counts = {"sent": 0, "received": 0, "deleted": 0}
        self.metrics: dict[tuple[str, str], _Datapoints] = {}
        self.states = {a.name: "INSUFFICIENT_DATA" for a in worker.alarms}
        self.tracking_states: dict[str, str] = {}
        self.last_out: dict[str, tuple[float, int]] = {}
        self.last_in: dict[str, float] = {}
        self.events: list[Event] = []
        self.series: list[dict[str, Any]] = []
        self.actions_while_running: list[float] = []

    # The world ---------------------------------------------------------------------------------------------------

    def _active(self) -> list[_Task]:
        return [t for t in self.tasks if t.stopped is None and t.draining_until is None]

    def _running(self, now: float) -> list[_Task]:
        return [t for t in self.tasks if t.stopped is None and t.ready <= now]

    def _spot_share(self, total: int) -> int:
        from ..plan.cost import place

        return place(total, self.worker.strategy).get("FARGATE_SPOT", 0)

    def _reconcile(self, now: float) -> None:
        active = self._active()
        if len(active) < self.desired:
            spot_now = sum(1 for t in active if t.spot)
            spot_wanted = self._spot_share(self.desired)
            for _ in range(self.desired - len(active)):
                spot = spot_now < spot_wanted
                spot_now += spot
                self.tasks.append(_Task(len(self.tasks), spot, now, now + self.assumptions.task_start_seconds))
        elif len(active) > self.desired:
            # ECS picks the tasks to stop; the newest first is what the replay assumes (docs/rehearsal.md).
            for task in sorted(active, key=lambda t: (t.ready > now, t.launched), reverse=True)[:len(active) - self.desired]:
                self._stop(task, now, interrupt=True)

    def _stop(self, task: _Task, now: float, *, interrupt: bool) -> None:
        if task.message is not None and interrupt:
            self.interrupted += 1
            self.received_by[task.message] = None  # visible again when its visibility timeout runs out
            task.message = None
        task.stopped = now

    def _tick(self, now: float) -> None:
        worker = self.worker
        while self.arrivals and self.arrivals[0] <= now:
            self.arrivals.pop(0)
            message = len(self.arrived)
            self.arrived[message] = now
            self.visible.append(message)
            self.minute_counts["sent"] += 1
        for message, deadline in list(self.in_flight.items()):
            if deadline <= now:
                del self.in_flight[message]
                if self.received_by.get(message) is not None:
                    continue  # still being worked on past its visibility timeout: the task's delete will fail
                self.visible.append(message)
        for task in self.tasks:
            if task.stopped is not None:
                continue
            if task.message is not None and task.busy_until <= now:
                message, task.message = task.message, None
                self.received_by.pop(message, None)
                if self.in_flight.pop(message, None) is not None:
                    self.processed += 1
                    self.minute_counts["deleted"] += 1
            if task.draining_until is not None and (task.message is None or now >= task.draining_until):
                self._stop(task, now, interrupt=True)
                continue
            if task.message is None and task.ready <= now and task.draining_until is None:
                self._receive(task, now)
            if task.spot and task.ready <= now and task.draining_until is None:
                rate = self.assumptions.spot_interruptions_per_hour / 3600
                if rate and self.random.random() < rate:
                    task.draining_until = now + 120  # Fargate Spot's two-minute warning
        self._reconcile(now)

    def _receive(self, task: _Task, now: float) -> None:
        while self.visible:
            message = self.visible.popleft()
            self.receives[message] = self.receives.get(message, 0) + 1
            limit = self.worker.max_receive_count
            if limit is not None and self.receives[message] > limit:
                self.dead_lettered += 1  # SQS moves it to the dead-letter queue instead of delivering it
                continue
            self.minute_counts["received"] += 1
            self.first_receive.setdefault(message, now)
            self.in_flight[message] = now + self.worker.visibility_timeout
            self.received_by[message] = task.id
            task.message, task.busy_until = message, now + self.assumptions.seconds_per_message
            return

    # Metrics -----------------------------------------------------------------------------------------------------

    def _publish(self, minute: int, now: float) -> None:
        """Datapoints of the minute that just ended (index ``minute``)."""
        a = self.assumptions
        sqs = now + a.metric_delay_seconds
        insights = now + a.insights_delay_seconds
        running = len(self._running(now))
        pending = sum(1 for t in self.tasks if t.stopped is None and t.ready > now)
        values = {
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): (len(self.visible), sqs),
            ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible"): (len(self.in_flight), sqs),
            ("AWS/SQS", "NumberOfMessagesSent"): (self.minute_counts["sent"], sqs),
            ("AWS/SQS", "NumberOfMessagesReceived"): (self.minute_counts["received"], sqs),
            ("AWS/SQS", "NumberOfMessagesDeleted"): (self.minute_counts["deleted"], sqs),
            ("ECS/ContainerInsights", "RunningTaskCount"): (running, insights),
            ("ECS/ContainerInsights", "PendingTaskCount"): (pending, insights),
            ("ECS/ContainerInsights", "DesiredTaskCount"): (self.desired, insights),
        }
        for key, (value, readable) in values.items():
            self.metrics.setdefault(key, _Datapoints()).points[minute] = (float(value), readable)
        self.minute_counts = {k: 0 for k in self.minute_counts}

    def _ours(self, query: Query) -> Optional[_Datapoints]:
        metric = query.metric
        if metric is None:
            return None
        if metric.namespace == "AWS/SQS" and metric.dimension("QueueName") not in (None, self.worker.queue):
            return None
        if metric.namespace == "ECS/ContainerInsights" and metric.dimension("ServiceName") not in (
                None, self.worker.service):
            return None
        return self.metrics.get((metric.namespace, metric.name))

    def value(self, queries: list[Query], minute: int, now: float) -> Optional[float]:
        """The returned query's value for one minute, from the datapoints readable ``now``."""
        values: dict[str, Optional[float]] = {}
        history: dict[str, Optional[float]] = {}
        for query in queries:
            if query.metric is not None:
                points = self._ours(query)
                values[query.id] = points.at(minute, now) if points else None
                history[query.id] = points.before(minute, now) if points else None
        for query in queries:
            if query.expression is not None:
                values[query.id] = query.expression(values, history.get)
        returned = next(q for q in queries if q.returns)
        return values.get(returned.id)

    # Alarms and scaling ------------------------------------------------------------------------------------------

    def _evaluate(self, alarm: Alarm, minute: int, now: float) -> tuple[str, Optional[float]]:
        """CloudWatch's evaluation (User Guide, "Configuring how CloudWatch alarms treat missing data"): it reads an
        evaluation range a little longer than the evaluation periods; with at least that many real datapoints in it,
        the most recent ones decide and missing data is not consulted; otherwise the missing ones of the latest
        periods are treated as the alarm says."""
        periods = alarm.evaluation_periods
        window = [self.value(alarm.queries, m, now)
                  for m in range(minute - periods - _EXTRA_PERIODS + 1, minute + 1) if m >= 0]
        real = [v for v in window if v is not None]
        latest = real[-1] if real else None
        if len(real) >= periods:
            marks: list[Optional[bool]] = [alarm.breaches(v) for v in real[-periods:]]
        else:
            marks = [alarm.breaches(v) if v is not None
                     else {"notBreaching": False, "breaching": True}.get(alarm.treat_missing)
                     for v in window[-periods:]]
        known = [m for m in marks if m is not None]
        if sum(1 for m in known if m) >= alarm.datapoints_to_alarm:
            return "ALARM", latest
        if not known:
            return (self.states[alarm.name] if alarm.treat_missing == "ignore" else "INSUFFICIENT_DATA"), latest
        return "OK", latest

    def _scale(self, policy_name: str, target: int, now: float, cooldown: int) -> None:
        worker = self.worker
        target = max(worker.min_tasks, min(worker.max_tasks, target))
        if target == self.desired:
            return
        if target > self.desired:
            last = self.last_out.get(policy_name)
            if last is not None and now < last[0] + cooldown:
                return
            self.last_out[policy_name] = (now, self.desired)
        else:
            last_in = self.last_in.get(policy_name)
            if last_in is not None and now < last_in + cooldown:
                return
            self.last_in[policy_name] = now
        self.events.append(Event(now, policy_name, self.desired, target))
        self.desired = target

    def _step(self, policy: StepPolicy, alarm: Alarm, value: Optional[float], now: float) -> None:
        if value is None:
            return
        delta = value - alarm.threshold
        step = next((s for s in policy.steps if s.contains(delta, alarm.above)), None)
        if step is None:
            return
        last = self.last_out.get(policy.name)
        in_cooldown = last is not None and now < last[0] + policy.cooldown
        # Within a scale-out cooldown, what the previous scale-out added counts towards this one.
        base = last[1] if in_cooldown and step.adjustment > 0 and policy.adjustment_type != "ExactCapacity" else self.desired
        if policy.adjustment_type == "ExactCapacity":
            target = step.adjustment
        elif policy.adjustment_type == "PercentChangeInCapacity":
            change = int(base * step.adjustment / 100)
            if policy.min_magnitude and abs(change) < policy.min_magnitude:
                change = int(math.copysign(policy.min_magnitude, step.adjustment))
            target = base + change
        else:
            target = base + step.adjustment
        if in_cooldown and target > self.desired:
            self.events.append(Event(now, policy.name, self.desired, min(target, self.worker.max_tasks)))
            self.desired = max(self.worker.min_tasks, min(self.worker.max_tasks, target))
            return
        before = self.desired
        self._scale(policy.name, target, now, policy.cooldown)
        reads_tasks = any(q.metric and q.metric.name == "RunningTaskCount" for q in alarm.queries)
        if reads_tasks and self.desired > before and self._running(now):
            # An alarm that should only act at zero tasks added one while tasks ran (a late datapoint read as 0).
            self.actions_while_running.append(now)

    def _track(self, policy: TrackingPolicy, minute: int, now: float) -> None:
        window = [self.value(policy.queries, m, now) for m in range(minute - 14, minute + 1) if m >= 0]
        latest = window[-1] if window else None
        high = window[-3:]
        if len(high) == 3 and all(v is not None and v > policy.target for v in high) and latest is not None:
            self._scale(policy.name, math.ceil(self.desired * latest / policy.target) if self.desired else 1, now,
                        policy.scale_out_cooldown)
        elif not policy.disable_scale_in and len(window) == 15 and latest is not None and \
                all(v is not None and v < 0.9 * policy.target for v in window):
            self._scale(policy.name, math.ceil(self.desired * latest / policy.target), now, policy.scale_in_cooldown)

    # The run -----------------------------------------------------------------------------------------------------

    def run(self) -> Result:
        self._reconcile(0)
        for second in range(0, self.minutes * MINUTE + 1):
            now = float(second)
            self._tick(now)
            if second and second % MINUTE == 0:
                minute = second // MINUTE - 1
                self._publish(minute, now)
                for alarm in self.worker.alarms:
                    if (minute + 1) * MINUTE % alarm.period:
                        continue
                    state, value = self._evaluate(alarm, minute, now)
                    self.states[alarm.name] = state
                    if state == "ALARM":
                        for name in alarm.policies:
                            if name in self.worker.step_policies:
                                self._step(self.worker.step_policies[name], alarm, value, now)
                for policy in self.worker.tracking_policies:
                    self._track(policy, minute, now)
                self._reconcile(now)
                self._record(second // MINUTE, now)
        return Result(self._summary(), self.series, self.events, [a.name for a in self.worker.alarms],
                      [a.name for a in self.worker.alarms if self._lowers_only(a)])

    def _lowers_only(self, alarm: Alarm) -> bool:
        policies = [self.worker.step_policies[p] for p in alarm.policies if p in self.worker.step_policies]
        if not policies:
            return False
        return all(step.adjustment <= self.worker.min_tasks if policy.adjustment_type == "ExactCapacity"
                   else step.adjustment < 0 for policy in policies for step in policy.steps)

    def _record(self, minute: int, now: float) -> None:
        self.series.append({
            "minute": minute,
            "visible": len(self.visible),
            "inFlight": len(self.in_flight),
            "desired": self.desired,
            "running": len(self._running(now)),
            "alarms": dict(self.states),
        })

    def _summary(self) -> dict[str, Any]:
        a = self.assumptions
        end = self.minutes * MINUTE
        task_seconds = sum(max(MINUTE, (t.stopped if t.stopped is not None else end) - t.launched) for t in self.tasks)
        ups = [e for e in self.events if e.after > e.before]
        downs = [e for e in self.events if e.after < e.before]
        flaps = sum(1 for up in ups
                    if any(0 < up.second - down.second <= a.flap_window_minutes * MINUTE for down in downs))
        waits = [self.first_receive[m] - self.arrived[m] for m in self.first_receive]
        work = self.processed * a.seconds_per_message / MINUTE
        return {
            "wakeMinutes": self._wake(),
            "drainMinutes": self._drain(),
            "peakTasks": max((s["running"] for s in self.series), default=0),
            "taskMinutes": round(task_seconds / MINUTE, 1),
            "workMinutes": round(work, 1),
            "costToWork": round(task_seconds / MINUTE / work, 2) if work else None,
            "messages": len(self.arrived),
            "processed": self.processed,
            "unfinished": len(self.arrived) - self.processed - self.dead_lettered,
            "interruptedMessages": self.interrupted,
            "deadLettered": self.dead_lettered,
            "maxWaitMinutes": round(max(waits) / MINUTE, 1) if waits else None,
            "scaleOuts": len(ups),
            "scaleIns": len(downs),
            "flaps": flaps,
            "wakeActionsWhileRunning": len(self.actions_while_running),
        }

    def _wake(self) -> Optional[float]:
        """Minutes from the first message until a task runs (0 when one already did)."""
        if not self.arrived:
            return None
        first = min(self.arrived.values())
        if any(t.ready <= first and (t.stopped is None or t.stopped > first) for t in self.tasks):
            return 0.0
        starts = [t.ready for t in self.tasks if t.ready >= first]
        return round((min(starts) - first) / MINUTE, 1) if starts else None

    def _drain(self) -> Optional[float]:
        """Minutes from the last message's arrival until nothing is visible or in flight."""
        if not self.arrived:
            return None
        last = max(self.arrived.values())
        for point in self.series:
            if point["minute"] * MINUTE > last and point["visible"] == 0 and point["inFlight"] == 0:
                return round((point["minute"] * MINUTE - last) / MINUTE, 1)
        return None


def rehearse(worker: Worker, traffic: list[Traffic], assumptions: Optional[Assumptions] = None,
             minutes: Optional[int] = None) -> Result:
    return Replay(worker, traffic, assumptions or Assumptions(), minutes).run()
