"""WebService component: routing, the security group chain, safe deployments and autoscaling."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_platform import CapacityProvider, WebService
from ecs_platform.offline.engine import RecordingMonitor

from .helpers import ALB_SG, LISTENER, PLACEMENT, containers, policy, statements_by_action, web_args

SERVICE = "aws:ecs/service:Service"
POLICY = "aws:appautoscaling/policy:Policy"


def web(run_component, **overrides: Any):
    return run_component(lambda: WebService("api", web_args(**overrides)))


def test_target_group_registers_task_ips_with_the_health_check(run_component) -> None:
    run = web(run_component, health_check={"path": "/api/health", "matcher": "200", "interval_seconds": 10,
                                           "timeout_seconds": 3, "healthy_threshold": 2, "unhealthy_threshold": 4})
    group = run.one("aws:lb/targetGroup:TargetGroup").inputs
    assert (group["targetType"], group["protocol"], group["healthCheck"]["port"]) == ("ip", "HTTP", "traffic-port")
    check = group["healthCheck"]
    assert (check["path"], check["matcher"], check["interval"], check["timeout"]) == ("/api/health", "200", 10, 3)
    assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (2, 4)


def test_a_new_container_port_keeps_the_target_group_and_the_security_group(run_component) -> None:
    # Both inputs are ForceNew: a port in either would replace the groups of a live service with the change.
    first, second = web(run_component, container_port=8080), web(run_component, container_port=9090)
    for type_ in ("aws:lb/targetGroup:TargetGroup", "aws:ec2/securityGroup:SecurityGroup"):
        assert first.one(type_).inputs["port" if "target" in type_ else "description"] == \
            second.one(type_).inputs["port" if "target" in type_ else "description"]
    assert second.one("aws:ecs/service:Service").inputs["loadBalancers"][0]["containerPort"] == 9090


def test_the_task_security_group_never_changes_its_description(run_component) -> None:
    group = web(run_component).one("aws:ec2/securityGroup:SecurityGroup")
    assert group.ignore_changes == ["description"]


def test_target_group_drains_for_thirty_seconds_by_default(run_component) -> None:
    assert web(run_component).one("aws:lb/targetGroup:TargetGroup").inputs["deregistrationDelay"] == 30


def test_listener_rule_forwards_its_paths_at_its_priority(run_component) -> None:
    run = web(run_component, priority=20, path_patterns=["/admin/*"], host_headers=["admin.example.com"])
    rule = run.one("aws:lb/listenerRule:ListenerRule").inputs
    assert rule["listenerArn"] == LISTENER
    assert rule["priority"] == 20
    assert rule["conditions"] == [{"pathPattern": {"values": ["/admin/*"]}},
                                  {"hostHeader": {"values": ["admin.example.com"]}}]
    (action,) = rule["actions"]
    assert action == {"type": "forward", "targetGroupArn": run.one("aws:lb/targetGroup:TargetGroup").outputs["arn"]}


def test_tasks_run_in_private_subnets_without_public_ip(run_component) -> None:
    network = web(run_component).one(SERVICE).inputs["networkConfiguration"]
    assert network["subnets"] == ["subnet-private-a", "subnet-private-b"]
    assert network["assignPublicIp"] is False


def test_tasks_admit_only_the_load_balancer_on_the_container_port(run_component) -> None:
    run = web(run_component, container_port=3000)
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    (ingress,) = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert ingress.inputs["securityGroupId"] == group.id
    assert ingress.inputs["referencedSecurityGroupId"] == ALB_SG
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (3000, 3000)
    assert "cidrIpv4" not in ingress.inputs
    assert run.one(SERVICE).inputs["networkConfiguration"]["securityGroups"] == [group.id]


def test_load_balancer_sends_to_the_main_container_port(run_component) -> None:
    run = web(run_component, container_port=3000)
    (binding,) = run.one(SERVICE).inputs["loadBalancers"]
    assert (binding["containerName"], binding["containerPort"]) == ("api", 3000)
    assert containers(run, "api")[0]["portMappings"] == [{"containerPort": 3000, "protocol": "tcp", "name": "http"}]


def test_service_waits_for_its_listener_rule(run_component) -> None:
    run = web(run_component)
    assert run.one("aws:lb/listenerRule:ListenerRule").urn in run.one(SERVICE).dependencies


def test_failed_deployments_roll_back(run_component) -> None:
    service = web(run_component).one(SERVICE).inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_deployment_keeps_full_capacity_by_default(run_component) -> None:
    service = web(run_component).one(SERVICE).inputs
    assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (100, 200)


def test_deployment_percentages_follow_args(run_component) -> None:
    deployment = {"minimum_healthy_percent": 50, "maximum_percent": 150}
    service = web(run_component, deployment=deployment).one(SERVICE).inputs
    assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (50, 150)


def test_grace_period_and_tag_propagation(run_component) -> None:
    service = web(run_component, health_check_grace_period_seconds=90).one(SERVICE).inputs
    assert service["healthCheckGracePeriodSeconds"] == 90
    assert service["propagateTags"] == "SERVICE" and service["enableEcsManagedTags"] is True


def test_autoscaling_owns_the_desired_count(run_component) -> None:
    service = web(run_component, desired_count=3, autoscaling={"min_tasks": 2, "max_tasks": 6}).one(SERVICE)
    assert service.inputs["desiredCount"] == 3
    assert service.ignore_changes == ["desiredCount"]


def test_capacity_strategy_defaults_to_on_demand(run_component) -> None:
    strategy = web(run_component).one(SERVICE).inputs["capacityProviderStrategies"]
    assert strategy == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert "launchType" not in web(run_component).one(SERVICE).inputs


def test_service_can_set_its_own_strategy(run_component) -> None:
    strategy = [{"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 2},
                {"capacity_provider": CapacityProvider.FARGATE_SPOT, "weight": 3}]
    inputs = web(run_component, capacity_provider_strategy=strategy).one(SERVICE).inputs
    assert {s["capacityProvider"]: (s["weight"], s["base"]) for s in inputs["capacityProviderStrategies"]} == {
        "FARGATE": (1, 2), "FARGATE_SPOT": (3, 0)}


def test_exec_is_off_by_default(run_component) -> None:
    run = web(run_component)
    assert run.one(SERVICE).inputs["enableExecuteCommand"] is False
    assert not run.of_type("aws:iam/rolePolicy:RolePolicy")


def test_exec_grants_the_ssm_channels_and_the_audit_log_group(run_component) -> None:
    placement = {"cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main", "cluster_name": "main",
                 "vpc_id": "vpc-1", "subnet_ids": ["subnet-a"], "execute_command_log_group_name": "main-exec-1234567"}
    run = web(run_component, placement=placement, deployment={"enable_execute_command": True})
    allowed = statements_by_action(policy(run.one("aws:iam/rolePolicy:RolePolicy", "api-task")))
    assert allowed["ssmmessages:CreateControlChannel"] == "*"
    assert allowed["logs:PutLogEvents"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:main-exec-1234567",
        "arn:aws:logs:us-east-1:123456789012:log-group:main-exec-1234567:*",
    ]
    assert run.one(SERVICE).inputs["enableExecuteCommand"] is True


def test_exec_on_a_read_only_container_gets_every_path_the_exec_agent_writes(run_component) -> None:
    # The paths the SSM agent writes, from aws/containers-roadmap#1359.
    run = web(run_component, deployment={"enable_execute_command": True})
    main = containers(run, "api")[0]
    mounts = {m["containerPath"]: m for m in main["mountPoints"]}
    assert set(mounts) == {"/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}
    assert all(m["readOnly"] is False for m in mounts.values()) and main["readonlyRootFilesystem"] is True


def test_rollouts_are_not_waited_for_by_default(run_component) -> None:
    assert web(run_component).one(SERVICE).inputs.get("waitForSteadyState") is not True


def test_waiting_for_steady_state_makes_a_failed_rollout_fail_the_update(run_component, monkeypatch) -> None:
    timeouts: dict[str, tuple[str, str]] = {}
    register = RecordingMonitor.RegisterResource

    def recording(self, request):  # the engine's record keeps no resource options' timeouts; read the request
        if request.type == SERVICE:
            timeouts[request.name] = (request.customTimeouts.create, request.customTimeouts.update)
        return register(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", recording)
    run = web(run_component, deployment={"wait_for_steady_state": True, "steady_state_timeout_minutes": 45})
    assert run.one(SERVICE).inputs["waitForSteadyState"] is True
    assert timeouts["api"] == ("45m", "45m")


def test_steady_state_timeout_outside_its_bounds_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="steady_state_timeout_minutes must be 5 to 1440; got 2"):
        web(run_component, deployment={"wait_for_steady_state": True, "steady_state_timeout_minutes": 2})


def test_cpu_target_tracking_at_seventy_percent_with_asymmetric_cooldowns(run_component) -> None:
    run = web(run_component)
    (cpu,) = run.of_type(POLICY)
    config = cpu.inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert config["targetValue"] == 70
    assert (config["scaleOutCooldown"], config["scaleInCooldown"]) == (60, 300)


def test_scalable_target_spans_min_to_max_tasks_of_this_service(run_component) -> None:
    run = web(run_component, desired_count=2, autoscaling={"min_tasks": 2, "max_tasks": 8})
    target = run.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 8)
    assert target["resourceId"] == f"service/main/{run.one(SERVICE).outputs['name']}"
    assert target["scalableDimension"] == "ecs:service:DesiredCount"


def test_memory_and_request_targets_are_optional_extras(run_component) -> None:
    run = web(run_component, autoscaling={"memory_target_percent": 80, "requests_per_target": 500})
    metrics = {p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
        "predefinedMetricType"]: p.inputs["targetTrackingScalingPolicyConfiguration"] for p in run.of_type(POLICY)}
    assert set(metrics) == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization",
                            "ALBRequestCountPerTarget"}
    label = metrics["ALBRequestCountPerTarget"]["predefinedMetricSpecification"]["resourceLabel"]
    assert label == "app/web/0123456789abcdef/" + run.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 50001}, "priority"),
        ({"path_patterns": []}, "at least one"),
        ({"path_patterns": ["/a", "/b", "/c", "/d"]}, "at most 3"),
        ({"autoscaling": {"min_tasks": 5, "max_tasks": 2}}, "above maxTasks"),
        ({"desired_count": 12}, "outside"),
        ({"deployment": {"maximum_percent": 250}}, "maximum_percent"),
    ],
    ids=["priority 0", "priority too high", "no route", "too many conditions", "min above max", "desired outside",
         "maximum percent"],
)
def test_bad_args_fail_before_registration(run_component, overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        web(run_component, **overrides)


def test_every_child_is_parented_to_the_component(run_component) -> None:
    run = web(run_component)
    component = run.one("ecs-platform:index:WebService")
    assert all(r.parent == component.urn for r in run.resources if r is not component and not r.type.startswith("pulumi:providers:"))


def test_web_tasks_on_spot_get_the_full_two_minutes_to_stop(run_component) -> None:
    strategy = [{"capacity_provider": CapacityProvider.FARGATE, "weight": 1, "base": 1},
                {"capacity_provider": CapacityProvider.FARGATE_SPOT, "weight": 4}]
    run = web(run_component, capacity_provider_strategy=strategy)
    assert containers(run, "api")[0]["stopTimeout"] == 120


def test_web_tasks_on_demand_stop_after_thirty_seconds(run_component) -> None:
    assert containers(web(run_component), "api")[0]["stopTimeout"] == 30


def test_desired_count_defaults_to_two_within_the_bounds(run_component) -> None:
    assert web(run_component).one(SERVICE).inputs["desiredCount"] == 2
    assert web(run_component, autoscaling={"min_tasks": 3, "max_tasks": 6}).one(SERVICE).inputs["desiredCount"] == 3


def test_web_service_minimum_of_zero_is_refused(run_component) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        web(run_component, autoscaling={"min_tasks": 0, "max_tasks": 2}, desired_count=1)


def test_tasks_start_only_once_iam_grants_their_permissions(run_component) -> None:
    run = web(run_component, task={"image": "x:1", "secrets": {
        "DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}})
    service = run.one(SERVICE)
    permissions = run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") + run.of_type(
        "aws:iam/rolePolicy:RolePolicy")
    assert permissions and all(p.urn in service.dependencies for p in permissions)


def test_a_strategy_change_reaches_running_tasks(run_component) -> None:
    assert web(run_component).one(SERVICE).inputs["forceNewDeployment"] is True


def test_entry_point_reaches_the_container(run_component) -> None:
    run = web(run_component, task={"image": "x:1", "entry_point": ["sh", "-c"], "command": ["exec app"]})
    main = containers(run, "api")[0]
    assert (main["entryPoint"], main["command"]) == (["sh", "-c"], ["exec app"])
