"""Elastic Load Balancing: load balancers, target groups, listeners and listener rules.

Sources are the ELB API reference (CreateLoadBalancer, CreateTargetGroup, CreateListener, CreateRule and the
types they hold: LoadBalancerAttribute, TargetGroupAttribute, Matcher, Action, RedirectActionConfig, RuleCondition)
and the Application Load Balancers Guide ("Listener rules", "Condition types for listener rules").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional

from ..requests import ApiRequest, text
from .base import Finding, Stack, dig, indexed, items, known, number, rule, show, whole_list

LOAD_BALANCER, TARGET_GROUP = "elbv2:CreateLoadBalancer", "elbv2:CreateTargetGroup"
LISTENER, RULE = "elbv2:CreateListener", "elbv2:CreateRule"
_HTTP = ("HTTP", "HTTPS")


def _load_balancer_type(stack: Stack, listener: ApiRequest) -> Optional[str]:
    """The type of a listener's load balancer (application unless said otherwise), when the program has it."""
    balancer = stack.referenced(listener, "loadBalancerArn", LOAD_BALANCER, listener.params.get("LoadBalancerArn"))
    kind = balancer.params.get("Type", "application") if balancer is not None else None
    return kind if known(kind) else None


def _a(word: str) -> str:
    """The article for a word as it is read aloud: an HTTPS listener, a TLS listener, an application one."""
    vowel = word[:1] in "AEFHILMNORSX" if word.isupper() else word[:1].lower() in "aeiou"
    return f"an {word}" if vowel else f"a {word}"


def _listener_of(stack: Stack, request: ApiRequest) -> Optional[ApiRequest]:
    if request.label == LISTENER:
        return request
    return stack.referenced(request, "listenerArn", LISTENER, request.params.get("ListenerArn"))


# Names -------------------------------------------------------------------------------------------------------

_ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


@rule
def elb_names(stack: Stack) -> Iterator[Finding]:
    """CreateLoadBalancer and CreateTargetGroup, Name: "must contain only alphanumeric characters or hyphens, must
    not begin or end with a hyphen" and a load balancer's "must not begin with internal-"."""
    for request in stack.of(LOAD_BALANCER) + stack.of(TARGET_GROUP):
        name = request.params.get("Name")
        if not isinstance(name, str) or not known(name):
            continue
        if not _ELB_NAME.match(name):
            yield (request, "Name",
                   f"must be letters, digits and hyphens, not starting or ending with one; got {show(name)}")
        elif request.label == LOAD_BALANCER and name.startswith("internal-"):
            yield request, "Name", f"a load balancer name must not begin with internal-; got {show(name)}"


# Attributes --------------------------------------------------------------------------------------------------

_BOOLEAN = ("true", "false")
# LoadBalancerAttribute Key: the values each attribute takes, and whether only Application Load Balancers have it.
_LOAD_BALANCER_ATTRIBUTES: dict[str, tuple[Any, bool]] = {
    "deletion_protection.enabled": (_BOOLEAN, False),
    "access_logs.s3.enabled": (_BOOLEAN, False),
    "idle_timeout.timeout_seconds": ((1, 4000), True),
    "client_keep_alive.seconds": ((60, 604800), True),
    "routing.http.drop_invalid_header_fields.enabled": (_BOOLEAN, True),
    "routing.http.desync_mitigation_mode": (("monitor", "defensive", "strictest"), True),
    "routing.http.xff_header_processing.mode": (("append", "preserve", "remove"), True),
}
# TargetGroupAttribute Key: deregistration delay 0-3600 s; slow start 30-900 s (0 turns it off); the algorithms.
_TARGET_GROUP_ATTRIBUTES: dict[str, Any] = {
    "deregistration_delay.timeout_seconds": (0, 3600),
    # stickiness.*: "The range is 1 second to 1 week (604800 seconds)"; types lb_cookie and app_cookie for ALBs
    # (source_ip, source_ip_dest_ip and source_ip_dest_ip_proto are the Network and Gateway Load Balancers').
    "stickiness.enabled": _BOOLEAN,
    "stickiness.type": ("lb_cookie", "app_cookie", "source_ip", "source_ip_dest_ip", "source_ip_dest_ip_proto"),
    "stickiness.lb_cookie.duration_seconds": (1, 604800),
    "stickiness.app_cookie.duration_seconds": (1, 604800),
    "slow_start.duration_seconds": (30, 900),
    "load_balancing.algorithm.type": ("round_robin", "least_outstanding_requests", "weighted_random"),
}


