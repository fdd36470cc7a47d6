"""Load balancer rules: listeners, hardening and target groups (Security Hub ELB.* controls)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import Control, Messages, as_list, by_type, is_world, known, related, resource_policy, stack_policy

# aws.lb and its alias aws.alb register under different tokens.
LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")

# Security Hub ELB.17 (current edition): the recommended policies. The older ELBSecurityPolicy-TLS13-1-2-2021-06
# is no longer on the list, so a stack that wants to pass ELB.17 pins one of these.
RECOMMENDED_SSL_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
]


def _application(props: Mapping[str, Any]) -> bool:
    return props.get("loadBalancerType", "application") == "application"


def _https_only(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("protocol") != "HTTP":
        return
    actions = args.props.get("defaultActions") or []
    redirects = [a for a in actions if a.get("type") == "redirect"
                 and (a.get("redirect") or {}).get("protocol") == "HTTPS"]
    if not actions or len(redirects) != len(actions):
        yield f"HTTP listener on port {int(args.props.get('port') or 80)} serves traffic instead of redirecting to HTTPS"


def _tls_policy(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    if args.props.get("protocol") not in ("HTTPS", "TLS"):
        return
    policy = args.props.get("sslPolicy") or "ELBSecurityPolicy-2016-08 (the API default)"
    if policy not in config["allowedSslPolicies"]:
        yield f"listener uses {policy}; use a recommended policy such as ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"


def _drop_invalid_headers(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if _application(args.props) and args.props.get("dropInvalidHeaderFields") is not True:
        yield "the load balancer forwards invalid HTTP headers; set dropInvalidHeaderFields"


def _access_logs(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    logs = args.props.get("accessLogs") or {}
    if not (logs.get("enabled") is True and logs.get("bucket")):
        yield "access logs are off; enable accessLogs with a bucket"


def _deletion_protection(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("enableDeletionProtection") is not True:
        yield "deletion protection is off; set enableDeletionProtection"


def _desync(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    mode = args.props.get("desyncMitigationMode")
    # AWS applies `defensive` when the mode is not set.
    if _application(args.props) and mode not in (None, "defensive", "strictest"):
        yield f"desync mitigation mode is {mode!r}; use defensive or strictest"


def _multi_az(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    subnets = args.props.get("subnets") or args.props.get("subnetMappings") or []
    if len(subnets) < config["minAvailabilityZones"]:
        yield f"the load balancer spans {len(subnets)} subnet(s); place it in at least {config['minAvailabilityZones']} AZs"


def _health_check_path(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("targetType") == "lambda" or args.props.get("protocol") not in ("HTTP", "HTTPS"):
        return
    check = args.props.get("healthCheck") or {}
    if check.get("enabled") is False:
        yield "the health check is disabled: traffic would reach tasks that cannot answer"
    elif not check.get("path"):
        yield "the health check has no path; probe a health endpoint such as /health"


_SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
_INGRESS_RULES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                  "aws:ec2/securityGroupRule:SecurityGroupRule")


def _internal_not_world_open(resources: list[Any], _: Mapping[str, Any]) -> Iterator[tuple[str, Optional[str]]]:
    """An internal load balancer serves the VPC and the networks connected to it: its security group admits their
    CIDRs and the stack's workloads, never 0.0.0.0/0 or ::/0 (which reaches it from every peered network, VPN and
    Direct Connect site). Groups are found through the load balancer's securityGroups dependencies, so the rule
    judges a first preview where the ids are unknown."""
    groups = by_type(resources, _SECURITY_GROUP)
    rules = [r for r in resources if r.resource_type in _INGRESS_RULES
             and (r.resource_type != _INGRESS_RULES[1] or known(r.props, "type") == "ingress")]
    for balancer in by_type(resources, *LOAD_BALANCER):
        if known(balancer.props, "internal") is not True:
            continue
        own = related(balancer, "securityGroups", groups, "id")
        for group in own:
            inline = [c for block in as_list(known(group.props, "ingress"))
                      for c in as_list(block.get("cidrBlocks")) + as_list(block.get("ipv6CidrBlocks"))]
            for cidr in inline:
                if is_world(cidr):
                    yield (f"internal load balancer {balancer.name!r} admits {cidr}; admit the VPC and the networks "
                           "connected to it only"), group.urn
        for rule in rules:
            if not related(rule, "securityGroupId", own, "id"):
                continue
            sources = [known(rule.props, k) for k in ("cidrIpv4", "cidrIpv6")]
            sources += as_list(known(rule.props, "cidrBlocks")) + as_list(known(rule.props, "ipv6CidrBlocks"))
            for cidr in sources:
                if cidr and is_world(cidr):
                    yield (f"internal load balancer {balancer.name!r} admits {cidr}; admit the VPC and the networks "
                           "connected to it only"), rule.urn


def _elb(control_id: str, config_rule: str) -> Control:
    return Control(control_id, Severity.MEDIUM, config_rule, "elb")


POLICIES = [
    resource_policy("elb-https-listeners", _elb("ELB.1", "alb-http-to-https-redirection-check"),
                    "HTTP listeners of Application Load Balancers must only redirect to HTTPS.", LISTENER,
                    _https_only),
    resource_policy("elb-tls-policy", _elb("ELB.17", "elbv2-predefined-security-policy-ssl-check"),
                    "HTTPS and TLS listeners must use a recommended security policy.", LISTENER, _tls_policy,
                    config={"allowedSslPolicies": {"type": "array", "items": {"type": "string"},
                                                   "default": RECOMMENDED_SSL_POLICIES,
                                                   "description": "Security policies a listener may use."}}),
    resource_policy("elb-drop-invalid-headers", _elb("ELB.4", "alb-http-drop-invalid-header-enabled"),
                    "Application Load Balancers must drop invalid HTTP headers.", LOAD_BALANCER,
                    _drop_invalid_headers),
    resource_policy("elb-access-logs", _elb("ELB.5", "elb-logging-enabled"),
                    "Load balancers must write access logs.", LOAD_BALANCER, _access_logs),
    resource_policy("elb-deletion-protection", _elb("ELB.6", "elb-deletion-protection-enabled"),
                    "Load balancers must have deletion protection.", LOAD_BALANCER, _deletion_protection),
    resource_policy("elb-desync-mitigation", _elb("ELB.12", "alb-desync-mode-check"),
                    "Application Load Balancers must mitigate HTTP desync in defensive or strictest mode.",
                    LOAD_BALANCER, _desync),
    resource_policy("elb-multi-az", _elb("ELB.13", "elbv2-multiple-az"),
                    "Load balancers must span several availability zones.", LOAD_BALANCER, _multi_az,
                    config={"minAvailabilityZones": {"type": "integer", "minimum": 2, "default": 2,
                                                     "description": "Fewest AZs (subnets) a load balancer uses."}}),
    stack_policy("elb-internal-not-world-open", Control("PLATFORM.ELB-INTERNAL-INGRESS", Severity.MEDIUM),
                 "Internal load balancers must not admit 0.0.0.0/0 or ::/0.", _internal_not_world_open),
    resource_policy("elb-target-group-health-check", Control("PLATFORM.ELB-HEALTH-CHECK", Severity.MEDIUM),
                    "HTTP target groups must probe a health check path.", TARGET_GROUP, _health_check_path),
]
