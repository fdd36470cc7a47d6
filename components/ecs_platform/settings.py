"""Stack settings: what a stack file may say, with its defaults and its validation.

A stack file configures the platform under the project's namespace, one structured key per component::

    config:
      aws:region: us-east-1
      ecs-platform:tags: {owner: platform-team}
      ecs-platform:network: {azCount: 2, natGateways: single}
      ecs-platform:loadBalancer: {protocol: HTTP, deletionProtection: false}

Keys are camelCase. Unknown keys, wrong types and out-of-range values stop the program before any resource is
registered, with one line naming the key path (``ecs-platform:network.azCount``) and what is allowed. Nothing here
needs the Pulumi runtime except :func:`from_pulumi_config`, which only reads the config the engine passed.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Optional

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import defaults, validation
from .cluster import CapacityProviderStrategyItem, ClusterArgs
from .enums import CapacityProvider, ContainerInsights, ListenerProtocol, NatGatewayStrategy, VpcEndpointService
from .load_balancer import LoadBalancerArgs
from .network import NetworkArgs

# AWS tag limits (Tagging Best Practices, "Tag naming limits and requirements").
_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+=.:/@-]{1,128}$")
_MAX_TAGS = 50


class SettingsError(pulumi.RunError):
    """Bad stack configuration. A RunError, so the Pulumi CLI prints the one-line message and no traceback."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class KeyProblem(ValueError):
    """Raised by a model-level check to put the blame on one of the model's keys."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True, validate_default=True)


class TagSettings(_Settings):
    """Tags every taggable resource of the stack carries, besides `environment` (the stack) and `project`."""

    owner: str = Field(min_length=1, max_length=256, description="Team that owns the stack. Required.")
    extra: dict[str, Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="More tags, for example a cost centre."
    )

    @field_validator("extra")
    @classmethod
    def _tag_keys(cls, extra: dict[str, str]) -> dict[str, str]:
        for key in extra:
            if not _TAG_KEY.match(key):
                raise ValueError(
                    f"tag key {key!r} must be 1 to 128 letters, digits, spaces or + - = . _ : / @, not starting aws:"
                )
        if len(extra) + 3 > _MAX_TAGS:
            raise ValueError(f"AWS allows {_MAX_TAGS} tags per resource; 3 are the platform's, so at most {_MAX_TAGS - 3} here")
        return extra


class NetworkSettings(_Settings):
    """The VPC: address space, availability zones, NAT gateways and VPC endpoints."""

    cidr: str = Field(defaults.VPC_CIDR, description="IPv4 CIDR of the VPC, /16 to /28.")
    az_count: int = Field(defaults.AZ_COUNT, ge=defaults.MIN_AZ_COUNT, le=defaults.MAX_AZ_COUNT)
    nat_gateways: NatGatewayStrategy = Field(defaults.NAT_GATEWAY_STRATEGY, description="single or onePerAz.")
    public_subnet_prefix: int = Field(defaults.PUBLIC_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    private_subnet_prefix: int = Field(defaults.PRIVATE_SUBNET_PREFIX, ge=validation.MIN_PREFIX, le=validation.MAX_PREFIX)
    endpoints: list[VpcEndpointService] = Field(default_factory=list, description="VPC endpoints to create.")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(validation.vpc_cidr(value))

    @field_validator("endpoints")
    @classmethod
    def _unique_endpoints(cls, value: list[VpcEndpointService]) -> list[VpcEndpointService]:
        if len(set(value)) != len(value):
            raise ValueError("lists an endpoint twice")
        return value

    @model_validator(mode="after")
    def _layout(self) -> NetworkSettings:
        cidr = validation.ipv4_network(self.cidr)
        checks = (
            ("publicSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.public_subnet_prefix, "public")),
            ("privateSubnetPrefix", lambda: validation.subnet_prefix(cidr, self.private_subnet_prefix, "private")),
            ("azCount", lambda: validation.vpc_layout(
                cidr, self.az_count, self.public_subnet_prefix, self.private_subnet_prefix)),
        )
        for key, check in checks:
            try:
                check()
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        return self


class LoadBalancerSettings(_Settings):
    """The internet-facing Application Load Balancer."""

    protocol: ListenerProtocol = Field(defaults.LISTENER_PROTOCOL, description="HTTPS (needs certificateArn) or HTTP.")
    certificate_arn: Optional[str] = Field(None, description="ACM certificate ARN for the HTTPS listener.")
    ssl_policy: str = Field(defaults.SSL_POLICY, description="TLS 1.3 security policy of the HTTPS listener.")
    ingress_cidrs: list[str] = Field(list(defaults.INGRESS_CIDRS), min_length=1, description="Who may connect.")
    idle_timeout_seconds: int = Field(defaults.IDLE_TIMEOUT_SECONDS, ge=1, le=4000)
    deletion_protection: bool = defaults.DELETION_PROTECTION
    access_logs: bool = Field(defaults.ACCESS_LOGS, description="Write access logs to an S3 bucket of the stack.")
    access_log_retention_days: int = Field(defaults.ACCESS_LOG_RETENTION_DAYS, ge=1, le=3653)

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "acm", "certificate/")

    @field_validator("ssl_policy")
    @classmethod
    def _tls13(cls, value: str) -> str:
        if value not in validation.TLS13_SSL_POLICIES:
            raise ValueError(f"must be a TLS 1.3 policy ({validation.one_of(value, validation.TLS13_SSL_POLICIES)})")
        return value

    @field_validator("ingress_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [str(validation.ipv4_network(cidr)) for cidr in value]

    @model_validator(mode="after")
    def _certificate_matches_protocol(self) -> LoadBalancerSettings:
        if self.protocol is ListenerProtocol.HTTPS and self.certificate_arn is None:
            raise KeyProblem("certificateArn", "required when protocol is HTTPS (or set protocol: HTTP for development)")
        if self.protocol is ListenerProtocol.HTTP and self.certificate_arn is not None:
            raise KeyProblem("protocol", "is HTTP, so certificateArn would be unused; set protocol: HTTPS")
        return self


class CapacityProviderSettings(_Settings):
    capacity_provider: CapacityProvider
    weight: int = Field(ge=0, le=1000)
    base: int = Field(0, ge=0, le=100000)


def _strategy(items: list[CapacityProviderSettings]) -> list[CapacityProviderSettings]:
    validation.capacity_provider_strategy([(i.capacity_provider, i.weight, i.base) for i in items])
    return items


class ClusterSettings(_Settings):
    """The ECS cluster."""

    container_insights: ContainerInsights = defaults.CONTAINER_INSIGHTS
    default_capacity_provider_strategy: list[CapacityProviderSettings] = Field(
        default_factory=lambda: [
            CapacityProviderSettings.model_validate({"capacityProvider": p, "weight": w, "base": b})
            for p, w, b in defaults.DEFAULT_CAPACITY_PROVIDER_STRATEGY
        ],
        description="Where tasks of services without their own strategy run.",
    )

    @field_validator("default_capacity_provider_strategy")
    @classmethod
    def _check_strategy(cls, value: list[CapacityProviderSettings]) -> list[CapacityProviderSettings]:
        return _strategy(value)


class StackSettings(_Settings):
    """Everything a stack file configures."""

    region: str = Field(alias="aws:region", description="AWS region of the stack (aws:region).")
    tags: TagSettings
    log_retention_days: int = Field(defaults.LOG_RETENTION_DAYS, description="Retention of every log group.")
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    # Validated even when absent, so a stack without the section hears that HTTPS needs a certificate.
    load_balancer: LoadBalancerSettings = Field(default_factory=lambda: {})  # type: ignore[arg-type]
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return validation.region(value)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return validation.log_retention_days(value)

    def default_tags(self, project: str, stack: str) -> dict[str, str]:
        return {"environment": stack, "project": project, "owner": self.tags.owner, **self.tags.extra}

    def network_args(self) -> NetworkArgs:
        n = self.network
        return {
            "cidr_block": n.cidr,
            "availability_zone_count": n.az_count,
            "nat_gateway_strategy": n.nat_gateways,
            "public_subnet_prefix": n.public_subnet_prefix,
            "private_subnet_prefix": n.private_subnet_prefix,
            "flow_log_retention_days": self.log_retention_days,
            "vpc_endpoints": list(n.endpoints),
        }

    def load_balancer_args(
        self, vpc_id: pulumi.Input[str], vpc_cidr_block: pulumi.Input[str], public_subnet_ids: pulumi.Input[list[str]]
    ) -> LoadBalancerArgs:
        lb = self.load_balancer
        args: LoadBalancerArgs = {
            "vpc_id": vpc_id,
            "vpc_cidr_block": vpc_cidr_block,
            "public_subnet_ids": public_subnet_ids,
            "protocol": lb.protocol,
            "ssl_policy": lb.ssl_policy,
            "ingress_cidrs": list(lb.ingress_cidrs),
            "idle_timeout_seconds": lb.idle_timeout_seconds,
            "deletion_protection": lb.deletion_protection,
            "access_logs": lb.access_logs,
            "access_log_retention_days": lb.access_log_retention_days,
        }
        if lb.certificate_arn:
            args["certificate_arn"] = lb.certificate_arn
        return args

    def cluster_args(self) -> ClusterArgs:
        strategy: list[CapacityProviderStrategyItem] = [
            {"capacity_provider": i.capacity_provider, "weight": i.weight, "base": i.base}
            for i in self.cluster.default_capacity_provider_strategy
        ]
        return {
            "container_insights": self.cluster.container_insights,
            "default_capacity_provider_strategy": strategy,
            "exec_log_retention_days": self.log_retention_days,
        }


# Reading the config --------------------------------------------------------------------------------------------


def parse(config: Mapping[str, str], namespace: str) -> StackSettings:
    """Settings from a flat config map as the Pulumi engine passes it to a program (``PULUMI_CONFIG``): keys are
    ``namespace:key`` and structured values are JSON text.

    Raises :class:`SettingsError` with one line naming the first bad key.
    """
    prefix = f"{namespace}:"
    data: dict[str, Any] = {key[len(prefix):]: _decode(value) for key, value in config.items() if key.startswith(prefix)}
    if "aws:region" in config:
        data["aws:region"] = config["aws:region"]
    try:
        return StackSettings.model_validate(data)
    except ValidationError as error:
        raise _first_problem(error, namespace) from None


def from_pulumi_config() -> StackSettings:
    """Settings of the running stack, read from the config the engine passed (namespace: the project name)."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    try:
        return parse(merged, pulumi.get_project())
    except SettingsError as error:
        raise SettingsError(error.key, f"{str(error)[len(error.key) + 2:]} (stack file Pulumi.{pulumi.get_stack()}.yaml)") from None


