"""API requests of SNS topics, their policies and subscriptions, and of SQS queue policies (registered into
:data:`.requests.MAPPERS` with `@maps`).

terraform-provider-aws (internal/service/sns/topic.go, `resourceTopicCreate`) sends CreateTopic with the name and
the attributes set at creation (FifoTopic, ContentBasedDeduplication, KmsMasterKeyId...); topic_policy.go sends
SetTopicAttributes Policy; topic_subscription.go sends Subscribe with the attributes (FilterPolicy,
FilterPolicyScope, RawMessageDelivery) as strings; sqs/queue_policy.go sends SetQueueAttributes Policy.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_platform.offline.engine import Registration
from .requests import ApiRequest, _name, compact, maps, request, text

_TOPIC_ATTRIBUTES = {"fifoTopic": "FifoTopic", "contentBasedDeduplication": "ContentBasedDeduplication",
                     "kmsMasterKeyId": "KmsMasterKeyId", "fifoThroughputScope": "FifoThroughputScope"}
_SUBSCRIPTION_ATTRIBUTES = {"filterPolicy": "FilterPolicy", "filterPolicyScope": "FilterPolicyScope",
                            "rawMessageDelivery": "RawMessageDelivery"}


@maps("aws:sns/topic:Topic")
def topic(r: Registration) -> Iterator[ApiRequest]:
    attributes = {api: text(value) for key, api in _TOPIC_ATTRIBUTES.items()
                  if (value := r.inputs.get(key)) is not None}
    yield request("sns", "CreateTopic", compact({"Name": _name(r), "Attributes": attributes}), r)


@maps("aws:sns/topicPolicy:TopicPolicy")
def topic_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("sns", "SetTopicAttributes", {"TopicArn": r.inputs.get("arn"), "AttributeName": "Policy",
                                                "AttributeValue": r.inputs.get("policy")}, r)


@maps("aws:sns/topicSubscription:TopicSubscription")
def subscription(r: Registration) -> Iterator[ApiRequest]:
    attributes = {api: text(value) for key, api in _SUBSCRIPTION_ATTRIBUTES.items()
                  if (value := r.inputs.get(key)) is not None}
    yield request("sns", "Subscribe", compact({
        "TopicArn": r.inputs.get("topic"), "Protocol": r.inputs.get("protocol"),
        "Endpoint": r.inputs.get("endpoint"), "Attributes": attributes, "ReturnSubscriptionArn": True}), r)


@maps("aws:sqs/queuePolicy:QueuePolicy")
def queue_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("sqs", "SetQueueAttributes", {"QueueUrl": r.inputs.get("queueUrl"),
                                                "Attributes": {"Policy": r.inputs.get("policy")}}, r)
