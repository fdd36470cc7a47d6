"""Topic: an SNS topic the stack's workloads publish to and its queue workers subscribe to.

The topic is encrypted at rest with KMS (Security Hub SNS.1): the given customer managed key, else the AWS managed
key `alias/aws/sns`, whose key policy lets principals of the account use it through SNS, so publishers of the same
account need no KMS permission of their own (SNS Developer Guide, "Encryption at rest": "Key management"). SNS
delivers to an SQS queue encrypted with SSE-SQS without more ado; a queue under a customer managed KMS key must let
`sns.amazonaws.com` use that key (SNS Developer Guide, "Enable compatibility between an encrypted topic and an
encrypted queue").

Its topic policy denies publishing over plain HTTP (`aws:SecureTransport`); who may publish is decided by the
publishers' task roles, which get `sns:Publish` on exactly the topics they name. A FIFO topic is named
`<project>-<stack>-<name>.fifo` (AWS requires the suffix) and delivers only to FIFO queues.
"""

import json
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import naming, validation
from ._args import check_keys
from ._aws import AccountContext, policy_document

AWS_MANAGED_SNS_KEY = "alias/aws/sns"
SNS_TOPIC_NAME_LIMIT = 256
MAX_FILTER_POLICY_KEYS = 5
"""SNS Developer Guide, "Amazon SNS message filtering" constraints: at most 5 attribute names (keys) per filter
policy."""
MAX_FILTER_POLICY_BYTES = 256 * 1024
"""The same page: a filter policy is at most 256 KB."""


class TopicArgs(TypedDict):
    """An SNS topic."""

    fifo: NotRequired[bool]
    """A FIFO topic: ordered, deduplicated delivery to FIFO queues only. Cannot change later (a change replaces the
    topic and its subscriptions). Default: false."""
    content_based_deduplication: NotRequired[bool]
    """FIFO only: deduplicate by a hash of the body instead of a deduplication id. Default: false."""
    kms_key_arn: NotRequired[str]
    """Customer managed KMS key the topic is encrypted with. Default: the AWS managed key alias/aws/sns."""


def topic_problem(args: TopicArgs) -> Optional[str]:
    """Why the topic args cannot make a topic, or None."""
    if args.get("content_based_deduplication") and not args.get("fifo"):
        return "content_based_deduplication needs fifo: true (only FIFO topics deduplicate)"
    if "kms_key_arn" in args:
        try:
            validation.kms_key_or_alias_arn(args["kms_key_arn"])
        except ValueError as error:
            return f"kms_key_arn {error}"
    return None


def filter_policy_problem(policy: Any) -> Optional[str]:
    """Why a subscription filter policy would be refused by SNS, or None."""
    if not isinstance(policy, dict) or not policy:
        return "must be a mapping of attribute names to the values they match"
    if len(policy) > MAX_FILTER_POLICY_KEYS:
        return f"has {len(policy)} attribute names; SNS takes at most {MAX_FILTER_POLICY_KEYS}"
    if len(json.dumps(policy).encode()) > MAX_FILTER_POLICY_BYTES:
        return "is larger than SNS's 256 KB"
    return None


