"""A service's rollout, rehearsed: how long a deployment takes as the program configures it, and whether it ends
before `pulumi up` stops waiting for it.

:func:`read_rollout` reads one ECS service from what a program registered (its deployment configuration, the target
group's health check and deregistration delay, the tasks' stop timeout, the steady-state wait); :func:`replay` plays
the rollout second by second under stated :class:`RolloutAssumptions`. The stages follow the ECS Developer Guide
(docs/rehearsal.md, "Deployments"):

- rolling: ECS starts new tasks up to ``maximumPercent`` of the desired count and stops old ones while at least
  ``minimumHealthyPercent`` stay healthy; a new task counts once the load balancer's first health check of it
  passes, up to one ``interval`` after it starts (a newly registered target needs a single passing check whatever
  ``healthyThreshold`` says, which only applies to a target recovering from unhealthy); an old task leaves the target group (the deregistration delay) and then
  stops (up to its stop timeout after SIGTERM);
- rolling with deployment alarms (``alarms`` enabled): once the old tasks have stopped, ECS keeps watching the
  alarms for a bake time it "computes ... based on the alarm configuration" (ECS Developer Guide, "How CloudWatch
  alarms detect Amazon ECS deployment failures"; no formula is published): the replay assumes the longest period x
  evaluation periods among the alarms, overridable;
- blue/green, canary, linear: the whole new revision starts beside the old one; production traffic shifts at once
  (blue/green), by the canary share then the rest after the canary bake (canary), or by equal steps with a bake
  after each but the last (linear); the old revision stays for the bake time, then is drained and stopped.

The deployment is complete, and `pulumi up` (waitForSteadyState) returns, once the old tasks have stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from ecs_platform.offline import ProgramRun, Registration

from .model import ALARM, SERVICE, RehearsalError, _name, _stop_timeout

TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
PROGRESSIVE = ("BLUE_GREEN", "CANARY", "LINEAR")
DEFAULT_HEALTH_INTERVAL, DEFAULT_DEREGISTRATION_DELAY = 30, 300
"""ELB CreateTargetGroup's defaults: a 30 s health check interval, a 300 s deregistration delay."""


@dataclass
class Rollout:
    """One service's deployment, as its program configures it."""

    service: str
    strategy: str
    tasks: int
    minimum_healthy_percent: int
    maximum_percent: int
    grace_seconds: int
    health_interval: int
    deregistration_delay: int
    stop_timeout: int
    load_balanced: bool
    bake_minutes: float = 0
    canary_percent: float = 0
    canary_bake_minutes: float = 0
    linear_step_percent: float = 0
    linear_step_bake_minutes: float = 0
    alarm_bake_minutes: float = 0
    """Rolling with deployment alarms: the longest period x evaluation periods of the alarms the program defines."""
    unknown_alarms: tuple[str, ...] = ()
    """Deployment alarms the program does not define (their windows are unknown here)."""
    timeout_minutes: Optional[float] = None
    """How long `pulumi up` waits for the rollout (the service's update timeout with waitForSteadyState), or None
    when it does not wait."""


@dataclass
class RolloutAssumptions:
    image_pull_seconds: int = 30
    """Pulling the image, once Fargate has placed the task (a small image from ECR in the same region)."""
    task_start_seconds: int = 60
    """Fargate provisioning the task and starting its containers, until the application listens."""
    stop_seconds: Optional[int] = None
    """From SIGTERM until a stopping task has stopped. Default: the task's stop timeout (the worst case: an
    application that does not exit on SIGTERM)."""
    alarm_bake_minutes: Optional[float] = None
    """A rolling deployment's alarm bake time. Default: the longest period x evaluation periods of its alarms."""


@dataclass
class Stage:
    second: float
    what: str


@dataclass
class RolloutResult:
    summary: dict[str, Any]
    timeline: list[Stage]
    series: list[dict[str, Any]] = field(default_factory=list)
    """Per 10 seconds: old and new tasks running, new tasks healthy, the new revision's share of the traffic."""


def _minutes(value: Any) -> float:
    return float(value) if value not in (None, "") else 0.0


