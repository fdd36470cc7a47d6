"""Plain-Python checks shared by the stack settings, the components and the policy pack.

Every function raises ``ValueError`` with a message that says what is allowed and what was given; the caller adds
the key path. Nothing here needs the Pulumi runtime.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Optional

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


def sns_topic_arn(value: str) -> str:
    """An SNS topic's ARN (`arn:aws:sns:<region>:<account>:<topic>`), not a subscription's, which adds `:<id>` and
    cannot be an alarm action."""
    arn(value, "sns")
    resource = value.split(":", 5)[5]
    if ":" in resource:
        raise ValueError(f"is the ARN of a subscription to {resource.split(':')[0]!r}, not of a topic; use "
                         f"{value.rsplit(':', 1)[0]}")
    return value


def account_of(value: str) -> Optional[str]:
    """The account of an ARN, or None."""
    match = _ARN.match(value)
    return match["account"] or None if match else None


def kms_key_or_alias_arn(value: str) -> str:
    """Accept the ARN of a KMS key (`key/<id>`) or of an alias (`alias/<name>`), as services that encrypt with a
    customer key take it."""
    arn(value, "kms")
    if not value.split(":", 5)[5].startswith(("key/", "alias/")):
        raise ValueError(f"must be the ARN of a KMS key or alias; got {value}")
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


# Fargate task sizes (ECS Developer Guide, "Task CPU and memory"): memory choices per CPU units.
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def _choices(values: Sequence[int]) -> str:
    if len(values) <= 4:
        return ", ".join(str(v) for v in values[:-1]) + f" or {values[-1]}"
    return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"


def fargate_size(cpu: int, memory: int) -> None:
    if cpu not in FARGATE_MEMORY:
        raise ValueError(f"cpu must be a Fargate size ({one_of(cpu, FARGATE_MEMORY)})")
    if memory not in FARGATE_MEMORY[cpu]:
        raise ValueError(f"cpu {cpu} allows memory {_choices(FARGATE_MEMORY[cpu])}; got {memory}")


# Names that almost always hold a credential. Their values belong in `secrets` (valueFrom), never in plaintext.
SECRET_NAME_MARKERS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL",
)


def looks_secret(name: str, markers: Sequence[str] = SECRET_NAME_MARKERS) -> bool:
    upper = name.upper().replace("-", "_")
    return any(marker in upper for marker in markers)


def plaintext_environment(environment: dict[str, str]) -> None:
    for name in environment:
        if looks_secret(name):
            raise ValueError(
                f"{name} looks like a secret; put the ARN of an SSM parameter or Secrets Manager secret under "
                "secrets instead of a plaintext value"
            )


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def environment_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(f"{name!r} is not an environment variable name (letters, digits, _; not starting a digit)")
    return name


def secret_reference(value: str) -> str:
    """A `valueFrom` ECS accepts and IAM can scope: the ARN of an SSM parameter or a Secrets Manager secret."""
    match = _ARN.match(value)
    if not match or (match["service"], match["resource"].split("/")[0].split(":")[0]) not in (
        ("ssm", "parameter"),
        ("secretsmanager", "secret"),
    ):
        raise ValueError(
            "must be the ARN of an SSM parameter (arn:aws:ssm:...:parameter/...) or a Secrets Manager secret "
            f"(arn:aws:secretsmanager:...:secret:...); got {value!r}"
        )
    return value


def secret_resource(value_from: str) -> str:
    """The IAM resource of a `valueFrom`: a Secrets Manager reference may end in `:json-key:stage:version`."""
    parts = value_from.split(":")
    return ":".join(parts[:7]) if parts[2] == "secretsmanager" else value_from


def scaling_bounds(min_tasks: int, max_tasks: int) -> None:
    if min_tasks > max_tasks:
        raise ValueError(f"minTasks {min_tasks} is above maxTasks {max_tasks}")


def scale_out_steps(steps: Sequence[tuple[int, int]]) -> None:
    """Steps as ``(messages, tasks to add)``: thresholds strictly increasing, adjustments positive."""
    if not steps:
        raise ValueError("needs at least one step")
    thresholds = [m for m, _ in steps]
    if any(b <= a for a, b in zip(thresholds, thresholds[1:])):
        raise ValueError(f"message thresholds must increase; got {thresholds}")
    if any(add < 1 for _, add in steps):
        raise ValueError("every step must add at least one task")


# Regions and zones ---------------------------------------------------------------------------------------------

# AWS Regions and the number of availability zones each offers without opt-in (AWS Global Infrastructure, "Regions
# and Availability Zones", as of 2026-11). A region opened later is refused until it is added here.
REGION_ZONES: dict[str, int] = {
    "us-east-1": 6, "us-east-2": 3, "us-west-1": 2, "us-west-2": 4,
    "af-south-1": 3, "ap-east-1": 3, "ap-east-2": 3, "ap-south-1": 3, "ap-south-2": 3,
    "ap-southeast-1": 3, "ap-southeast-2": 3, "ap-southeast-3": 3, "ap-southeast-4": 3, "ap-southeast-5": 3,
    "ap-southeast-6": 3, "ap-southeast-7": 3, "ap-northeast-1": 3, "ap-northeast-2": 4, "ap-northeast-3": 3,
    "ca-central-1": 3, "ca-west-1": 3,
    "eu-central-1": 3, "eu-central-2": 3, "eu-west-1": 3, "eu-west-2": 3, "eu-west-3": 3, "eu-south-1": 3,
    "eu-south-2": 3, "eu-north-1": 3,
    "il-central-1": 3, "me-south-1": 3, "me-central-1": 3, "mx-central-1": 3, "sa-east-1": 3,
    "cn-north-1": 3, "cn-northwest-1": 3,
    "us-gov-west-1": 3, "us-gov-east-1": 3,
}


def partition_of(region_name: str) -> str:
    """The AWS partition a region belongs to."""
    if region_name.startswith("cn-"):
        return "aws-cn"
    if region_name.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def known_region(name: str) -> str:
    """A region that exists (see :data:`REGION_ZONES`), with a suggestion for a near miss."""
    if name not in REGION_ZONES:
        raise ValueError(f"not an AWS region (got {name!r}){did_you_mean(name, REGION_ZONES) or '; for example us-east-1'}")
    return name


def zones_fit(region_name: str, az_count: int) -> None:
    available = REGION_ZONES.get(region_name)
    if available is not None and az_count > available:
        raise ValueError(f"{region_name} has {available} availability zones that need no opt-in; got {az_count}")


def regional_arn(value: str, region_name: str) -> str:
    """An ARN of a regional resource (certificate, topic, key, secret) must be in the stack's region and partition:
    ACM certificates, SNS topics and KMS keys are used from their own region only, and a stack keeps its secrets
    where it runs (a secret elsewhere fails with its region, and bypasses the stack's VPC endpoints)."""
    match = _ARN.match(value)
    if not match:
        return value
    if match["region"] and match["region"] not in REGION_ZONES:
        raise ValueError(f"{match['region']!r} in {value} is not an AWS region"
                         f"{did_you_mean(match['region'], REGION_ZONES)}")
    partition = partition_of(region_name)
    if match["partition"] != partition or match["region"] != region_name:
        raise ValueError(f"must be in the stack's region {region_name} (partition {partition}); "
                         f"{value} is in {match['region'] or 'no region'} ({match['partition']})")
    return value


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """``"; did you mean X?"`` for the closest candidate, or nothing."""
    import difflib

    candidates = list(candidates)
    # Letters typed for the digits they look like (eu-west-l) are the likeliest slip; prefer that reading.
    confusable = str.maketrans("lIOo", "1100")
    alike = [c for c in candidates if c.translate(confusable) == value.translate(confusable)]
    hint = alike or difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return f"; did you mean {hint[0]}?" if hint else ""


# Routing, images and permissions -------------------------------------------------------------------------------

_HOST = re.compile(r"^[A-Za-z0-9*?]([A-Za-z0-9*?.-]*[A-Za-z0-9*?])?$")
_PATH_CHARS = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+&*?]*$")


