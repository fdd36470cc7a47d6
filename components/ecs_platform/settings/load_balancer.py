"""Settings of the internet-facing Application Load Balancer (``ecs-platform:loadBalancer``)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..enums import ListenerProtocol
from .base import Bool, KeyProblem, _Settings


class LoadBalancerSettings(_Settings):
    """The internet-facing Application Load Balancer."""

    protocol: ListenerProtocol = Field(defaults.LISTENER_PROTOCOL, description="HTTPS (needs certificateArn) or HTTP.")
    certificate_arn: Optional[str] = Field(None, description="ACM certificate ARN for the HTTPS listener.")
    ssl_policy: str = Field(defaults.SSL_POLICY, description="TLS 1.3 security policy of the HTTPS listener.")
    ingress_cidrs: list[str] = Field(list(defaults.INGRESS_CIDRS), min_length=1, description="Who may connect.")
    idle_timeout_seconds: int = Field(defaults.IDLE_TIMEOUT_SECONDS, ge=1, le=4000)
    deletion_protection: Bool = defaults.DELETION_PROTECTION
    access_logs: Bool = Field(defaults.ACCESS_LOGS, description="Write access logs to an S3 bucket of the stack.")
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
