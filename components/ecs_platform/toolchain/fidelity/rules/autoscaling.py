"""Application Auto Scaling: scalable targets and their scaling policies.

Sources are the Application Auto Scaling API reference (RegisterScalableTarget, PutScalingPolicy,
StepScalingPolicyConfiguration, StepAdjustment, PredefinedMetricSpecification) and its User Guide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional

from ..requests import ApiRequest
from .base import Finding, Stack, depends_on, dig, items, known, number, rule, show, whole_list
from .ecs_facts import SERVICE

TARGET, POLICY = "application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy"
_KEYS = ("ServiceNamespace", "ResourceId", "ScalableDimension")


@rule
def scaling_bounds(stack: Stack) -> Iterator[Finding]:
    """RegisterScalableTarget: MinCapacity may not exceed MaxCapacity."""
    for target in stack.of(TARGET):
        low, high = number(target.params.get("MinCapacity")), number(target.params.get("MaxCapacity"))
        if low is not None and high is not None and low > high:
            yield target, "MinCapacity", f"MinCapacity {show(low)} is above MaxCapacity {show(high)}"


@rule
def step_adjustments(stack: Stack) -> Iterator[Finding]:
    """StepAdjustment: "The ranges of your step adjustments can't overlap or have a gap"; "At most one step adjustment
    can have a null lower bound. If one step adjustment has a negative lower bound, then there must be a step
    adjustment with a null lower bound"; likewise for upper bounds; "The upper and lower bound can't be null in the
    same step adjustment"."""
    for policy in stack.of(POLICY):
        steps = whole_list(dig(policy.params, "StepScalingPolicyConfiguration", "StepAdjustments"))
        if not steps or not known(steps) or not all(isinstance(s, dict) for s in steps):
            continue
        problem = _step_problem(steps)
        if problem:
            yield policy, "StepScalingPolicyConfiguration.StepAdjustments", problem


def _step_problem(steps: list[dict[str, Any]]) -> Optional[str]:
    low, high = float("-inf"), float("inf")
    ranges = sorted((s.get("MetricIntervalLowerBound", low), s.get("MetricIntervalUpperBound", high)) for s in steps)
    if any(lower == low and upper == high for lower, upper in ranges):
        return "a step may not leave both its lower and its upper bound open"
    if sum(1 for lower, _ in ranges if lower == low) > 1 or sum(1 for _, upper in ranges if upper == high) > 1:
        return "only one step may leave its lower bound (or its upper bound) open"
    for (lower, upper) in ranges:
        if upper <= lower:
            return f"a step's upper bound {show(upper)} is not above its lower bound {show(lower)}"
    for (_, upper), (lower, _) in zip(ranges, ranges[1:]):
        if lower < upper:
            return f"steps overlap: one ends at {show(upper)} but the next starts at {show(lower)}"
        if lower > upper:
            return f"steps leave a gap between {show(upper)} and {show(lower)}"
    if ranges[0][0] != low and ranges[0][0] < 0:
        return f"a step starts below 0 ({show(ranges[0][0])}), so one step needs an open lower bound"
    if ranges[-1][1] != high and ranges[-1][1] > 0:
        return f"a step ends above 0 ({show(ranges[-1][1])}), so one step needs an open upper bound"
    return None


@rule
def policy_configuration(stack: Stack) -> Iterator[Finding]:
    """PutScalingPolicy: StepScalingPolicyConfiguration "is required if ... the policy type is StepScaling" and
    TargetTrackingScalingPolicyConfiguration "if the policy type is TargetTrackingScaling" (the provider defaults to
    StepScaling); a target tracking policy uses "either a predefined metric or a customized metric";
    MinAdjustmentMagnitude is for "when the adjustment type is PercentChangeInCapacity"."""
    for policy in stack.of(POLICY):
        kind = policy.params.get("PolicyType", "StepScaling")
        if not known(kind):
            continue
        step = policy.params.get("StepScalingPolicyConfiguration")
        tracking = policy.params.get("TargetTrackingScalingPolicyConfiguration")
        wanted, other = {"StepScaling": ("StepScalingPolicyConfiguration", tracking),
                         "TargetTrackingScaling": ("TargetTrackingScalingPolicyConfiguration", step),
                         }.get(kind, (None, None))
        if wanted and policy.params.get(wanted) is None:
            yield policy, wanted, f"a {kind} policy needs {wanted}; got none"
        if wanted and other is not None:
            yield policy, "PolicyType", f"a {kind} policy takes only {wanted}; got both configurations"
        yield from _step_configuration(policy, step)
        yield from _tracking_configuration(policy, tracking)


def _step_configuration(policy: ApiRequest, step: Any) -> Iterator[Finding]:
    if not isinstance(step, dict):
        return
    if step.get("StepAdjustments") is None:
        yield (policy, "StepScalingPolicyConfiguration.StepAdjustments",
               "a step scaling policy needs at least one step; got none")
    magnitude, adjustment = step.get("MinAdjustmentMagnitude"), step.get("AdjustmentType")
    if magnitude is not None and known(adjustment) and adjustment != "PercentChangeInCapacity":
        yield (policy, "StepScalingPolicyConfiguration.MinAdjustmentMagnitude",
               f"applies to PercentChangeInCapacity only; the adjustment type is {adjustment}")


