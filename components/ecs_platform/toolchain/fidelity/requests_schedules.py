"""API requests of the schedules resources (registered into :data:`.requests.MAPPERS` with `@maps`).

An ``aws.scheduler.Schedule`` is one EventBridge Scheduler CreateSchedule call, as terraform-provider-aws builds it
(internal/service/scheduler/schedule.go and flex.go): the schema defaults the provider fills are sent (time zone UTC,
state ENABLED, a task count of 1, a retry policy block's 86400 s and 185 retries, `assign_public_ip` false), the
provider's booleans become the API's (`assign_public_ip` true/false is AssignPublicIp ENABLED/DISABLED; the two ECS
flags are always sent), the provider's tag map becomes the API's list of `{key, value}` maps, and its plural list
names the API's (`capacityProviderStrategies` is CapacityProviderStrategy, `placementStrategies` PlacementStrategy).
Tags of the schedule itself are left out, as elsewhere. The provider sends a fresh ClientToken (an idempotency
token); it is left out rather than invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecs_platform.offline.engine import Registration
from ecs_platform.offline.mocks import UNKNOWN
from .requests import ApiRequest, _block, _each, _name, maps, request

SCHEDULE = "aws:scheduler/schedule:Schedule"

# Schema defaults of aws_scheduler_schedule (terraform-provider-aws, schedule.go).
DEFAULT_TIMEZONE = "UTC"
DEFAULT_STATE = "ENABLED"
DEFAULT_TASK_COUNT = 1
DEFAULT_EVENT_AGE_SECONDS = 86400
DEFAULT_RETRY_ATTEMPTS = 185


def _or(value: Any, default: Any) -> Any:
    """A value the provider's schema defaults when it is not set (0 and false are set values)."""
    return default if value is None or value == "" else value


def _flag(value: Any) -> Any:
    """A schema boolean: the provider sends false when it is not set."""
    return value if value == UNKNOWN else bool(value)


def _public_ip(value: Any) -> Any:
    if value == UNKNOWN:
        return UNKNOWN
    return "ENABLED" if value else "DISABLED"


def _network(network: dict[str, Any]) -> dict[str, Any]:
    # The provider flattens the API's awsvpcConfiguration into the block itself.
    return {"awsvpcConfiguration": {
        "Subnets": network.get("subnets"),
        "SecurityGroups": network.get("securityGroups"),
        "AssignPublicIp": _public_ip(network.get("assignPublicIp")),
    }}


def _tags(tags: Any) -> Any:
    if tags == UNKNOWN:
        return UNKNOWN
    return [{"key": key, "value": tags[key]} for key in sorted(tags or {})]


def _ecs(ecs: dict[str, Any]) -> dict[str, Any]:
    return {
        "TaskDefinitionArn": ecs.get("taskDefinitionArn"),
        "TaskCount": _or(ecs.get("taskCount"), DEFAULT_TASK_COUNT),
        "LaunchType": ecs.get("launchType") or None,
        "NetworkConfiguration": _block(ecs.get("networkConfiguration"), _network),
        "PlatformVersion": ecs.get("platformVersion") or None,
        "Group": ecs.get("group") or None,
        "CapacityProviderStrategy": _each(ecs.get("capacityProviderStrategies"), lambda s: {
            "capacityProvider": s.get("capacityProvider"),
            "weight": _or(s.get("weight"), 0),
            "base": _or(s.get("base"), 0),
        }),
        "EnableECSManagedTags": _flag(ecs.get("enableEcsManagedTags")),
        "EnableExecuteCommand": _flag(ecs.get("enableExecuteCommand")),
        "PlacementConstraints": _each(ecs.get("placementConstraints"), lambda c: {
            "type": c.get("type"), "expression": c.get("expression")}),
        "PlacementStrategy": _each(ecs.get("placementStrategies"), lambda s: {
            "type": s.get("type"), "field": s.get("field")}),
        "PropagateTags": ecs.get("propagateTags") or None,
        "ReferenceId": ecs.get("referenceId") or None,
        "Tags": _tags(ecs.get("tags")),
    }


def _target(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "Arn": target.get("arn"),
        "RoleArn": target.get("roleArn"),
        "DeadLetterConfig": _block(target.get("deadLetterConfig"), lambda d: {"Arn": d.get("arn")}),
        "RetryPolicy": _block(target.get("retryPolicy"), lambda p: {
            "MaximumEventAgeInSeconds": _or(p.get("maximumEventAgeInSeconds"), DEFAULT_EVENT_AGE_SECONDS),
            "MaximumRetryAttempts": _or(p.get("maximumRetryAttempts"), DEFAULT_RETRY_ATTEMPTS),
        }),
        "Input": target.get("input") or None,
        "EcsParameters": _block(target.get("ecsParameters"), _ecs),
        "EventBridgeParameters": _block(target.get("eventbridgeParameters"), lambda e: {
            "DetailType": e.get("detailType"), "Source": e.get("source")}),
        "KinesisParameters": _block(target.get("kinesisParameters"), lambda k: {
            "PartitionKey": k.get("partitionKey")}),
        "SageMakerPipelineParameters": _block(target.get("sagemakerPipelineParameters"), lambda s: {
            "PipelineParameterList": _each(s.get("pipelineParameters"), lambda p: {
                "Name": p.get("name"), "Value": p.get("value")})}),
        "SqsParameters": _block(target.get("sqsParameters"), lambda s: {"MessageGroupId": s.get("messageGroupId")}),
    }


@maps(SCHEDULE)
def schedule(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("scheduler", "CreateSchedule", {
        "Name": _name(r),
        "GroupName": i.get("groupName") or None,
        "ScheduleExpression": i.get("scheduleExpression"),
        "ScheduleExpressionTimezone": _or(i.get("scheduleExpressionTimezone"), DEFAULT_TIMEZONE),
        "StartDate": i.get("startDate") or None,
        "EndDate": i.get("endDate") or None,
        "Description": i.get("description") or None,
        "State": _or(i.get("state"), DEFAULT_STATE),
        "KmsKeyArn": i.get("kmsKeyArn") or None,
        "ActionAfterCompletion": i.get("actionAfterCompletion") or None,
        "FlexibleTimeWindow": _block(i.get("flexibleTimeWindow"), lambda w: {
            "Mode": w.get("mode"), "MaximumWindowInMinutes": w.get("maximumWindowInMinutes") or None}),
        "Target": _block(i.get("target"), _target),
    }, r)
