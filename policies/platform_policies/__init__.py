"""The ECS platform's CrossGuard rules, importable without starting a policy pack.

`policies/__main__.py` builds the pack from :data:`POLICIES`; tests import the rules directly.
"""

from . import data, ec2, ecr, ecs, efs, elb, platform

PACK_NAME = "ecs-platform-policies"
POLICIES = [*ecs.POLICIES, *elb.POLICIES, *ec2.POLICIES, *data.POLICIES, *ecr.POLICIES, *efs.POLICIES, *platform.POLICIES]

__all__ = ["PACK_NAME", "POLICIES"]
