"""The documented AWS rules the service models do not carry, one module per service.

Importing this package registers every rule (in :data:`base.CHECKS`), in the order of the imports below. Each rule
names its source (the API reference or user guide page) in its docstring or in a comment next to its table.
"""

from __future__ import annotations

from . import autoscaling, cloudwatch, ec2, ecr, ecs_managed_instances, ecs_services, ecs_tasks, ecs_volumes, efs, elb, iam, names, scheduler, security_groups, servicediscovery, sns, sqs  # noqa: F401,E501 (registers)
from .base import CHECKS, Finding, Stack

__all__ = ["CHECKS", "Finding", "Stack"]
