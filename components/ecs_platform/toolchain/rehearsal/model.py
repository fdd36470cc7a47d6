"""What the rehearsal replays, read from what a program registered: a queue worker's ECS service, its SQS queue, the
CloudWatch alarms that watch them and the Application Auto Scaling target and policies the alarms drive.

Nothing here knows the platform's components: a raw ``pulumi_aws`` program with a service, a queue, alarms and
scaling policies is read the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from ecs_platform.offline import ProgramRun, Registration

from .metric_math import Expression

SERVICE = "aws:ecs/service:Service"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
WORKER_COMPONENT = "ecs-platform:index:QueueWorker"
SQS_DEFAULT_VISIBILITY = 30
"""SQS CreateQueue: VisibilityTimeout defaults to 30 seconds."""
STEP_DEFAULT_COOLDOWN = TRACKING_DEFAULT_COOLDOWN = 300
"""Application Auto Scaling: a step policy's Cooldown "If not specified, the default value is 300"; target tracking
cooldowns default to 300 for ECS services."""


class RehearsalError(ValueError):
    """The program has nothing the rehearsal can replay for the worker asked for (one line)."""


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int

    def dimension(self, key: str) -> Optional[str]:
        return dict(self.dimensions).get(key)


@dataclass
class Query:
    id: str
    metric: Optional[Metric] = None
    expression: Optional[Expression] = None
    returns: bool = False


@dataclass
class Alarm:
    name: str
    queries: list[Query]
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing: str
    period: int
    policies: list[str]
    """Names of the scaling policies the alarm's ALARM actions invoke."""

    @property
    def returned(self) -> Query:
        return next(q for q in self.queries if q.returns)

    @property
    def above(self) -> bool:
        """Whether the alarm breaches above its threshold (its step policies' intervals lie above it)."""
        return self.comparison.startswith("Greater")

    def breaches(self, value: float) -> bool:
        return {
            "GreaterThanThreshold": value > self.threshold,
            "GreaterThanOrEqualToThreshold": value >= self.threshold,
            "LessThanThreshold": value < self.threshold,
            "LessThanOrEqualToThreshold": value <= self.threshold,
        }[self.comparison]


@dataclass
class Step:
    lower: Optional[float]
    upper: Optional[float]
    adjustment: int

    def contains(self, delta: float, above: bool) -> bool:
        """Whether (metric - threshold) falls in this step, for an alarm that breaches ``above`` its threshold
        (GreaterThan...) or below it. Application Auto Scaling API reference, StepAdjustment: "If the metric value is
        above the breach threshold, the lower bound is inclusive (the metric must be greater than or equal to the
        threshold plus the lower bound) and the upper bound is exclusive"; below it, the lower bound is exclusive and
        the upper inclusive. The side is the alarm's, not the sign of this one value: with a breach threshold of 50,
        [0, 10) holds "greater than or equal to 50 and less than 60", 50 included."""
        if above:
            return (self.lower is None or delta >= self.lower) and (self.upper is None or delta < self.upper)
        return (self.lower is None or delta > self.lower) and (self.upper is None or delta <= self.upper)


@dataclass
class StepPolicy:
    name: str
    adjustment_type: str
    steps: list[Step]
    cooldown: int
    min_magnitude: Optional[int] = None


@dataclass
class TrackingPolicy:
    name: str
    target: float
    queries: list[Query]
    disable_scale_in: bool
    scale_out_cooldown: int
    scale_in_cooldown: int


@dataclass
class Worker:
    """Everything the replay needs about one worker."""

    service: str
    cluster: str
    queue: str
    visibility_timeout: int
    max_receive_count: Optional[int]
    desired: int
    min_tasks: int
    max_tasks: int
    strategy: list[tuple[str, int, int]]
    stop_timeout: int
    alarms: list[Alarm] = field(default_factory=list)
    step_policies: dict[str, StepPolicy] = field(default_factory=dict)
    tracking_policies: list[TrackingPolicy] = field(default_factory=list)
    managed_instances: bool = False
    """Runs on an ECS Managed Instances capacity provider: a task waits for an instance to start first."""


def _on_managed_instances(service: Registration, run: ProgramRun) -> bool:
    names = {_name(p) for p in run.of_type("aws:ecs/capacityProvider:CapacityProvider")
             if p.inputs.get("managedInstancesProvider")}
    return any(str(s.get("capacityProvider")) in names for s in service.inputs.get("capacityProviderStrategies") or [])


# Reading the program --------------------------------------------------------------------------------------------


def _name(resource: Registration) -> str:
    return str(resource.outputs.get("name") or resource.inputs.get("name") or resource.name)


