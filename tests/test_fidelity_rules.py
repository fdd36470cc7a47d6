"""The documented AWS rules of deploy fidelity, one violating and one compliant program for each.

Each case runs two small programs under the mocks: the violating one must be flagged on the named resource and
field, with a one-line message; the compliant one, its nearest correct neighbour, must pass every check (models and
rules alike), so the case also shows what AWS accepts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.fidelity import constraints
from ecs_platform.toolchain.fidelity.requests import requests_for
from ecs_platform.testing import ProgramRun, run, run_stack
from ecs_platform.offline.mocks import UNKNOWN

from .conftest import ROOT
from .test_fidelity import ALLOW, LISTENER, container, program, rule, service, task

Build = Callable[[], Any]
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"
OTHER_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"


def preview(build: Build) -> ProgramRun:
    """The program as a new stack's first preview sees it: everything AWS assigns is unknown."""
    return run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"}, preview=True)


def lines(build: Build, *, first_preview: bool = False) -> list[str]:
    report = fidelity.check(preview(build) if first_preview else program(build))
    return [v.line() for v in report.violations]


def flagged(build: Build, resource: str, field: str, snippet: str, *, first_preview: bool = False) -> None:
    report = fidelity.check(preview(build) if first_preview else program(build))
    matching = [v for v in report.violations if v.resource == resource and field in v.field]
    assert matching, [v.line() for v in report.violations]
    assert any(snippet in v.message for v in matching), [v.line() for v in matching]
    assert all("\n" not in v.line() for v in matching)


def definitions(*containers: dict[str, Any]) -> str:
    return json.dumps(list(containers))


def td(*containers: dict[str, Any], **args: Any) -> aws.ecs.TaskDefinition:
    return task(container_definitions=definitions(*(containers or (container(),))), **args)


def ec2_td(*containers: dict[str, Any], **args: Any) -> aws.ecs.TaskDefinition:
    """A task definition for EC2 instances (no Fargate rules apply), sized per container."""
    defaults: dict[str, Any] = dict(requires_compatibilities=["EC2"], network_mode="awsvpc", cpu=None, memory=None)
    return td(*(containers or (container(memory=256),)), **{**defaults, **args})


def logs(**options: str) -> dict[str, Any]:
    return {"logDriver": "awslogs", "options": {"awslogs-group": "app", "awslogs-region": "us-east-1",
                                                "awslogs-stream-prefix": "app", **options}}


def web(lb_container: str = "app", lb_port: int = 8080, target_type: str = "ip",
        strategy: tuple[str, ...] = ("FARGATE",), associated: tuple[str, ...] = ("FARGATE",), network: bool = True,
        **service_args: Any) -> None:
    """A cluster with its capacity providers, a target group and a Fargate service behind it."""
    cluster = aws.ecs.Cluster("cluster")
    providers = aws.ecs.ClusterCapacityProviders("cluster", cluster_name=cluster.name,
                                                 capacity_providers=list(associated))
    group = aws.lb.TargetGroup("tg", port=8080, protocol="HTTP", vpc_id="vpc-1", target_type=target_type)
    definition = td(container(portMappings=[{"containerPort": 8080}]))
    balancer = {"target_group_arn": group.arn, "container_name": lb_container, "container_port": lb_port}
    args = dict(cluster=cluster.arn, task_definition=definition.arn,
                capacity_provider_strategies=[{"capacity_provider": p, "weight": 1} for p in strategy],
                load_balancers=[balancer],
                network_configuration={"subnets": ["subnet-a"]} if network else None,
                opts=pulumi.ResourceOptions(depends_on=[providers]))
    service(**{**args, **service_args})


def target_group(logical: str = "tg", **args: Any) -> aws.lb.TargetGroup:
    defaults = dict(port=8080, protocol="HTTP", vpc_id="vpc-1", target_type="ip")
    return aws.lb.TargetGroup(logical, **{**defaults, **args})


def alb(logical: str = "alb", **args: Any) -> aws.lb.LoadBalancer:
    return aws.lb.LoadBalancer(logical, subnets=["subnet-a", "subnet-b"], security_groups=["sg-1"], **args)


def https(**args: Any) -> aws.lb.Listener:
    return listener(protocol="HTTPS", port=443, certificate_arn=CERTIFICATE, **args)


def redirect(**config: str) -> dict[str, Any]:
    return {"type": "redirect", "redirect": {**config, "status_code": "HTTP_301"}}


WINDOWS = {"operating_system_family": "WINDOWS_SERVER_2022_CORE"}


FIXED_404 = [{"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "404"}}]


def listener(name: str = "listener", balancer: aws.lb.LoadBalancer | None = None, **args: Any) -> aws.lb.Listener:
    balancer = balancer or alb()
    defaults = dict(load_balancer_arn=balancer.arn, port=80, protocol="HTTP", default_actions=FIXED_404)
    return aws.lb.Listener(name, **{**defaults, **args})


def alarm(name: str = "alarm", **args: Any) -> aws.cloudwatch.MetricAlarm:
    defaults = dict(comparison_operator="GreaterThanThreshold", evaluation_periods=1, metric_name="CPUUtilization",
                    namespace="AWS/ECS", period=60, statistic="Average", threshold=80)
    return aws.cloudwatch.MetricAlarm(name, **{**defaults, **args})


def query(id_: str, metric: str = "ApproximateNumberOfMessagesVisible", **args: Any) -> dict[str, Any]:
    return {"id": id_, "return_data": False, "metric": {"namespace": "AWS/SQS", "metric_name": metric, "period": 60,
                                                        "stat": "Maximum", "dimensions": {"QueueName": "q"}}, **args}


def math_alarm(queries: list[dict[str, Any]], **args: Any) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm("alarm", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                                      threshold=0, metric_queries=queries, **args)


def logging_to(output: str) -> None:
    """A task whose container logs to a log group of the program, named by one of its outputs."""
    group = aws.cloudwatch.LogGroup("app-logs", retention_in_days=7)
    task(container_definitions=getattr(group, output).apply(
        lambda value: definitions(container(logConfiguration=logs(**{"awslogs-group": value})))))


SUM = {"id": "total", "expression": "visible + inflight", "label": "All messages", "return_data": True}
SCALING = dict(resource_id="service/main/app", scalable_dimension="ecs:service:DesiredCount", service_namespace="ecs")


def scaling(policy_args: dict[str, Any] | None = None, target: bool = True, **target_args: Any) -> None:
    """A scalable target (unless left out) and a target tracking policy on it."""
    depends = []
    if target:
        depends = [aws.appautoscaling.Target("target", min_capacity=1, max_capacity=4, **{**SCALING, **target_args})]
    args = dict(policy_type="TargetTrackingScaling", target_tracking_scaling_policy_configuration={
        "target_value": 70, "predefined_metric_specification": {
            "predefined_metric_type": "ECSServiceAverageCPUUtilization"}}, **SCALING)
    aws.appautoscaling.Policy("cpu", **{**args, **(policy_args or {})}, opts=pulumi.ResourceOptions(depends_on=depends))


def requests_per_target(label: str | None = None) -> dict[str, Any]:
    """Policy arguments that track ALB requests per target (of the target group ``label`` names)."""
    metric = {"predefined_metric_type": "ALBRequestCountPerTarget", "resource_label": label}
    return {"target_tracking_scaling_policy_configuration": {"target_value": 1000,
                                                             "predefined_metric_specification": metric}}


def queues(source: dict[str, Any] | None = None, dead: dict[str, Any] | None = None) -> None:
    """A work queue that redrives to a dead-letter queue (which keeps messages 14 days unless `dead` says)."""
    dlq = aws.sqs.Queue("dlq", **{"message_retention_seconds": 1209600, **(dead or {})})
    redrive = dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5}))
    aws.sqs.Queue("work", redrive_policy=redrive, **(source or {}))


