"""Settings of the internet-facing Application Load Balancer (``ecs-platform:loadBalancer``) and of the internal one
(``ecs-platform:internalLoadBalancer``)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..enums import ListenerProtocol
from ..load_balancer import MAX_CERTIFICATES_PER_LOAD_BALANCER, LoadBalancerArgs
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
    additional_certificate_arns: list[str] = Field(default_factory=list, description=(
        "More ACM certificates on the HTTPS listener, chosen by SNI (the host name a client asks for), at most "
        f"{MAX_CERTIFICATES_PER_LOAD_BALANCER}. Default: none."))

    @field_validator("additional_certificate_arns")
    @classmethod
    def _additional(cls, value: list[str]) -> list[str]:
        for arn in value:
            validation.arn(arn, "acm", "certificate/")
        repeated = sorted({arn for arn in value if value.count(arn) > 1})
        if repeated:
            raise ValueError(f"lists {repeated[0]} twice")
        if len(value) > MAX_CERTIFICATES_PER_LOAD_BALANCER:
            # ELB User Guide, "Quotas for your Application Load Balancers": certificates per ALB, default quota.
            raise ValueError(f"an Application Load Balancer takes at most {MAX_CERTIFICATES_PER_LOAD_BALANCER} "
                             f"certificates besides its default one (ELB's default quota); got {len(value)}")
        return value

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
        if self.additional_certificate_arns and self.protocol is not ListenerProtocol.HTTPS:
            raise KeyProblem("additionalCertificateArns", "go on the HTTPS listener; set protocol: HTTPS and "
                                                          "certificateArn")
        if self.certificate_arn in self.additional_certificate_arns:
            raise KeyProblem("additionalCertificateArns", "repeats certificateArn, the listener's default "
                                                          "certificate; list only the others")
        return self


class InternalLoadBalancerSettings(_Settings):
    """The internal Application Load Balancer in the private subnets, created when a service has loadBalancer:
    internal. Deletion protection, access logs and the TLS policy follow the loadBalancer section."""

    certificate_arn: Optional[str] = Field(None, description=(
        "ACM certificate: HTTPS on 443 (and HTTP on 80 redirecting to it). Default: none, plain HTTP on 80."))
    idle_timeout_seconds: int = Field(defaults.IDLE_TIMEOUT_SECONDS, ge=1, le=4000)
    allowed_cidrs: Optional[list[str]] = Field(None, min_length=1, description=(
        "Who may connect besides the stack's own workloads, which are always let in. Default: the VPC's CIDR."))

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "acm", "certificate/")

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: Optional[list[str]]) -> Optional[list[str]]:
        return None if value is None else [str(validation.ipv4_network(cidr)) for cidr in value]

    @property
    def protocol(self) -> ListenerProtocol:
        return ListenerProtocol.HTTPS if self.certificate_arn else ListenerProtocol.HTTP

    def args(self, public: LoadBalancerSettings, vpc_cidr: str, protect_data: bool, **wiring: Any) -> LoadBalancerArgs:
        """The internal LoadBalancer's args; ``wiring`` gives vpc_id, vpc_cidr_block and private_subnet_ids.
        Deletion protection, access logs and the TLS policy are ``public``'s: the pack asks the same of both."""
        args: LoadBalancerArgs = {
            **wiring,  # type: ignore[typeddict-item]
            "internal": True, "protocol": self.protocol, "ssl_policy": public.ssl_policy,
            "ingress_cidrs": list(self.allowed_cidrs or [vpc_cidr]), "idle_timeout_seconds": self.idle_timeout_seconds,
            "deletion_protection": public.deletion_protection, "access_logs": public.access_logs,
            "access_log_retention_days": public.access_log_retention_days, "protect_data": protect_data,
        }
        if self.certificate_arn:
            args["certificate_arn"] = self.certificate_arn
        return args