def find_service(run: ProgramRun, worker: str) -> Registration:
    """The ECS service of a QueueWorker component named ``worker``, or else the service whose resource name or
    ``name`` is ``worker``."""
    components = [r for r in run.of_type(WORKER_COMPONENT) if r.name == worker]
    if components:
        children = [r for r in run.children(components[0]) if r.type == SERVICE]
        if len(children) == 1:
            return children[0]
    services = [s for s in run.of_type(SERVICE) if worker in (s.name, _name(s))]
    if len(services) != 1:
        available = sorted({r.name for r in run.of_type(WORKER_COMPONENT)} | {s.name for s in run.of_type(SERVICE)})
        raise RehearsalError(f"--worker {worker}: no queue worker or ECS service of that name "
                             f"(the program has: {', '.join(available) or 'none'})")
    return services[0]


def _as_float(value: Any) -> Optional[float]:
    return None if value in (None, "") else float(value)


def _metric(spec: dict[str, Any], stat: Optional[str], period: Optional[int]) -> Metric:
    dimensions = spec.get("dimensions") or {}
    if isinstance(dimensions, list):
        dimensions = {d.get("name"): d.get("value") for d in dimensions}
    return Metric(
        namespace=str(spec.get("namespace")), name=str(spec.get("metricName")),
        dimensions=tuple(sorted((str(k), str(v)) for k, v in dimensions.items())),
        stat=str(stat or spec.get("stat") or "Average"), period=int(period or spec.get("period") or 60),
    )


def _queries(specs: list[dict[str, Any]]) -> list[Query]:
    queries = []
    for spec in specs:
        returns = spec.get("returnData")
        query = Query(id=str(spec["id"]), returns=bool(returns) if returns is not None else False)
        if spec.get("expression"):
            query.expression = Expression(str(spec["expression"]))
        elif spec.get("metric"):  # CloudWatch alarm shape: metric {namespace, metricName, dimensions, stat, period}
            query.metric = _metric(spec["metric"], None, None)
        elif spec.get("metricStat"):  # target tracking shape: metricStat {metric {...}, stat}
            stat = spec["metricStat"]
            query.metric = _metric(stat.get("metric") or {}, stat.get("stat"), 60)
        queries.append(query)
    if queries and not any(q.returns for q in queries):
        queries[-1].returns = True
    return queries


def _alarm(resource: Registration, policies_by_arn: dict[str, str], policies_by_urn: dict[str, str]) -> Alarm:
    i = resource.inputs
    if i.get("metricQueries"):
        queries = _queries(i["metricQueries"])
        period = max((q.metric.period for q in queries if q.metric), default=60)
    else:
        metric = Metric(str(i.get("namespace")), str(i.get("metricName")),
                        tuple(sorted((str(k), str(v)) for k, v in (i.get("dimensions") or {}).items())),
                        str(i.get("statistic") or "Average"), int(i.get("period") or 60))
        queries = [Query(id="m", metric=metric, returns=True)]
        period = metric.period
    actions = [str(a) for a in i.get("alarmActions") or []]
    named = [policies_by_arn[a] for a in actions if a in policies_by_arn]
    named += [policies_by_urn[u] for u in resource.property_dependencies.get("alarmActions", []) if u in policies_by_urn]
    periods = int(i.get("evaluationPeriods") or 1)
    return Alarm(
        name=_name(resource), queries=queries, threshold=float(i.get("threshold") or 0),
        comparison=str(i.get("comparisonOperator")), evaluation_periods=periods,
        datapoints_to_alarm=int(i.get("datapointsToAlarm") or periods),
        treat_missing=str(i.get("treatMissingData") or "missing"), period=period,
        policies=list(dict.fromkeys(named)),
    )


def _cooldown(value: Any, default: int) -> int:
    """A cooldown as set (0 included), or its default when unset."""
    return default if value in (None, "") else int(value)


