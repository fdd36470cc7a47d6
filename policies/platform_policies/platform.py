"""Stack-wide platform rules from the field: what makes ECS deployments fail, flap or lose work."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import Severity

from ._base import Control, as_list, by_type, containers, parse_json, stack_policy
from .data import ALARM, LOG_GROUP, QUEUE
from .ecs import SERVICE, TASK_DEFINITION

ROLE = "aws:iam/role:Role"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"

Findings = Iterator[tuple[str, Optional[str]]]


def _by_arn(resources: list[Any], *types: str) -> dict[str, Any]:
    return {str(r.props["arn"]): r for r in by_type(resources, *types) if r.props.get("arn")}


def _log_groups_exist(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    names = {str(g.props.get("name")) for g in by_type(resources, LOG_GROUP)}
    for definition in by_type(resources, TASK_DEFINITION):
        for container in containers(definition.props):
            log = container.get("logConfiguration") or {}
            group = (log.get("options") or {}).get("awslogs-group")
            if log.get("logDriver") == "awslogs" and group and group not in names:
                yield (f"container {container.get('name')!r} logs to {group!r}, which is not a log group of this stack; "
                       "ECS cannot start the task unless the group exists"), definition.urn


def _trusted_principals(role: Any) -> set[str]:
    principals: set[str] = set()
    for statement in parse_json(role.props.get("assumeRolePolicy") or "{}").get("Statement", []):
        principal = statement.get("Principal") or {}
        if isinstance(principal, str):
            principals.add(principal)
            continue
        for kind, values in principal.items():
            principals.update(f"{kind}:{v}" for v in as_list(values))
    return principals


def _task_roles_trust_ecs_only(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    roles = _by_arn(resources, ROLE)
    for definition in by_type(resources, TASK_DEFINITION):
        for key in ("taskRoleArn", "executionRoleArn"):
            role = roles.get(str(definition.props.get(key)))
            if role is None:
                continue
            extra = _trusted_principals(role) - {"Service:ecs-tasks.amazonaws.com"}
            if extra:
                yield f"{key} of {definition.name!r} can also be assumed by {', '.join(sorted(extra))}", role.urn


def _spot_stop_timeout(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    definitions = _by_arn(resources, TASK_DEFINITION)
    minimum = config["minStopTimeoutSeconds"]
    for service in by_type(resources, SERVICE):
        strategy = service.props.get("capacityProviderStrategies") or []
        if not any(s.get("capacityProvider") == "FARGATE_SPOT" and (s.get("weight") or 0) > 0 for s in strategy):
            continue
        definition = definitions.get(str(service.props.get("taskDefinition")))
        for container in containers(definition.props) if definition else []:
            timeout = int(container.get("stopTimeout") or 30)
            if timeout < minimum:
                yield (f"service {service.name!r} runs on Spot but container {container.get('name')!r} stops after "
                       f"{timeout} s; Spot gives 120 s notice, use at least {minimum}"), definition.urn


def _scale_in_alarms(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    policies = _by_arn(resources, SCALING_POLICY)
    for alarm in by_type(resources, ALARM):
        for action in alarm.props.get("alarmActions") or []:
            policy = policies.get(str(action))
            steps = ((policy.props.get("stepScalingPolicyConfiguration") or {}).get("stepAdjustments") or []) \
                if policy else []
            if steps and all((s.get("scalingAdjustment") or 0) < 0 for s in steps):
                periods = int(alarm.props.get("evaluationPeriods") or 1)
                if periods < config["minEvaluationPeriods"]:
                    yield (f"alarm {alarm.name!r} scales in after {periods} period(s); wait at least "
                           f"{config['minEvaluationPeriods']} so capacity does not flap"), alarm.urn


def _web_autoscaling(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    targets = [t for t in by_type(resources, SCALABLE_TARGET)
               if t.props.get("scalableDimension") == "ecs:service:DesiredCount"]
    for service in by_type(resources, SERVICE):
        if not service.props.get("loadBalancers"):
            continue
        name = str(service.props.get("name"))
        matching = [t for t in targets if str(t.props.get("resourceId", "")).endswith(f"/{name}")]
        if not matching:
            yield f"web service {service.name!r} has no autoscaling", service.urn
        elif int(matching[0].props.get("minCapacity") or 0) < config["minTasks"]:
            yield (f"web service {service.name!r} may scale down to {int(matching[0].props.get('minCapacity') or 0)} task(s); "
                   f"keep at least {config['minTasks']}"), matching[0].urn


def _dead_letters(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    queues = by_type(resources, QUEUE)
    by_arn = {str(q.props.get("arn")): q for q in queues}
    targets = {str((parse_json(q.props.get("redrivePolicy")) or {}).get("deadLetterTargetArn")): q for q in queues
               if q.props.get("redrivePolicy")}
    watched = set()
    for alarm in by_type(resources, ALARM):
        dimensions = dict(alarm.props.get("dimensions") or {})
        for query in alarm.props.get("metricQueries") or []:
            dimensions.update(((query.get("metric") or {}).get("dimensions")) or {})
        if dimensions.get("QueueName"):
            watched.add(str(dimensions["QueueName"]))
    for queue in queues:
        arn = str(queue.props.get("arn"))
        if arn in targets:
            if str(queue.props.get("name")) not in watched:
                yield f"dead-letter queue {queue.name!r} has no alarm; failed messages would go unnoticed", queue.urn
        elif not queue.props.get("redrivePolicy"):
            yield f"work queue {queue.name!r} has no dead-letter queue (redrivePolicy)", queue.urn
        elif str((parse_json(queue.props["redrivePolicy"]) or {}).get("deadLetterTargetArn")) not in by_arn:
            continue  # a dead-letter queue outside this stack: its alarm is that stack's business


def _platform(control_id: str, severity: Severity) -> Control:
    return Control(control_id, severity)


POLICIES = [
    stack_policy("ecs-log-groups-exist", _platform("PLATFORM.ECS-LOG-GROUP", Severity.HIGH),
                 "Every awslogs-group a container uses is a log group of the same stack.", _log_groups_exist),
    stack_policy("ecs-task-roles-trust-ecs-only", _platform("PLATFORM.ECS-TASK-ROLE-TRUST", Severity.HIGH),
                 "Task and execution roles are assumable by ecs-tasks.amazonaws.com only.", _task_roles_trust_ecs_only),
    stack_policy("ecs-spot-stop-timeout", _platform("PLATFORM.ECS-SPOT-STOP-TIMEOUT", Severity.MEDIUM),
                 "Containers of services on FARGATE_SPOT get a stop timeout that uses Spot's two-minute notice.",
                 _spot_stop_timeout,
                 config={"minStopTimeoutSeconds": {"type": "integer", "minimum": 2, "maximum": 120, "default": 110,
                                                   "description": "Shortest stopTimeout for Spot containers."}}),
    stack_policy("cloudwatch-scale-in-evaluation-periods", _platform("PLATFORM.SCALE-IN-PERIODS", Severity.MEDIUM),
                 "Alarms that scale in wait several evaluation periods.", _scale_in_alarms,
                 config={"minEvaluationPeriods": {"type": "integer", "minimum": 1, "default": 3,
                                                  "description": "Fewest periods before a scale-in alarm fires."}}),
    stack_policy("ecs-web-service-autoscaling", _platform("PLATFORM.ECS-WEB-AUTOSCALING", Severity.HIGH),
                 "Web services (behind a load balancer) have autoscaling with a minimum task count.", _web_autoscaling,
                 config={"minTasks": {"type": "integer", "minimum": 0, "default": 2,
                                      "description": "Fewest tasks a web service may scale down to."}}),
    stack_policy("sqs-dead-letter-queues", _platform("PLATFORM.SQS-DEAD-LETTERS", Severity.MEDIUM),
                 "Every work queue has a dead-letter queue, and every dead-letter queue an alarm.", _dead_letters),
]