def host_header(value: str) -> str:
    """An ALB host-header condition value: a host name with optional * and ? wildcards, no scheme, port or path
    (ELB User Guide, "Host conditions")."""
    if "://" in value:
        raise ValueError(f"is a host name, without a scheme; got {value!r} (write {value.split('://', 1)[1]!r})")
    if ":" in value:
        raise ValueError(f"is a host name, without a port: listener rules match the host only; got {value!r}")
    if "/" in value:
        raise ValueError(f"is a host name; paths go under pathPatterns; got {value!r}")
    if len(value) > 128 or not _HOST.match(value):
        raise ValueError("must be a host name of at most 128 letters, digits, dots, hyphens and the wildcards * "
                         f"and ?; got {value!r}")
    return value


def path_pattern(value: str) -> str:
    """An ALB path-pattern condition value: starts with /, at most 128 characters of the allowed set (ELB User
    Guide, "Path conditions")."""
    if not value.startswith("/"):
        raise ValueError(f"must start with /; got {value!r} (write '/{value}')")
    if len(value) > 128 or not _PATH_CHARS.match(value):
        raise ValueError("must be at most 128 characters: letters, digits, the wildcards * and ?, and _ - . $ / ~ "
                         f"\" ' @ : + &; got {value!r}")
    return value


