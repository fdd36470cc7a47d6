"""Settings of the SNS topics a stack's workloads publish to (``ecs-platform:topics``) and of a queue worker's
subscriptions to them (``workers.<name>.subscriptions``)."""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from .. import validation
from ..topics import FILTER_POLICY_SCOPES, filter_policy_problem
from .base import Bool, KeyProblem, _Settings

TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class TopicSettings(_Settings):
    """An SNS topic, encrypted at rest, that refuses plain-HTTP publishing."""

    fifo: Bool = Field(False, description="FIFO: ordered, deduplicated, delivered to FIFO queues only. Changing it "
                                          "replaces the topic and its subscriptions.")
    content_based_deduplication: Bool = Field(False, description="FIFO only: deduplicate by a hash of the body.")
    kms_key_arn: Optional[str] = Field(None, description="Customer managed KMS key. Default: the AWS managed key "
                                                         "alias/aws/sns.")

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.kms_key_or_alias_arn(value)

    @model_validator(mode="after")
    def _fifo_only(self) -> "TopicSettings":
        if self.content_based_deduplication and not self.fifo:
            raise KeyProblem("contentBasedDeduplication", "only FIFO topics deduplicate; set fifo: true or remove it")
        return self

    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"fifo": self.fifo}
        if self.content_based_deduplication:
            args["content_based_deduplication"] = True
        if self.kms_key_arn:
            args["kms_key_arn"] = self.kms_key_arn
        return args


class SubscriptionSettings(_Settings):
    """A topic of the stack whose messages arrive on the worker's queue."""

    topic: str = Field(description="A name under topics. Required.")
    filter_policy: Optional[dict[str, Any]] = Field(
        None, description="Only messages matching it arrive (SNS message filtering). Default: every message.")
    filter_policy_scope: Literal["MessageAttributes", "MessageBody"] = Field(
        FILTER_POLICY_SCOPES[0], description="What the filter policy reads.")
    raw_message_delivery: Bool = Field(False, description="The body as published, without SNS's JSON envelope.")

    @field_validator("filter_policy")
    @classmethod
    def _filter(cls, value: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
        problem = None if value is None else filter_policy_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _scope_needs_a_policy(self) -> "SubscriptionSettings":
        if "filter_policy_scope" in self.model_fields_set and self.filter_policy is None:
            raise KeyProblem("filterPolicyScope", "filters nothing without a filterPolicy; remove it or add one")
        return self