def _timeout_minutes(text: str) -> Optional[float]:
    """A Pulumi custom timeout ("45m", "1h30m", "90s") in minutes."""
    total, number = 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        else:
            total += float(number or 0) * {"h": 60, "m": 1, "s": 1 / 60}.get(char, 0)
            number = ""
    return round(total, 2) if total else None


def find_deployed_service(run: ProgramRun, name: str) -> Registration:
    """The ECS service of the component named ``name`` (a WebService or QueueWorker), else the service whose
    resource name or ``name`` is ``name``."""
    components = [r for r in run.resources if not r.custom and not r.remote and r.name == name]
    for component in components:
        children = [r for r in run.children(component) if r.type == SERVICE]
        if len(children) == 1:
            return children[0]
    services = [s for s in run.of_type(SERVICE) if name in (s.name, _name(s))]
    if len(services) != 1:
        available = sorted({s.name for s in run.of_type(SERVICE)})
        raise RehearsalError(f"--deployment {name}: no ECS service of that name "
                             f"(the program has: {', '.join(available) or 'none'})")
    return services[0]


def _target_group(service: Registration, run: ProgramRun) -> Optional[Registration]:
    balancers = service.inputs.get("loadBalancers") or []
    if not balancers:
        return None
    arn = balancers[0].get("targetGroupArn")
    for group in run.of_type(TARGET_GROUP):
        if group.outputs.get("arn") == arn or group.urn in service.property_dependencies.get("loadBalancers", []):
            if group.outputs.get("arn") == arn or not arn:
                return group
    return next((g for g in run.of_type(TARGET_GROUP)
                 if g.urn in service.property_dependencies.get("loadBalancers", [])), None)


def _alarm_windows(service: Registration, run: ProgramRun) -> tuple[float, tuple[str, ...]]:
    """(the longest period x evaluation periods in minutes, the names not found) of the service's deployment alarms,
    when they are enabled."""
    alarms = service.inputs.get("alarms") or {}
    if not alarms.get("enable"):
        return 0.0, ()
    names = [str(n) for n in alarms.get("alarmNames") or []]
    defined = {_name(a): a.inputs for a in run.of_type(ALARM)}
    windows = [int(defined[n].get("period") or 60) * int(defined[n].get("evaluationPeriods") or 1) / 60
               for n in names if n in defined]
    return max(windows, default=0.0), tuple(n for n in names if n not in defined)


def read_rollout(run: ProgramRun, name: str) -> Rollout:
    service = find_deployed_service(run, name)
    i = service.inputs
    config = i.get("deploymentConfiguration") or {}
    strategy = str(config.get("strategy") or "ROLLING")
    group = _target_group(service, run)
    check = (group.inputs.get("healthCheck") or {}) if group else {}
    targets = [t for t in run.of_type("aws:appautoscaling/target:Target")
               if service.urn in t.property_dependencies.get("resourceId", [])
               or str(t.inputs.get("resourceId", "")).endswith(f"/{_name(service)}")]
    desired = int(i.get("desiredCount") or 0)
    if targets:
        low, high = int(targets[0].inputs.get("minCapacity") or 0), int(targets[0].inputs.get("maxCapacity") or 0)
        desired = min(max(desired, low), high or desired)
    canary = config.get("canaryConfiguration") or {}
    linear = config.get("linearConfiguration") or {}
    alarm_bake, unknown = _alarm_windows(service, run) if strategy == "ROLLING" else (0.0, ())
    timeout = None
    if i.get("waitForSteadyState"):
        # The provider's own default update timeout is 20 minutes (terraform-provider-aws, ecs/service.go).
        timeout = _timeout_minutes(service.custom_timeouts.get("update", "")) or 20.0
    return Rollout(
        service=_name(service), strategy=strategy, tasks=max(desired, 1),
        minimum_healthy_percent=int(i.get("deploymentMinimumHealthyPercent", 100)),
        maximum_percent=int(i.get("deploymentMaximumPercent", 200)),
        grace_seconds=int(i.get("healthCheckGracePeriodSeconds") or 0),
        health_interval=int(check.get("interval") or DEFAULT_HEALTH_INTERVAL),
        deregistration_delay=int(group.inputs.get("deregistrationDelay", DEFAULT_DEREGISTRATION_DELAY))
        if group else 0,
        stop_timeout=_stop_timeout(service, run), load_balanced=group is not None,
        bake_minutes=_minutes(config.get("bakeTimeInMinutes")),
        canary_percent=float(canary.get("canaryPercent") or 0),
        canary_bake_minutes=_minutes(canary.get("canaryBakeTimeInMinutes")),
        linear_step_percent=float(linear.get("stepPercent") or 0),
        linear_step_bake_minutes=_minutes(linear.get("stepBakeTimeInMinutes")),
        alarm_bake_minutes=alarm_bake, unknown_alarms=unknown,
        timeout_minutes=timeout,
    )


