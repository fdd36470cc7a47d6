"""Queue, log, alarm and IAM rules (Security Hub SQS.*, CloudWatch.* and IAM.* controls)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import Control, Messages, as_list, parse_json, resource_policy, statements

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC = "aws:sns/topic:Topic"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# Resources whose property holds an IAM permissions policy document.
POLICY_DOCUMENTS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "inlinePolicies",
}


def _queue_encrypted(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("sqsManagedSseEnabled") is False and not args.props.get("kmsMasterKeyId"):
        yield "the queue is not encrypted at rest; set sqsManagedSseEnabled or kmsMasterKeyId"


def _public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(p == "*" for p in as_list(principal.get("AWS")))
    return False


def _queue_not_public(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for statement in statements(args.props.get("policy")):
        if statement.get("Effect") == "Allow" and _public_principal(statement.get("Principal")) \
                and not statement.get("Condition"):
            yield "the queue policy allows anyone (Principal *) without a condition"


def _topic_encrypted(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if not args.props.get("kmsMasterKeyId"):
        yield "the topic is not encrypted at rest; set kmsMasterKeyId (alias/aws/sns or a customer managed key)"


def _topics_by_source(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    # SNS Developer Guide, "Fanout to Amazon SQS queues": the queue policy names the topic with aws:SourceArn, or any
    # topic of any account could fill the queue.
    for statement in statements(args.props.get("policy")):
        principal = statement.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or "sns.amazonaws.com" not in services:
            continue
        conditions = statement.get("Condition") or {}
        if not any("aws:SourceArn" in (conditions.get(op) or {}) for op in ("ArnEquals", "ArnLike")):
            yield ("the queue policy lets SNS send without naming the topics (aws:SourceArn); any topic could fill "
                   "the queue")


def _retention(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    days = args.props.get("retentionInDays")
    if not days:
        yield "the log group never expires events; set retentionInDays (bounded cost and data retention)"
    elif int(days) < config["minRetentionDays"]:
        yield f"the log group keeps events {int(days)} days; at least {config['minRetentionDays']} are required"


def _alarm_actions(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if not args.props.get("alarmActions"):
        yield "the alarm has no action for the ALARM state; nobody and nothing would react"
    if args.props.get("actionsEnabled") is False:
        yield "the alarm's actions are disabled (CloudWatch.17)"


def _documents(args: ResourceValidationArgs) -> Iterator[Any]:
    key = POLICY_DOCUMENTS[args.resource_type]
    if key == "inlinePolicies":
        for inline in args.props.get("inlinePolicies") or []:
            yield inline.get("policy")
    else:
        yield args.props.get(key)


def _allows(document: Any) -> Iterator[tuple[list[str], list[str]]]:
    for statement in statements(document):
        if statement.get("Effect") == "Allow":
            yield [str(a) for a in as_list(statement.get("Action"))], [str(r) for r in as_list(statement.get("Resource"))]


def _no_admin(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for document in _documents(args):
        for actions, resources in _allows(parse_json(document)):
            if any(a in ("*", "*:*") for a in actions) and "*" in resources:
                yield "a statement allows every action on every resource (*:*); grant only what is needed"


def _no_service_wildcards(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for document in _documents(args):
        for actions, _resources in _allows(parse_json(document)):
            wildcards = [a for a in actions if a.endswith(":*")]
            if wildcards:
                yield f"a statement allows whole services ({', '.join(wildcards)}); list the actions instead"


POLICIES = [
    resource_policy("sqs-encrypted", Control("SQS.1", Severity.MEDIUM, "sqs-queue-encrypted", "sqs"),
                    "SQS queues must be encrypted at rest.", [QUEUE], _queue_encrypted),
    resource_policy("sqs-not-public", Control("SQS.3", Severity.CRITICAL, "sqs-queue-no-public-access", "sqs"),
                    "SQS queue policies must not allow public access.", [QUEUE, QUEUE_POLICY], _queue_not_public),
    resource_policy("sns-encrypted", Control("SNS.1", Severity.MEDIUM, "sns-encrypted-kms", "sns"),
                    "SNS topics must be encrypted at rest with AWS KMS.", [TOPIC], _topic_encrypted),
    resource_policy("sqs-topics-by-source", Control("PLATFORM.SQS-TOPIC-SOURCE", Severity.HIGH),
                    "A queue policy that lets SNS deliver must name the topics (aws:SourceArn).", [QUEUE_POLICY],
                    _topics_by_source),
    resource_policy("cloudwatch-log-retention",
                    Control("CloudWatch.16", Severity.MEDIUM, "cw-loggroup-retention-period-check", "cloudwatch"),
                    "Log groups must keep events for at least the configured period, and not forever.", [LOG_GROUP],
                    _retention,
                    config={"minRetentionDays": {"type": "integer", "minimum": 1, "default": 365,
                                                 "description": "Fewest days a log group must keep events."}}),
    resource_policy("cloudwatch-alarm-actions",
                    Control("CloudWatch.15", Severity.HIGH, "cloudwatch-alarm-action-check", "cloudwatch"),
                    "Alarms must have an ALARM action, and their actions must be enabled (also CloudWatch.17).",
                    [ALARM], _alarm_actions),
    resource_policy("iam-no-admin-statements",
                    Control("IAM.1", Severity.HIGH, "iam-policy-no-statements-with-admin-access", "iam"),
                    "IAM policies must not allow full administrative access.", list(POLICY_DOCUMENTS), _no_admin),
    resource_policy("iam-no-wildcard-service-actions",
                    Control("IAM.21", Severity.LOW, "iam-policy-no-statements-with-full-access", "iam"),
                    "IAM policies should not allow every action of a service.", list(POLICY_DOCUMENTS),
                    _no_service_wildcards),
]
