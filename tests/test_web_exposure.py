"""How a web service is reached: the internet-facing load balancer, the internal one, or none (Service Connect
only); sticky sessions; more host names than one listener rule holds; additional certificates."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from ecs_platform import LoadBalancer, WebService
from ecs_platform.settings import SettingsError, parse
from ecs_platform.testing import ProgramRun, run_stack
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.plan import build_plan

from .conftest import ROOT
from .helpers import NS, PLACEMENT, refusal_of, web_args

RULE = "aws:lb/listenerRule:ListenerRule"
GROUP = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NAMESPACE = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789abcdef"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"
OTHER = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
HOSTS = [f"{c}.example.com" for c in "abcdefg"]
TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"


def unbalanced(**overrides: Any) -> dict[str, Any]:
    """A WebService's args without a load balancer, joining Service Connect."""
    return {"placement": PLACEMENT, "task": {"image": "example/api:1.0"},
            "service_connect": {"namespace": NAMESPACE}, **overrides}


def lb_args(**overrides: Any) -> dict[str, Any]:
    return {"vpc_id": "vpc-1", "vpc_cidr_block": "10.0.0.0/16", "public_subnet_ids": ["subnet-a", "subnet-b"],
            "protocol": "HTTPS", "certificate_arn": CERTIFICATE, "access_logs": False, **overrides}


def conditions(rule: Any) -> dict[str, list[str]]:
    return {kind: block["values"] for c in rule.inputs["conditions"] for kind, block in c.items()}


# More host names: several rules -------------------------------------------------------------------------------


def test_more_hosts_than_a_rule_holds_become_consecutive_rules_keeping_the_first_rules_name(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(host_headers=HOSTS)))
    rules = {r.name: r for r in run.of_type(RULE)}
    assert sorted(rules) == ["api-route", "api-route-2", "api-route-3"]
    assert [rules[n].inputs["priority"] for n in ("api-route", "api-route-2", "api-route-3")] == [10, 11, 12]
    assert [h for n in sorted(rules) for h in conditions(rules[n])["hostHeader"]] == HOSTS


def test_every_rule_holds_all_paths_and_at_most_five_values(run_component) -> None:
    paths = ["/a/*", "/b/*", "/c/*"]
    run = run_component(lambda: WebService("api", web_args(path_patterns=paths, host_headers=HOSTS[:5])))
    for rule in run.of_type(RULE):
        found = conditions(rule)
        assert found["pathPattern"] == paths
        assert len(found["pathPattern"]) + len(found["hostHeader"]) <= 5
    assert len(run.of_type(RULE)) == 3
    assert fidelity.check(run).violations == []


def test_a_progressive_deployment_with_several_rules_is_refused(run_component) -> None:
    message = refusal_of(run_component, lambda: WebService("api", web_args(
        host_headers=HOSTS, deployment={"strategy": "blueGreen", "maximum_percent": 200},
        alarms={"actions": [TOPIC]})))
    assert "one listener rule" in message


# Stickiness ---------------------------------------------------------------------------------------------------


def test_stickiness_defaults_to_a_day_of_the_load_balancers_cookie(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(stickiness={})))
    assert run.one(GROUP).inputs["stickiness"] == {"enabled": True, "type": "lb_cookie", "cookieDuration": 86400}


def test_an_application_cookie_names_its_cookie(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(
        stickiness={"type": "appCookie", "cookie_name": "SESSION", "duration_seconds": 600})))
    assert run.one(GROUP).inputs["stickiness"] == {"enabled": True, "type": "app_cookie", "cookieName": "SESSION",
                                                   "cookieDuration": 600}


def test_no_stickiness_unless_asked(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args()))
    assert "stickiness" not in run.one(GROUP).inputs


