"""The small framework every rule module uses: controls, policy constructors, config defaults and helpers.

A rule is a function that reads a resource (or the whole stack) as the engine sends it and yields messages. The
constructors here wrap it into a CrossGuard policy whose name, description, severity, tags and compliance
framework all carry the AWS Security Hub control it implements, and whose config schema carries its thresholds
with their defaults.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

SECURITY_HUB = "AWS Foundational Security Best Practices (Security Hub)"
PLATFORM = "ECS platform field rules"


@dataclass(frozen=True)
class Control:
    """What a rule implements: a Security Hub control (with its AWS Config rule) or a platform rule."""

    id: str
    severity: Severity
    config_rule: Optional[str] = None
    service: Optional[str] = None
    """Security Hub user guide page (ecs, elb, ec2, sqs, cloudwatch, iam) for the control's URL."""

    @property
    def framework(self) -> PolicyComplianceFramework:
        if self.service is None:
            return PolicyComplianceFramework(name=PLATFORM, reference=self.id)
        return PolicyComplianceFramework(name=SECURITY_HUB, reference=self.id, specification=self.config_rule)

    @property
    def url(self) -> Optional[str]:
        if self.service is None:
            return None
        anchor = self.id.lower().replace(".", "-")
        return f"https://docs.aws.amazon.com/securityhub/latest/userguide/{self.service}-controls.html#{anchor}"

    def describe(self, description: str) -> str:
        anchor = f" AWS Config rule: {self.config_rule}." if self.config_rule else ""
        return f"[{self.id}] {description}{anchor}"

    @property
    def default_enforcement(self) -> EnforcementLevel:
        """High and Critical controls block a deployment unless a stack's config relaxes them."""
        if self.severity in (Severity.HIGH, Severity.CRITICAL):
            return EnforcementLevel.MANDATORY
        return EnforcementLevel.ADVISORY


Messages = Iterable[str]
ResourceCheck = Callable[[ResourceValidationArgs, Mapping[str, Any]], Messages]
StackCheck = Callable[[list[Any], Mapping[str, Any]], Iterable[tuple[str, Optional[str]]]]


def _schema(properties: Optional[dict[str, dict[str, Any]]]) -> Optional[PolicyConfigSchema]:
    return PolicyConfigSchema(properties=properties) if properties else None


def _whole(value: Any) -> Any:
    """Config crosses the wire as a protobuf Struct, where every number is a double: 443.0 means 443."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _whole(v) for k, v in value.items()}
    return value


def with_defaults(properties: Optional[dict[str, dict[str, Any]]], config: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config with the schema defaults filled in (the engine does the same before Configure)."""
    merged = {key: spec["default"] for key, spec in (properties or {}).items() if "default" in spec}
    merged.update(config or {})
    return _whole(merged)


def _tags(control: Control) -> list[str]:
    tags = [control.id, f"severity:{control.severity.value}"]
    if control.config_rule:
        tags.append(f"aws-config:{control.config_rule}")
    return tags


def _metadata(name: str, control: Control, description: str, config: Optional[dict[str, dict[str, Any]]],
              remediation: Optional[str]) -> dict[str, Any]:
    """What every policy says about itself: its control in the description, tags and framework, its default
    enforcement, its severity and its config schema."""
    return {
        "name": name,
        "description": control.describe(description),
        "enforcement_level": control.default_enforcement,
        "config_schema": _schema(config),
        "severity": control.severity,
        "framework": control.framework,
        "tags": _tags(control),
        "remediation_steps": remediation,
        "url": control.url,
    }