def matcher(value: str) -> str:
    """HTTP codes an ALB target group counts as healthy: codes or ranges from 200 to 499, comma-separated (ELB
    API, Matcher.HttpCode)."""
    parts = value.split(",")
    for part in parts:
        bounds = part.split("-")
        if not (1 <= len(bounds) <= 2 and all(b.isdigit() and len(b) == 3 for b in bounds)):
            raise ValueError(f"must be HTTP codes or ranges such as 200 or 200-299, comma-separated; got {value!r}")
        low, high = int(bounds[0]), int(bounds[-1])
        if not (200 <= low <= high <= 499):
            raise ValueError(f"codes must be from 200 to 499 (what an Application Load Balancer accepts); got {part!r}")
    return value


def pinned_image(value: str) -> str:
    """A container image pinned by a tag or a digest: `repo:tag` or `repo@sha256:...` (a bare repository pulls
    whatever `latest` is at the time)."""
    if "@" in value:
        digest = value.split("@", 1)[1]
        if not re.match(r"^sha256:[0-9a-f]{64}$", digest):
            raise ValueError(f"digest must be sha256: and 64 hex characters; got {value!r}")
        return value
    last = value.rsplit("/", 1)[-1]
    if ":" not in last or not last.split(":", 1)[1]:
        raise ValueError(f"needs a tag or a digest (repository:1.2.3 or repository@sha256:...); got {value!r}")
    return value


def iam_resource(value: str) -> str:
    """An IAM policy Resource: an ARN (wildcards allowed) or `*`."""
    if value != "*" and not re.match(r"^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]*:", value):
        raise ValueError(f"must be an ARN (arn:aws:service:region:account:resource) or *; got {value!r}")
    return value


def iam_action(value: str) -> str:
    if not re.match(r"^[a-z0-9-]+:[A-Za-z0-9*]+$", value):
        raise ValueError(f"must be service:Action, for example s3:GetObject; got {value!r}")
    return value


# Existing networks and extra security groups ------------------------------------------------------------------------

# EC2 resource ids: the prefix, a dash and 8 (older resources) or 17 lowercase hex digits (EC2 User Guide, "Resource
# IDs": "longer IDs ... 17 characters").
_EC2_ID = re.compile(r"^(vpc|subnet|sg|rtb)-([0-9a-f]{8}|[0-9a-f]{17})$")
_EC2_ID_EXAMPLE = {"vpc": "vpc-0a1b2c3d4e5f60718", "subnet": "subnet-0a1b2c3d4e5f60718",
                   "sg": "sg-0a1b2c3d4e5f60718", "rtb": "rtb-0a1b2c3d4e5f60718"}