def _attribute_problem(key: str, value: str, allowed: Any) -> Optional[str]:
    if isinstance(allowed[0], str):
        return None if value in allowed else f"{key} must be {' or '.join(allowed)}; got {show(value)}"
    low, high = allowed
    measured = number(value)
    if key == "slow_start.duration_seconds" and measured == 0:
        return None
    if measured is None or not low <= measured <= high:
        return f"{key} must be {low} to {high}; got {show(value)}"
    return None


def _attributes(request: ApiRequest) -> list[tuple[int, str, Any]]:
    return [(i, a.get("Key"), a.get("Value")) for i, a in indexed(request.params.get("Attributes"))
            if known(a.get("Value"))]


@rule
def load_balancer_attributes(stack: Stack) -> Iterator[Finding]:
    """LoadBalancerAttribute Key: idle_timeout 1-4000 s, client_keep_alive 60-604800 s, desync mitigation monitor,
    defensive or strictest, X-Forwarded-For append, preserve or remove, booleans true or false; those "supported by
    only Application Load Balancers" on an ALB; access_logs.s3.bucket "is required if access logs are enabled"."""
    balancers = {b.resource.urn: b for b in stack.of(LOAD_BALANCER)}
    for request in stack.of("elbv2:ModifyLoadBalancerAttributes"):
        balancer = balancers.get(request.resource.urn)
        kind = balancer.params.get("Type", "application") if balancer is not None else None
        kind = kind if known(kind) else None
        values = {key: value for _, key, value in _attributes(request)}
        for index, key, value in _attributes(request):
            allowed, alb_only = _LOAD_BALANCER_ATTRIBUTES.get(key, (None, False))
            field = f"Attributes[{index}].Value"
            if alb_only and kind not in (None, "application"):
                yield request, field, f"{key} applies to Application Load Balancers only; this one is {kind}"
            elif allowed is not None and (problem := _attribute_problem(key, value, allowed)):
                yield request, field, problem
        if values.get("access_logs.s3.enabled") == "true" and not values.get("access_logs.s3.bucket") and all(
                known(a) for a in items(request.params.get("Attributes"))):
            yield request, "Attributes", "access_logs.s3.bucket is required when access logs are enabled; got none"


@rule
def target_group_attributes(stack: Stack) -> Iterator[Finding]:
    """TargetGroupAttribute Key: deregistration_delay 0-3600 s, slow_start 30-900 s or 0, load_balancing.algorithm
    round_robin, least_outstanding_requests or weighted_random; stickiness durations 1-604800 s; the app cookie's
    name: "The following cookie names are reserved and cannot be used: AWSALB, AWSALBAPP, and AWSALBTG" (as
    prefixes: the Application Load Balancers Guide, "Application-based cookies"), and an app_cookie needs one."""
    for request in stack.of("elbv2:ModifyTargetGroupAttributes"):
        attributes = {key: value for _, key, value in _attributes(request)}
        for index, key, value in _attributes(request):
            allowed = _TARGET_GROUP_ATTRIBUTES.get(key)
            if allowed is not None and (problem := _attribute_problem(key, value, allowed)):
                yield request, f"Attributes[{index}].Value", problem
            if key == "stickiness.app_cookie.cookie_name" and str(value).upper().startswith("AWSALB"):
                yield (request, f"Attributes[{index}].Value",
                       f"an application cookie's name must not start with AWSALB, AWSALBAPP or AWSALBTG; got "
                       f"{show(value)}")
        if (attributes.get("stickiness.type") == "app_cookie" and attributes.get("stickiness.enabled") != "false"
                and not attributes.get("stickiness.app_cookie.cookie_name")):
            yield request, "Attributes", "app_cookie stickiness needs stickiness.app_cookie.cookie_name"