@pytest.mark.parametrize("stickiness, message", [
    ({"type": "appCookie"}, "cookie_name is required"),
    ({"cookie_name": "SESSION"}, "only with type appCookie"),
    ({"type": "appCookie", "cookie_name": "AWSALBX"}, "must not start with AWSALB"),
    ({"duration_seconds": 604801}, "1 to 604800"),
])
def test_stickiness_elb_would_refuse_is_refused(run_component, stickiness: dict, message: str) -> None:
    assert message in refusal_of(run_component, lambda: WebService("api", web_args(stickiness=stickiness)))


# No load balancer ---------------------------------------------------------------------------------------------


def test_a_service_without_a_load_balancer_has_no_target_group_rule_or_load_balancer_alarms(run_component) -> None:
    run = run_component(lambda: WebService("api", unbalanced(alarms={"actions": [TOPIC]})))
    assert run.of_type(GROUP) == [] and run.of_type(RULE) == []
    service = run.one("aws:ecs/service:Service")
    assert not service.inputs.get("loadBalancers") and "healthCheckGracePeriodSeconds" not in service.inputs
    alarms = {a.name for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms == {"api-cpu-high", "api-memory-high", "api-below-desired"}
    assert not [r for r in run.of_type(INGRESS) if r.name == "api-tasks-from-alb"]
    assert fidelity.check(run).violations == []


@pytest.mark.parametrize("overrides, message", [
    ({"service_connect": None}, "reached only through Service Connect"),
    ({"path_patterns": ["/api/*"]}, "path_patterns needs a load balancer"),
    ({"autoscaling": {"requests_per_target": 100}}, "requests_per_target"),
    ({"alarms": {"actions": [TOPIC], "p95_latency_seconds": 1}}, "p95_latency_seconds is a load balancer alarm"),
    ({"listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"}, "missing"),
])
def test_what_needs_a_load_balancer_is_refused_without_one(run_component, overrides: dict, message: str) -> None:
    args = {k: v for k, v in unbalanced(**overrides).items() if v is not None}
    assert message in refusal_of(run_component, lambda: WebService("api", args))


# The internal load balancer and additional certificates ------------------------------------------------------


def test_an_internal_load_balancer_is_internal_in_the_private_subnets_open_to_the_vpc(run_component) -> None:
    run = run_component(lambda: LoadBalancer("private", lb_args(
        internal=True, public_subnet_ids=None, private_subnet_ids=["subnet-p1", "subnet-p2"],
        protocol="HTTP", certificate_arn=None)))
    alb = run.one("aws:lb/loadBalancer:LoadBalancer")
    assert (alb.inputs["internal"], alb.inputs["subnets"]) == (True, ["subnet-p1", "subnet-p2"])
    assert [r.inputs["cidrIpv4"] for r in run.of_type(INGRESS)] == ["10.0.0.0/16"]


def test_admit_lets_a_workload_reach_each_listener_port_and_nothing_else(run_component) -> None:
    def program() -> None:
        LoadBalancer("private", lb_args(internal=True, public_subnet_ids=None,
                                        private_subnet_ids=["subnet-p1", "subnet-p2"])).admit("orders", "sg-orders")
    run = run_component(program)
    ingress = [r for r in run.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == "sg-orders"]
    egress = [r for r in run.of_type(EGRESS) if r.inputs.get("securityGroupId") == "sg-orders"]
    assert sorted(r.inputs["fromPort"] for r in ingress) == [80, 443]
    assert sorted((r.inputs["fromPort"], r.inputs["toPort"]) for r in egress) == [(80, 80), (443, 443)]


def test_additional_certificates_go_on_the_https_listener_named_by_certificate(run_component) -> None:
    run = run_component(lambda: LoadBalancer("web", lb_args(additional_certificate_arns=[OTHER])))
    (extra,) = run.of_type("aws:lb/listenerCertificate:ListenerCertificate")
    assert extra.name == "web-cert-11111111-2222-3333-4444-555555555555"
    assert extra.inputs["listenerArn"] == run.one("aws:lb/listener:Listener", "web-https").outputs["arn"]
    assert extra.inputs["certificateArn"] == OTHER


@pytest.mark.parametrize("overrides, message", [
    ({"protocol": "HTTP", "certificate_arn": None, "additional_certificate_arns": [OTHER]}, "need an HTTPS"),
    ({"additional_certificate_arns": [OTHER, OTHER]}, "twice"),
    ({"additional_certificate_arns": [CERTIFICATE]}, "repeats certificate_arn"),
    ({"additional_certificate_arns": [f"{OTHER[:-2]}{i:02d}" for i in range(26)]}, "at most 25"),
    ({"internal": True}, "private_subnet_ids is required"),
])
def test_certificates_and_subnets_elb_would_refuse_are_refused(run_component, overrides: dict, message: str) -> None:
    args = {k: v for k, v in lb_args(**overrides).items() if v is not None}
    assert message in refusal_of(run_component, lambda: LoadBalancer("web", args))


# Settings -----------------------------------------------------------------------------------------------------


def settings(**services: Any) -> Any:
    config = {"aws:region": "us-east-1", f"{NS}:tags": json.dumps({"owner": "team-a"}),
              f"{NS}:loadBalancer": json.dumps({"protocol": "HTTP"}),
              f"{NS}:cluster": json.dumps({"serviceConnectNamespace": "internal"}),
              f"{NS}:services": json.dumps(services)}
    return parse(config, NS)


SERVICE = {"image": "example/api:1.0", "pathPatterns": ["/api/*"], "priority": 10}


def test_internal_and_public_rules_take_priorities_on_their_own_listeners() -> None:
    stack = settings(api=SERVICE, inner={**SERVICE, "loadBalancer": "internal"})
    assert stack.services["inner"].priority == stack.services["api"].priority


def test_a_priority_inside_another_services_rules_names_both() -> None:
    with pytest.raises(SettingsError) as caught:
        settings(api={**SERVICE, "hostHeaders": HOSTS[:4]}, admin={**SERVICE, "pathPatterns": ["/x/*"],
                                                                   "priority": 11})
    assert caught.value.key == f"{NS}:services.admin.priority"
    assert "priority 11 overlaps service api's priorities 10 to 11" in str(caught.value)


def test_a_service_without_a_load_balancer_deploys_rolling() -> None:
    with pytest.raises(SettingsError) as caught:
        settings(api={"image": "example/api:1.0", "loadBalancer": "none", "serviceConnect": {},
                      "deployment": {"strategy": "blueGreen"}})
    assert caught.value.key == f"{NS}:services.api.deployment.strategy"


def test_a_load_balancer_alarm_threshold_is_refused_without_a_load_balancer() -> None:
    with pytest.raises(SettingsError) as caught:
        settings(api={"image": "example/api:1.0", "loadBalancer": "none", "serviceConnect": {},
                      "alarms": {"target5xxRatePercent": 5}})
    assert caught.value.key == f"{NS}:services.api.alarms.target5xxRatePercent"


def test_no_internal_load_balancer_args_without_an_internal_service() -> None:
    assert settings(api=SERVICE).internal_load_balancer_args("vpc", "10.0.0.0/16", ["s"]) is None


# The program --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    """The prod stack with an internal service, a Service Connect-only one and sticky, many-host admin."""
    return run_stack(_mixed_program(tmp_path_factory.mktemp("mixed")), "mixed")


def _mixed_program(program: Path, allowed: Optional[list[str]] = None) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = stack["config"]
    services = config[f"{NS}:services"]
    bare = {k: v for k, v in copy.deepcopy(services["admin"]).items()
            if k not in ("pathPatterns", "priority", "repository", "healthCheck", "deregistrationDelaySeconds",
                         "healthCheckGracePeriodSeconds", "alarms")}
    services["admin"].update(hostHeaders=HOSTS[:5], stickiness={"durationSeconds": 3600})
    services["inner"] = {**bare, "image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
                         "loadBalancer": "internal", "pathPatterns": ["/api/*"], "priority": 10}
    services["backend"] = {**bare, "image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
                           "loadBalancer": "none", "serviceConnect": {"discoveryName": "be"}}
    config[f"{NS}:loadBalancer"]["additionalCertificateArns"] = [OTHER]
    config[f"{NS}:internalLoadBalancer"] = {"certificateArn": OTHER, **({"allowedCidrs": allowed} if allowed else {})}
    (program / "Pulumi.mixed.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return program


def test_an_internal_service_routes_through_the_internal_load_balancers_listener(mixed: ProgramRun) -> None:
    listener = mixed.one("aws:lb/listener:Listener", "private-https")
    assert mixed.one(RULE, "inner-route").inputs["listenerArn"] == listener.outputs["arn"]
    assert mixed.one("aws:lb/loadBalancer:LoadBalancer", "private-alb").inputs["internal"] is True


def test_the_internal_load_balancer_admits_every_workload_of_the_stack(mixed: ProgramRun) -> None:
    admitted = {r.name.removeprefix("private-from-").rsplit("-", 1)[0] for r in mixed.of_type(INGRESS)
                if r.name.startswith("private-from-")}
    workloads = {r.name for r in mixed.of_type("ecs-platform:index:WebService", "ecs-platform:index:QueueWorker",
                                               "ecs-platform:index:ScheduledTask")}
    assert "inner" in workloads and admitted == workloads


def test_urls_of_internal_and_connect_only_services(mixed: ProgramRun) -> None:
    urls = {name: s["url"] for name, s in mixed.outputs["services"].items()}
    assert urls["backend"] == "http://be:8080"
    assert urls["inner"].startswith("https://internal-private-alb")


def test_the_mixed_stack_passes_fidelity(mixed: ProgramRun) -> None:
    assert [v.line() for v in fidelity.check(mixed).violations] == []



def test_an_internal_load_balancer_open_to_the_world_is_caught_at_a_first_preview(tmp_path: Path) -> None:
    program = _mixed_program(tmp_path, allowed=["0.0.0.0/0"])
    plan = build_plan(program, "mixed", preview=True, pack=ROOT / "policies",
                      pack_config=ROOT / "policies" / "config" / "prod.json")
    caught = [v for v in plan.policy.mandatory if v.policy == "elb-internal-not-world-open"]
    assert caught and all("admits 0.0.0.0/0" in v.message for v in caught)


def test_the_internal_load_balancer_the_stack_builds_passes_the_pack_rule(mixed: ProgramRun) -> None:
    from .policy_support import violations

    assert violations("elb-internal-not-world-open", mixed) == []


def test_the_internal_load_balancer_costs_its_hours_and_capacity_units_but_no_public_address(mixed: ProgramRun) -> None:
    from ecs_platform.toolchain.plan.cost import estimate, load_prices

    prices = load_prices("us-east-1")
    items = estimate(mixed, "us-east-1").items
    internal = [i for i in items if i.item == "Load balancer: private-alb"]
    assert [i.desired for i in internal] == pytest.approx([prices["hoursPerMonth"] * prices["albHour"],
                                                           prices["hoursPerMonth"] * prices["lcuHour"]])
    public = next(i for i in items if i.item == "Public IPv4 addresses")
    assert public.detail == "6 address(es)"  # 3 NAT gateways + 3 zones of the internet-facing load balancer


def test_a_stack_with_an_internal_load_balancer_is_judged_whole_at_a_first_preview(tmp_path: Path) -> None:
    # The internal load balancer gets its subnets one value per zone, so elb-multi-az counts them before their ids.
    plan = build_plan(_mixed_program(tmp_path), "mixed", preview=True, pack=ROOT / "policies",
                      pack_config=ROOT / "policies" / "config" / "prod.json")
    assert (plan.policy.mandatory, plan.policy.unjudged) == ([], [])