@dataclass
class _Task:
    launched: float
    running: float
    healthy: float
    draining: Optional[float] = None
    stopped: Optional[float] = None


class _Replay:
    def __init__(self, rollout: Rollout, assumptions: RolloutAssumptions) -> None:
        self.r, self.a = rollout, assumptions
        self.stop_seconds = assumptions.stop_seconds if assumptions.stop_seconds is not None else rollout.stop_timeout
        self.old = [_Task(0, 0, 0) for _ in range(rollout.tasks)]
        self.new: list[_Task] = []
        self.timeline: list[Stage] = []
        self.series: list[dict[str, Any]] = []
        self.share = 0.0

    def note(self, second: float, what: str) -> None:
        self.timeline.append(Stage(second, what))

    def _launch(self, now: float, count: int) -> None:
        start = self.a.image_pull_seconds + self.a.task_start_seconds
        # "For newly registered targets, only a single successful health check is required to consider the target
        # healthy, regardless of the healthy threshold count setting" (ECS Developer Guide, "Optimize load balancer
        # health check parameters for Amazon ECS"); the first check comes up to one interval after the task starts.
        ready = self.r.health_interval if self.r.load_balanced else 0
        for _ in range(count):
            self.new.append(_Task(now, now + start, now + start + ready))
        self.note(now, f"start {count} new task(s): ready to serve {start + ready:.0f} s later (image pull "
                       f"{self.a.image_pull_seconds} s, start {self.a.task_start_seconds} s"
                       + (f", first health check within {self.r.health_interval} s)"
                          if self.r.load_balanced else ")"))

    def _drain(self, now: float, tasks: list[_Task]) -> None:
        for task in tasks:
            task.draining = now
            task.stopped = now + self.r.deregistration_delay + self.stop_seconds
        if tasks:
            self.note(now, f"drain and stop {len(tasks)} old task(s): deregistration delay "
                           f"{self.r.deregistration_delay} s, then up to {self.stop_seconds} s to stop")

    def _alive(self, tasks: list[_Task], now: float) -> list[_Task]:
        return [t for t in tasks if t.stopped is None or t.stopped > now]

    def _record(self, now: float, always: bool = False) -> None:
        if always or now % 10 == 0:
            self.series.append({
                "minute": round(now / 60, 2),
                "oldTasks": len(self._alive(self.old, now)),
                "newTasks": len([t for t in self.new if t.running <= now]),
                "newHealthy": len([t for t in self.new if t.healthy <= now]),
                "newTrafficPercent": self.share,
            })

    def rolling(self) -> float:
        r = self.r
        n = r.tasks
        floor_healthy = math.ceil(n * r.minimum_healthy_percent / 100)
        ceiling = max(math.floor(n * r.maximum_percent / 100), n)
        now = 0.0
        while now < 24 * 3600:
            alive_old = self._alive(self.old, now)
            serving_old = [t for t in alive_old if t.draining is None]
            healthy_new = [t for t in self.new if t.healthy <= now]
            healthy = len(serving_old) + len(healthy_new)
            # Stop old tasks while enough stay healthy (a replacement being ready, or minimumHealthyPercent
            # allowing it), then start new ones up to maximumPercent.
            surplus = min(len(serving_old), healthy - floor_healthy, len(serving_old) + len(self.new) - n)
            if surplus > 0:
                self._drain(now, serving_old[:surplus])
            room = ceiling - len(self._alive(self.old, now)) - len(self.new)
            wanted = n - len(self.new)
            if min(room, wanted) > 0:
                self._launch(now, min(room, wanted))
            self.share = 100 * len(healthy_new) / max(len(healthy_new) + len(serving_old), 1)
            self._record(now)
            if len(healthy_new) == n and not self._alive(self.old, now):
                self._record(now, always=True)
                return self._alarm_bake(now)
            now += 1
        return now

    def _alarm_bake(self, now: float) -> float:
        """The end of a rolling deployment: at once, or after ECS has watched its deployment alarms."""
        minutes = self.a.alarm_bake_minutes
        if minutes is None:
            minutes = self.r.alarm_bake_minutes
        if self.r.unknown_alarms and self.a.alarm_bake_minutes is None:
            self.note(now, f"deployment alarm(s) {', '.join(self.r.unknown_alarms)} not defined by the program: "
                           "their windows are not counted (--alarm-bake-minutes sets the bake)")
        if not minutes:
            self.note(now, "the new tasks alone serve: the deployment is complete")
            return now
        self.note(now, f"the new tasks alone serve; ECS watches the deployment alarms for {minutes:g} min")
        end = now + minutes * 60
        for second in range(int(now) + 10 - int(now) % 10, int(end) + 1, 10):
            self._record(float(second))
        self._record(end, always=True)
        self.note(end, "no deployment alarm fired: the deployment is complete")
        return end

    def progressive(self) -> float:
        r = self.r
        self._launch(0, r.tasks)
        ready = max(t.healthy for t in self.new)
        shifts: list[tuple[float, float]] = []  # (second, share after it)
        now = ready
        if r.strategy == "CANARY":
            shifts = [(now, r.canary_percent)]
            now += r.canary_bake_minutes * 60
            shifts.append((now, 100.0))
        elif r.strategy == "LINEAR":
            step = r.linear_step_percent or 100.0
            share = 0.0
            while share < 100:
                share = min(100.0, share + step)
                shifts.append((now, share))
                if share < 100:  # "This bake time is not applied after reaching 100 percent traffic"
                    now += r.linear_step_bake_minutes * 60
        else:
            shifts = [(now, 100.0)]
        for second, share in shifts:
            self.note(second, f"production traffic to the new revision: {share:g}%")
        bake_end = shifts[-1][0] + r.bake_minutes * 60
        self.note(shifts[-1][0], f"bake {r.bake_minutes:g} min with the old revision still running")
        self._drain(bake_end, self.old)
        end = max(t.stopped or 0 for t in self.old)
        for second in range(0, int(end) + 1):
            self.share = next((s for t, s in reversed(shifts) if t <= second), 0.0)
            self._record(float(second))
        self._record(end, always=True)
        self.note(end, "the old revision has stopped: the deployment is complete")
        return end

    def run(self) -> RolloutResult:
        end = self.progressive() if self.r.strategy in PROGRESSIVE else self.rolling()
        minutes = round(end / 60, 1)
        timeout = self.r.timeout_minutes
        self.timeline.sort(key=lambda s: s.second)
        summary = {
            "service": self.r.service,
            "strategy": self.r.strategy,
            "tasks": self.r.tasks,
            "deployMinutes": minutes,
            "timeoutMinutes": timeout,
            "fits": timeout is None or minutes <= timeout,
            "marginMinutes": round(timeout - minutes, 1) if timeout is not None else None,
        }
        return RolloutResult(summary, self.timeline, self.series)


def replay(rollout: Rollout, assumptions: Optional[RolloutAssumptions] = None) -> RolloutResult:
    return _Replay(rollout, assumptions or RolloutAssumptions()).run()


def describe(rollout: Rollout) -> dict[str, Any]:
    """What the rollout is made of, as the report shows it (camelCase)."""
    shown = {k: v for k, v in vars(rollout).items()}
    return {"".join(p.title() if i else p for i, p in enumerate(k.split("_"))): v for k, v in shown.items()}


__all__ = ["Rollout", "RolloutAssumptions", "RolloutResult", "Stage", "describe", "read_rollout", "replay"]