def ec2_id(value: str, prefix: str) -> str:
    """An EC2 resource id of kind ``prefix`` (vpc, subnet, sg, rtb)."""
    match = _EC2_ID.match(str(value))
    if not match or match.group(1) != prefix:
        raise ValueError(f"must be an id such as {_EC2_ID_EXAMPLE[prefix]} ({prefix}- and 8 or 17 lowercase hex "
                         f"digits); got {value!r}")
    return value


def ec2_ids(values: Sequence[str], prefix: str) -> list[str]:
    """Distinct EC2 ids of one kind."""
    checked = [ec2_id(v, prefix) for v in values]
    twice = sorted({v for v in checked if checked.count(v) > 1})
    if twice:
        raise ValueError(f"lists {', '.join(twice)} twice")
    return checked


MAX_SECURITY_GROUPS_PER_ENI = 5
"""Security groups per network interface: the default of the adjustable VPC quota (Amazon VPC User Guide, "Amazon
VPC quotas", Security groups per network interface), and the most an ECS awsvpcConfiguration takes (ECS API
reference, AwsVpcConfiguration securityGroups: "up to five security groups")."""

EGRESS_PROTOCOLS = ("tcp", "udp")
WORLD_CIDRS = ("0.0.0.0/0", "::/0")
WORLD_EGRESS_PORT = 443
"""The only port a workload's extra egress may open to the whole internet: HTTPS, which the tasks already have."""

# Security group rule descriptions: "Up to 255 characters in length. Allowed characters are a-z, A-Z, 0-9, spaces,
# and ._-:/()#,@[]+=&;{}!$*" (EC2 API reference, IpRange / SecurityGroupRuleRequest Description).
_RULE_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")


def rule_description(value: str) -> str:
    if not _RULE_DESCRIPTION.match(value):
        raise ValueError("must be at most 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (what EC2 accepts "
                         f"in a security group rule description); got {value!r}")
    return value


def egress_cidr(value: str) -> str:
    """An IPv4 or IPv6 CIDR block of an egress rule, with no host bits set."""
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as error:
        raise ValueError(f"not a CIDR block such as 10.20.0.0/16 ({error}); got {value!r}") from None


def egress_ports(port: Optional[int], from_port: Optional[int], to_port: Optional[int]) -> tuple[int, int]:
    """(from, to) of an egress rule given as a port or a range."""
    if port is not None:
        if from_port is not None or to_port is not None:
            raise ValueError("give port, or fromPort and toPort, not both")
        from_port = to_port = port
    elif from_port is None or to_port is None:
        raise ValueError("needs port, or fromPort and toPort")
    for value in (from_port, to_port):
        if not 1 <= value <= 65535:
            raise ValueError(f"ports are 1 to 65535; got {value}")
    if from_port > to_port:
        raise ValueError(f"fromPort {from_port} is above toPort {to_port}")
    return from_port, to_port


def world_egress_problem(cidr: Optional[str], ports: tuple[int, int]) -> Optional[str]:
    """Why an egress rule to ``cidr`` on ``ports`` opens too much to the internet, or None."""
    if cidr not in WORLD_CIDRS or ports == (WORLD_EGRESS_PORT, WORLD_EGRESS_PORT):
        return None
    return (f"{cidr} is the whole internet, allowed only on port {WORLD_EGRESS_PORT}: a compromised task could send "
            "data anywhere on any other port; name the data store's CIDR or security group instead")


def egress_key(cidr: Optional[str], security_group_id: Optional[str], protocol: str, ports: tuple[int, int]) -> str:
    """The stable part of an egress rule's logical name: what it opens, not where it is in the list, so reordering
    the list keeps every rule, and two rules that open the same thing are seen to be one."""
    target = security_group_id or re.sub(r"[^0-9A-Za-z.]+", "-", str(cidr)).strip("-")
    span = str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"
    return f"{target}-{protocol}-{span}"
