"""SNS topics and their subscriptions to SQS queues.

Sources: the SNS API reference (CreateTopic Name and Attributes, Subscribe Attributes) and the SNS Developer Guide
("Message ordering and deduplication (FIFO topics)", "Amazon SNS message filtering": filter policy constraints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..requests import ApiRequest
from .base import Finding, Stack, known, rule, show

TOPIC = "sns:CreateTopic"
SUBSCRIBE = "sns:Subscribe"
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MAX_FILTER_KEYS = 5


def _attributes(request: ApiRequest) -> dict[str, Any]:
    attributes = request.params.get("Attributes")
    return attributes if isinstance(attributes, dict) else {}


@rule
def topic_names(stack: Stack) -> Iterator[Finding]:
    """CreateTopic Name: "Up to 256 characters... uppercase and lowercase ASCII letters, numbers, underscores, and
    hyphens"; "For a FIFO (first-in-first-out) topic, the name must end with the .fifo suffix"."""
    for topic in stack.of(TOPIC):
        name, fifo = topic.params.get("Name"), _attributes(topic).get("FifoTopic")
        if not isinstance(name, str) or not known(name, fifo):
            continue
        stem = name[:-len(".fifo")] if name.endswith(".fifo") else name
        if fifo == "true" and not name.endswith(".fifo"):
            yield topic, "Name", f"a FIFO topic's name must end with .fifo; got {show(name)}"
        elif fifo != "true" and name.endswith(".fifo"):
            yield topic, "Name", f"only a FIFO topic's name ends with .fifo (set FifoTopic true); got {show(name)}"
        elif not _TOPIC_NAME.match(stem) or len(name) > 256:
            yield topic, "Name", f"must be 1 to 256 letters, digits, hyphens and underscores; got {show(name)}"


@rule
def topic_fifo_attributes(stack: Stack) -> Iterator[Finding]:
    """CreateTopic Attributes, ContentBasedDeduplication: "applies only to FIFO topics"."""
    for topic in stack.of(TOPIC):
        attributes = _attributes(topic)
        if attributes.get("ContentBasedDeduplication") == "true" and attributes.get("FifoTopic") != "true" \
                and known(attributes.get("FifoTopic")):
            yield topic, "Attributes.ContentBasedDeduplication", "applies to FIFO topics only; this topic is standard"


def _fifo_arn(arn: Any) -> bool:
    return isinstance(arn, str) and arn.endswith(".fifo")


@rule
def fifo_topics_deliver_to_fifo_queues(stack: Stack) -> Iterator[Finding]:
    """SNS Developer Guide, FIFO topics: "Amazon SQS FIFO queues can subscribe to FIFO topics" and a standard queue
    cannot; a FIFO queue cannot subscribe to a standard topic. A topic's and a queue's ARN end with their name."""
    for subscription in stack.of(SUBSCRIBE):
        if subscription.params.get("Protocol") != "sqs":
            continue
        topic_arn, queue_arn = subscription.params.get("TopicArn"), subscription.params.get("Endpoint")
        topic = stack.referenced(subscription, "topic", TOPIC, topic_arn)
        topic_fifo = (_attributes(topic).get("FifoTopic") == "true") if topic is not None else (
            _fifo_arn(topic_arn) if known(topic_arn) else None)
        queue_fifo = _fifo_arn(queue_arn) if known(queue_arn) else None
        if topic_fifo is None or queue_fifo is None or topic_fifo == queue_fifo:
            continue
        yield (subscription, "Endpoint", "a FIFO topic delivers to FIFO queues only" if topic_fifo
               else "a FIFO queue takes messages only from FIFO topics")


@rule
def filter_policies(stack: Stack) -> Iterator[Finding]:
    """Subscribe Attributes: FilterPolicy is JSON of at most 5 attribute names (SNS message filtering constraints),
    FilterPolicyScope MessageAttributes or MessageBody, RawMessageDelivery true or false."""
    for subscription in stack.of(SUBSCRIBE):
        attributes = _attributes(subscription)
        text = attributes.get("FilterPolicy")
        if isinstance(text, str) and known(text):
            try:
                policy = json.loads(text)
            except json.JSONDecodeError:
                yield subscription, "Attributes.FilterPolicy", "is not JSON"
                policy = None
            if isinstance(policy, dict) and len(policy) > _MAX_FILTER_KEYS:
                yield (subscription, "Attributes.FilterPolicy",
                       f"has {len(policy)} attribute names; at most {_MAX_FILTER_KEYS}")
            elif policy is not None and not isinstance(policy, dict):
                yield subscription, "Attributes.FilterPolicy", "must be a JSON object"
        scope = attributes.get("FilterPolicyScope")
        if scope is not None and known(scope) and scope not in ("MessageAttributes", "MessageBody"):
            yield subscription, "Attributes.FilterPolicyScope", f"must be MessageAttributes or MessageBody; got {show(scope)}"
        raw = attributes.get("RawMessageDelivery")
        if raw is not None and known(raw) and raw not in ("true", "false"):
            yield subscription, "Attributes.RawMessageDelivery", f"must be true or false; got {show(raw)}"
