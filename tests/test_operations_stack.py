"""What the prod stack file turns on for operations, seen in what the real program registers: Service Connect between
the declared callers only, the api's canary with alarm rollback, and on-call alarms that page the stack's topic."""

from __future__ import annotations

import pytest

from ecs_platform.testing import ProgramRun

SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "arn:aws:sns:us-east-1:123456789012:platform-oncall"


def test_prod_cluster_defaults_to_the_internal_namespace(prod: ProgramRun) -> None:
    namespace = prod.one("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace.inputs["name"] == "internal"
    cluster = prod.one("aws:ecs/cluster:Cluster").inputs
    assert cluster["serviceConnectDefaults"]["namespace"] == namespace.outputs["arn"]


def test_prod_api_is_reachable_by_its_name_on_its_container_port(prod: ProgramRun) -> None:
    config = prod.one(SERVICE, "api").inputs["serviceConnectConfiguration"]
    (exposed,) = config["services"]
    assert exposed["discoveryName"] == "api"
    assert exposed["clientAlias"] == [{"port": 8080, "dnsName": "api"}]


@pytest.mark.parametrize("client", ["admin", "orders"])
def test_prod_callers_join_the_namespace(prod: ProgramRun, client: str) -> None:
    config = prod.one(SERVICE, client).inputs["serviceConnectConfiguration"]
    namespace = prod.one("aws:servicediscovery/httpNamespace:HttpNamespace").outputs["arn"]
    assert config["enabled"] is True and config["namespace"] == namespace


def _group_of(run: ProgramRun, service: str) -> str:
    return run.one(SERVICE, service).inputs["networkConfiguration"]["securityGroups"][0]


def test_prod_api_port_opens_to_exactly_its_declared_callers(prod: ProgramRun) -> None:
    api = _group_of(prod, "api")
    callers = {r.inputs["referencedSecurityGroupId"]: r.inputs for r in prod.of_type(INGRESS)
               if r.inputs["securityGroupId"] == api and "referencedSecurityGroupId" in r.inputs}
    from_tasks = {g: rule for g, rule in callers.items() if g != prod.one(
        "aws:ec2/securityGroup:SecurityGroup", "web-alb").outputs["id"]}
    assert set(from_tasks) == {_group_of(prod, "admin"), _group_of(prod, "orders")}
    assert all(rule["fromPort"] == rule["toPort"] == 8080 for rule in from_tasks.values())


@pytest.mark.parametrize("client", ["admin", "orders"])
def test_prod_callers_may_open_connections_to_the_api_only_on_its_port(prod: ProgramRun, client: str) -> None:
    (rule,) = [r.inputs for r in prod.of_type(EGRESS) if r.inputs["securityGroupId"] == _group_of(prod, client)
               and r.inputs.get("referencedSecurityGroupId") == _group_of(prod, "api")]
    assert rule["fromPort"] == rule["toPort"] == 8080


def test_prod_admin_is_called_by_nobody(prod: ProgramRun) -> None:
    admin = _group_of(prod, "admin")
    tasks = {_group_of(prod, name) for name in ("api", "orders")}
    assert not [r for r in prod.of_type(INGRESS)
                if r.inputs["securityGroupId"] == admin and r.inputs.get("referencedSecurityGroupId") in tasks]


def test_prod_api_deploys_as_a_canary_that_alarms_roll_back(prod: ProgramRun) -> None:
    api = prod.one(SERVICE, "api").inputs
    config = api["deploymentConfiguration"]
    assert config["strategy"] == "CANARY"
    assert config["canaryConfiguration"]["canaryPercent"] == 10
    rollback = api["alarms"]
    assert rollback["rollback"] is True and rollback["enable"] is True
    alarm_names = {a.outputs["name"] for a in prod.of_type(ALARM)}
    assert rollback["alarmNames"] and set(rollback["alarmNames"]) <= alarm_names


def test_prod_api_canary_shifts_between_two_target_groups(prod: ProgramRun) -> None:
    balancer = prod.one(SERVICE, "api").inputs["loadBalancers"][0]
    advanced = balancer["advancedConfiguration"]
    groups = {g.outputs["arn"] for g in prod.of_type("aws:lb/targetGroup:TargetGroup")}
    assert balancer["targetGroupArn"] in groups and advanced["alternateTargetGroupArn"] in groups
    assert balancer["targetGroupArn"] != advanced["alternateTargetGroupArn"]


@pytest.mark.parametrize("service", ["admin", "orders"])
def test_prod_other_services_deploy_rolling(prod: ProgramRun, service: str) -> None:
    assert "strategy" not in (prod.one(SERVICE, service).inputs.get("deploymentConfiguration") or {})


def test_prod_every_alarm_pages_the_oncall_topic(prod: ProgramRun) -> None:
    paging = [a for a in prod.of_type(ALARM) if not a.name.endswith(("-scale-out", "-scale-in", "-wake"))]
    assert paging
    assert all(a.inputs["alarmActions"] == [TOPIC] for a in paging)


@pytest.mark.parametrize("workload, suffixes", [
    ("api", ("-5xx-rate", "-unhealthy-hosts", "-p95-latency", "-below-desired", "-cpu-high", "-memory-high")),
    ("orders", ("-oldest-message", "-below-desired", "-cpu-high", "-memory-high", "-dlq-not-empty")),
])
def test_prod_workloads_have_their_oncall_alarms(prod: ProgramRun, workload: str, suffixes: tuple[str, ...]) -> None:
    names = {a.name for a in prod.of_type(ALARM)}
    assert {f"{workload}{s}" for s in suffixes} <= names


def test_prod_latency_threshold_comes_from_the_stack_file(prod: ProgramRun) -> None:
    assert prod.one(ALARM, "api-p95-latency").inputs["threshold"] == 1.5


def test_dev_has_no_oncall_alarms_without_a_topic(dev: ProgramRun) -> None:
    names = {a.name for a in dev.of_type(ALARM)}
    assert not [n for n in names if n.endswith(("-cpu-high", "-5xx-rate", "-p95-latency"))]


def test_dev_has_no_service_connect(dev: ProgramRun) -> None:
    assert not dev.of_type("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert not [s for s in dev.of_type(SERVICE) if s.inputs.get("serviceConnectConfiguration")]


def test_prod_nightly_report_runs_at_three_in_new_york(prod: ProgramRun) -> None:
    schedule = prod.one("aws:scheduler/schedule:Schedule", "nightly-report").inputs
    assert schedule["scheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["scheduleExpressionTimezone"] == "America/New_York"


def test_prod_nightly_report_runs_its_own_task_definition_in_the_cluster_on_spot(prod: ProgramRun) -> None:
    target = prod.one("aws:scheduler/schedule:Schedule", "nightly-report").inputs["target"]
    assert target["arn"] == prod.one("aws:ecs/cluster:Cluster").outputs["arn"]
    ecs = target["ecsParameters"]
    assert ecs["taskDefinitionArn"] == prod.one("aws:ecs/taskDefinition:TaskDefinition",
                                                "nightly-report-task").outputs["arn"]
    assert [s["capacityProvider"] for s in ecs["capacityProviderStrategies"]] == ["FARGATE_SPOT"]


def test_prod_nightly_report_dead_letters_page_the_oncall_topic(prod: ProgramRun) -> None:
    schedule = prod.one("aws:scheduler/schedule:Schedule", "nightly-report").inputs
    queue = prod.one("aws:sqs/queue:Queue", "nightly-report-dlq")
    assert schedule["target"]["deadLetterConfig"]["arn"] == queue.outputs["arn"]
    assert prod.one(ALARM, "nightly-report-dlq-not-empty").inputs["alarmActions"] == [TOPIC]


def test_dev_has_no_scheduled_tasks(dev: ProgramRun) -> None:
    assert not dev.of_type("aws:scheduler/schedule:Schedule")
