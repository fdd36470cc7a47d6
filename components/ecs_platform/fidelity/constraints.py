"""Constraints AWS enforces that its API models do not express, each with where AWS documents it.

Every check takes the requests of the whole stack (some constraints span resources, such as listener rule
priorities) and yields (request, field, message) for each breach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Optional

from .. import naming, validation
from .requests import ApiRequest, text

Finding = tuple[ApiRequest, str, str]
Check = Callable[[list[ApiRequest]], Iterator[Finding]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


def _of(requests: list[ApiRequest], label: str) -> list[ApiRequest]:
    return [r for r in requests if r.label == label]


@check
def fargate_task_size(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ECS Developer Guide, "Task CPU and memory": Fargate accepts only the listed cpu/memory combinations.
    for r in _of(requests, "ecs:RegisterTaskDefinition"):
        if "FARGATE" not in (r.params.get("requiresCompatibilities") or []):
            continue
        try:
            validation.fargate_size(int(r.params.get("cpu", 0)), int(r.params.get("memory", 0)))
        except (TypeError, ValueError) as error:
            yield r, "cpu/memory", str(error)


@check
def launch_type_or_strategy(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ECS API reference, CreateService: "If a capacityProviderStrategy is specified, the launchType parameter must
    # be omitted."
    for r in _of(requests, "ecs:CreateService"):
        if r.params.get("launchType") and r.params.get("capacityProviderStrategy"):
            yield r, "launchType", "launchType and capacityProviderStrategy are mutually exclusive"


@check
def grace_period_needs_a_health_check(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ECS API reference, CreateService: the grace period applies to Elastic Load Balancing, VPC Lattice and container
    # health checks, and "if you do not use any of the health checks, then healthCheckGracePeriodSeconds is unused"
    # (older ECS versions refused it outright without a load balancer).
    definitions = {r.resource.outputs.get("arn"): r for r in _of(requests, "ecs:RegisterTaskDefinition")}
    for r in _of(requests, "ecs:CreateService"):
        if r.params.get("healthCheckGracePeriodSeconds") is None or r.params.get("loadBalancers"):
            continue
        definition = definitions.get(r.params.get("taskDefinition"))
        containers = definition.params.get("containerDefinitions") or [] if definition else []
        if not any(c.get("healthCheck") for c in containers):
            yield (r, "healthCheckGracePeriodSeconds",
                   "a health check grace period needs a load balancer or a container health check to apply to")


@check
def ip_targets_for_awsvpc(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ECS Developer Guide, "Use a load balancer": services with tasks in the awsvpc network mode must register
    # into target groups of target type ip.
    definitions = {r.resource.outputs.get("arn"): r for r in _of(requests, "ecs:RegisterTaskDefinition")}
    groups = {r.resource.outputs.get("arn"): r for r in _of(requests, "elbv2:CreateTargetGroup")}
    for r in _of(requests, "ecs:CreateService"):
        definition = definitions.get(r.params.get("taskDefinition"))
        if definition is None or definition.params.get("networkMode") != "awsvpc":
            continue
        for index, lb in enumerate(r.params.get("loadBalancers") or []):
            group = groups.get(lb.get("targetGroupArn"))
            if group is not None and group.params.get("TargetType", "instance") != "ip":
                yield (group, "TargetType",
                       f"service {r.resource.name} runs awsvpc tasks, so its target group must have target type ip; "
                       f"got {group.params.get('TargetType', 'instance (the default)')}")


@check
def unique_rule_priorities(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ELB API reference, CreateRule: "Each rule must have a unique priority" on its listener (PriorityInUse).
    seen: dict[tuple[Any, Any], ApiRequest] = {}
    for r in _of(requests, "elbv2:CreateRule"):
        key = (r.params.get("ListenerArn"), r.params.get("Priority"))
        if key in seen:
            yield r, "Priority", f"priority {text(key[1])} is already used on this listener by {seen[key].resource.name}"
        else:
            seen[key] = r


@check
def rule_condition_values(requests: list[ApiRequest]) -> Iterator[Finding]:
    # ELB User Guide, "Listener rules": a rule takes at most five condition values across its conditions.
    for r in _of(requests, "elbv2:CreateRule"):
        count = sum(len(next(iter(v.values())) if isinstance(v, dict) else []) for c in r.params.get("Conditions") or []
                    for k, v in c.items() if k.endswith("Config"))
        if count > 5:
            yield r, "Conditions", f"a rule allows at most 5 condition values; got {count}"


@check
def name_lengths(requests: list[ApiRequest]) -> Iterator[Finding]:
    # Per-type limits in ecs_platform.naming.NAME_LIMITS (ELB: 32, IAM roles: 64, SQS: 80, log groups: 512...),
    # measured on the names the program produced, Pulumi's random suffix included.
    seen: set[str] = set()
    for r in requests:
        resource = r.resource
        if resource.urn in seen or resource.type.replace("aws:alb/", "aws:lb/") not in naming.NAME_LIMITS:
            continue
        seen.add(resource.urn)
        key, limit = naming.NAME_LIMITS[resource.type.replace("aws:alb/", "aws:lb/")]
        name = resource.outputs.get(key) or resource.inputs.get(key)
        if isinstance(name, str) and len(name) > limit:
            yield r, key, f"name {name!r} is {len(name)} characters; AWS allows {limit}"


@check
def alarm_periods(requests: list[ApiRequest]) -> Iterator[Finding]:
    # CloudWatch API reference, PutMetricAlarm: Period is 10, 30, or any multiple of 60 seconds.
    for r in _of(requests, "cloudwatch:PutMetricAlarm"):
        periods = [("Period", r.params.get("Period"))]
        for index, metric in enumerate(r.params.get("Metrics") or []):
            periods.append((f"Metrics[{index}].Period", metric.get("Period")))
            periods.append((f"Metrics[{index}].MetricStat.Period", (metric.get("MetricStat") or {}).get("Period")))
        for field, period in periods:
            if period is not None and not (period in (10, 30) or period % 60 == 0):
                yield r, field, f"an alarm period must be 10, 30 or a multiple of 60 seconds; got {period}"


@check
def step_adjustments(requests: list[ApiRequest]) -> Iterator[Finding]:
    # Application Auto Scaling User Guide, "Step adjustments": ranges may not overlap or leave a gap; only one
    # may have no lower bound and only one no upper bound.
    for r in _of(requests, "application-autoscaling:PutScalingPolicy"):
        steps = ((r.params.get("StepScalingPolicyConfiguration") or {}).get("StepAdjustments")) or []
        problem = _step_problem(steps)
        if problem:
            yield r, "StepScalingPolicyConfiguration.StepAdjustments", problem


def _step_problem(steps: list[dict[str, Any]]) -> Optional[str]:
    if not steps:
        return None
    low, high = float("-inf"), float("inf")
    ranges = sorted(
        (s.get("MetricIntervalLowerBound", low), s.get("MetricIntervalUpperBound", high)) for s in steps
    )
    if sum(1 for lower, _ in ranges if lower == low) > 1 or sum(1 for _, upper in ranges if upper == high) > 1:
        return "only one step may leave its lower bound (or its upper bound) open"
    for (lower, upper) in ranges:
        if upper <= lower:
            return f"a step's upper bound {upper} is not above its lower bound {lower}"
    for (_, upper), (lower, _) in zip(ranges, ranges[1:]):
        if lower < upper:
            return f"steps overlap: one ends at {upper} but the next starts at {lower}"
        if lower > upper:
            return f"steps leave a gap between {upper} and {lower}"
    return None


@check
def scaling_bounds(requests: list[ApiRequest]) -> Iterator[Finding]:
    # Application Auto Scaling API reference, RegisterScalableTarget: MinCapacity may not exceed MaxCapacity.
    for r in _of(requests, "application-autoscaling:RegisterScalableTarget"):
        low, high = r.params.get("MinCapacity"), r.params.get("MaxCapacity")
        if low is not None and high is not None and low > high:
            yield r, "MinCapacity", f"MinCapacity {low} is above MaxCapacity {high}"


@check
def redrive_policy(requests: list[ApiRequest]) -> Iterator[Finding]:
    # SQS Developer Guide, "Dead-letter queues": RedrivePolicy is JSON with deadLetterTargetArn and a
    # maxReceiveCount of 1 to 1000.
    for r in _of(requests, "sqs:CreateQueue"):
        text = (r.params.get("Attributes") or {}).get("RedrivePolicy")
        if text is None:
            continue
        try:
            redrive = json.loads(text)
        except json.JSONDecodeError:
            yield r, "Attributes.RedrivePolicy", "is not JSON"
            continue
        if set(redrive) != {"deadLetterTargetArn", "maxReceiveCount"}:
            yield r, "Attributes.RedrivePolicy", f"must hold deadLetterTargetArn and maxReceiveCount; got {sorted(redrive)}"
        elif not 1 <= int(redrive["maxReceiveCount"]) <= 1000:
            yield r, "Attributes.RedrivePolicy.maxReceiveCount", "must be 1 to 1000"
        elif not re.match(r"^arn:aws(-[a-z]+)*:sqs:", str(redrive["deadLetterTargetArn"])):
            yield r, "Attributes.RedrivePolicy.deadLetterTargetArn", "must be the ARN of an SQS queue"


# SQS CreateQueue attribute ranges (SQS API reference, CreateQueue).
_QUEUE_RANGES = {"VisibilityTimeout": (0, 43200), "MessageRetentionPeriod": (60, 1209600),
                 "ReceiveMessageWaitTimeSeconds": (0, 20), "DelaySeconds": (0, 900),
                 "MaximumMessageSize": (1024, 262144), "KmsDataKeyReusePeriodSeconds": (60, 86400)}


@check
def queue_attribute_ranges(requests: list[ApiRequest]) -> Iterator[Finding]:
    for r in _of(requests, "sqs:CreateQueue"):
        for key, value in (r.params.get("Attributes") or {}).items():
            if key in _QUEUE_RANGES:
                low, high = _QUEUE_RANGES[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    yield r, f"Attributes.{key}", f"must be {low} to {high}; got {value!r}"


# IAM policy grammar (IAM User Guide, "IAM JSON policy elements reference") and size quotas (IAM quotas: role
# trust policies 2,048 characters by default, inline role policies 10,240 in aggregate).
_DOCUMENTS = {"iam:CreateRole": ("AssumeRolePolicyDocument", True, 2048),
              "iam:PutRolePolicy": ("PolicyDocument", False, 10240)}


@check
def policy_documents(requests: list[ApiRequest]) -> Iterator[Finding]:
    inline: dict[Any, int] = {}
    for r in requests:
        if r.label not in _DOCUMENTS:
            continue
        field, trust, limit = _DOCUMENTS[r.label]
        text = r.params.get(field)
        if not isinstance(text, str):
            continue
        compact_length = len(json.dumps(json.loads(text), separators=(",", ":"))) if _is_json(text) else len(text)
        if trust and compact_length > limit:
            yield r, field, f"trust policy is {compact_length} characters without white space; IAM allows {limit}"
        if not trust:
            # The inline policy quota counts all of a role's inline policies together.
            role = r.params.get("RoleName")
            inline[role] = inline.get(role, 0) + compact_length
            if inline[role] > limit:
                yield (r, field, f"the inline policies of role {role} reach {inline[role]} characters without "
                                 f"white space; IAM allows {limit} in all")
        for problem in policy_problems(text, trust=trust):
            yield r, field, problem


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except json.JSONDecodeError:
        return False


def policy_problems(text: str, *, trust: bool) -> Iterator[str]:
    """What IAM would refuse in a policy document."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield f"is not valid JSON ({error})"
        return
    if not isinstance(document, dict):
        yield "must be a JSON object"
        return
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        yield f"Version must be 2012-10-17; got {document.get('Version')!r}"
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not statements:
        yield "has no Statement"
        return
    for index, statement in enumerate(statements):
        where = f"Statement[{index}]"
        if statement.get("Effect") not in ("Allow", "Deny"):
            yield f"{where}.Effect must be Allow or Deny"
        if ("Action" in statement) == ("NotAction" in statement):
            yield f"{where} needs exactly one of Action and NotAction"
        actions = statement.get("Action", statement.get("NotAction"))
        for action in actions if isinstance(actions, list) else [actions]:
            if not isinstance(action, str) or not (action == "*" or _ACTION.match(action)):
                yield f"{where}: {action!r} is not an action (service:Action)"
        if trust:
            if "Principal" not in statement and "NotPrincipal" not in statement:
                yield f"{where} of a trust policy needs a Principal"
            if "Resource" in statement or "NotResource" in statement:
                yield f"{where} of a trust policy may not name a Resource"
        else:
            if ("Resource" in statement) == ("NotResource" in statement):
                yield f"{where} needs exactly one of Resource and NotResource"
            if "Principal" in statement or "NotPrincipal" in statement:
                yield f"{where} of an identity policy may not name a Principal"


_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")


def run_checks(requests: list[ApiRequest]) -> Iterator[Finding]:
    for function in CHECKS:
        yield from function(requests)

