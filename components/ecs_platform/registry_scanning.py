"""RegistryScanning: the account's ECR registry scanning configuration, scanning every image pushed anywhere."""

from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from ._args import check_keys

SCAN_ON_PUSH_EVERYWHERE = {"scan_frequency": "SCAN_ON_PUSH",
                           "repository_filters": [{"filter": "*", "filter_type": "WILDCARD"}]}
"""Every image of every repository of the registry scanned when it is pushed (Security Hub ECR.1)."""


class RegistryScanningArgs(TypedDict):
    """Inputs of a RegistryScanning."""

    scan_type: NotRequired[str]
    """BASIC (free, CVEs of the operating system packages) or ENHANCED (Amazon Inspector, billed). Default: BASIC."""


class RegistryScanning(pulumi.ComponentResource):
    """The registry's scanning configuration: every image pushed to any repository of the account and region is
    scanned (ECR User Guide, "Configuring basic scanning for images in Amazon ECR"; a filter of `*` matches every
    repository name). ECR deprecates the per-repository scan-on-push setting in favour of this one.

    It is one per account and region, and PutRegistryScanningConfiguration replaces it whole: exactly one stack of
    an account may manage it. Removing it returns the registry to basic scanning without rules, which scans nothing
    on push."""

    def __init__(self, name: str, args: RegistryScanningArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys("RegistryScanning", args, RegistryScanningArgs)
        scan_type = args.get("scan_type", "BASIC")
        if scan_type not in ("BASIC", "ENHANCED"):
            raise ValueError(f"RegistryScanning scan_type must be BASIC or ENHANCED; got {scan_type!r}")
        super().__init__("ecs-platform:index:RegistryScanning", name, None, opts)
        self.configuration = aws.ecr.RegistryScanningConfiguration(
            name, scan_type=scan_type, rules=[SCAN_ON_PUSH_EVERYWHERE], opts=pulumi.ResourceOptions(parent=self))
        """The aws.ecr.RegistryScanningConfiguration, for escape hatches."""
        self.register_outputs({})
