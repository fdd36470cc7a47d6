"""Entry point of the policy pack. The engine runs `python -m pulumi.policy <engine> .` in this folder, so this file
runs as a script with the folder first on sys.path: the rules are imported from the `platform_policies` package
that sits next to it. Constructing PolicyPack starts the analyzer's gRPC server and never returns."""

from pulumi_policy import PolicyPack

from platform_policies import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    description="AWS Security Hub controls and ECS platform rules for ECS on Fargate, ALB, VPC, SQS, CloudWatch, IAM.",
)
