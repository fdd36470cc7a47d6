"""Plain-Python checks shared by the stack settings, the components and the policy pack.

Every function raises ``ValueError`` with a message that says what is allowed and what was given; the caller adds
the key path. Nothing here needs the Pulumi runtime.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from .enums import CapacityProvider

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy, `retentionInDays`).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

# ELBv2 security policies that negotiate TLS 1.3 (and nothing older than TLS 1.2). Security Hub ELB.17 recommends
# this family; the FIPS and post-quantum variants are listed for regulated accounts.
TLS13_SSL_POLICIES: tuple[str, ...] = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
)

# AWS subnets range from /16 to /28 (VPC User Guide, "Subnet sizing").
MIN_PREFIX, MAX_PREFIX = 16, 28

_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d{12}|):(?P<resource>.+)$"
)
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def one_of(value: object, allowed: Iterable[object]) -> str:
    """The tail of a message that lists what is allowed: ``"allowed: a, b; got c"``."""
    return f"allowed: {', '.join(str(a) for a in allowed)}; got {value!r}"


def log_retention_days(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"not a CloudWatch Logs retention period ({one_of(days, LOG_RETENTION_DAYS)})")
    return days


def region(name: str) -> str:
    if not _REGION.match(name):
        raise ValueError(f"not an AWS region name such as us-east-1; got {name!r}")
    return name


def arn(value: str, service: str, resource_prefix: str = "") -> str:
    """Accept an ARN of ``service`` whose resource part starts with ``resource_prefix``."""
    match = _ARN.match(value)
    if not match:
        raise ValueError(f"not an ARN (arn:aws:{service}:<region>:<account>:...); got {value!r}")
    if match["service"] != service:
        raise ValueError(f"expected an ARN of service {service!r}, got one of {match['service']!r}: {value}")
    if resource_prefix and not match["resource"].startswith(resource_prefix):
        raise ValueError(f"expected an {service} ARN of a {resource_prefix.rstrip('/:')}; got {value}")
    return value


def ipv4_network(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"not an IPv4 CIDR block such as 10.0.0.0/16 ({error}); got {value!r}") from None


def vpc_cidr(value: str) -> ipaddress.IPv4Network:
    cidr = ipv4_network(value)
    if not MIN_PREFIX <= cidr.prefixlen <= MAX_PREFIX:
        raise ValueError(f"VPC CIDR prefix must be /{MIN_PREFIX} to /{MAX_PREFIX}; got {cidr}")
    return cidr


def subnet_prefix(vpc: ipaddress.IPv4Network, prefix: int, label: str) -> int:
    if not vpc.prefixlen < prefix <= MAX_PREFIX:
        raise ValueError(
            f"{label} subnets must be /{vpc.prefixlen + 1} to /{MAX_PREFIX} inside a /{vpc.prefixlen} VPC; got /{prefix}"
        )
    return prefix


def vpc_layout(cidr: ipaddress.IPv4Network, az_count: int, public_prefix: int, private_prefix: int) -> None:
    """Check that one public and one private subnet per AZ fit the way awsx lays them out.

    awsx's ``Auto`` strategy splits the VPC into equal power-of-two blocks, one per AZ (2 AZs: halves, 3 or 4 AZs:
    quarters), and packs each AZ's subnets into its block in the order given. The components list the larger
    (private) subnet first, so the subnets fit exactly when their sizes add up to no more than the block.
    """
    az_prefix = cidr.prefixlen + max(az_count - 1, 0).bit_length()
    az_block = 2 ** (32 - az_prefix) if az_prefix <= 32 else 0
    needed = 2 ** (32 - public_prefix) + 2 ** (32 - private_prefix)
    if needed > az_block:
        raise ValueError(
            f"{cidr} split across {az_count} AZs leaves each AZ a /{az_prefix} ({az_block} addresses), but a "
            f"/{public_prefix} public and a /{private_prefix} private subnet need {needed}; use a larger CIDR, fewer "
            "AZs or smaller subnets"
        )


def capacity_provider_strategy(items: Sequence[tuple[CapacityProvider, int, int]]) -> None:
    """Check a strategy given as ``(provider, weight, base)`` tuples against the rules of CreateService."""
    if not items:
        raise ValueError("needs at least one capacity provider")
    providers = [p for p, _, _ in items]
    if len(set(providers)) != len(providers):
        raise ValueError(f"lists a capacity provider twice: {', '.join(p.value for p in providers)}")
    if not any(weight > 0 for _, weight, _ in items):
        raise ValueError("needs a weight above 0 on at least one capacity provider")
    if sum(1 for _, _, base in items if base > 0) > 1:
        raise ValueError("only one capacity provider may have a base above 0")
