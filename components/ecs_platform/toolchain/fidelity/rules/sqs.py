"""SQS queues: CreateQueue attributes, redrive to a dead-letter queue and who may redrive into it.

Sources are the SQS API reference (CreateQueue: QueueName and Attributes) and the SQS Developer Guide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Optional

from ..requests import ApiRequest
from .base import Finding, Stack, known, number, rule, show

QUEUE = "sqs:CreateQueue"
_ALLOW_FIELD = "Attributes.RedriveAllowPolicy"
_TARGET = "Attributes.RedrivePolicy.deadLetterTargetArn"


def _attributes(queue: ApiRequest) -> dict[str, Any]:
    attributes = queue.params.get("Attributes")
    return attributes if isinstance(attributes, dict) else {}


def _json(value: Any) -> Optional[Any]:
    """A known JSON attribute, parsed; None when unknown, absent or not JSON (the format rules say so)."""
    if not isinstance(value, str) or not known(value):
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def _is_fifo(queue: ApiRequest) -> bool:
    return _attributes(queue).get("FifoQueue") == "true"


# CreateQueue Attributes: the range of every numeric attribute.
_QUEUE_RANGES = {"VisibilityTimeout": (0, 43200), "MessageRetentionPeriod": (60, 1209600),
                 "ReceiveMessageWaitTimeSeconds": (0, 20), "DelaySeconds": (0, 900),
                 "MaximumMessageSize": (1024, 1048576), "KmsDataKeyReusePeriodSeconds": (60, 86400)}
_DEFAULT_RETENTION = 345600
_MAX_RETENTION = _QUEUE_RANGES["MessageRetentionPeriod"][1]


@rule
def queue_attribute_ranges(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes: VisibilityTimeout 0-43,200 s, MessageRetentionPeriod 60-1,209,600 s,
    ReceiveMessageWaitTimeSeconds 0-20 s, DelaySeconds 0-900 s, MaximumMessageSize 1,024-1,048,576 bytes,
    KmsDataKeyReusePeriodSeconds 60-86,400 s, each a whole number."""
    for queue in stack.of(QUEUE):
        for key, value in _attributes(queue).items():
            if key in _QUEUE_RANGES and known(value):
                low, high = _QUEUE_RANGES[key]
                if not str(value).isdigit() or not low <= int(value) <= high:
                    yield queue, f"Attributes.{key}", f"must be {low} to {high}; got {value!r}"


_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@rule
def queue_names(stack: Stack) -> Iterator[Finding]:
    """CreateQueue QueueName: "Valid values: alphanumeric characters, hyphens (-), and underscores (_)"; "A FIFO queue
    name must end with the .fifo suffix" (and a standard queue's may not, having no dots)."""
    for queue in stack.of(QUEUE):
        name, fifo = queue.params.get("QueueName"), _attributes(queue).get("FifoQueue")
        if not isinstance(name, str) or not known(name) or not known(fifo):
            continue
        stem = name[:-len(".fifo")] if name.endswith(".fifo") else name
        if fifo == "true" and not name.endswith(".fifo"):
            yield queue, "QueueName", f"a FIFO queue's name must end with .fifo; got {show(name)}"
        elif fifo != "true" and name.endswith(".fifo"):
            yield queue, "QueueName", f"only a FIFO queue's name ends with .fifo (set FifoQueue true); got {show(name)}"
        elif not _QUEUE_NAME.match(stem):
            yield queue, "QueueName", f"must be letters, digits, hyphens and underscores; got {show(name)}"