def _decode(value: Any) -> Any:
    """The engine passes objects and arrays as JSON text and scalars as plain strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _first_problem(error: ValidationError, namespace: str) -> SettingsError:
    problems = error.errors(include_url=False)
    keys = [_key_path(p, namespace) for p in problems]
    first = problems[0]
    message = _describe(first)
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more: {', '.join(dict.fromkeys(keys[1:]))})"
    return SettingsError(keys[0], message)


def _key_path(problem: Mapping[str, Any], namespace: str) -> str:
    loc = _as_written(problem["loc"], keep_last=problem["type"] == "extra_forbidden")
    blamed = problem.get("ctx", {}).get("error")
    if isinstance(blamed, KeyProblem):
        loc.append(blamed.key)
    if not loc:
        return namespace
    head, *rest = loc
    path = head if ":" in str(head) else f"{namespace}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _as_written(loc: tuple[Any, ...], keep_last: bool) -> list[Any]:
    """The path with field names turned into the camelCase keys a stack file uses (defaults are validated under
    their Python names). The key of an unknown-key error is kept exactly as the user wrote it."""
    written: list[Any] = []
    annotation: Any = StackSettings
    for index, part in enumerate(loc):
        model = _strip_optional(annotation)
        if _is_model(model) and part in model.model_fields and not (keep_last and index == len(loc) - 1):
            written.append(model.model_fields[part].alias or part)
        else:
            written.append(part)
        annotation = _descend(annotation, part)
    return written


def _describe(problem: Mapping[str, Any]) -> str:
    kind, ctx, given = problem["type"], problem.get("ctx", {}), problem.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(problem["loc"][:-1])
        hint = difflib.get_close_matches(str(problem["loc"][-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]}? " if hint else ""
        return f"unknown key; {suggestion}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", problem["msg"])).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"allowed: {ctx['expected'].replace(chr(39), '')}; got {given!r}"
    expected = {
        "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
        "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "a string",
        "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys", "dict_type": "a mapping",
        "list_type": "a list",
    }.get(kind)
    if expected:
        return f"expected {expected}; got {given!r}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("above", "gt"), "less_than": ("below", "lt")}.get(kind)
    if bounds:
        return f"must be {bounds[0]} {ctx[bounds[1]]}; got {given!r}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return problem["msg"].replace("Value", "value").replace("List", "list")
    return problem["msg"]


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys a settings model accepts at ``loc``, walking the annotations down the path."""
    annotation: Any = StackSettings
    for part in loc:
        annotation = _descend(annotation, part)
    annotation = _strip_optional(annotation)
    if not _is_model(annotation):
        return []
    return [field.alias or name for name, field in annotation.model_fields.items()]


def _descend(annotation: Any, part: Any) -> Any:
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return typing.get_args(annotation)[0]
    if origin is dict:
        return typing.get_args(annotation)[1]
    if _is_model(annotation):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
    return None


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        remaining = [a for a in typing.get_args(annotation) if a is not type(None)]
        return remaining[0] if len(remaining) == 1 else annotation
    return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