def _tracking_configuration(policy: ApiRequest, tracking: Any) -> Iterator[Finding]:
    if not isinstance(tracking, dict):
        return
    metrics = [key for key in ("PredefinedMetricSpecification", "CustomizedMetricSpecification") if key in tracking]
    if len(metrics) != 1:
        yield (policy, "TargetTrackingScalingPolicyConfiguration",
               f"needs exactly one of a predefined and a customized metric; got {' and '.join(metrics) or 'neither'}")


_RESOURCE_LABEL = re.compile(r"^app/[^/]+/[^/]+/targetgroup/[^/]+/[^/]+$")


@rule
def resource_labels(stack: Stack) -> Iterator[Finding]:
    """PredefinedMetricSpecification ResourceLabel: "You can't specify a resource label unless the metric type is
    ALBRequestCountPerTarget and there is a target group attached to the ... ECS service"; that metric needs one, in
    the form app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>."""
    for policy in stack.of(POLICY):
        spec = dig(policy.params, "TargetTrackingScalingPolicyConfiguration", "PredefinedMetricSpecification")
        if not isinstance(spec, dict) or not known(spec.get("PredefinedMetricType")):
            continue
        field = "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel"
        label, metric = spec.get("ResourceLabel"), spec["PredefinedMetricType"]
        per_target = metric == "ALBRequestCountPerTarget"
        if per_target and label is None:
            yield policy, field, "ALBRequestCountPerTarget needs the ResourceLabel of a target group; got none"
        elif not per_target and label is not None:
            yield policy, field, f"only ALBRequestCountPerTarget takes a ResourceLabel; the metric is {metric}"
        elif per_target and known(label) and not _RESOURCE_LABEL.match(str(label)):
            yield policy, field, f"must be app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>; got {show(label)}"
        elif per_target:
            yield from _label_target_group_attached(stack, policy, field, label)


def _label_target_group_attached(stack: Stack, policy: ApiRequest, field: str, label: Any) -> Iterator[Finding]:
    group = stack.referenced(policy, "targetTrackingScalingPolicyConfiguration", "elbv2:CreateTargetGroup",
                             label.split("/")[4] if known(label) else label)
    service = _scaled_service(stack, policy)
    if group is None or service is None:
        return
    balancers = service.params.get("loadBalancers", [])
    attached = [stack.referenced(service, "loadBalancers", group.label, lb.get("targetGroupArn"))
                for lb in items(balancers)]
    # Judged only when every target group of the service is one the program has (known or followed).
    every_one = isinstance(balancers, list) and len(attached) == len(balancers) and None not in attached
    if every_one and group not in attached:
        yield (policy, field, f"target group {group.resource.name} is not attached to service {service.resource.name}, "
                              "so ALBRequestCountPerTarget has nothing to count")


def _scaled_service(stack: Stack, policy: ApiRequest) -> Optional[ApiRequest]:
    """The ECS service of the program a policy scales, by its resource id (service/<cluster>/<service>) or through
    its scalable target's dependencies."""
    resource_id = policy.params.get("ResourceId")
    if known(resource_id):
        parts = str(resource_id).split("/")
        if parts[0] != "service" or len(parts) != 3:
            return None
        return stack.referenced(policy, "resourceId", SERVICE, parts[2])
    target = _target_of(stack, policy)
    return stack.referenced(target, "resourceId", SERVICE, target.params.get("ResourceId")) if target else None


def _target_of(stack: Stack, policy: ApiRequest) -> Optional[ApiRequest]:
    """The scalable target a policy is for: the one its resource id depends on, or else the one with its namespace,
    resource id and dimension."""
    return stack.depended(policy, "resourceId", TARGET) or next(
        (t for t in stack.of(TARGET) if _fits(policy, t) and known(*_key(t), *_key(policy))), None)


def _key(request: ApiRequest) -> list[Any]:
    return [request.params.get(k) for k in _KEYS]


def _fits(policy: ApiRequest, target: ApiRequest) -> bool:
    """Whether a target may be the policy's: every part known on both sides is the same."""
    return all(not known(mine, theirs) or mine == theirs for mine, theirs in zip(_key(policy), _key(target)))


@rule
def policies_have_scalable_targets(stack: Stack) -> Iterator[Finding]:
    """PutScalingPolicy: "You cannot create a scaling policy until you have registered the resource as a scalable
    target", identified by "service namespace, resource ID, and scalable dimension": the program registers that
    target, and the policy depends on it so that Pulumi creates the target first."""
    for policy in stack.of(POLICY):
        target = _target_of(stack, policy)
        if target is None and not any(_fits(policy, t) for t in stack.of(TARGET)):
            namespace, resource, dimension = _key(policy)
            yield (policy, "ResourceId", f"no scalable target of this program registers {namespace} {resource} "
                                         f"{dimension}; AWS refuses a policy for a target that is not registered")
        elif target is not None and not depends_on(policy, target):
            yield (policy, "ResourceId", f"must depend on scalable target {target.resource.name} (use its "
                                         "resource_id), or Pulumi may create the policy first and AWS refuse it")
        elif target is not None:
            yield from _same_target(policy, target)


def _same_target(policy: ApiRequest, target: ApiRequest) -> Iterator[Finding]:
    for key in _KEYS:
        mine, theirs = policy.params.get(key), target.params.get(key)
        if known(mine) and known(theirs) and mine != theirs:
            yield (policy, key, f"must match scalable target {target.resource.name}, whose {key} is {show(theirs)}; "
                                f"got {show(mine)}")
