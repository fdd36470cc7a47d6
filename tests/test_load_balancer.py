"""LoadBalancer component: listeners, security group, hardening and access logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecs_platform import ListenerProtocol, LoadBalancer
from ecs_platform.testing import ACCOUNT_ID

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"
LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def base(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "vpc_cidr_block": "10.0.0.0/16",
        "public_subnet_ids": ["subnet-a", "subnet-b"],
        "certificate_arn": CERT,
        "access_logs": False,
    }
    args.update(overrides)
    return args


def https(run_component, **overrides: Any):
    return run_component(lambda: LoadBalancer("web", base(**overrides)))


def http(run_component, **overrides: Any):
    args = base(protocol=ListenerProtocol.HTTP, **overrides)
    del args["certificate_arn"]
    return run_component(lambda: LoadBalancer("web", args))


def test_https_listener_uses_the_certificate_and_a_tls13_policy(run_component) -> None:
    listener = https(run_component).one(LISTENER, "web-https").inputs
    assert (listener["port"], listener["protocol"]) == (443, "HTTPS")
    assert listener["certificateArn"] == CERT
    assert listener["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"


def test_http_listener_only_redirects_to_https(run_component) -> None:
    listener = https(run_component).one(LISTENER, "web-http").inputs
    (action,) = listener["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}


def test_unrouted_requests_get_a_fixed_404(run_component) -> None:
    (action,) = https(run_component).one(LISTENER, "web-https").inputs["defaultActions"]
    assert action["type"] == "fixed-response"
    assert action["fixedResponse"]["statusCode"] == "404"


def test_http_protocol_makes_one_plain_listener_that_answers_404(run_component) -> None:
    run = http(run_component)
    (listener,) = run.of_type(LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"


def test_services_attach_to_the_https_listener(run_component) -> None:
    captured = {}

    def program() -> None:
        lb = LoadBalancer("web", base())
        lb.listener_arn.apply(lambda arn: captured.setdefault("listener", arn))
        lb.url.apply(lambda url: captured.setdefault("url", url))

    run = run_component(program)
    assert captured["listener"] == run.one(LISTENER, "web-https").outputs["arn"]
    assert captured["url"] == "https://" + run.one(ALB).outputs["dnsName"]


def test_https_without_certificate_fails_before_registration(run_component) -> None:
    args = base()
    del args["certificate_arn"]
    with pytest.raises(ValueError, match="certificate_arn"):
        run_component(lambda: LoadBalancer("web", args))


def test_old_tls_policy_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="TLS 1.3"):
        https(run_component, ssl_policy="ELBSecurityPolicy-2016-08")


def test_alb_is_internet_facing_in_the_public_subnets(run_component) -> None:
    alb = https(run_component).one(ALB).inputs
    assert alb["internal"] is False
    assert alb["loadBalancerType"] == "application"
    assert alb["subnets"] == ["subnet-a", "subnet-b"]


def test_alb_drops_invalid_headers_and_mitigates_desync_defensively(run_component) -> None:
    alb = https(run_component).one(ALB).inputs
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "defensive"


def test_deletion_protection_is_on_by_default(run_component) -> None:
    assert https(run_component).one(ALB).inputs["enableDeletionProtection"] is True


def test_deletion_protection_and_idle_timeout_follow_args(run_component) -> None:
    alb = https(run_component, deletion_protection=False, idle_timeout_seconds=120).one(ALB).inputs
    assert (alb["enableDeletionProtection"], alb["idleTimeout"]) == (False, 120)


def test_security_group_admits_https_and_http_from_configured_cidrs_only(run_component) -> None:
    run = https(run_component, ingress_cidrs=["203.0.113.0/24", "198.51.100.0/24"])
    rules = {(r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in run.of_type(INGRESS)}
    assert rules == {(p, c) for p in (443, 80) for c in ("203.0.113.0/24", "198.51.100.0/24")}


def test_http_mode_opens_only_port_80(run_component) -> None:
    assert {r.inputs["fromPort"] for r in http(run_component).of_type(INGRESS)} == {80}


def test_security_group_sends_traffic_only_into_the_vpc(run_component) -> None:
    run = https(run_component)
    (egress,) = run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert egress.inputs["cidrIpv4"] == "10.0.0.0/16"
    assert egress.inputs["securityGroupId"] == group.id
    assert run.one(ALB).inputs["securityGroups"] == [group.id]


def test_no_access_log_bucket_when_logs_are_off(run_component) -> None:
    run = https(run_component)
    assert run.of_type("aws:s3/bucket:Bucket") == []
    assert not run.one(ALB).inputs.get("accessLogs")


def test_access_logs_go_to_a_private_encrypted_expiring_bucket(run_component) -> None:
    run = https(run_component, access_logs=True, access_log_retention_days=180)
    bucket = run.one("aws:s3/bucket:Bucket")
    alb = run.one(ALB)
    assert alb.inputs["accessLogs"]["bucket"] == bucket.outputs["bucket"]
    assert alb.inputs["accessLogs"]["enabled"] is True
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"][0]
    assert lifecycle["expiration"]["days"] == 180


def log_writers(run) -> list[dict[str, Any]]:
    policy = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    writers = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Action"] == "s3:PutObject" and f"/AWSLogs/{ACCOUNT_ID}/" in s["Resource"] for s in writers)
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
               for s in policy["Statement"])
    return writers


def test_access_logs_in_a_region_opened_after_august_2022_go_through_the_log_delivery_service(run_component) -> None:
    # eu-central-2 has no regional ELB account: aws.elb.getServiceAccount answers "unsupported AWS Region" there.
    run = run_component(lambda: LoadBalancer("web", base(access_logs=True)), region="eu-central-2")
    (writer,) = log_writers(run)
    assert writer["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert writer["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_access_logs_in_an_older_region_also_admit_its_regional_elb_account(run_component) -> None:
    principals = [w["Principal"] for w in log_writers(https(run_component, access_logs=True))]
    assert principals == [{"AWS": "arn:aws:iam::127311923021:root"},
                          {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]


def test_alb_waits_for_the_bucket_policy(run_component) -> None:
    run = https(run_component, access_logs=True)
    assert run.one("aws:s3/bucketPolicy:BucketPolicy").urn in run.one(ALB).dependencies


def test_every_child_is_parented_to_the_component(run_component) -> None:
    run = https(run_component, access_logs=True)
    component = run.one("ecs-platform:index:LoadBalancer")
    assert all(r.parent == component.urn for r in run.resources if r is not component and not r.type.startswith("pulumi:providers:"))


def test_unprotected_load_balancer_takes_its_logs_along_on_destroy(run_component) -> None:
    run = https(run_component, access_logs=True, deletion_protection=False)
    assert run.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_protected_load_balancer_keeps_its_logs_on_destroy(run_component) -> None:
    assert https(run_component, access_logs=True).one("aws:s3/bucket:Bucket").inputs.get("forceDestroy") is False
