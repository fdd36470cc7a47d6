"""Stack-wide platform rules from the field: what makes ECS deployments fail, flap or lose work."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import Severity

from ._base import (
    Control,
    as_list,
    by_type,
    containers,
    known,
    known_items,
    linked,
    lookup,
    parse_json,
    related,
    stack_policy,
)
from .data import ALARM, LOG_GROUP, QUEUE
from .ecs import SERVICE, TASK_DEFINITION

ROLE = "aws:iam/role:Role"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCHEDULE = "aws:scheduler/schedule:Schedule"

Findings = Iterator[tuple[str, Optional[str]]]


def _log_groups_exist(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    groups = by_type(resources, LOG_GROUP)
    names = {str(known(g.props, "name")) for g in groups if known(g.props, "name")}
    for definition in by_type(resources, TASK_DEFINITION):
        # A group of this stack whose name is not known yet (named from another output) may be the one used.
        unnamed = [g for g in linked(definition, "containerDefinitions", LOG_GROUP) if not known(g.props, "name")]
        for container in containers(definition.props):
            log = container.get("logConfiguration") or {}
            group = (log.get("options") or {}).get("awslogs-group")
            if log.get("logDriver") == "awslogs" and group and group not in names and not unnamed:
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
    roles = by_type(resources, ROLE)
    for definition in by_type(resources, TASK_DEFINITION):
        for key in ("taskRoleArn", "executionRoleArn"):
            for role in related(definition, key, roles):
                extra = _trusted_principals(role) - {"Service:ecs-tasks.amazonaws.com"}
                if extra:
                    yield f"{key} of {definition.name!r} can also be assumed by {', '.join(sorted(extra))}", role.urn


def _on_spot(service: Any) -> bool:
    strategy = service.props.get("capacityProviderStrategies") or []
    return any(s.get("capacityProvider") == "FARGATE_SPOT" and (s.get("weight") or 0) > 0 for s in strategy)


def _spot_stop_timeout(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    definitions = by_type(resources, TASK_DEFINITION)
    minimum = config["minStopTimeoutSeconds"]
    for service in filter(_on_spot, by_type(resources, SERVICE)):
        for definition in related(service, "taskDefinition", definitions):
            for container in containers(definition.props):
                timeout = int(container.get("stopTimeout") or 30)
                if timeout < minimum:
                    yield (f"service {service.name!r} runs on Spot but container {container.get('name')!r} stops after "
                           f"{timeout} s; Spot gives 120 s notice, use at least {minimum}"), definition.urn


def _scales_in_only(policy: Any, alarm: Any) -> bool:
    """A step policy that only removes tasks: negative changes, or an exact capacity set when the alarm's metric
    falls low (ExactCapacity to the minimum, as an idle queue's alarm does)."""
    config = policy.props.get("stepScalingPolicyConfiguration") or {}
    steps = config.get("stepAdjustments") or []
    if not steps:
        return False
    if config.get("adjustmentType") == "ExactCapacity":
        return str(alarm.props.get("comparisonOperator", "")).startswith("LessThan")
    return all((s.get("scalingAdjustment") or 0) < 0 for s in steps)


def _scale_in_alarms(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    policies = by_type(resources, SCALING_POLICY)
    for alarm in by_type(resources, ALARM):
        if any(_scales_in_only(p, alarm) for p in related(alarm, "alarmActions", policies)):
            periods = int(alarm.props.get("evaluationPeriods") or 1)
            if periods < config["minEvaluationPeriods"]:
                yield (f"alarm {alarm.name!r} scales in after {periods} period(s); wait at least "
                       f"{config['minEvaluationPeriods']} so capacity does not flap"), alarm.urn


def _scales(target: Any, service: Any) -> bool:
    """Whether a scalable target's resourceId (service/<cluster>/<service>) names ``service``."""
    if service in linked(target, "resourceId", SERVICE):
        return True
    resource_id, name = known(target.props, "resourceId"), known(service.props, "name")
    return bool(resource_id and name) and str(resource_id).endswith(f"/{name}")


def _web_autoscaling(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    targets = [t for t in by_type(resources, SCALABLE_TARGET)
               if t.props.get("scalableDimension") == "ecs:service:DesiredCount"]
    for service in by_type(resources, SERVICE):
        if not service.props.get("loadBalancers"):
            continue
        matching = [t for t in targets if _scales(t, service)]
        if not matching:
            yield f"web service {service.name!r} has no autoscaling", service.urn
        elif int(matching[0].props.get("minCapacity") or 0) < config["minTasks"]:
            yield (f"web service {service.name!r} may scale down to {int(matching[0].props.get('minCapacity') or 0)} task(s); "
                   f"keep at least {config['minTasks']}"), matching[0].urn


def _dead_letter_targets(queue: Any, queues: list[Any]) -> list[Any]:
    found = linked(queue, "redrivePolicy", QUEUE)
    if found:
        return found
    policy = parse_json(known(queue.props, "redrivePolicy")) or {}
    target = policy.get("deadLetterTargetArn") if isinstance(policy, Mapping) else None
    return [q for q in queues if target and known(q.props, "arn") == target]


def _schedule_dead_letter_targets(schedule: Any, queues: list[Any]) -> list[Any]:
    """The queue an EventBridge Scheduler schedule sends the runs it could not start to (target.deadLetterConfig):
    by property dependency, or by its known ARN."""
    found = {id(q) for q in linked(schedule, "target", QUEUE)}
    target = known(known(known(schedule.props, "target") or {}, "deadLetterConfig") or {}, "arn")
    return [q for q in queues if id(q) in found or (target and known(q.props, "arn") == target)]


def _watched_queues(alarm: Any, queues: list[Any]) -> list[Any]:
    """Queues an alarm reads a metric of: by property dependency, or by a known QueueName dimension."""
    found = linked(alarm, "dimensions", QUEUE) + linked(alarm, "metricQueries", QUEUE)
    dimensions = [known(alarm.props, "dimensions") or {}]
    dimensions += [known(known(query, "metric") or {}, "dimensions") or {}
                   for query in known_items(lookup(alarm.props, "metricQueries"))]
    names = {known(d, "QueueName") for d in dimensions} - {None}
    return found + [q for q in queues if known(q.props, "name") in names]


def _dead_letters(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    queues = by_type(resources, QUEUE)
    dead_letter_queues = {id(t): t for q in queues for t in _dead_letter_targets(q, queues)}
    dead_letter_queues |= {id(t): t for s in by_type(resources, SCHEDULE) for t in _schedule_dead_letter_targets(s, queues)}
    watched = {id(q) for alarm in by_type(resources, ALARM) for q in _watched_queues(alarm, queues)}
    for queue in queues:
        if id(queue) in dead_letter_queues:
            if id(queue) not in watched:
                yield f"dead-letter queue {queue.name!r} has no alarm; failed messages would go unnoticed", queue.urn
        elif lookup(queue.props, "redrivePolicy") is None:
            yield f"work queue {queue.name!r} has no dead-letter queue (redrivePolicy)", queue.urn


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
# ECS Managed Instances (ECS Developer Guide, "Amazon ECS infrastructure IAM role" and "Amazon ECS Managed Instances
# instance profile"): each role carries its AWS managed policy, and the infrastructure policy passes only roles named
# ecsInstanceRole*.
_MI_ROLES = {
    "AmazonECSInfrastructureRolePolicyForManagedInstances": ("Service:ecs.amazonaws.com", None),
    "AmazonECSInstanceRolePolicyForManagedInstances": ("Service:ec2.amazonaws.com", "ecsInstanceRole"),
}


def _roles_of(attachment: Any, roles: list[Any]) -> list[Any]:
    return related(attachment, "role", roles, match_key="name")


def _managed_instances_roles(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    roles, attachments = by_type(resources, ROLE), by_type(resources, ATTACHMENT)
    inline = by_type(resources, ROLE_POLICY)
    for attachment in attachments:
        policy = str(known(attachment.props, "policyArn") or "").rsplit("/", 1)[-1]
        if policy not in _MI_ROLES:
            continue
        principal, prefix = _MI_ROLES[policy]
        for role in _roles_of(attachment, roles):
            name = known(role.props, "name")
            if prefix and isinstance(name, str) and not name.startswith(prefix):
                yield (f"role {name!r} carries {policy} but is not named {prefix}*: the infrastructure policy may "
                       "pass only roles of that name, so ECS could not launch the instances"), role.urn
            extra = _trusted_principals(role) - {principal}
            if extra:
                yield f"{policy} role {role.name!r} can also be assumed by {', '.join(sorted(extra))}", role.urn
            others = [a for a in attachments if a is not attachment and role in _roles_of(a, roles)]
            others += [p for p in inline if role in _roles_of(p, roles)]
            if others:
                yield (f"{policy} role {role.name!r} carries more than its AWS managed policy "
                       f"({', '.join(o.name for o in others)}); Managed Instances need nothing else"), role.urn
            for profile in by_type(resources, INSTANCE_PROFILE):
                profile_name = known(profile.props, "name")
                if prefix and role in _roles_of(profile, roles) and isinstance(profile_name, str) \
                        and not profile_name.startswith(prefix):
                    yield f"instance profile {profile_name!r} of role {role.name!r} is not named {prefix}*", profile.urn


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
    stack_policy("ecs-managed-instances-roles", _platform("PLATFORM.ECS-MI-ROLES", Severity.HIGH),
                 "Managed Instances roles carry only their AWS managed policy and trust only their service; the "
                 "instance role and profile are named ecsInstanceRole*.", _managed_instances_roles),
    stack_policy("sqs-dead-letter-queues", _platform("PLATFORM.SQS-DEAD-LETTERS", Severity.MEDIUM),
                 "Every work queue has a dead-letter queue, and every dead-letter queue (of a queue or a schedule) an alarm.", _dead_letters),
]
