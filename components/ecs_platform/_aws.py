"""Small helpers the components share: the account context and IAM policy documents."""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import pulumi
import pulumi_aws as aws
from pulumi.runtime.settings import get_monitor

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings

T = TypeVar("T")
_LOOKUPS: "weakref.WeakKeyDictionary[Any, dict[tuple[Any, str], Any]]" = weakref.WeakKeyDictionary()


def once_per_provider(parent: pulumi.Resource, what: str, lookup: Callable[[], T]) -> T:
    """Answer an invoke once per program run and AWS provider: every component of a stack asks the same account,
    region and zones, and each synchronous invoke is a round trip to the provider."""
    # Keyed by the resource monitor: one per program run (and per test run under mocks).
    answers = _LOOKUPS.setdefault(get_monitor(), {})
    key = (parent.get_provider("aws:index:getRegion"), what)
    if key not in answers:
        answers[key] = lookup()
    return answers[key]


@dataclass(frozen=True)
class AccountContext:
    """Where a component is being deployed, read once through the component's own provider."""

    account_id: str
    region: str
    partition: str
    dns_suffix: str

    @classmethod
    def of(cls, parent: pulumi.Resource) -> AccountContext:
        return once_per_provider(parent, "account", lambda: cls._lookup(parent))

    @classmethod
    def _lookup(cls, parent: pulumi.Resource) -> AccountContext:
        # Invokes inherit the provider of `parent`, so a component deployed with an explicit provider asks that
        # provider's account and region, not the ambient default.
        opts = pulumi.InvokeOptions(parent=parent)
        identity = aws.get_caller_identity(opts=opts)
        region = aws.get_region(opts=opts)
        partition = aws.get_partition(opts=opts)
        return cls(
            account_id=identity.account_id,
            region=region.region,
            partition=partition.partition,
            dns_suffix=partition.dns_suffix,
        )

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    # Identifiers built from a resource's name in the formats AWS documents. The name is known before the resource
    # exists (Pulumi's auto-names are chosen at preview), so values built from these are known at a first preview,
    # where the provider's own `arn`/`url` outputs are not; policy rules can then judge them. Building from the
    # name's Output keeps the dependency on the resource.

    def role_arn(self, role_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of an IAM role at the default path `/` (IAM User Guide, "IAM ARNs")."""
        return pulumi.Output.concat(self.arn("iam", "role/", regional=False), role_name)

    def log_group_arn(self, group_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of a CloudWatch Logs log group, without the `:*` that DescribeLogGroups appends."""
        return pulumi.Output.concat(self.arn("logs", "log-group:"), group_name)

    def queue_arn(self, queue_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """ARN of an SQS queue (SQS Developer Guide, "Amazon SQS resource ARNs")."""
        return pulumi.Output.concat(self.arn("sqs", ""), queue_name)

    def repository_url(self, repository_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """URL of a private ECR repository: `<account>.dkr.ecr.<region>.<dns suffix>/<name>` (ECR User Guide,
        "Private registry concepts")."""
        return pulumi.Output.concat(f"{self.account_id}.dkr.ecr.{self.region}.{self.dns_suffix}/", repository_name)

    def queue_url(self, queue_name: pulumi.Input[str]) -> pulumi.Output[str]:
        """URL of an SQS queue (SQS Developer Guide, "Queue and message identifiers")."""
        return pulumi.Output.concat(f"https://sqs.{self.region}.{self.dns_suffix}/{self.account_id}/", queue_name)


def policy_document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ECS_INFRASTRUCTURE_TRUST = json.dumps(policy_document(
    {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}))
"""The trust policy AWS documents for ECS infrastructure roles (load balancers, EBS volumes): ecs.amazonaws.com, no
condition (ECS Developer Guide, "Amazon ECS infrastructure IAM role")."""


def service_trust_policy(service: str, *, source_account: str, source_arn: str | None = None) -> str:
    """A role trust policy for an AWS service principal, pinned to this account (confused-deputy protection)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return json.dumps(
        policy_document(
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        )
    )


def ingress_from_cidr(
    name: str, security_group_id: pulumi.Input[str], port: int, cidr: pulumi.Input[str], description: str,
    opts: pulumi.ResourceOptions,
) -> aws.vpc.SecurityGroupIngressRule:
    """One TCP port from one IPv4 CIDR, as its own rule resource (one CIDR per rule, as AWS recommends)."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=security_group_id,
        description=description,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr,
        opts=opts,
    )