GROUPS = [f"sg-0a1b2c3d4e5f6071{i}" for i in range(7)]


def egress(name: str = "out", **args: Any) -> aws.vpc.SecurityGroupEgressRule:
    defaults = dict(security_group_id="sg-0a1b2c3d4e5f60710", ip_protocol="tcp", from_port=5432, to_port=5432,
                    cidr_ipv4="10.20.0.0/16", description="Aurora")
    return aws.vpc.SecurityGroupEgressRule(name, **{**defaults, **args})


# (id, violating program, compliant program, resource, field, what the message says)
CASES = [
    # Task definitions on Fargate
    ("fargate needs awsvpc", lambda: td(network_mode="bridge"), lambda: td(), "td", "networkMode", "awsvpc"),
    ("fargate needs task memory", lambda: td(memory=None), lambda: td(cpu="0.25 vCPU", memory="0.5 GB"),
     "td", "cpu/memory", "requires task-level cpu and memory"),
    ("fargate windows 1 vCPU",
     lambda: td(cpu="512", memory="1024", runtime_platform=WINDOWS),
     lambda: td(cpu="1024", memory="2048", runtime_platform=WINDOWS),
     "td", "cpu", "at least 1 vCPU"),
    ("fargate privileged", lambda: td(container(privileged=True)), lambda: td(container(privileged=False)),
     "td", "containerDefinitions[0].privileged", "not valid on Fargate"),
    ("fargate docker security options", lambda: td(container(dockerSecurityOptions=["no-new-privileges"])),
     lambda: td(container()), "td", "containerDefinitions[0].dockerSecurityOptions", "not valid on Fargate"),
    ("fargate devices", lambda: td(container(linuxParameters={"devices": [{"hostPath": "/dev/fuse"}]})),
     lambda: td(container(linuxParameters={"initProcessEnabled": True})),
     "td", "linuxParameters.devices", "not supported on Fargate"),
    ("fargate shared memory", lambda: td(container(linuxParameters={"sharedMemorySize": 64})),
     lambda: td(container(linuxParameters={"initProcessEnabled": True})),
     "td", "linuxParameters.sharedMemorySize", "not supported on Fargate"),
    ("fargate capabilities", lambda: td(container(linuxParameters={"capabilities": {"add": ["NET_ADMIN"]}})),
     lambda: td(container(linuxParameters={"capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]}})),
     "td", "capabilities.add", "only the SYS_PTRACE"),
    ("fargate gpu", lambda: td(container(resourceRequirements=[{"type": "GPU", "value": "1"}])),
     lambda: td(container()), "td", "resourceRequirements[0].type", "GPUs are not available"),
    ("fargate ipc mode", lambda: td(ipc_mode="task"), lambda: td(), "td", "ipcMode", "not valid on Fargate"),
    ("fargate pid mode", lambda: td(pid_mode="host"), lambda: td(pid_mode="task"), "td", "pidMode", "pidMode task"),
    ("fargate placement constraints",
     lambda: td(placement_constraints=[{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}]),
     lambda: td(), "td", "placementConstraints", "not valid on Fargate"),
    ("fargate docker volume",
     lambda: td(volumes=[{"name": "data", "docker_volume_configuration": {"scope": "task"}}]),
     lambda: td(volumes=[{"name": "data"}]), "td", "volumes[0].dockerVolumeConfiguration", "bind mount or EFS"),
    ("fargate host path", lambda: td(volumes=[{"name": "data", "host_path": "/data"}]),
     lambda: td(volumes=[{"name": "data"}]), "td", "volumes[0].host.sourcePath", "without a host sourcePath"),
    ("fargate stop timeout", lambda: td(container(stopTimeout=150)), lambda: td(container(stopTimeout=120)),
     "td", "containerDefinitions[0].stopTimeout", "stopTimeout 0 to 120"),
    ("fargate start timeout", lambda: td(container(startTimeout=1)), lambda: td(container(startTimeout=2)),
     "td", "containerDefinitions[0].startTimeout", "startTimeout 2 to 120"),
    ("ephemeral storage", lambda: td(ephemeral_storage={"size_in_gib": 20}),
     lambda: td(ephemeral_storage={"size_in_gib": 21}), "td", "ephemeralStorage.sizeInGiB", "21 to 200"),
    ("fargate log driver", lambda: td(container(logConfiguration={"logDriver": "json-file"})),
     lambda: td(container(logConfiguration=logs())), "td", "logConfiguration.logDriver",
     "awslogs, splunk, awsfirelens"),
    # Task definitions, any launch type
    ("container memory above task", lambda: td(container(memory=1024)), lambda: td(container(memory=512)),
     "td", "containerDefinitions[0].memory", "may not exceed the task's 512"),
    ("memory not above reservation", lambda: td(container(memory=256, memoryReservation=512)),
     lambda: td(container(memory=512, memoryReservation=256)), "td", "containerDefinitions[0].memory",
     "greater than memoryReservation"),
    ("reservations above task memory",
     lambda: td(container(memoryReservation=300), container(name="sidecar", memoryReservation=300, essential=False)),
     lambda: td(container(memoryReservation=256), container(name="sidecar", memoryReservation=256, essential=False)),
     "td", "memory", "reserve 600 MiB"),
    ("container needs memory without task memory", lambda: ec2_td(container()), lambda: ec2_td(container(memory=256)),
     "td", "containerDefinitions[0].memory", "needs memory or memoryReservation"),
    ("container cpu above task", lambda: td(container(cpu=200), container(name="b", cpu=200, essential=False)),
     lambda: td(container(cpu=128), container(name="b", cpu=128, essential=False)), "td", "cpu",
     "reserve 400 CPU units"),
    ("an essential container", lambda: td(container(essential=False)), lambda: td(container()),
     "td", "containerDefinitions", "at least one essential container"),
    ("unique container names", lambda: td(container(), container(essential=False)),
     lambda: td(container(), container(name="sidecar", essential=False)), "td", "containerDefinitions[1].name",
     "must be unique"),
    ("container name characters", lambda: td(container(name="app.web")), lambda: td(container(name="app-web")),
     "td", "containerDefinitions[0].name", "letters, digits"),
    ("depends on a container of the task", lambda: td(container(dependsOn=[{"containerName": "db",
                                                                            "condition": "START"}])),
     lambda: td(container(dependsOn=[{"containerName": "init", "condition": "START"}]),
                container(name="init", essential=False)),
     "td", "dependsOn[0].containerName", "another container of this task"),
    ("healthy needs a health check",
     lambda: td(container(dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]), container(name="db")),
     lambda: td(container(dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
                container(name="db", healthCheck={"command": ["CMD", "true"]})),
     "td", "dependsOn[0].condition", "needs a healthCheck"),
    ("success waits for a non-essential container",
     lambda: td(container(dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]), container(name="init")),
     lambda: td(container(dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
                container(name="init", essential=False)),
     "td", "dependsOn[0].condition", "essential container init"),
    ("hostname with awsvpc", lambda: ec2_td(container(memory=256, hostname="app")), lambda: ec2_td(),
     "td", "containerDefinitions[0].hostname", "not supported with networkMode awsvpc"),
    ("links outside bridge", lambda: ec2_td(container(memory=256, links=["db"])),
     lambda: ec2_td(container(memory=256, links=["db"]), container(name="db", memory=128), network_mode="bridge"),
     "td", "containerDefinitions[0].links", "not supported with networkMode awsvpc"),
    ("host port equals container port", lambda: td(container(portMappings=[{"containerPort": 8080, "hostPort": 80}])),
     lambda: td(container(portMappings=[{"containerPort": 8080, "hostPort": 8080}])),
     "td", "portMappings[0].hostPort", "equal containerPort 8080"),
    ("arm64 is linux only",
     lambda: ec2_td(runtime_platform={**WINDOWS, "cpu_architecture": "ARM64"}),
     lambda: ec2_td(runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}),
     "td", "runtimePlatform.cpuArchitecture", "ARM64 runs Linux tasks only"),
    ("windows read-only root",
     lambda: ec2_td(container(memory=256, readonlyRootFilesystem=True),
                    runtime_platform=WINDOWS),
     lambda: ec2_td(runtime_platform=WINDOWS), "td", "readonlyRootFilesystem", "not supported for Windows"),
    ("container health check interval", lambda: td(container(healthCheck={"command": ["CMD", "true"], "interval": 3})),
     lambda: td(container(healthCheck={"command": ["CMD", "true"], "interval": 5})), "td", "healthCheck.interval",
     "interval 5 to 300"),
    ("container health check timeout", lambda: td(container(healthCheck={"command": ["CMD", "true"], "timeout": 61})),
     lambda: td(container(healthCheck={"command": ["CMD", "true"], "timeout": 60})), "td", "healthCheck.timeout",
     "timeout 2 to 60"),
    ("container health check retries", lambda: td(container(healthCheck={"command": ["CMD", "true"], "retries": 11})),
     lambda: td(container(healthCheck={"command": ["CMD", "true"], "retries": 10})), "td", "healthCheck.retries",
     "retries 1 to 10"),
    ("container health check start period",
     lambda: td(container(healthCheck={"command": ["CMD", "true"], "startPeriod": 301})),
     lambda: td(container(healthCheck={"command": ["CMD", "true"], "startPeriod": 300})), "td",
     "healthCheck.startPeriod", "startPeriod 0 to 300"),
    ("container health check command", lambda: td(container(healthCheck={"command": ["curl", "localhost"]})),
     lambda: td(container(healthCheck={"command": ["CMD-SHELL", "curl localhost"]})), "td", "healthCheck.command",
     "CMD or CMD-SHELL"),
    ("awslogs stream prefix on fargate",
     lambda: td(container(logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "app",
                                                                                 "awslogs-region": "us-east-1"}})),
     lambda: td(container(logConfiguration=logs())), "td", "logConfiguration.options", "awslogs-stream-prefix"),
    ("awslogs mode", lambda: td(container(logConfiguration=logs(mode="async"))),
     lambda: td(container(logConfiguration=logs(mode="non-blocking"))), "td", "options.mode",
     "non-blocking or blocking"),
    ("awslogs buffer size", lambda: td(container(logConfiguration=logs(**{"max-buffer-size": "25 megabytes"}))),
     lambda: td(container(logConfiguration=logs(mode="non-blocking", **{"max-buffer-size": "25m"}))),
     "td", "options.max-buffer-size", "a size such as 25m"),
    ("awsfirelens needs a router", lambda: td(container(logConfiguration={"logDriver": "awsfirelens"})),
     lambda: td(container(logConfiguration={"logDriver": "awsfirelens"}),
                container(name="router", essential=False, firelensConfiguration={"type": "fluentbit"})),
     "td", "logConfiguration.logDriver", "log router container"),
    ("awslogs group by name", lambda: logging_to("arn"), lambda: logging_to("name"),
     "td", "awslogs-group", "must be the name of a log group"),
    ("awslogs group exists first",
     lambda: aws.cloudwatch.LogGroup("app-logs", name="app", retention_in_days=7) and td(container(
         logConfiguration=logs())),
     lambda: td(container(logConfiguration=logs()), opts=pulumi.ResourceOptions(depends_on=[
         aws.cloudwatch.LogGroup("app-logs", name="app", retention_in_days=7)])),
     "td", "awslogs-group", "must exist before the tasks start"),
    # Services and clusters
    ("service launch type or strategy", lambda: web(launch_type="FARGATE"), lambda: web(),
     "svc", "launchType", "mutually exclusive"),
    ("one base per strategy",
     lambda: web(strategy=(), associated=("FARGATE", "FARGATE_SPOT"), capacity_provider_strategies=[
         {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
         {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 1}]),
     lambda: web(strategy=(), associated=("FARGATE", "FARGATE_SPOT"), capacity_provider_strategies=[
         {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
         {"capacity_provider": "FARGATE_SPOT", "weight": 1}]),
     "svc", "capacityProviderStrategy", "only one capacity provider may have a base"),
    ("a weight above zero",
     lambda: web(strategy=(), associated=("FARGATE", "FARGATE_SPOT"), capacity_provider_strategies=[
         {"capacity_provider": "FARGATE", "weight": 0, "base": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 0}]),
     lambda: web(strategy=(), associated=("FARGATE", "FARGATE_SPOT"), capacity_provider_strategies=[
         {"capacity_provider": "FARGATE", "weight": 0, "base": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 1}]),
     "svc", "capacityProviderStrategy", "weight above 0"),
    ("capacity providers associated with the cluster", lambda: web(strategy=("FARGATE_SPOT",)),
     lambda: web(strategy=("FARGATE_SPOT",), associated=("FARGATE", "FARGATE_SPOT")),
     "svc", "capacityProviderStrategy[0].capacityProvider", "no association with FARGATE_SPOT"),
    ("cluster default strategy associated",
     lambda: aws.ecs.ClusterCapacityProviders("main", cluster_name="main", capacity_providers=["FARGATE"],
                                              default_capacity_provider_strategies=[
                                                  {"capacity_provider": "FARGATE_SPOT", "weight": 1}]),
     lambda: aws.ecs.ClusterCapacityProviders("main", cluster_name="main", capacity_providers=["FARGATE_SPOT"],
                                              default_capacity_provider_strategies=[
                                                  {"capacity_provider": "FARGATE_SPOT", "weight": 1}]),
     "main", "defaultCapacityProviderStrategy[0].capacityProvider", "associated here"),
    ("awsvpc service needs a network configuration", lambda: web(network=False), lambda: web(),
     "svc", "networkConfiguration", "needs a networkConfiguration"),
    ("load balancer container name", lambda: web(lb_container="web"), lambda: web(),
     "svc", "loadBalancers[0].containerName", "has no container 'web'"),
    ("load balancer container port", lambda: web(lb_port=80), lambda: web(),
     "svc", "loadBalancers[0].containerPort", "maps no containerPort 80"),
    ("ip targets for awsvpc", lambda: web(target_type="instance"), lambda: web(), "tg", "TargetType", "target type ip"),
    ("no daemons on fargate", lambda: web(scheduling_strategy="DAEMON", desired_count=None), lambda: web(),
     "svc", "schedulingStrategy", "REPLICA scheduling strategy only"),
    ("container insights values",
     lambda: aws.ecs.Cluster("main", settings=[{"name": "containerInsights", "value": "on"}]),
     lambda: aws.ecs.Cluster("main", settings=[{"name": "containerInsights", "value": "enhanced"}]),
     "main", "settings[0].value", "enhanced, enabled or disabled"),
    ("exec logging override needs a destination",
     lambda: aws.ecs.Cluster("main", configuration={"execute_command_configuration": {"logging": "OVERRIDE"}}),
     lambda: aws.ecs.Cluster("main", configuration={"execute_command_configuration": {
         "logging": "OVERRIDE", "log_configuration": {"cloud_watch_log_group_name": "exec"}}}),
     "main", "logConfiguration", "needs a logConfiguration"),
    # Load balancers, target groups, listeners and rules
    ("elb name characters", lambda: target_group("tg", name="my_tg"), lambda: target_group("tg", name="my-tg"),
     "tg", "Name", "letters, digits and hyphens"),
    ("load balancer name prefix",
     lambda: alb(name="internal-web"), lambda: alb(name="web-internal"),
     "alb", "Name", "internal-"),
    ("desync mitigation mode", lambda: alb(desync_mitigation_mode="paranoid"),
     lambda: alb(desync_mitigation_mode="strictest"),
     "alb", "Attributes", "monitor or defensive or strictest"),
    ("idle timeout", lambda: alb(idle_timeout=5000), lambda: alb(idle_timeout=4000),
     "alb", "Attributes", "1 to 4000"),
    ("access logs need a bucket",
     lambda: alb(access_logs={"enabled": True, "bucket": ""}),
     lambda: alb(access_logs={"enabled": True, "bucket": "logs"}),
     "alb", "Attributes", "access_logs.s3.bucket is required"),
    ("deregistration delay", lambda: target_group(deregistration_delay=3601),
     lambda: target_group(deregistration_delay=3600), "tg", "Attributes[0].Value", "0 to 3600"),
    ("slow start", lambda: target_group(slow_start=10), lambda: target_group(slow_start=30),
     "tg", "Attributes[0].Value", "30 to 900"),
    ("ip target groups need a vpc", lambda: target_group(vpc_id=None), lambda: target_group(),
     "tg", "VpcId", "needs VpcId"),
    ("health check timeout below interval",
     lambda: target_group(health_check={"interval": 5, "timeout": 5, "path": "/health"}),
     lambda: target_group(health_check={"interval": 6, "timeout": 5, "path": "/health"}),
     "tg", "HealthCheckTimeoutSeconds", "less than the interval 5"),
    ("alb matcher codes", lambda: target_group(health_check={"matcher": "200-599", "path": "/health"}),
     lambda: target_group(health_check={"matcher": "200-499", "path": "/health"}), "tg", "Matcher.HttpCode",
     "200 to 499"),
    ("no tcp health check of an http target group", lambda: target_group(health_check={"protocol": "TCP"}),
     lambda: target_group(health_check={"protocol": "HTTP", "path": "/health"}), "tg", "HealthCheckProtocol",
     "can't be health-checked over TCP"),
    ("alb listener protocols", lambda: listener(protocol="TCP"), lambda: listener(protocol="HTTP"),
     "listener", "Protocol", "listens on HTTP, HTTPS"),
    ("https needs a certificate", lambda: listener(protocol="HTTPS", port=443),
     lambda: https(ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06"), "listener", "Certificates",
     "exactly one certificate"),
    ("http takes no ssl policy", lambda: listener(ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06"), lambda: listener(),
     "listener", "SslPolicy", "takes no SslPolicy"),
    ("predefined ssl policies",
     lambda: https(ssl_policy="TLS13-1-2-2021-06"),
     lambda: https(ssl_policy="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"),
     "listener", "SslPolicy", "ELBSecurityPolicy-*"),
    ("one final action", lambda: listener(default_actions=[
        {"type": "fixed-response", "order": 1, "fixed_response": {"content_type": "text/plain", "status_code": "404"}},
        {**redirect(protocol="HTTPS", port="443"), "order": 2}]),
     lambda: listener(default_actions=[{**redirect(protocol="HTTPS", port="443"), "order": 1}]),
     "listener", "DefaultActions", "exactly one forward, redirect or fixed-response"),
    ("fixed response content type", lambda: listener(default_actions=[
        {"type": "fixed-response", "fixed_response": {"content_type": "text/xml", "status_code": "404"}}]),
     lambda: listener(default_actions=[
         {"type": "fixed-response", "fixed_response": {"content_type": "application/json", "status_code": "404"}}]),
     "listener", "ContentType", "text/plain"),
    ("no redirect from https to http", lambda: https(default_actions=[redirect(protocol="HTTP", port="80")]),
     lambda: https(default_actions=[redirect(host="www.example.com")]),
     "listener", "RedirectConfig", "can't redirect to HTTP"),
    ("no redirect loop", lambda: listener(default_actions=[redirect(protocol="HTTP", port="80")]),
     lambda: listener(default_actions=[redirect(protocol="HTTPS", port="443")]),
     "listener", "RedirectConfig", "redirects to itself"),
    ("redirect path", lambda: listener(default_actions=[redirect(path="new/#{path}")]),
     lambda: listener(default_actions=[redirect(path="/new/#{path}")]),
     "listener", "RedirectConfig", "must start with /"),
    ("one type per condition", lambda: aws.lb.ListenerRule(
        "rule", listener_arn=LISTENER, priority=10, actions=FIXED_404,
        conditions=[{"path_pattern": {"values": ["/a/*"]}, "host_header": {"values": ["a.example.com"]}}]),
     lambda: aws.lb.ListenerRule("rule", listener_arn=LISTENER, priority=10, actions=FIXED_404, conditions=[
         {"path_pattern": {"values": ["/a/*"]}}, {"host_header": {"values": ["a.example.com"]}}]),
     "rule", "Conditions[0]", "exactly one type"),
    ("one path condition per rule", lambda: aws.lb.ListenerRule(
        "rule", listener_arn=LISTENER, priority=10, actions=FIXED_404,
        conditions=[{"path_pattern": {"values": ["/a/*"]}}, {"path_pattern": {"values": ["/b/*"]}}]),
     lambda: aws.lb.ListenerRule("rule", listener_arn=LISTENER, priority=10, actions=FIXED_404, conditions=[
         {"path_pattern": {"values": ["/a/*", "/b/*"]}}]),
     "rule", "Conditions", "one path-pattern condition"),
    ("three values per condition", lambda: rule("rule", 10, ["/a/*", "/b/*", "/c/*", "/d/*"]),
     lambda: rule("rule", 10, ["/a/*", "/b/*", "/c/*"]), "rule", "Conditions[0]", "at most 3 values"),
    ("stickiness duration at most a week", lambda: target_group(stickiness={"type": "lb_cookie",
                                                                          "cookie_duration": 604801}),
     lambda: target_group(stickiness={"type": "lb_cookie", "cookie_duration": 604800}), "tg", "Value",
     "stickiness.lb_cookie.duration_seconds must be 1 to 604800"),
    ("application cookie name not reserved", lambda: target_group(stickiness={
        "type": "app_cookie", "cookie_name": "AWSALBSESSION", "cookie_duration": 60}),
     lambda: target_group(stickiness={"type": "app_cookie", "cookie_name": "SESSION", "cookie_duration": 60}),
     "tg", "Value", "must not start with AWSALB"),
    ("app cookie stickiness needs a cookie name", lambda: target_group(stickiness={"type": "app_cookie"}),
     lambda: target_group(stickiness={"type": "app_cookie", "cookie_name": "SESSION"}), "tg", "Attributes",
     "needs stickiness.app_cookie.cookie_name"),
    ("listener certificates go on an https listener", lambda: aws.lb.ListenerCertificate(
        "extra", listener_arn=listener().arn, certificate_arn=OTHER_CERTIFICATE),
     lambda: aws.lb.ListenerCertificate("extra", listener_arn=https().arn, certificate_arn=OTHER_CERTIFICATE),
     "extra", "ListenerArn", "HTTPS or TLS listener"),
    ("a certificate is added to a listener once", lambda: [aws.lb.ListenerCertificate(
        name, listener_arn=own.arn, certificate_arn=OTHER_CERTIFICATE) for own in [https()] for name in ("a", "b")],
     lambda: [aws.lb.ListenerCertificate(name, listener_arn=own.arn, certificate_arn=arn) for own in [https()]
              for name, arn in (("a", OTHER_CERTIFICATE), ("b", CERTIFICATE.replace("0f5a", "1f5a")))],
     "b", "Certificates", "already added to this listener by a"),
    ("the default certificate is not added again", lambda: aws.lb.ListenerCertificate(
        "extra", listener_arn=https().arn, certificate_arn=CERTIFICATE),
     lambda: aws.lb.ListenerCertificate("extra", listener_arn=https().arn, certificate_arn=OTHER_CERTIFICATE),
     "extra", "Certificates", "default certificate already"),
    ("alb forwards to http target groups", lambda: listener(default_actions=[
        {"type": "forward", "target_group_arn": target_group(protocol="TCP").arn}]),
     lambda: listener(default_actions=[{"type": "forward", "target_group_arn": target_group().arn}]),
     "listener", "DefaultActions[0]", "forwards to HTTP or HTTPS target groups"),
    # Alarms and log groups
    ("alarm period 20 is allowed, 45 is not", lambda: alarm(period=45), lambda: alarm(period=20),
     "alarm", "Period", "10, 20, 30 or a multiple of 60"),
    ("alarm evaluation range", lambda: alarm(evaluation_periods=1441), lambda: alarm(evaluation_periods=1440),
     "alarm", "EvaluationPeriods", "at most 86400"),
    ("metrics or metric name", lambda: math_alarm([query("visible"), query("inflight"), SUM], metric_name="x"),
     lambda: math_alarm([query("visible"), query("inflight"), SUM]), "alarm", "MetricName", "takes none of"),
    ("statistic or extended statistic", lambda: alarm(extended_statistic="p99"),
     lambda: alarm(statistic=None, extended_statistic="p99"), "alarm", "Statistic", "exactly one of Statistic"),
    ("one query returns data", lambda: math_alarm([query("visible", return_data=True), query("inflight"), SUM]),
     lambda: math_alarm([query("visible"), query("inflight"), SUM]), "alarm", "Metrics", "exactly one metric query"),
    ("query ids", lambda: math_alarm([query("Visible"), query("inflight"),
                                      {**SUM, "expression": "Visible + inflight"}]),
     lambda: math_alarm([query("visible"), query("inflight"), SUM]), "alarm", "Metrics[0].Id", "lowercase letter"),
    ("datapoints within evaluation periods", lambda: alarm(evaluation_periods=2, datapoints_to_alarm=3),
     lambda: alarm(evaluation_periods=3, datapoints_to_alarm=2), "alarm", "DatapointsToAlarm", "EvaluationPeriods 2"),
    ("band operators need a band", lambda: alarm(comparison_operator="LessThanLowerOrGreaterThanUpperThreshold"),
     lambda: alarm(comparison_operator="GreaterThanOrEqualToThreshold"), "alarm", "ComparisonOperator",
     "anomaly detection band"),
    ("treat missing data values", lambda: alarm(treat_missing_data="zero"),
     lambda: alarm(treat_missing_data="notBreaching"), "alarm", "TreatMissingData", "breaching or notBreaching"),
    ("low sample count values",
     lambda: alarm(statistic=None, extended_statistic="p99", evaluate_low_sample_count_percentiles="always"),
     lambda: alarm(statistic=None, extended_statistic="p99", evaluate_low_sample_count_percentiles="ignore"),
     "alarm", "EvaluateLowSampleCountPercentile", "evaluate or ignore"),
    ("alarm actions", lambda: alarm(alarm_actions=["arn:aws:sqs:us-east-1:123456789012:alerts"]),
     lambda: alarm(alarm_actions=[TOPIC]), "alarm", "AlarmActions[0]", "SNS topic"),
    ("log retention", lambda: aws.cloudwatch.LogGroup("logs", retention_in_days=10),
     lambda: aws.cloudwatch.LogGroup("logs", retention_in_days=14), "logs", "retentionInDays", "retention period"),
    # Application Auto Scaling
    ("policy needs a registered target", lambda: scaling(target=False), lambda: scaling(),
     "cpu", "ResourceId", "no scalable target of this program"),
    ("policy matches its target", lambda: scaling(resource_id="service/main/other"), lambda: scaling(),
     "cpu", "ResourceId", "no scalable target of this program"),
    ("target tracking needs its configuration",
     lambda: scaling({"target_tracking_scaling_policy_configuration": None}), lambda: scaling(),
     "cpu", "TargetTrackingScalingPolicyConfiguration", "needs TargetTrackingScalingPolicyConfiguration"),
    ("request count needs a resource label", lambda: scaling(requests_per_target()),
     lambda: scaling(requests_per_target("app/web/0123456789abcdef/targetgroup/api/fedcba9876543210")),
     "cpu", "ResourceLabel", "needs the ResourceLabel"),
    ("negative step bound needs an open step", lambda: aws.appautoscaling.Policy(
        "steps", policy_type="StepScaling", step_scaling_policy_configuration={
            "adjustment_type": "ChangeInCapacity", "step_adjustments": [
                {"metric_interval_lower_bound": "-10", "metric_interval_upper_bound": "0", "scaling_adjustment": -1}]},
        **SCALING, opts=pulumi.ResourceOptions(depends_on=[aws.appautoscaling.Target(
            "target", min_capacity=1, max_capacity=4, **SCALING)])),
     lambda: aws.appautoscaling.Policy(
         "steps", policy_type="StepScaling", step_scaling_policy_configuration={
             "adjustment_type": "ChangeInCapacity", "step_adjustments": [
                 {"metric_interval_upper_bound": "0", "scaling_adjustment": -1}]},
         **SCALING, opts=pulumi.ResourceOptions(depends_on=[aws.appautoscaling.Target(
             "target", min_capacity=1, max_capacity=4, **SCALING)])),
     "steps", "StepAdjustments", "open lower bound"),
    # SQS
    ("fifo queue names", lambda: aws.sqs.Queue("jobs", name="jobs", fifo_queue=True),
     lambda: aws.sqs.Queue("jobs", name="jobs.fifo", fifo_queue=True), "jobs", "QueueName", "must end with .fifo"),
    ("one kind of queue encryption",
     lambda: aws.sqs.Queue("jobs", kms_master_key_id="alias/aws/sqs", sqs_managed_sse_enabled=True),
     lambda: aws.sqs.Queue("jobs", kms_master_key_id="alias/aws/sqs"), "jobs", "SqsManagedSseEnabled", "one kind"),
    ("fifo attributes on fifo queues", lambda: aws.sqs.Queue("jobs", content_based_deduplication=True),
     lambda: aws.sqs.Queue("jobs", name="jobs.fifo", fifo_queue=True, content_based_deduplication=True),
     "jobs", "ContentBasedDeduplication", "FIFO queues only"),
    ("largest message size is 1 MiB", lambda: aws.sqs.Queue("jobs", max_message_size=1048577),
     lambda: aws.sqs.Queue("jobs", max_message_size=1048576), "jobs", "MaximumMessageSize", "1024 to 1048576"),
    ("max receive count", lambda: aws.sqs.Queue("jobs", redrive_policy=json.dumps({
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 0})),
     lambda: aws.sqs.Queue("jobs", redrive_policy=json.dumps({
         "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 5})),
     "jobs", "maxReceiveCount", "1 to 1000"),
    ("dead-letter queue of the same kind", lambda: queues({"fifo_queue": True, "name": "work.fifo"}),
     lambda: queues({"fifo_queue": True, "name": "work.fifo"}, {"fifo_queue": True, "name": "dlq.fifo"}),
     "work", "deadLetterTargetArn", "needs a FIFO dead-letter queue"),
    ("dead-letter queue keeps messages longer", lambda: queues({"message_retention_seconds": 345600},
                                                               {"message_retention_seconds": 86400}),
     lambda: queues({"message_retention_seconds": 345600}), "dlq", "MessageRetentionPeriod", "longer than its source"),
    ("redrive permission values", lambda: aws.sqs.Queue("dlq", redrive_allow_policy=json.dumps(
        {"redrivePermission": "someQueues"})),
     lambda: aws.sqs.Queue("dlq", redrive_allow_policy=json.dumps({"redrivePermission": "denyAll"})),
     "dlq", "redrivePermission", "allowAll, denyAll or byQueue"),
    ("dead-letter queue allows the source", lambda: queues(dead={"redrive_allow_policy": json.dumps(
        {"redrivePermission": "denyAll"})}),
     lambda: queues(dead={"redrive_allow_policy": json.dumps({"redrivePermission": "allowAll"})}),
     "work", "RedrivePolicy", "does not allow this queue"),
    # IAM
    ("trust policy principal", lambda: aws.iam.Role("role", assume_role_policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})),
     lambda: aws.iam.Role("role", assume_role_policy=ALLOW), "role", "AssumeRolePolicyDocument", "needs a Principal"),
    # Security groups
    ("rule needs a destination", lambda: egress(cidr_ipv4=None), lambda: egress(), "out", "IpPermissions[0]",
     "exactly one of"),
    ("rule ports in order", lambda: egress(from_port=6380, to_port=6379), lambda: egress(from_port=6379, to_port=6380),
     "out", "FromPort", "FromPort not above ToPort"),
    ("rule description characters", lambda: egress(description="Aurora <primary>"),
     lambda: egress(description="Aurora (primary)"), "out", "Description", "._-:/()#"),
    # Of two clashing resources the one later by URN is reported, whichever reaches the engine first.
    ("rule not twice on a group", lambda: (egress(), egress("out-again")),
     lambda: (egress(), egress("out-again", to_port=5433)),
     "out-again", "IpPermissions[0]", "InvalidPermission.Duplicate"),
    ("five groups per task",
     lambda: service(network_configuration={"subnets": ["subnet-a"], "security_groups": GROUPS[:6]}),
     lambda: service(network_configuration={"subnets": ["subnet-a"], "security_groups": GROUPS[:5]}),
     "svc", "securityGroups", "at most 5"),
    # SNS topics and subscriptions
    ("fifo topic name", lambda: aws.sns.Topic("t", name="orders", fifo_topic=True),
     lambda: aws.sns.Topic("t", name="orders.fifo", fifo_topic=True), "t", "Name", "must end with .fifo"),
    ("fifo topic to standard queue", lambda: subscribed(fifo_topic=True, fifo_queue=False),
     lambda: subscribed(fifo_topic=True, fifo_queue=True), "sub", "Endpoint", "FIFO queues only"),
    ("filter policy attribute names", lambda: subscribed(filter_policy=json.dumps({k: ["x"] for k in "abcdef"})),
     lambda: subscribed(filter_policy=json.dumps({k: ["x"] for k in "abcde"})), "sub", "FilterPolicy", "at most 5"),
]


def subscribed(*, fifo_topic: bool = False, fifo_queue: bool = False, **extra: Any) -> None:
    suffix = lambda fifo: ".fifo" if fifo else ""  # noqa: E731
    topic = aws.sns.Topic("t", name=f"orders{suffix(fifo_topic)}", fifo_topic=fifo_topic or None)
    queue = aws.sqs.Queue("q", name=f"work{suffix(fifo_queue)}", fifo_queue=fifo_queue or None)
    aws.sns.TopicSubscription("sub", topic=topic.arn, protocol="sqs", endpoint=queue.arn, **extra)


@pytest.mark.parametrize(("violating", "compliant", "resource", "field", "snippet"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_documented_rule(violating: Build, compliant: Build, resource: str, field: str, snippet: str) -> None:
    flagged(violating, resource, field, snippet)
    assert lines(compliant) == []


# At a first preview -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_pass_at_a_first_preview(stack: str) -> None:
    report = fidelity.check(run_stack(ROOT, stack, preview=True))
    assert [v.line() for v in report.violations] == [] and report.unknown


def test_cross_resource_rules_follow_dependencies_when_arns_are_unknown() -> None:
    # At a preview the service's task definition and target group ARNs are unknown; the rule still finds them.
    flagged(lambda: web(lb_container="web"), "svc", "loadBalancers[0].containerName", "has no container 'web'",
            first_preview=True)


def test_rule_priorities_on_different_listeners_do_not_collide_at_a_preview() -> None:
    def build() -> None:
        for name in ("a", "b"):
            own = listener(name, alb(f"{name}-alb"))
            aws.lb.ListenerRule(f"{name}-rule", listener_arn=own.arn, priority=10, actions=FIXED_404,
                                conditions=[{"path_pattern": {"values": ["/x/*"]}}])
    assert lines(build, first_preview=True) == []


def test_duplicate_priority_on_one_listener_is_caught_at_a_preview() -> None:
    def build() -> None:
        own = listener()
        for name in ("a", "b"):
            aws.lb.ListenerRule(name, listener_arn=own.arn, priority=10, actions=FIXED_404,
                                conditions=[{"path_pattern": {"values": [f"/{name}/*"]}}])
    (line,) = lines(build, first_preview=True)
    assert "Priority: priority 10 is already used on this listener by" in line


def test_a_value_not_known_until_deployment_is_skipped_not_flagged() -> None:
    # The period comes from a value AWS assigns: a preview can't know it, a deployment (the mocks) can.
    def build() -> None:
        queue = aws.sqs.Queue("q")
        alarm(period=queue.arn.apply(lambda _: 45))
    assert lines(build, first_preview=True) == []
    flagged(build, "alarm", "Period", "multiple of 60")


def test_unknown_redrive_target_is_followed_to_the_queue_it_depends_on() -> None:
    flagged(lambda: queues({"fifo_queue": True, "name": "work.fifo"}), "work", "deadLetterTargetArn",
            "needs a FIFO dead-letter queue", first_preview=True)


def test_violation_messages_are_one_line_and_say_what_was_given() -> None:
    report = fidelity.check(program(lambda: td(container(stopTimeout=150), network_mode="bridge")))
    assert report.violations
    assert all("\n" not in v.line() and "got" in v.message for v in report.violations), list(report.lines())


def test_a_service_waits_for_its_capacity_provider_association() -> None:
    def build(wait: bool) -> None:
        cluster = aws.ecs.Cluster("cluster")
        providers = aws.ecs.ClusterCapacityProviders("cluster", cluster_name=cluster.name,
                                                     capacity_providers=["FARGATE"])
        service(cluster=cluster.arn, capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}],
                opts=pulumi.ResourceOptions(depends_on=[providers] if wait else []))
    flagged(lambda: build(False), "svc", "capacityProviderStrategy", "must depend on ClusterCapacityProviders")
    assert lines(lambda: build(True)) == []


def _marked_unknown(value: Any, path: tuple[Any, ...]) -> Any:
    """``value`` with the item at ``path`` replaced by the engine's unknown marker."""
    if not path:
        return UNKNOWN
    copy = json.loads(json.dumps(value))
    inner = copy
    for step in path[:-1]:
        inner = inner[step]
    inner[path[-1]] = UNKNOWN
    return copy


def _paths(value: Any, depth: int) -> list[tuple[Any, ...]]:
    if depth == 0 or not isinstance(value, (dict, list)):
        return [()]
    keys = value if isinstance(value, dict) else range(len(value))
    return [()] + [(key, *rest) for key in keys for rest in _paths(value[key], depth - 1)]


def test_a_value_made_unknown_never_adds_a_violation(prod: ProgramRun) -> None:
    # Whatever a first preview leaves unknown, the rules skip it rather than flag it: replace any input of the prod
    # stack (down to the fields of each container definition) with the marker, and nothing new is flagged.
    each = [requests_for([resource]) for resource in prod.resources]  # a resource's requests are its own

    def flagged_fields(requests: list[Any]) -> set[tuple[str, str]]:
        # The documented rules only: the models validate no request with an unknown in it.
        return {(r.resource.name, field) for r, field, _ in constraints.run_checks(requests)}
    before = flagged_fields([request for requests in each for request in requests])
    for index, resource in enumerate(prod.resources):
        for key, value in resource.inputs.items():
            document = json.loads(value) if key == "containerDefinitions" else value
            for path in _paths(document, 3 if key == "containerDefinitions" else 2):
                marked = _marked_unknown(document, path)
                if path and key == "containerDefinitions":
                    marked = json.dumps(marked)
                changed = requests_for([dataclasses.replace(resource, inputs={**resource.inputs, key: marked})])
                requests = [r for i, requests in enumerate(each) for r in (changed if i == index else requests)]
                assert flagged_fields(requests) <= before, (resource.name, key, path)


def test_a_task_definition_a_service_runs_on_fargate_must_suit_fargate() -> None:
    # The task definition asks for EC2 only, but the service runs it on Fargate: ECS checks it against Fargate then.
    def build(mode: str) -> None:
        definition = ec2_td(network_mode=mode, cpu="256", memory="512")
        service(task_definition=definition.arn, launch_type="FARGATE",
                network_configuration={"subnets": ["subnet-a"]} if mode == "awsvpc" else None)
    flagged(lambda: build("bridge"), "td", "networkMode",
            "Fargate (service svc runs it there) requires networkMode awsvpc")
    assert lines(lambda: build("awsvpc")) == []


def test_windows_tasks_do_not_run_on_fargate_spot() -> None:
    def build(provider: str) -> None:
        definition = td(cpu="1024", memory="2048", runtime_platform=WINDOWS)
        service(task_definition=definition.arn, capacity_provider_strategies=[{"capacity_provider": provider,
                                                                               "weight": 1}])
    flagged(lambda: build("FARGATE_SPOT"), "svc", "capacityProviderStrategy", "FARGATE_SPOT runs Linux tasks only")
    assert lines(lambda: build("FARGATE")) == []


def test_requests_per_target_counts_a_target_group_of_the_scaled_service() -> None:
    # The resource label names the program's target group "other", which the service is not attached to.
    def build(attached: str) -> None:
        balancer, groups = alb(), {name: target_group(name) for name in ("tg", "other")}
        cluster = aws.ecs.Cluster("cluster")
        svc = service(cluster=cluster.arn, task_definition=td(container(portMappings=[{"containerPort": 8080}])).arn,
                      load_balancers=[{"target_group_arn": groups[attached].arn, "container_name": "app",
                                       "container_port": 8080}])
        label = pulumi.Output.concat(balancer.arn_suffix, "/", groups["other"].arn_suffix)
        resource_id = pulumi.Output.concat("service/", cluster.name, "/", svc.name)
        target = aws.appautoscaling.Target("target", min_capacity=1, max_capacity=4, resource_id=resource_id,
                                           scalable_dimension="ecs:service:DesiredCount", service_namespace="ecs")
        aws.appautoscaling.Policy("requests", policy_type="TargetTrackingScaling", resource_id=target.resource_id,
                                  scalable_dimension=target.scalable_dimension,
                                  service_namespace=target.service_namespace,
                                  **requests_per_target(label))
    flagged(lambda: build("tg"), "requests", "ResourceLabel", "is not attached to service svc")
    flagged(lambda: build("tg"), "requests", "ResourceLabel", "is not attached to service svc", first_preview=True)
    assert lines(lambda: build("other")) == []


def test_more_than_25_listener_certificates_are_caught_at_a_preview() -> None:
    def build() -> None:
        own = https()
        for i in range(26):
            aws.lb.ListenerCertificate(f"c{i}", listener_arn=own.arn,
                                       certificate_arn=f"{OTHER_CERTIFICATE[:-2]}{i:02d}")
    assert any("at most 25 certificates" in line for line in lines(build, first_preview=True))
