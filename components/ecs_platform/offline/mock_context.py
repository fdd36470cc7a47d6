"""What every mock answer shares: the account, auto-naming and the context of one registration.

The answers themselves live in :mod:`.mocks` and its extension modules (:mod:`.mocks_images`,
:mod:`.mocks_schedules`, :mod:`.mocks_services`); each imports only this module and declares its tables
(``COMPUTERS``, ``INVOKES``, ``REMOTE``, ``AUTO_NAMED``), which :mod:`.mocks` reads. Nothing here imports them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# Property the provider fills with `<logical name>-<7 hex>` when a program leaves it out, per resource type.
AUTO_NAMED: dict[str, str] = {
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:iam/policy:Policy": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/service:Service": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:appautoscaling/policy:Policy": "name",
    "aws:scheduler/schedule:Schedule": "name",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "name",
}


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def physical_name(logical: str, seed: str) -> str:
    """What Pulumi's auto-naming produces: the logical name, a dash and seven random hex characters."""
    return f"{logical}-{_hex(seed, 7)}"


Outputs = dict[str, Any]
Computer = Callable[["_Ctx"], tuple[str, Outputs]]


class _Ctx:
    """What a computer needs to know about one registration."""

    def __init__(self, args: pulumi.runtime.MockResourceArgs, region: str, revisions: dict[str, int]) -> None:
        self.revisions = revisions
        self.type = args.typ
        self.name = args.name
        self.inputs: dict[str, Any] = dict(args.inputs)
        self.region = region
        self.seed = f"{args.typ}::{args.name}"
        prop = AUTO_NAMED.get(args.typ)
        if prop and not self.inputs.get(prop):
            suffix = ".fifo" if self.inputs.get("fifoQueue") else ""
            self.inputs[prop] = physical_name(args.name, self.seed) + suffix

    def hex(self, length: int, salt: str = "") -> str:
        return _hex(self.seed + salt, length)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT_ID if account else ''}:{resource}"

    def ec2_id(self, prefix: str) -> str:
        return f"{prefix}-{self.hex(17)}"