@rule
def queue_encryption(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes, SqsManagedSseEnabled: "Only one server-side encryption option is supported per queue
    (for example, SSE-KMS or SSE-SQS)"."""
    for queue in stack.of(QUEUE):
        attributes = _attributes(queue)
        if attributes.get("SqsManagedSseEnabled") == "true" and attributes.get("KmsMasterKeyId") is not None:
            yield (queue, "Attributes.SqsManagedSseEnabled",
                   "a queue takes one kind of encryption: KmsMasterKeyId (SSE-KMS) or SqsManagedSseEnabled (SSE-SQS)")


# CreateQueue Attributes: the FIFO-only attributes and their values.
_FIFO_ONLY = {"ContentBasedDeduplication": ("true", "false"), "DeduplicationScope": ("messageGroup", "queue"),
              "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}


@rule
def fifo_attributes(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes: ContentBasedDeduplication, DeduplicationScope (messageGroup or queue) and
    FifoThroughputLimit (perQueue or perMessageGroupId) "apply only to FIFO queues"; "The perMessageGroupId value is
    allowed only when the value for DeduplicationScope is messageGroup"."""
    for queue in stack.of(QUEUE):
        attributes = _attributes(queue)
        for key, allowed in _FIFO_ONLY.items():
            value = attributes.get(key)
            if value is None or not known(value) or not known(attributes.get("FifoQueue")):
                continue
            if not _is_fifo(queue):
                yield queue, f"Attributes.{key}", f"{key} applies to FIFO queues only; this queue is standard"
            elif value not in allowed:
                yield queue, f"Attributes.{key}", f"must be {' or '.join(allowed)}; got {show(value)}"
        limit, scope = attributes.get("FifoThroughputLimit"), attributes.get("DeduplicationScope")
        if limit == "perMessageGroupId" and scope == "queue":
            yield (queue, "Attributes.FifoThroughputLimit",
                   "perMessageGroupId needs DeduplicationScope messageGroup; got queue")


def _redrive(queue: ApiRequest) -> Any:
    return _attributes(queue).get("RedrivePolicy")


@rule
def redrive_policy(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes, RedrivePolicy: JSON with deadLetterTargetArn (the ARN of the dead-letter queue) and
    maxReceiveCount; SQS Developer Guide, "Using dead-letter queues": maxReceiveCount is 1 to 1,000."""
    for queue in stack.of(QUEUE):
        text = _redrive(queue)
        if text is None or not known(text):
            continue
        try:
            redrive = json.loads(text)
        except json.JSONDecodeError:
            yield queue, "Attributes.RedrivePolicy", "is not JSON"
            continue
        if not isinstance(redrive, dict) or set(redrive) != {"deadLetterTargetArn", "maxReceiveCount"}:
            keys = sorted(redrive) if isinstance(redrive, dict) else redrive
            yield queue, "Attributes.RedrivePolicy", f"must hold deadLetterTargetArn and maxReceiveCount; got {keys}"
        elif number(redrive["maxReceiveCount"]) is None or not 1 <= number(redrive["maxReceiveCount"]) <= 1000:
            yield (queue, "Attributes.RedrivePolicy.maxReceiveCount",
                   f"must be 1 to 1000; got {show(redrive['maxReceiveCount'])}")
        elif not re.match(r"^arn:aws(-[a-z]+)*:sqs:", str(redrive["deadLetterTargetArn"])):
            yield (queue, "Attributes.RedrivePolicy.deadLetterTargetArn",
                   f"must be the ARN of an SQS queue; got {show(redrive['deadLetterTargetArn'])}")


def _dead_letter_queue(stack: Stack, queue: ApiRequest) -> Optional[ApiRequest]:
    """The queue of the program a queue redrives to: by the known ARN, or through the policy's dependencies."""
    text = _redrive(queue)
    if text is None:
        return None
    target = (_json(text) or {}).get("deadLetterTargetArn") if known(text) else text
    return stack.referenced(queue, "redrivePolicy", QUEUE, target)


def _retention(queue: ApiRequest) -> Optional[float]:
    return number(_attributes(queue).get("MessageRetentionPeriod", _DEFAULT_RETENTION))


@rule
def dead_letter_queues(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes: "The dead-letter queue of a FIFO queue must also be a FIFO queue. Similarly, the
    dead-letter queue of a standard queue must also be a standard queue"; a queue is not its own dead-letter queue.
    SQS Developer Guide, "Setting-up dead-letter queue retention": a standard queue's message keeps its original
    enqueue time in the dead-letter queue, so "set the retention period of a dead-letter queue to be longer than the
    retention period of the original queue"."""
    for queue in stack.of(QUEUE):
        dead_letters = _dead_letter_queue(stack, queue)
        if dead_letters is queue:
            yield queue, _TARGET, "a queue can't be its own dead-letter queue"
        elif dead_letters is not None:
            yield from _same_kind(queue, dead_letters)
            yield from _redrive_allowed(stack, queue, dead_letters)


def _same_kind(queue: ApiRequest, dead_letters: ApiRequest) -> Iterator[Finding]:
    if not known(_attributes(queue).get("FifoQueue"), _attributes(dead_letters).get("FifoQueue")):
        return
    kinds = {True: "FIFO", False: "standard"}
    mine, theirs = kinds[_is_fifo(queue)], kinds[_is_fifo(dead_letters)]
    if mine != theirs:
        yield (queue, _TARGET,
               f"a {mine} queue needs a {mine} dead-letter queue; {dead_letters.resource.name} is {theirs}")
    elif mine == "standard":
        yield from _longer_retention(queue, dead_letters)


def _longer_retention(queue: ApiRequest, dead_letters: ApiRequest) -> Iterator[Finding]:
    mine, theirs = _retention(queue), _retention(dead_letters)
    if mine is not None and theirs is not None and theirs <= mine and theirs < _MAX_RETENTION:
        yield (dead_letters, "Attributes.MessageRetentionPeriod",
               f"a dead-letter queue should keep messages longer than its source {queue.resource.name} "
               f"({show(mine)} s), as they keep their first enqueue time; got {show(theirs)} s")


def _allow_policies(stack: Stack, dead_letters: ApiRequest) -> list[tuple[ApiRequest, str, Any]]:
    """The RedriveAllowPolicy documents set on a queue: in CreateQueue, or by a SetQueueAttributes of the program."""
    found = [(dead_letters, _ALLOW_FIELD, _attributes(dead_letters).get("RedriveAllowPolicy"))]
    for request in stack.of("sqs:SetQueueAttributes"):
        if stack.referenced(request, "queueUrl", QUEUE, request.params.get("QueueUrl")) is dead_letters:
            found.append((request, _ALLOW_FIELD, _attributes(request).get("RedriveAllowPolicy")))
    return [(r, f, document) for r, f, document in found if document is not None]


def _redrive_allowed(stack: Stack, queue: ApiRequest, dead_letters: ApiRequest) -> Iterator[Finding]:
    source = queue.resource.outputs.get("arn")
    for _, _, document in _allow_policies(stack, dead_letters):
        policy = _json(document)
        if not isinstance(policy, dict):
            continue
        permission, allowed = policy.get("redrivePermission"), policy.get("sourceQueueArns") or []
        if permission == "denyAll" or (permission == "byQueue" and known(source) and source and source not in allowed):
            yield (queue, "Attributes.RedrivePolicy",
                   f"dead-letter queue {dead_letters.resource.name} does not allow this queue to redrive into it "
                   f"(redrivePermission {permission})")


@rule
def redrive_allow_policies(stack: Stack) -> Iterator[Finding]:
    """CreateQueue Attributes, RedriveAllowPolicy: redrivePermission is allowAll, denyAll or byQueue;
    sourceQueueArns "You can specify this parameter only when the redrivePermission parameter is set to byQueue. You
    can specify up to 10 source queue ARNs"."""
    for request in stack.of(QUEUE) + stack.of("sqs:SetQueueAttributes"):
        document = _attributes(request).get("RedriveAllowPolicy")
        if document is not None:
            policy, field = _json(document), _ALLOW_FIELD
            if known(document) and not isinstance(policy, dict):
                yield request, field, "is not a JSON object"
            elif isinstance(policy, dict):
                yield from _allow_policy_problems(request, field, policy)


def _allow_policy_problems(request: ApiRequest, field: str, policy: dict[str, Any]) -> Iterator[Finding]:
    permission, sources = policy.get("redrivePermission"), policy.get("sourceQueueArns")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        yield request, f"{field}.redrivePermission", f"must be allowAll, denyAll or byQueue; got {show(permission)}"
    elif sources is not None and permission != "byQueue":
        yield request, f"{field}.sourceQueueArns", f"applies with redrivePermission byQueue only; got {permission}"
    elif isinstance(sources, list) and len(sources) > 10:
        yield request, f"{field}.sourceQueueArns", f"lists at most 10 source queues; got {len(sources)}"