def _policy(resource: Registration) -> Optional[StepPolicy | TrackingPolicy]:
    i = resource.inputs
    if i.get("policyType") == "TargetTrackingScaling":
        config = i.get("targetTrackingScalingPolicyConfiguration") or {}
        customized = (config.get("customizedMetricSpecification") or {}).get("metrics") or []
        return TrackingPolicy(
            name=_name(resource), target=float(config.get("targetValue") or 0), queries=_queries(customized),
            disable_scale_in=bool(config.get("disableScaleIn")),
            scale_out_cooldown=_cooldown(config.get("scaleOutCooldown"), TRACKING_DEFAULT_COOLDOWN),
            scale_in_cooldown=_cooldown(config.get("scaleInCooldown"), TRACKING_DEFAULT_COOLDOWN),
        )
    config = i.get("stepScalingPolicyConfiguration") or {}
    steps = [Step(_as_float(s.get("metricIntervalLowerBound")), _as_float(s.get("metricIntervalUpperBound")),
                  int(s.get("scalingAdjustment") or 0)) for s in config.get("stepAdjustments") or []]
    if not steps:
        return None
    magnitude = config.get("minAdjustmentMagnitude")
    return StepPolicy(name=_name(resource), adjustment_type=str(config.get("adjustmentType") or "ChangeInCapacity"),
                      steps=steps, cooldown=_cooldown(config.get("cooldown"), STEP_DEFAULT_COOLDOWN),
                      min_magnitude=int(magnitude) if magnitude else None)


def _strategy(service: Registration, run: ProgramRun) -> list[tuple[str, int, int]]:
    items = service.inputs.get("capacityProviderStrategies") or []
    if not items:
        for association in run.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"):
            items = association.inputs.get("defaultCapacityProviderStrategies") or []
    if not items:
        return [("FARGATE", 1, 0)]
    return [(str(s.get("capacityProvider")), int(s.get("weight") or 0), int(s.get("base") or 0)) for s in items]


def _stop_timeout(service: Registration, run: ProgramRun) -> int:
    for definition in run.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        arns = {definition.outputs.get("arn"), definition.urn}
        if service.inputs.get("taskDefinition") in arns or definition.urn in service.dependencies:
            containers = json.loads(definition.inputs.get("containerDefinitions") or "[]")
            return max((int(c.get("stopTimeout") or 30) for c in containers if c.get("essential", True)), default=30)
    return 30


def read_worker(run: ProgramRun, worker: str) -> Worker:
    """The worker named ``worker`` as the replay needs it, or :class:`RehearsalError` naming what is missing."""
    service = find_service(run, worker)
    service_name = _name(service)
    cluster = str(service.inputs.get("cluster") or "").rsplit("/", 1)[-1]
    targets = [t for t in run.of_type(TARGET)
               if str(t.inputs.get("resourceId", "")).endswith(f"/{service_name}")
               or service.urn in t.property_dependencies.get("resourceId", [])]
    target = targets[0] if targets else None
    resource_id = target.inputs.get("resourceId") if target else None
    registered = [p for p in run.of_type(POLICY)
                  if target is not None and (p.inputs.get("resourceId") == resource_id
                                             or target.urn in p.property_dependencies.get("resourceId", []))]
    policies = {p.urn: _policy(p) for p in registered}
    by_arn = {str(p.outputs.get("arn")): _name(p) for p in registered if p.outputs.get("arn")}
    by_urn = {p.urn: _name(p) for p in registered}
    alarms = [_alarm(a, by_arn, by_urn) for a in run.of_type(ALARM)]
    alarms = [a for a in alarms if a.policies]
    queue_names = {q.metric.dimension("QueueName") for a in alarms for q in a.queries if q.metric} - {None}
    queue_names |= {q.metric.dimension("QueueName") for p in policies.values() if isinstance(p, TrackingPolicy)
                    for q in p.queries if q.metric} - {None}
    queues = [q for q in run.of_type(QUEUE) if _name(q) in queue_names]
    if not queues:
        raise RehearsalError(f"--worker {worker}: no SQS queue of the program drives the scaling of service "
                             f"{service_name} (its alarms read {', '.join(sorted(queue_names)) or 'no queue'})")
    queue = queues[0]
    redrive = queue.inputs.get("redrivePolicy")
    redrive = json.loads(redrive) if isinstance(redrive, str) and redrive else (redrive or {})
    desired = int(service.inputs.get("desiredCount") or 0)
    return Worker(
        service=service_name, cluster=cluster, queue=_name(queue),
        visibility_timeout=int(queue.inputs.get("visibilityTimeoutSeconds") or SQS_DEFAULT_VISIBILITY),
        max_receive_count=int(redrive["maxReceiveCount"]) if redrive.get("maxReceiveCount") else None,
        desired=desired,
        min_tasks=int(target.inputs.get("minCapacity")) if target else desired,
        max_tasks=int(target.inputs.get("maxCapacity")) if target else desired,
        strategy=_strategy(service, run), stop_timeout=_stop_timeout(service, run),
        alarms=alarms,
        step_policies={p.name: p for p in policies.values() if isinstance(p, StepPolicy)},
        tracking_policies=[p for p in policies.values() if isinstance(p, TrackingPolicy)],
        managed_instances=_on_managed_instances(service, run),
    )
