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
- Alarms evaluate every period on an evaluation range two periods longer than their evaluation periods, as
  :func:`~.semantics.alarm_state` says, and invoke their Application Auto Scaling actions every minute they stay in
  ALARM. A period longer than a minute aggregates the minute datapoints by the metric's statistic.
- Scaling policies start from the running task count. A step policy applies the step containing (value -
  threshold) on its alarm's side of it (:class:`~.model.Step`), adjusted as :func:`~.semantics.capacity_change` says;
  target tracking asks for capacity x metric / target once its metric is above the target for 3 minutes (1 at zero
  tasks) or below 90% of it for 15, unless scale-in is disabled. Within a scale-out cooldown only a larger scale-out
  adds capacity; within a scale-in cooldown nothing is removed, and any scale-out ends it. When several policies
  ask at once, the largest capacity wins.
"""

from __future__ import annotations

import math
import random
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional

from .model import Alarm, Query, StepPolicy, TrackingPolicy, Worker
from .semantics import alarm_state, capacity_change, evaluation_range, tracking_capacity

MINUTE = 60


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
    instance_start_seconds: int = 40
    """Managed Instances workers only: an instance starts before each new task does (docs/rehearsal.md)."""
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

    def over(self, first: int, minutes: int, stat: str, now: float) -> Optional[float]:
        """The ``stat`` of the readable datapoints of ``minutes`` minutes from ``first`` (one period), or None."""
        values = [v for v in (self.at(m, now) for m in range(first, first + minutes)) if v is not None]
        if not values:
            return None
        if minutes == 1:
            return values[0]
        return {"Sum": sum(values), "SampleCount": sum(values), "Maximum": max(values),
                "Minimum": min(values)}.get(stat, sum(values) / len(values))

    def before(self, minute: int, now: float) -> Optional[float]:
        for earlier in range(minute - 1, -1, -1):
            value = self.at(earlier, now)
            if value is not None:
                return value
        return None


@dataclass(frozen=True)
class _Activity:
    """A scaling activity of one policy: when, and the capacity it started from."""

    second: float
    capacity: int


@dataclass(frozen=True)
class _Proposal:
    """What one policy asks for at one evaluation."""

    policy: str
    target: int
    out: bool
    capacity: int
    alarm_reads_tasks: bool = False


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
        self.last_out: dict[str, _Activity] = {}
        self.last_in: dict[str, _Activity] = {}
        self._trackers = {t.name: t for t in worker.tracking_policies}
        self.events: list[Event] = []
        self.series: list[dict[str, Any]] = []
        self.actions_while_running: list[float] = []

    # The world ---------------------------------------------------------------------------------------------------

    def _active(self) -> list[_Task]:
        return [t for t in self.tasks if t.stopped is None and t.draining_until is None]

    def _running(self, now: float) -> list[_Task]:
        return [t for t in self.tasks if t.stopped is None and t.ready <= now]

    @property
    def _start_seconds(self) -> int:
        """A task on Managed Instances waits for an instance first: assumed for every new task (one GPU task per
        instance; an idle instance left from an earlier task is not counted on)."""
        extra = self.assumptions.instance_start_seconds if self.worker.managed_instances else 0
        return self.assumptions.task_start_seconds + extra

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
                self.tasks.append(_Task(len(self.tasks), spot, now, now + self._start_seconds))
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
        for (namespace, name), (value, readable) in values.items():
            self.publish(namespace, name, minute, value, readable)
        self.minute_counts = {k: 0 for k in self.minute_counts}

    def publish(self, namespace: str, name: str, minute: int, value: float, readable: float = 0.0) -> None:
        """A one-minute datapoint of this worker's queue or service, readable by alarms from second ``readable``."""
        self.metrics.setdefault((namespace, name), _Datapoints()).points[minute] = (float(value), readable)

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

    def value(self, queries: list[Query], index: int, period: int, now: float) -> Optional[float]:
        """The returned query's value for period ``index`` (``period`` seconds long), from the datapoints readable
        ``now``."""
        values: dict[str, Optional[float]] = {}
        history: dict[str, Optional[float]] = {}
        minutes = period // MINUTE
        for query in queries:
            if query.metric is not None:
                points = self._ours(query)
                values[query.id] = points.over(index * minutes, minutes, query.metric.stat, now) if points else None
                history[query.id] = points.before(index * minutes, now) if points else None
        for query in queries:
            if query.expression is not None:
                values[query.id] = query.expression(values, history.get)
        returned = next(q for q in queries if q.returns)
        return values.get(returned.id)

    # Alarms and scaling ------------------------------------------------------------------------------------------

    def _evaluate(self, alarm: Alarm, index: int, now: float) -> tuple[str, Optional[float]]:
        """The alarm's state after evaluating period ``index`` (semantics.alarm_state), and the most recent real value
        in its evaluation range (what a step policy's bounds are compared with)."""
        first = index - evaluation_range(alarm.evaluation_periods) + 1
        values = [self.value(alarm.queries, i, alarm.period, now) for i in range(max(first, 0), index + 1)]
        marks = [None if v is None else alarm.breaches(v) for v in values]
        latest = next((v for v in reversed(values) if v is not None), None)
        state = alarm_state(marks, alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.treat_missing,
                            self.states[alarm.name])
        return state, latest

    def _capacity(self, now: float) -> int:
        """What a scaling policy starts from: "the actual running task count in a service is the value that Service
        Auto Scaling uses as its starting point, as opposed to the desired count" (ECS Developer Guide,
        "Automatically scale your Amazon ECS service")."""
        return len(self._running(now))

    def _in_cooldown(self, policy: str, now: float, cooldown: int, *, out: bool) -> bool:
        last = self.last_out.get(policy) if out else self.last_in.get(policy)
        return last is not None and now < last.second + cooldown

    def _step(self, policy: StepPolicy, alarm: Alarm, value: Optional[float], now: float) -> Optional[_Proposal]:
        """What the step policy asks for when its alarm is in ALARM, or None.

        Within the policy's scale-out cooldown the capacity its previous scale-out added counts as already there, so
        only a larger scale-out adds more; within its scale-in cooldown it removes nothing (Application Auto Scaling
        User Guide, "How step scaling for Application Auto Scaling works", "Cooldown period")."""
        if value is None:
            return None
        step = next((s for s in policy.steps if s.contains(value - alarm.threshold, alarm.above)), None)
        if step is None:
            return None
        out = step.adjustment > self.desired if policy.adjustment_type == "ExactCapacity" else step.adjustment > 0
        capacity = self._capacity(now)
        if out and self._in_cooldown(policy.name, now, policy.cooldown, out=True):
            capacity = self.last_out[policy.name].capacity
        elif not out and self._in_cooldown(policy.name, now, policy.cooldown, out=False):
            return None
        target = capacity_change(policy.adjustment_type, step.adjustment, capacity, policy.min_magnitude)
        return _Proposal(policy.name, target, out, capacity, alarm_reads_tasks=any(
            q.metric is not None and q.metric.name == "RunningTaskCount" for q in alarm.queries))

    def _track(self, policy: TrackingPolicy, minute: int, now: float) -> Optional[_Proposal]:
        """What the target tracking policy asks for, or None. The alarms Application Auto Scaling creates for it go
        to ALARM when the metric is above the target for 3 datapoints within 3 minutes, and below 90% of it for 15
        within 15 minutes; missing datapoints leave them in INSUFFICIENT_DATA, which does not scale. At zero running
        tasks one datapoint above the target is enough ("Service Auto Scaling waits for one data point to be sent
        before scaling out"). Cooldowns as for step scaling; with ``disableScaleIn`` the policy never scales in."""
        window = [self.value(policy.queries, m, MINUTE, now) for m in range(minute - 14, minute + 1) if m >= 0]
        latest = window[-1] if window else None
        if latest is None:
            return None
        capacity = self._capacity(now)
        needed = 1 if capacity == 0 else 3
        high = window[-needed:]
        if len(high) == needed and all(v is not None and v > policy.target for v in high):
            if self._in_cooldown(policy.name, now, policy.scale_out_cooldown, out=True):
                capacity = self.last_out[policy.name].capacity
            return _Proposal(policy.name, tracking_capacity(capacity, latest, policy.target), True, capacity)
        low = len(window) == 15 and all(v is not None and v < 0.9 * policy.target for v in window)
        if low and not policy.disable_scale_in and \
                not self._in_cooldown(policy.name, now, policy.scale_in_cooldown, out=False):
            return _Proposal(policy.name, tracking_capacity(capacity, latest, policy.target), False, capacity)
        return None

    def act(self, fired: list[tuple[Alarm, Optional[float]]], minute: int, now: float) -> int:
        """One minute's scaling: the step policies of the alarms ``fired`` (each in ALARM, with the value its steps are
        compared with) and every target tracking policy on the datapoints up to ``minute``; ECS then starts or stops
        tasks. Returns the desired count."""
        proposals = [self._step(self.worker.step_policies[name], alarm, value, now)
                     for alarm, value in fired for name in alarm.policies if name in self.worker.step_policies]
        proposals += [self._track(policy, minute, now) for policy in self.worker.tracking_policies]
        self._apply([p for p in proposals if p is not None], now)
        self._reconcile(now)
        return self.desired

    def _apply(self, proposals: list[_Proposal], now: float) -> None:
        """One evaluation's scaling: the policy asking for the largest capacity wins, for scale-out and for scale-in
        alike; a scale-out ends every scale-in cooldown; target tracking scales in only when every tracking policy
        whose scale-in is enabled asks to (Application Auto Scaling User Guide, "Target tracking scaling policies",
        "Multiple scaling policies"). A scale-out never lowers the desired count and a scale-in never raises it."""
        worker = self.worker

        def bounded(proposal: _Proposal) -> int:
            return max(worker.min_tasks, min(worker.max_tasks, proposal.target))

        outs = [p for p in proposals if p.out and bounded(p) > self.desired]
        tracking_in = {p.policy for p in proposals if not p.out and p.policy in self._trackers}
        ready_in = tracking_in == {t.name for t in worker.tracking_policies if not t.disable_scale_in}
        ins = [p for p in proposals if not p.out and bounded(p) < self.desired
               and (p.policy not in self._trackers or ready_in)]
        if outs:
            chosen = max(outs, key=bounded)
            if not self._in_cooldown(chosen.policy, now, self._cooldown(chosen.policy, out=True), out=True):
                self.last_out[chosen.policy] = _Activity(now, chosen.capacity)
            self.last_in.clear()
            if chosen.alarm_reads_tasks and self._running(now):
                # An alarm that should only act at zero tasks added one while tasks ran (a late datapoint read as 0).
                self.actions_while_running.append(now)
        elif ins:
            chosen = max(ins, key=bounded)
            self.last_in[chosen.policy] = _Activity(now, chosen.capacity)
        else:
            return
        self.events.append(Event(now, chosen.policy, self.desired, bounded(chosen)))
        self.desired = bounded(chosen)

    def _cooldown(self, policy: str, *, out: bool) -> int:
        if policy in self.worker.step_policies:
            return self.worker.step_policies[policy].cooldown
        tracker = self._trackers[policy]
        return tracker.scale_out_cooldown if out else tracker.scale_in_cooldown

    # The run -----------------------------------------------------------------------------------------------------

    def run(self) -> Result:
        self._reconcile(0)
        for second in range(0, self.minutes * MINUTE + 1):
            now = float(second)
            self._tick(now)
            if second and second % MINUTE == 0:
                minute = second // MINUTE - 1
                self._publish(minute, now)
                fired = []
                for alarm in self.worker.alarms:
                    if second % alarm.period:
                        continue
                    state, value = self._evaluate(alarm, second // alarm.period - 1, now)
                    self.states[alarm.name] = state
                    if state == "ALARM":  # Auto Scaling actions run every minute the alarm stays in ALARM
                        fired.append((alarm, value))
                self.act(fired, minute, now)
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