# Target groups -----------------------------------------------------------------------------------------------


@rule
def target_group_targets(stack: Stack) -> Iterator[Finding]:
    """CreateTargetGroup: Protocol, Port and VpcId apply to every target type but lambda; "Otherwise, this parameter
    is required" (VpcId), and the API refuses an ip or instance target group without a protocol or port."""
    for group in stack.of(TARGET_GROUP):
        target_type = group.params.get("TargetType", "instance")
        if not known(target_type) or target_type == "lambda":
            continue
        missing = [key for key in ("Protocol", "Port", "VpcId") if group.params.get(key) is None]
        if missing:
            yield (group, "/".join(missing),
                   f"a target group of target type {target_type} needs {', '.join(missing)}; got none")


# Matcher: ALB target groups (HTTP/HTTPS) take HTTP codes 200-499, NLB ones 200-599; gRPC codes are 0-99.
_MATCHER_RANGES = {"HttpCode": {"HTTP": (200, 499), "HTTPS": (200, 499), "TCP": (200, 599), "TLS": (200, 599),
                                "UDP": (200, 599), "TCP_UDP": (200, 599)},
                   "GrpcCode": {"HTTP": (0, 99), "HTTPS": (0, 99)}}
_NO_HEALTH_CHECK_PROTOCOLS = ("GENEVE", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC")


@rule
def target_group_health_checks(stack: Stack) -> Iterator[Finding]:
    """CreateTargetGroup: the health check timeout must be less than its interval (the API answers "Health check
    interval must be greater than the timeout"); HealthCheckProtocol: "The TCP protocol is not supported for health
    checks if the protocol of the target group is HTTP or HTTPS", and GENEVE, TLS, UDP, TCP_UDP, QUIC and TCP_QUIC
    are not supported for health checks; HealthCheckPath is for HTTP/HTTPS health checks; Matcher: "For Application
    Load Balancers, you can specify values between 200 and 499", 200-599 for Network Load Balancers, gRPC 0-99."""
    for group in stack.of(TARGET_GROUP):
        params = group.params
        interval = number(params.get("HealthCheckIntervalSeconds"))
        timeout = number(params.get("HealthCheckTimeoutSeconds"))
        if interval is not None and timeout is not None and timeout >= interval:
            yield (group, "HealthCheckTimeoutSeconds",
                   f"the health check timeout must be less than the interval {show(interval)} s; got {show(timeout)} s")
        yield from _health_check_protocol(group)
        yield from _matcher(group)


def _health_check_protocol(group: ApiRequest) -> Iterator[Finding]:
    protocol, check = group.params.get("Protocol"), group.params.get("HealthCheckProtocol")
    if not known(check) or check is None:
        return
    if check in _NO_HEALTH_CHECK_PROTOCOLS or (check == "TCP" and protocol in _HTTP):
        yield (group, "HealthCheckProtocol",
               f"a target group of protocol {protocol} can't be health-checked over {check}; use HTTP or HTTPS")
    elif check not in _HTTP and known(group.params.get("HealthCheckPath")) and group.params.get("HealthCheckPath"):
        yield group, "HealthCheckPath", f"a health check path needs an HTTP or HTTPS health check; got {check}"


def _matcher(group: ApiRequest) -> Iterator[Finding]:
    matcher = group.params.get("Matcher")
    for key, ranges in _MATCHER_RANGES.items():
        codes = dig(matcher, key)
        bounds = ranges.get(group.params.get("Protocol"))
        if codes is None or not known(codes) or bounds is None:
            continue
        parsed = _codes(str(codes))
        if parsed is None or not all(bounds[0] <= c <= bounds[1] for c in parsed):
            low, high = bounds
            kind = _a(str(group.params.get("Protocol")))
            yield (group, f"Matcher.{key}", f"{kind} target group's {key} takes values {low} to {high} (a list "
                                            f"such as {low},{low + 1} or a range); got {show(codes)}")


def _codes(codes: str) -> Optional[list[int]]:
    """The codes a matcher lists ("200,202", "200-299"), or None when it is not that syntax."""
    found: list[int] = []
    for part in codes.split(","):
        bounds = part.strip().split("-")
        if not 1 <= len(bounds) <= 2 or not all(b.strip().isdigit() for b in bounds):
            return None
        numbers = [int(b) for b in bounds]
        if numbers != sorted(numbers):
            return None
        found += numbers
    return found


# Listeners ---------------------------------------------------------------------------------------------------

# CreateListener Protocol, per load balancer type.
_LISTENER_PROTOCOLS = {"application": _HTTP, "network": ("TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC")}
_SECURE = ("HTTPS", "TLS")
_SSL_POLICY = re.compile(r"^ELBSecurityPolicy-[A-Za-z0-9-]+$")


@rule
def listener_protocols(stack: Stack) -> Iterator[Finding]:
    """CreateListener Protocol: "For Application Load Balancers, the supported protocols are HTTP and HTTPS. For
    Network Load Balancers ... TCP, TLS, UDP, TCP_UDP, QUIC, and TCP_QUIC ... You can't specify a protocol for a
    Gateway Load Balancer"."""
    for listener in stack.of(LISTENER):
        protocol, kind = listener.params.get("Protocol"), _load_balancer_type(stack, listener)
        if kind is None or not known(protocol):
            continue
        if kind == "gateway" and protocol is not None:
            yield listener, "Protocol", f"a Gateway Load Balancer listener takes no protocol; got {protocol}"
        elif kind in _LISTENER_PROTOCOLS and protocol is not None and protocol not in _LISTENER_PROTOCOLS[kind]:
            yield (listener, "Protocol",
                   f"{_a(kind)} load balancer listens on {', '.join(_LISTENER_PROTOCOLS[kind])}; got {protocol}")


@rule
def listener_certificates(stack: Stack) -> Iterator[Finding]:
    """CreateListener: Certificates "[HTTPS and TLS listeners] ... You must provide exactly one certificate";
    SslPolicy is for HTTPS and TLS listeners only; Application Load Balancers "do not support custom security
    policies", so a policy is one of the predefined ELBSecurityPolicy-* ("Security policies for your Application
    Load Balancer")."""
    for listener in stack.of(LISTENER):
        protocol, policy = listener.params.get("Protocol"), listener.params.get("SslPolicy")
        certificates = listener.params.get("Certificates")
        if not known(protocol) or protocol is None:
            continue
        if protocol in _SECURE and known(certificates) and len(certificates or []) != 1:
            yield (listener, "Certificates",
                   f"{_a(protocol)} listener needs exactly one certificate; got {len(certificates or [])}")
        if protocol not in _SECURE and certificates:
            yield listener, "Certificates", f"{_a(protocol)} listener takes no certificate; only HTTPS and TLS do"
        if protocol not in _SECURE and policy:
            yield (listener, "SslPolicy",
                   f"{_a(protocol)} listener takes no SslPolicy; only HTTPS and TLS do; got {policy}")
        if protocol in _SECURE and isinstance(policy, str) and known(policy) and not _SSL_POLICY.match(policy):
            yield listener, "SslPolicy", f"must be a predefined ELBSecurityPolicy-* security policy; got {show(policy)}"


# ELB User Guide, "Quotas for your Application Load Balancers": certificates per Application Load Balancer,
# excluding default certificates (the default quota; it can be raised).
_MAX_CERTIFICATES = 25


@rule
def added_listener_certificates(stack: Stack) -> Iterator[Finding]:
    """AddListenerCertificates: "You can specify one certificate per call. Set CertificateArn to the certificate ARN
    but do not set IsDefault"; the listener is an HTTPS or TLS one ("If the certificate in already in the
    certificate list, the call is successful but the certificate is not added again": a second resource for the same
    certificate would take it away when either is deleted); at most 25 certificates besides the default one."""
    added: dict[Any, list[ApiRequest]] = {}
    for request in stack.of("elbv2:AddListenerCertificates"):
        certificates = items(request.params.get("Certificates"))
        if len(certificates) != 1:
            yield request, "Certificates", f"takes one certificate per call; got {len(certificates)}"
        if any(c.get("IsDefault") is not None for c in certificates):
            yield request, "Certificates", "must not set IsDefault (the listener's default certificate is its own)"
        listener = _listener_of(stack, request)
        protocol = listener.params.get("Protocol") if listener is not None else None
        if known(protocol) and protocol is not None and protocol not in _SECURE:
            yield request, "ListenerArn", f"certificates go on an HTTPS or TLS listener; this one is {protocol}"
        arn = request.params.get("ListenerArn")
        identity = listener.resource.urn if listener is not None else (arn if known(arn) else None)
        if identity is None:
            continue
        for certificate in certificates:
            value = certificate.get("CertificateArn")
            default = items(listener.params.get("Certificates")) if listener is not None else []
            if known(value) and any(d.get("CertificateArn") == value for d in default):
                yield request, "Certificates", "is the listener's default certificate already"
            same = [r for r in added.get(identity, []) if known(value) and
                    any(c.get("CertificateArn") == value for c in items(r.params.get("Certificates")))]
            if same:
                yield (request, "Certificates", f"{show(value)} is already added to this listener by "
                                                f"{same[0].resource.name}")
        added.setdefault(identity, []).append(request)
    for requests in added.values():
        if len(requests) > _MAX_CERTIFICATES:
            yield (requests[_MAX_CERTIFICATES], "Certificates",
                   f"a listener takes at most {_MAX_CERTIFICATES} certificates besides its default one (ELB's default "
                   f"quota); got {len(requests)}")


# Actions -----------------------------------------------------------------------------------------------------

_FINAL_ACTIONS = ("forward", "redirect", "fixed-response")
# The config each action type needs (Action, ELB API reference).
_ACTION_CONFIG = {"redirect": "RedirectConfig", "fixed-response": "FixedResponseConfig",
                  "authenticate-oidc": "AuthenticateOidcConfig", "authenticate-cognito": "AuthenticateCognitoConfig"}
# FixedResponseActionConfig ContentType: "Valid Values: text/plain | text/css | text/html | application/javascript |
# application/json".
_CONTENT_TYPES = ("text/plain", "text/css", "text/html", "application/javascript", "application/json")


def _actions(stack: Stack) -> Iterator[tuple[ApiRequest, str, Optional[ApiRequest]]]:
    """Every listener's default actions and every rule's actions, with the listener they run on."""
    for listener in stack.of(LISTENER):
        yield listener, "DefaultActions", listener
    for listener_rule in stack.of(RULE):
        yield listener_rule, "Actions", _listener_of(stack, listener_rule)


@rule
def action_lists(stack: Stack) -> Iterator[Finding]:
    """Application Load Balancers Guide, "Listener rules": "Each rule must include exactly one of the following
    actions: forward, redirect, or fixed-response, and it must be the last action to be performed"; Action: Order
    sets that sequence, so no two actions share one; each action carries the config of its type; authenticate
    actions need an HTTPS listener."""
    for request, field, listener in _actions(stack):
        listed = whole_list(request.params.get(field))
        if not listed or not all(isinstance(a, dict) and known(a.get("Type"), a.get("Order")) for a in listed):
            continue
        ordered = sorted(listed, key=lambda a: number(a.get("Order")) or 0)
        final = [a.get("Type") for a in listed if a.get("Type") in _FINAL_ACTIONS]
        if len(final) != 1 or ordered[-1].get("Type") not in _FINAL_ACTIONS:
            yield (request, field, "must end with exactly one forward, redirect or fixed-response action; got "
                                   f"{', '.join(str(a.get('Type')) for a in ordered)}")
        orders = [a.get("Order") for a in listed]
        if len(set(orders)) != len(orders):
            yield request, field, f"each action needs its own Order; got {', '.join(text(o) for o in orders)}"
        yield from _action_configs(request, field, listener, listed)


def _action_configs(request: ApiRequest, field: str, listener: Optional[ApiRequest],
                    actions: list[dict[str, Any]]) -> Iterator[Finding]:
    protocol = listener.params.get("Protocol") if listener is not None else None
    for index, action in enumerate(actions):
        kind, at = action.get("Type"), f"{field}[{index}]"
        needed = _ACTION_CONFIG.get(kind)
        if needed and not action.get(needed):
            yield request, at, f"a {kind} action needs {needed}; got none"
        if kind == "forward" and not action.get("TargetGroupArn") and not action.get("ForwardConfig"):
            yield request, at, "a forward action needs TargetGroupArn or ForwardConfig; got neither"
        if str(kind).startswith("authenticate-") and known(protocol) and protocol is not None and protocol != "HTTPS":
            yield request, at, f"{kind} needs an HTTPS listener; this one is {protocol}"
        content_type = dig(action, "FixedResponseConfig", "ContentType")
        if known(content_type) and content_type is not None and content_type not in _CONTENT_TYPES:
            yield (request, f"{at}.FixedResponseConfig.ContentType",
                   f"must be one of {', '.join(_CONTENT_TYPES)}; got {show(content_type)}")


@rule
def redirects(stack: Stack) -> Iterator[Finding]:
    """RedirectActionConfig: Port "from 1 to 65535 or #{port}"; Path is "The absolute path, starting with the
    leading /"; Query: "Do not include the leading ?"; "You can't redirect HTTPS to HTTP"; "You must modify at least
    one of the following components to avoid a redirect loop: protocol, hostname, port, or path"."""
    for request, field, listener in _actions(stack):
        for index, action in indexed(request.params.get(field)):
            redirect = action.get("RedirectConfig")
            if isinstance(redirect, dict) and known(redirect):
                problem = _redirect_problem(redirect, listener)
                if problem:
                    yield request, f"{field}[{index}].RedirectConfig", problem


def _redirect_problem(redirect: dict[str, Any], listener: Optional[ApiRequest]) -> Optional[str]:
    port, path, query = redirect.get("Port"), redirect.get("Path"), redirect.get("Query")
    if port not in (None, "#{port}") and (number(port) is None or not 1 <= number(port) <= 65535):
        return f"Port must be 1 to 65535 or #{{port}}; got {show(port)}"
    if path is not None and not str(path).startswith("/"):
        return f"Path must start with /; got {show(path)}"
    if query is not None and str(query).startswith("?"):
        return f"Query must leave out the leading ?; got {show(query)}"
    protocol = listener.params.get("Protocol") if listener is not None else None
    own_port = listener.params.get("Port") if listener is not None else None
    if not known(protocol) or not known(own_port) or listener is None:
        return None
    if protocol == "HTTPS" and redirect.get("Protocol") == "HTTP":
        return "an HTTPS listener can't redirect to HTTP"
    changed = [redirect.get("Protocol") not in (None, "#{protocol}", protocol),
               port not in (None, "#{port}") and number(port) != number(own_port),
               redirect.get("Host") not in (None, "#{host}"), path not in (None, "/#{path}")]
    return None if any(changed) else "redirects to itself: change the protocol, host, port or path to avoid a loop"


# Listener rules ----------------------------------------------------------------------------------------------

# RuleCondition: "Each rule can optionally include up to one of each of the following conditions:
# http-request-method, host-header, path-pattern, and source-ip".
_ONCE_PER_RULE = ("host-header", "http-request-method", "path-pattern", "source-ip")
_CONFIGS = ("HostHeaderConfig", "PathPatternConfig", "HttpHeaderConfig", "QueryStringConfig",
            "HttpRequestMethodConfig", "SourceIpConfig")


def _values(condition: dict[str, Any]) -> list[Any]:
    """The match evaluations of a condition: its values and regex values, or its query string pairs."""
    found: list[Any] = []
    for config in _CONFIGS:
        block = condition.get(config)
        if isinstance(block, dict):
            found += items(block.get("Values")) + items(block.get("RegexValues"))
    return found


@rule
def rule_conditions(stack: Stack) -> Iterator[Finding]:
    """Condition types for listener rules: "up to one of each of the following conditions: host-header,
    http-request-method, path-pattern, and source-ip"; "up to three match evaluations per condition"; "up to five
    match evaluations per rule"; host names and path patterns "can be up to 128 characters". Each condition has one
    type (the provider: "Exactly one of host_header, http_header, ... must be set per condition")."""
    for listener_rule in stack.of(RULE):
        conditions = indexed(listener_rule.params.get("Conditions"))
        kinds = [c.get("Field") for _, c in conditions]
        for kind in _ONCE_PER_RULE:
            if kinds.count(kind) > 1:
                yield listener_rule, "Conditions", f"a rule takes one {kind} condition; got {kinds.count(kind)}"
        total = 0
        for index, condition in conditions:
            yield from _condition(listener_rule, f"Conditions[{index}]", condition)
            total += len(_values(condition))
        if total > 5:
            yield listener_rule, "Conditions", f"a rule allows at most 5 condition values; got {total}"


def _condition(listener_rule: ApiRequest, at: str, condition: dict[str, Any]) -> Iterator[Finding]:
    configs = [key for key in _CONFIGS if key in condition]
    if len(configs) > 1:
        yield listener_rule, at, f"a condition has exactly one type; got {', '.join(configs)}"
    values = _values(condition)
    if len(values) > 3:
        yield listener_rule, at, f"a condition allows at most 3 values; got {len(values)}"
    for key in ("HostHeaderConfig", "PathPatternConfig"):
        for value in items(dig(condition, key, "Values")):
            if isinstance(value, str) and len(value) > 128:
                yield listener_rule, f"{at}.{key}.Values", f"a value is at most 128 characters; got {len(value)}"


@rule
def unique_rule_priorities(stack: Stack) -> Iterator[Finding]:
    """CreateRule: each rule of a listener has its own priority (PriorityInUse). The listener is followed through
    the rule's dependencies when its ARN is not known yet."""
    seen: dict[tuple[Any, Any], ApiRequest] = {}
    for listener_rule in stack.of(RULE):
        priority, listener = listener_rule.params.get("Priority"), _listener_of(stack, listener_rule)
        arn = listener_rule.params.get("ListenerArn")
        identity = listener.resource.urn if listener is not None else (arn if known(arn) else None)
        if identity is None or not known(priority):
            continue
        key = (identity, number(priority))
        if key in seen:
            yield (listener_rule, "Priority",
                   f"priority {show(priority)} is already used on this listener by {seen[key].resource.name}")
        else:
            seen[key] = listener_rule


@rule
def forward_target_protocols(stack: Stack) -> Iterator[Finding]:
    """CreateTargetGroup Protocol: "For Application Load Balancers, the supported protocols are HTTP and HTTPS":
    an ALB listener forwards only to HTTP or HTTPS target groups (or lambda ones, which have no protocol)."""
    for request, field, listener in _actions(stack):
        if listener is None or _load_balancer_type(stack, listener) != "application":
            continue
        prop = "defaultActions" if request.label == LISTENER else "actions"
        for index, action in indexed(request.params.get(field)):
            arns = [action.get("TargetGroupArn")] + [g.get("TargetGroupArn") for g in
                                                     items(dig(action, "ForwardConfig", "TargetGroups"))]
            for arn in arns:
                group = stack.referenced(request, prop, TARGET_GROUP, arn)
                protocol = group.params.get("Protocol") if group is not None else None
                if group is not None and known(protocol) and protocol is not None and protocol not in _HTTP:
                    yield (request, f"{field}[{index}]", f"an Application Load Balancer forwards to HTTP or HTTPS "
                                                         f"target groups; {group.resource.name} is {protocol}")