class Topic(pulumi.ComponentResource):
    """An encrypted SNS topic that refuses plain-HTTP publishing."""

    arn: pulumi.Output[str]
    """The topic's ARN: what publishers and subscriptions name."""
    name: pulumi.Output[str]
    """The topic's name in AWS."""

    def __init__(self, name: str, args: TopicArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys(args, TopicArgs, "Topic")
        problem = topic_problem(args)
        if problem:
            raise ValueError(f"Topic {name}: {problem}")
        super().__init__("ecs-platform:index:Topic", name, None, opts)
        fifo = bool(args.get("fifo", False))
        fixed: dict[str, Any] = {}
        child = pulumi.ResourceOptions(parent=self)
        if fifo:
            fixed["name"] = naming.fifo_name(pulumi.get_project(), pulumi.get_stack(), name, SNS_TOPIC_NAME_LIMIT)
            child = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        topic = aws.sns.Topic(
            name,
            fifo_topic=fifo or None,
            content_based_deduplication=bool(args.get("content_based_deduplication")) or None,
            kms_master_key_id=args.get("kms_key_arn", AWS_MANAGED_SNS_KEY),
            **fixed,
            opts=child,
        )
        # The ARN built from the name, as AWS documents it: known at a first preview (the name is auto-named then),
        # so the publishers' roles and the queue policies that name it can be judged before the topic exists.
        arn = pulumi.Output.concat(AccountContext.of(self).arn("sns", ""), topic.name)
        aws.sns.TopicPolicy(
            name,
            arn=arn,
            policy=arn.apply(lambda arn: json.dumps(policy_document({
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = arn
        self.name = topic.name
        self.register_outputs({"arn": self.arn, "name": self.name})


class Subscription(TypedDict):
    """An SNS topic's messages delivered to a queue worker's queue."""

    name: str
    """The topic's name in the stack (names the subscription's resources)."""
    topic_arn: pulumi.Input[str]
    """The topic: the queue policy lets exactly these topics send to the queue."""
    fifo: NotRequired[bool]
    """Whether the topic is FIFO: a FIFO topic delivers only to a FIFO queue, and a FIFO queue takes only FIFO
    topics. Default: false."""
    filter_policy: NotRequired[dict[str, Any]]
    """Only messages matching it arrive (SNS message filtering). Default: every message."""
    filter_policy_scope: NotRequired[str]
    """MessageAttributes or MessageBody: what the filter policy reads. Default: MessageAttributes."""
    raw_message_delivery: NotRequired[bool]
    """Deliver the message body as published, without SNS's JSON envelope. Default: false."""


FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")


def subscription_problem(subscriptions: list[Subscription], fifo_queue: bool) -> Optional[str]:
    """Why a worker's subscriptions cannot be made, or None."""
    names = [s["name"] for s in subscriptions]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"subscribes to {', '.join(twice)} twice"
    for s in subscriptions:
        if bool(s.get("fifo", False)) != fifo_queue:
            kind = ("a FIFO topic delivers only to a FIFO queue" if s.get("fifo")
                    else "a FIFO queue takes messages only from FIFO topics")
            return f"subscription {s['name']}: {kind}; set the worker's queue fifo to match the topic"
        if "filter_policy" in s:
            problem = filter_policy_problem(s["filter_policy"])
            if problem:
                return f"subscription {s['name']}: filter_policy {problem}"
        if s.get("filter_policy_scope", FILTER_POLICY_SCOPES[0]) not in FILTER_POLICY_SCOPES:
            return f"subscription {s['name']}: filter_policy_scope must be {' or '.join(FILTER_POLICY_SCOPES)}"
        if "filter_policy_scope" in s and "filter_policy" not in s:
            return f"subscription {s['name']}: filter_policy_scope without a filter_policy filters nothing"
    return None


def subscribe(worker: str, queue_arn: pulumi.Input[str], queue_url: pulumi.Input[str],
              subscriptions: list[Subscription], child: pulumi.ResourceOptions) -> None:
    """Each topic's subscription of the queue, and the queue policy that lets exactly those topics send to it
    (SNS Developer Guide, "Fanout to Amazon SQS queues": the queue policy allows sns.amazonaws.com sqs:SendMessage
    with aws:SourceArn the topic)."""
    if not subscriptions:
        return
    topics = [s["topic_arn"] for s in subscriptions]
    aws.sqs.QueuePolicy(
        f"{worker}-topics",
        queue_url=queue_url,
        policy=pulumi.Output.all(queue_arn, *topics).apply(lambda values: json.dumps(policy_document({
            "Sid": "TopicsOfThisWorker",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": values[0],
            "Condition": {"ArnEquals": {"aws:SourceArn": sorted(values[1:])}},
        }))),
        opts=child,
    )
    for s in subscriptions:
        extra: dict[str, Any] = {}
        if "filter_policy" in s:
            extra["filter_policy"] = json.dumps(s["filter_policy"], sort_keys=True)
            extra["filter_policy_scope"] = s.get("filter_policy_scope", FILTER_POLICY_SCOPES[0])
        aws.sns.TopicSubscription(
            f"{worker}-{s['name']}",
            topic=s["topic_arn"],
            protocol="sqs",
            endpoint=queue_arn,
            raw_message_delivery=bool(s.get("raw_message_delivery", False)),
            **extra,
            opts=child,
        )