def resource_policy(
    name: str, control: Control, description: str, types: Iterable[str], check: ResourceCheck, *,
    config: Optional[dict[str, dict[str, Any]]] = None, remediation: Optional[str] = None,
) -> ResourceValidationPolicy:
    """A policy that runs ``check(args, config)`` on every resource of one of ``types``; it yields messages."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: Callable[..., None]) -> None:
        if args.resource_type not in wanted:
            return
        settings = with_defaults(config, args.get_config())
        for message in check(args, settings):
            report_violation(f"[{control.id}] {message}")

    return ResourceValidationPolicy(validate=validate, **_metadata(name, control, description, config, remediation))


def stack_policy(
    name: str, control: Control, description: str, check: StackCheck, *,
    config: Optional[dict[str, dict[str, Any]]] = None, remediation: Optional[str] = None,
) -> StackValidationPolicy:
    """A policy that runs ``check(resources, config)`` once over the whole stack; it yields (message, urn)."""

    def validate(args: StackValidationArgs, report_violation: Callable[..., None]) -> None:
        settings = with_defaults(config, args.get_config())
        for message, urn in check(list(args.resources), settings):
            report_violation(f"[{control.id}] {message}", urn)

    return StackValidationPolicy(validate=validate, **_metadata(name, control, description, config, remediation))


# Reading resources --------------------------------------------------------------------------------------------


def parse_json(value: Any) -> Any:
    """Policy documents and container definitions arrive as JSON text (or, from some programs, as objects)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def containers(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parsed = parse_json(props.get("containerDefinitions"))
    return [c for c in parsed if isinstance(c, Mapping)] if isinstance(parsed, list) else []


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    parsed = parse_json(document)
    if isinstance(parsed, Mapping):
        for statement in as_list(parsed.get("Statement")):
            if isinstance(statement, Mapping):
                yield statement


def is_world(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def port_range(protocol: Any, from_port: Any, to_port: Any) -> Optional[tuple[int, int]]:
    """The TCP/UDP ports a rule opens; None for ICMP and the like."""
    protocol = str(protocol).lower()
    if protocol in ("-1", "all"):
        return 0, 65535
    if protocol not in ("tcp", "udp", "6", "17"):
        return None
    low = int(from_port) if from_port is not None else 0
    high = int(to_port) if to_port is not None else 65535
    return (0, 65535) if (low, high) == (-1, -1) else (low, high)


def by_type(resources: Iterable[Any], *types: str) -> list[Any]:
    return [r for r in resources if r.resource_type in types]


def tag_keys(props: Mapping[str, Any], provider: Any) -> set[str]:
    """Tags a resource will carry: its own, the provider's computed tagsAll, and the provider's default tags."""
    keys: set[str] = set()
    for key in ("tags", "tagsAll"):
        value = props.get(key)
        if isinstance(value, Mapping):
            keys.update(value)
    if provider is not None:
        defaults = parse_json(provider.props.get("defaultTags")) if provider.props else None
        if isinstance(defaults, Mapping) and isinstance(defaults.get("tags"), Mapping):
            keys.update(defaults["tags"])
    return keys


# Reading what a first preview does not know yet ------------------------------------------------------------------
#
# At a new stack's first preview, values AWS assigns (ARNs, ids, URLs) are unknown, and the SDK's proxy raises
# UnknownValueError when a rule reads one; the SDK then reports the policy as not run. Stack rules therefore find
# related resources through what the engine knows at preview: property dependencies (which resources an input was
# built from) and the parent chain, and fall back to comparing values only where those are known.

UNKNOWN = object()
"""What :func:`lookup` returns for a value that exists but is not known until deployment."""


def lookup(props: Mapping[str, Any], key: str) -> Any:
    """``props[key]``, None when absent, or :data:`UNKNOWN` when the engine does not know it yet."""
    try:
        return props.get(key)
    except UnknownValueError:
        return UNKNOWN


def known(props: Mapping[str, Any], key: str) -> Any:
    """``props[key]`` when it is known, else None."""
    value = lookup(props, key)
    return None if value is UNKNOWN else value


def linked(resource: PolicyResource, key: str, *types: str) -> list[PolicyResource]:
    """The resources of ``types`` that the input ``key`` of ``resource`` was built from (its property
    dependencies), known at preview even when the value itself is not."""
    return [d for d in (resource.property_dependencies or {}).get(key, []) if d.resource_type in types]


def by_known_value(resources: Iterable[PolicyResource], key: str) -> dict[str, PolicyResource]:
    """Resources by the known value of their property ``key`` (an ARN or id once deployed)."""
    found: dict[str, PolicyResource] = {}
    for resource in resources:
        value = known(resource.props, key)
        if isinstance(value, str) and value:
            found.setdefault(value, resource)
    return found


def related(resource: PolicyResource, key: str, candidates: list[PolicyResource], match_key: str = "arn"
            ) -> list[PolicyResource]:
    """The candidates that input ``key`` of ``resource`` refers to: through its property dependencies, else (a
    value written out in the program, or state after deployment) by matching the known value against each
    candidate's ``match_key``."""
    types = {c.resource_type for c in candidates}
    found = [d for d in linked(resource, key, *types) if d in candidates] if types else []
    if found:
        return found
    by_value = by_known_value(candidates, match_key)
    return [by_value[v] for v in known_items(lookup(resource.props, key)) if isinstance(v, str) and v in by_value]


def known_items(value: Any) -> list[Any]:
    """The known elements of a value that may be a list (unknown elements and unknown values left out)."""
    if value is None or value is UNKNOWN:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    items = []
    for index in range(len(value)):
        try:
            items.append(value[index])
        except UnknownValueError:
            continue
    return items
