"""Service Connect: the namespace services join, what they expose under which name, and who they admit."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from ecs_platform import Cluster, QueueWorker, WebService
from ecs_platform._service import discovery_name_problem
from ecs_platform.testing import ProgramRun
from ecs_platform.toolchain import fidelity

from .helpers import PLACEMENT, containers, web_args

NAMESPACE = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-0123456789abcdef"
SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CALLER_SG = "sg-0caller000000000001"


def worker_args(**overrides: Any) -> dict[str, Any]:
    return {"placement": PLACEMENT, "task": {"image": "example/orders:1.0"}, **overrides}


def connect_of(run: ProgramRun, name: str) -> dict[str, Any]:
    return run.one(SERVICE, name).inputs["serviceConnectConfiguration"]


def test_web_service_exposes_its_port_under_its_name_with_a_client_alias(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(container_port=3000,
                                                           service_connect={"namespace": NAMESPACE})))
    connect = connect_of(run, "api")
    assert (connect["enabled"], connect["namespace"]) == (True, NAMESPACE)
    (exposed,) = connect["services"]
    assert exposed == {"portName": "http", "discoveryName": "api", "clientAlias": [{"port": 3000, "dnsName": "api"}]}
    # The port name is the one the task definition gives the container port.
    assert containers(run, "api")[0]["portMappings"] == [{"containerPort": 3000, "protocol": "tcp", "name": "http"}]


def test_discovery_name_sets_the_name_clients_use(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(
        service_connect={"namespace": NAMESPACE, "discovery_name": "orders-api"})))
    (exposed,) = connect_of(run, "api")["services"]
    assert exposed["discoveryName"] == "orders-api"
    assert exposed["clientAlias"] == [{"port": 8080, "dnsName": "orders-api"}]


def test_proxy_logs_go_to_the_tasks_own_log_group(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args(service_connect={"namespace": NAMESPACE})))
    log = connect_of(run, "api")["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-group"] == run.one("aws:cloudwatch/logGroup:LogGroup", "api-logs").outputs["name"]
    assert log["options"]["awslogs-region"] == "us-east-1"


def test_worker_joins_as_a_client_only(run_component) -> None:
    run = run_component(lambda: QueueWorker("orders", worker_args(service_connect={"namespace": NAMESPACE})))
    connect = connect_of(run, "orders")
    assert (connect["enabled"], connect["namespace"]) == (True, NAMESPACE)
    assert "services" not in connect
    assert "portMappings" not in containers(run, "orders")[0]


def test_worker_exposing_a_port_names_its_port_mapping(run_component) -> None:
    run = run_component(lambda: QueueWorker("orders", worker_args(
        service_connect={"namespace": NAMESPACE, "port": 9000})))
    (exposed,) = connect_of(run, "orders")["services"]
    assert exposed == {"portName": "http", "discoveryName": "orders",
                       "clientAlias": [{"port": 9000, "dnsName": "orders"}]}
    assert containers(run, "orders")[0]["portMappings"] == [{"containerPort": 9000, "protocol": "tcp", "name": "http"}]


def test_no_service_connect_unless_asked(run_component) -> None:
    run = run_component(lambda: WebService("api", web_args()))
    assert "serviceConnectConfiguration" not in run.one(SERVICE).inputs


def test_admit_adds_one_rule_from_the_caller_on_the_port_and_nothing_wider(run_component) -> None:
    def program() -> None:
        api = WebService("api", web_args(container_port=3000, service_connect={"namespace": NAMESPACE}))
        api.admit("admin", CALLER_SG)

    run = run_component(program)
    api_group = run.one("aws:ec2/securityGroup:SecurityGroup", "api-tasks")
    added = run.one(INGRESS, "api-from-admin").inputs
    assert added["securityGroupId"] == api_group.id
    assert added["referencedSecurityGroupId"] == CALLER_SG
    assert (added["ipProtocol"], added["fromPort"], added["toPort"]) == ("tcp", 3000, 3000)
    assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(added)
    # The only other way in is still the load balancer's.
    assert sorted(r.name for r in run.of_type(INGRESS)) == ["api-from-admin", "api-tasks-from-alb"]
    # The caller's tasks allow only HTTPS out: they get the way to this port on these tasks, and only that.
    out = run.one(EGRESS, "admin-to-api").inputs
    assert (out["securityGroupId"], out["referencedSecurityGroupId"]) == (CALLER_SG, api_group.id)
    assert (out["fromPort"], out["toPort"]) == (3000, 3000) and "cidrIpv4" not in out
    assert run.one(INGRESS, "api-from-admin").parent == run.one("ecs-platform:index:WebService").urn


def test_a_worker_admits_callers_on_its_port(run_component) -> None:
    def program() -> None:
        worker = QueueWorker("orders", worker_args(service_connect={"namespace": NAMESPACE, "port": 9000}))
        worker.admit("api", CALLER_SG)

    run = run_component(program)
    (added,) = run.of_type(INGRESS)
    assert (added.name, added.inputs["fromPort"], added.inputs["referencedSecurityGroupId"]) == (
        "orders-from-api", 9000, CALLER_SG)


@pytest.mark.parametrize("service_connect", [None, {"namespace": NAMESPACE}], ids=["no service connect", "client only"])
def test_admit_is_refused_without_a_port(run_component, service_connect) -> None:
    errors: list[str] = []

    def program() -> None:
        args = worker_args(**({"service_connect": service_connect} if service_connect else {}))
        worker = QueueWorker("orders", args)
        try:
            worker.admit("api", CALLER_SG)
        except ValueError as error:
            errors.append(str(error))

    run = run_component(program)
    assert errors and "exposes no Service Connect port" in errors[0]
    assert not run.of_type(INGRESS)
    assert [r.name for r in run.of_type(EGRESS)] == ["orders-tasks-https-out"]


def test_worker_publishes_its_security_group(run_component) -> None:
    found: dict[str, str] = {}

    def program() -> None:
        QueueWorker("orders", worker_args()).security_group_id.apply(lambda sg: found.setdefault("sg", sg))

    run = run_component(program)
    assert found["sg"] == run.one("aws:ec2/securityGroup:SecurityGroup", "orders-tasks").id


@pytest.mark.parametrize(("name", "refused"), [("api", False), ("orders_v2", False), ("Api", True),
                                               ("-api", True), ("a" * 65, True), ("a.b", True)])
def test_discovery_name_problem_is_a_plain_check(name: str, refused: bool) -> None:
    assert (discovery_name_problem(name) is not None) is refused


def test_web_service_cannot_expose_another_port_than_its_container_port(run_component) -> None:
    with pytest.raises(ValueError, match="service_connect.port must be the container_port 8080"):
        run_component(lambda: WebService("api", web_args(service_connect={"namespace": NAMESPACE, "port": 9000})))


def test_uppercase_component_name_needs_a_discovery_name(run_component) -> None:
    with pytest.raises(ValueError, match="discovery_name 'Orders'"):
        run_component(lambda: QueueWorker("Orders", worker_args(service_connect={"namespace": NAMESPACE})))


# Fidelity ----------------------------------------------------------------------------------------------------


def platform(program_body=None) -> ProgramRun:
    from ecs_platform.testing import run

    def program() -> None:
        cluster = Cluster("main", {"service_connect_namespace": "internal"})
        placement = {"cluster_arn": cluster.cluster_arn, "cluster_name": cluster.cluster_name, "vpc_id": "vpc-1",
                     "subnet_ids": ["subnet-a", "subnet-b"]}
        namespace = {"namespace": cluster.service_connect_namespace_arn}
        api = WebService("api", web_args(placement=placement, service_connect=namespace))
        admin = WebService("admin", web_args(placement=placement, service_connect=namespace, priority=20,
                                             path_patterns=["/admin/*"]))
        worker = QueueWorker("orders", worker_args(placement=placement, service_connect=namespace))
        api.admit("admin", admin.security_group_id)
        api.admit("orders", worker.security_group_id)

    return run(program_body or program, project="fidelity", stack="test", config={"aws:region": "us-east-1"})


def test_service_connect_requests_pass_the_fidelity_check() -> None:
    report = fidelity.check(platform())
    assert report.operations["servicediscovery:CreateHttpNamespace"] == 1
    assert report.operations["ecs:CreateService"] == 3
    assert not report.violations, [v.line() for v in report.violations]


def test_cluster_sends_its_service_connect_default() -> None:
    from ecs_platform.toolchain.fidelity.requests import requests_for

    run = platform()
    (created,) = [r for r in requests_for(run.resources) if r.operation == "CreateCluster"]
    namespace = run.one("aws:servicediscovery/httpNamespace:HttpNamespace").outputs["arn"]
    assert created.params["serviceConnectDefaults"] == {"namespace": namespace}


def _raw_service(name: str, *, port_name: str = "http", discovery: str = "api", region: str = "us-east-1") -> None:
    definition = aws.ecs.TaskDefinition(
        f"{name}-td", family=name, cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([{"name": "app", "image": "app:1", "essential": True,
                                           "portMappings": [{"containerPort": 80, "name": "web"}]}]))
    aws.ecs.Service(
        name, cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", task_definition=definition.arn,
        desired_count=1, launch_type="FARGATE", network_configuration={"subnets": ["subnet-a"]},
        service_connect_configuration={
            "enabled": True,
            "namespace": f"arn:aws:servicediscovery:{region}:123456789012:namespace/ns-0123456789abcdef",
            "services": [{"port_name": port_name, "discovery_name": discovery,
                          "client_alias": [{"port": 80, "dns_name": discovery}]}],
        })


def _violations(build) -> list[fidelity.FidelityViolation]:
    from ecs_platform.testing import run

    return fidelity.check(run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"})).violations


def test_a_port_name_the_task_definition_lacks_is_a_violation() -> None:
    found = _violations(lambda: _raw_service("svc", port_name="http"))
    (violation,) = [v for v in found if v.field == "serviceConnectConfiguration.services[0].portName"]
    assert "names no port mapping 'http'; its named port mappings are web" in violation.message


def test_two_services_under_one_discovery_name_are_a_violation() -> None:
    def build() -> None:
        _raw_service("one", port_name="web")
        _raw_service("two", port_name="web")

    assert any("already service" in v.message for v in _violations(build))


def test_a_namespace_in_another_region_is_a_violation() -> None:
    found = _violations(lambda: _raw_service("svc", port_name="web", region="eu-west-1"))
    assert any(v.field == "serviceConnectConfiguration.namespace" and "same region" in v.message for v in found)


def test_a_service_others_reach_is_replaced_delete_first(run_component) -> None:
    # A replacement created beside it would claim the discovery name the old service still holds.
    run = run_component(lambda: WebService("api", web_args(service_connect={"namespace": NAMESPACE})))
    assert run.one(SERVICE, "api").delete_before_replace is True


def test_a_client_only_member_is_replaced_as_usual(run_component) -> None:
    run = run_component(lambda: QueueWorker("orders", worker_args(service_connect={"namespace": NAMESPACE})))
    assert run.one(SERVICE, "orders").delete_before_replace is False
