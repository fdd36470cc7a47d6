"""Every mistake a person makes in a stack file or on the command line is refused in one line, with exit code 2,
before the program registers anything: fed through `ecs-platform plan` as a user would run it."""

from __future__ import annotations

import copy
import datetime
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import pytest
import yaml

from ecs_platform.toolchain.cli import main
from ecs_platform.offline import engine

from .conftest import ROOT
from .helpers import NS, Edit, both, delete, setting, watch_runs

DEV = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    registered: int


@pytest.fixture
def plan_stack(tmp_path: Path, capsys, monkeypatch) -> Callable[..., Outcome]:
    """Plan a copy of the project whose dev stack file is edited (or replaced by raw text)."""

    def plan(change: Union[Edit, str, None] = None, *args: str) -> Outcome:
        program = tmp_path / "program"
        if not program.exists():
            program.mkdir()
            for name in ("Pulumi.yaml", "__main__.py"):
                shutil.copy(ROOT / name, program / name)
        if isinstance(change, str):
            text = change
        else:
            stack = copy.deepcopy(DEV)
            if change is not None:
                change(stack["config"])
            text = yaml.safe_dump(stack, sort_keys=False)
        (program / "Pulumi.bad.yaml").write_text(text)
        monitors = watch_runs(monkeypatch)
        capsys.readouterr()
        code = main(["plan", "--stack", "bad", "--dir", str(program), "--pack", str(ROOT / "policies"), *args])
        out = capsys.readouterr()
        registered = sum(1 for m in monitors for r in m.registrations if r.type != "pulumi:pulumi:Stack")
        return Outcome(code, out.out, out.err, registered)

    return plan


DEV_TEXT = (ROOT / "Pulumi.dev.yaml").read_text()
SIDECAR = {"name": "proxy", "image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"}
REPORT = {"image": "public.ecr.aws/aws-cli/aws-cli:2.22.35", "schedule": "cron(0 3 * * ? *)"}

# (what was done, the edit, a key path the one line must name)
REFUSALS: list[tuple[str, Union[Edit, str], str]] = [
    # The file itself
    ("YAML syntax error", DEV_TEXT.replace("azCount: 2", "azCount: [2"), "line"),
    ("tab indentation", DEV_TEXT.replace("    azCount: 2", "\tazCount: 2"), "tab"),
    ("config is a list", "config:\n  - aws:region\n", "config"),
    ("a service pasted twice", DEV_TEXT.replace("    admin:\n", "    api:\n", 1), "'api' appears twice"),
    ("a top-level key written twice", DEV_TEXT + "  ecs-platform:logRetentionDays: 14\n", "appears twice"),
    # Namespaces and provider keys
    ("misspelt namespace", setting("ecs-platfrom:services", {}), "ecs-platfrom:services"),
    ("unknown aws key", setting("aws:profiel", "dev"), "aws:profiel"),
    ("default tags through aws:", setting("aws:defaultTags", {"tags": {"a": "b"}}), "aws:defaultTags"),
    # Region
    ("a region that does not exist", setting("aws:region", "us-east-7"), "aws:region"),
    ("a misspelt region", setting("aws:region", "eu-west-l"), "aws:region"),
    ("more AZs than the region has", both(setting("aws:region", "us-west-1"), setting("network.azCount", 3),
                                          setting("services.api.secrets", {})), f"{NS}:network.azCount"),
    ("a certificate in another region", both(
        setting("loadBalancer.protocol", "HTTPS"),
        setting("loadBalancer.certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc")),
     f"{NS}:loadBalancer.certificateArn"),
    ("an alarm topic in another region", setting("alarmTopicArn", "arn:aws:sns:us-west-2:123456789012:oncall"),
     f"{NS}:alarmTopicArn"),
    ("a KMS key in another partition", setting("workers.orders.queue.kmsKeyArn",
                                               "arn:aws-cn:kms:cn-north-1:123456789012:key/abc"),
     f"{NS}:workers.orders.queue.kmsKeyArn"),
    # Containers
    ("a sidecar named like its service", setting("services.api.sidecars", [{**SIDECAR, "name": "api"}]),
     f"{NS}:services.api.sidecars[0].name"),
    ("two sidecars of one name", setting("services.api.sidecars", [SIDECAR, SIDECAR]), f"{NS}:services.api.sidecars"),
    ("an image without a tag", setting("services.api.image", "public.ecr.aws/nginx/nginx-unprivileged"),
     f"{NS}:services.api.image"),
    ("a sidecar image without a tag", setting("services.api.sidecars", [{**SIDECAR, "image": "envoyproxy/envoy"}]),
     f"{NS}:services.api.sidecars[0].image"),
    ("a scratch path with a space", setting("services.api.scratchPaths", ["/var/my cache"]),
     f"{NS}:services.api.scratchPaths"),
    ("a user with a space", setting("services.api.user", "app user"), f"{NS}:services.api.user"),
    ("a secret in plain environment", setting("services.api.environment", {"DB_PASSWORD": "x"}),
     f"{NS}:services.api.environment.DB_PASSWORD"),
    ("a Secrets Manager ARN without its suffix", setting("services.api.secrets", {
        "DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/api/db-password"}),
     f"{NS}:services.api.secrets.DB_PASSWORD"),
    ("a scratch volume over the whole image", setting("services.api.scratchPaths", ["/"]),
     f"{NS}:services.api.scratchPaths"),
    ("a steady-state wait too short to deploy", setting("serviceDefaults.steadyStateTimeoutMinutes", 1),
     f"{NS}:serviceDefaults.steadyStateTimeoutMinutes"),
    ("an IAM resource that is not an ARN", setting("services.api.taskRolePolicy",
                                                   [{"actions": ["s3:GetObject"], "resources": ["my-bucket/*"]}]),
     f"{NS}:services.api.taskRolePolicy[0].resources"),
    ("an IAM action without a service", setting("services.api.taskRolePolicy",
                                                [{"actions": ["GetObject"], "resources": ["*"]}]),
     f"{NS}:services.api.taskRolePolicy[0].actions"),
    # Routing
    ("a matcher below 200", setting("services.api.healthCheck.matcher", "100-199"),
     f"{NS}:services.api.healthCheck.matcher"),
    ("a matcher above 499", setting("services.api.healthCheck.matcher", "200-599"),
     f"{NS}:services.api.healthCheck.matcher"),
    ("a host with a scheme", setting("services.api.hostHeaders", ["https://api.example.com"]),
     f"{NS}:services.api.hostHeaders"),
    ("a host with a port", setting("services.api.hostHeaders", ["api.example.com:8443"]),
     f"{NS}:services.api.hostHeaders"),
    ("a path without a leading slash", setting("services.api.pathPatterns", ["api/*"]),
     f"{NS}:services.api.pathPatterns"),
    ("four paths in one condition", setting("services.api.pathPatterns", ["/a/*", "/b/*", "/c/*", "/d/*"]),
     f"{NS}:services.api.pathPatterns"),
    ("sidecars that take the task's memory", setting("services.api.sidecars", [{**SIDECAR, "memoryReservation": 600}]),
     f"{NS}:services.api.sidecars"),
    ("one path on two services", setting("services.admin.pathPatterns", ["/api/*"]),
     f"{NS}:services.admin.pathPatterns"),
    ("a health check path without a slash", setting("services.api.healthCheck.path", "health"),
     f"{NS}:services.api.healthCheck.path"),
    # Scaling and queues
    ("a backlog key in steps mode", setting("workers.orders.scaling.acceptableLatencySeconds", 60),
     f"{NS}:workers.orders.scaling.acceptableLatencySeconds"),
    ("steps in backlog mode", setting("workers.orders.scaling", {"mode": "backlog", "scaleOutSteps": [
        {"messages": 10, "add": 1}]}), f"{NS}:workers.orders.scaling.scaleOutSteps"),
    ("a visibility timeout shorter than the stop timeout", setting("workers.orders.queue.visibilityTimeoutSeconds", 60),
     f"{NS}:workers.orders.queue.visibilityTimeoutSeconds"),
    ("a retention as long as the dead-letter queue's", setting("workers.orders.queue.messageRetentionSeconds", 1209600),
     f"{NS}:workers.orders.queue.messageRetentionSeconds"),
    ("min above max", setting("workers.orders.scaling.minTasks", 9), f"{NS}:workers.orders.scaling.minTasks"),
    ("desired outside the bounds", setting("services.api.desiredCount", 5), f"{NS}:services.api.desiredCount"),
    # Operations: Service Connect, progressive deployments, on-call alarms
    ("Service Connect without a namespace", setting("services.api.serviceConnect", {}),
     f"{NS}:services.api.serviceConnect"),
    ("a namespace given as an ARN", setting("cluster.serviceConnectNamespace",
                                            "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1"),
     f"{NS}:cluster.serviceConnectNamespace"),
    ("a caller that does not exist", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("services.api.serviceConnect", {"callers": ["admn"]})), f"{NS}:services.api.serviceConnect.callers"),
    ("a caller outside the namespace", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("services.api.serviceConnect", {"callers": ["orders"]})), f"{NS}:services.api.serviceConnect.callers"),
    ("callers of a worker", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("workers.orders.serviceConnect", {"callers": ["api"]})),
     f"{NS}:workers.orders.serviceConnect.callers"),
    ("a discovery name with capitals", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("services.api.serviceConnect", {"discoveryName": "Api"})),
     f"{NS}:services.api.serviceConnect.discoveryName"),
    ("two services under one discovery name", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("services.api.serviceConnect", {}),
        setting("services.admin.serviceConnect", {"discoveryName": "api"})),
     f"{NS}:services.admin.serviceConnect.discoveryName"),
    ("an unknown deployment strategy", setting("services.api.deployment", {"strategy": "gradual"}),
     f"{NS}:services.api.deployment.strategy"),
    ("a canary without an alarm topic", setting("services.api.deployment", {"strategy": "canary"}),
     f"{NS}:services.api.deployment.strategy"),
    ("a canary without room for two revisions", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("serviceDefaults.maximumPercent", 150),
        setting("services.api.deployment", {"strategy": "canary"})), f"{NS}:services.api.deployment.strategy"),
    ("bake times longer than pulumi up waits", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("serviceDefaults.waitForSteadyState", True),
        setting("services.api.deployment", {"strategy": "blueGreen", "bakeTimeMinutes": 60})),
     f"{NS}:services.api.deployment.strategy"),
    ("a canary share below 0.1", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("services.api.deployment", {"strategy": "canary", "canaryPercent": 0.05})),
     f"{NS}:services.api.deployment.canaryPercent"),
    ("a linear key on a canary", setting("services.api.deployment", {"strategy": "canary", "linearStepPercent": 10}),
     f"{NS}:services.api.deployment.linearStepPercent"),
    ("a deployment strategy on a worker", setting("workers.orders.deployment", {"strategy": "canary"}),
     f"{NS}:workers.orders.deployment"),
    ("alarm thresholds without a topic", setting("alarms", {"cpuPercent": 80}), f"{NS}:alarms"),
    ("a 5XX rate above 100%", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("services.api.alarms", {"target5xxRatePercent": 150})),
     f"{NS}:services.api.alarms.target5xxRatePercent"),
    ("a queue alarm on a web service", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("services.api.alarms", {"oldestMessageAgeSeconds": 60})),
     f"{NS}:services.api.alarms.oldestMessageAgeSeconds"),
    # Scheduled tasks
    ("a five-field cron", setting("scheduledTasks", {"report": {**REPORT, "schedule": "cron(0 3 * * *)"}}),
     f"{NS}:scheduledTasks.report.schedule"),
    ("a rate with a plural unit for 1", setting("scheduledTasks", {"report": {**REPORT, "schedule": "rate(1 days)"}}),
     f"{NS}:scheduledTasks.report.schedule"),
    ("a time zone that does not exist", setting("scheduledTasks", {"report": {**REPORT, "timezone": "Europe/Pariss"}}),
     f"{NS}:scheduledTasks.report.timezone"),
    ("more retries than Scheduler allows", setting("scheduledTasks", {"report": {
        **REPORT, "retry": {"maximumRetryAttempts": 200}}}), f"{NS}:scheduledTasks.report.retry.maximumRetryAttempts"),
    ("a capacity strategy on a scheduled task", setting("scheduledTasks", {"report": {
        **REPORT, "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}}),
     f"{NS}:scheduledTasks.report.capacityProviderStrategy"),
    ("a scheduled task named like a worker", setting("scheduledTasks", {"orders": REPORT}), f"{NS}:scheduledTasks"),
    ("a scheduled task without a schedule", setting("scheduledTasks", {"report": {"image": REPORT["image"]}}),
     f"{NS}:scheduledTasks.report.schedule"),
    # Image repositories
    ("a repository and an image", setting("services.api.repository", {"tag": "1.4.2"}),
     f"{NS}:services.api.repository"),
    ("no image and no repository", delete("services.api.image"), f"{NS}:services.api.image"),
    ("a repository with neither tag nor build", both(delete("services.api.image"),
                                                     setting("services.api.repository", {"keepImages": 5})),
     f"{NS}:services.api.repository.tag"),
    ("a repository tag that moves", both(delete("services.api.image"),
                                         setting("services.api.repository", {"tag": "latest"})),
     f"{NS}:services.api.repository.tag"),
    ("a build context that is not there", both(delete("workers.orders.image"), setting(
        "workers.orders.repository", {"build": {"context": "no-such-dir"}})),
     f"{NS}:workers.orders.repository.build.context"),
    ("keeping no image", both(delete("services.api.image"),
                              setting("services.api.repository", {"tag": "1.4.2", "keepImages": 0})),
     f"{NS}:services.api.repository.keepImages"),
    ("a repository key in another region", both(delete("services.api.image"), setting(
        "services.api.repository", {"tag": "1.4.2", "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc"})),
     f"{NS}:services.api.repository.kmsKeyArn"),
    # Budgets
    ("a negative budget", setting("budget", {"monthlyUsd": -5}), f"{NS}:budget.monthlyUsd"),
    ("an unknown budget enforcement", setting("budget", {"monthlyUsd": 50, "enforcement": "strict"}),
     f"{NS}:budget.enforcement"),
    ("a budget held to the minimum", setting("budget", {"monthlyUsd": 50, "count": "min"}), f"{NS}:budget.count"),
    # Tags
    ("an extra tag that overrides environment", setting("tags.extra", {"environment": "prod"}), f"{NS}:tags.extra"),
    ("no owner", delete("tags.owner"), f"{NS}:tags.owner"),
    # Misspelt keys at every level
    ("a misspelt top-level key", setting("logRetentionDay", 7), f"{NS}:logRetentionDay"),
    ("a misspelt section key", setting("network.azCuont", 2), f"{NS}:network.azCuont"),
    ("a misspelt service key", setting("services.api.autoscalling", {}), f"{NS}:services.api.autoscalling"),
    ("a misspelt key in a list item", setting("cluster.defaultCapacityProviderStrategy",
                                              [{"capacityProvider": "FARGATE", "wieght": 1}]),
     f"{NS}:cluster.defaultCapacityProviderStrategy[0].wieght"),
    ("a misspelt key in a sidecar", setting("services.api.sidecars", [{**SIDECAR, "essentail": True}]),
     f"{NS}:services.api.sidecars[0].essentail"),
    # Types and ranges
    ("a word for a number", setting("network.azCount", "two"), f"{NS}:network.azCount"),
    ("out of range", setting("network.azCount", 12), f"{NS}:network.azCount"),
    ("an unknown enum value", setting("network.natGateways", "perAz"), f"{NS}:network.natGateways"),
    ("a log retention CloudWatch does not offer", setting("logRetentionDays", 10), f"{NS}:logRetentionDays"),
    ("a Fargate size that does not exist", setting("services.api.memory", 3000), f"{NS}:services.api.memory"),
    ("an empty path list", setting("services.api.pathPatterns", []), f"{NS}:services.api.pathPatterns"),
    # Mistakes in the newer keys, and YAML read as Pulumi reads it (YAML 1.2, gopkg.in/yaml.v3)
    ("an unquoted date as a repository tag", both(delete("services.api.image"),
                                                  setting("services.api.repository", {"tag": datetime.date(2024, 6, 1)})),
     f"{NS}:services.api.repository.tag"),
    ("minutes:seconds for a number of seconds", DEV_TEXT.replace('      user: "101"\n', '      user: "101"\n'
                                                                 '      stopTimeoutSeconds: 2:00\n', 1),
     f"{NS}:services.api.stopTimeoutSeconds"),
    ("no for false", DEV_TEXT.replace("deletionProtection: false", "deletionProtection: no"),
     f"{NS}:loadBalancer.deletionProtection"),
    ("an SNS subscription ARN as the alarm topic",
     setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall:6f1b2c3d-1111-2222-3333-444455556666"),
     f"{NS}:alarmTopicArn"),
    ("a secret in another region", setting("services.api.secrets", {
        "DB": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/api/db-AbCdEf"}),
     f"{NS}:services.api.secrets.DB"),
    ("a secret in another partition", setting("services.api.secrets", {
        "DB": "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/dev/db"}),
     f"{NS}:services.api.secrets.DB"),
    ("a secret with a malformed region", setting("services.api.secrets", {
        "DB": "arn:aws:secretsmanager:us-east1:123456789012:secret:dev/api/db-AbCdEf"}),
     f"{NS}:services.api.secrets.DB"),
    ("a secret from another account without a KMS key", both(
        setting("aws:allowedAccountIds", ["123456789012"]),
        setting("services.api.secrets", {"DB": "arn:aws:secretsmanager:us-east-1:210987654321:secret:shared/db-AbCdEf"})),
     f"{NS}:services.api.secrets.DB"),
    ("a mistyped NAT instance type", setting("network.natInstanceType", "t4g.nanoo"),
     f"{NS}:network.natInstanceType"),
    ("a service key one level too far left", setting("services.secrets", {
        "DB": "arn:aws:ssm:us-east-1:123456789012:parameter/dev/db"}), f"{NS}:services.secrets: misplaced"),
    # Changing a live stack
    ("a rename from the workload's own name", setting("workers.orders.renamedFrom", "orders"),
     f"{NS}:workers.orders.renamedFrom"),
    ("a rename from a workload that still exists", setting("workers.orders.renamedFrom", "api"),
     f"{NS}:workers.orders.renamedFrom"),
    ("two renames from one name", both(setting("workers.orders.renamedFrom", "billing"),
                                       setting("services.admin.renamedFrom", "billing")),
     "renamedFrom"),
    ("a rename from a name no workload could have", setting("services.admin.renamedFrom", "Admin_2"),
     f"{NS}:services.admin.renamedFrom"),
    ("a steady-state wait shorter than the bakes", both(
        setting("alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:oncall"),
        setting("serviceDefaults.maximumPercent", 200), setting("serviceDefaults.waitForSteadyState", True),
        setting("serviceDefaults.steadyStateTimeoutMinutes", 30),
        setting("services.api.deployment", {"strategy": "canary", "canaryBakeTimeMinutes": 10,
                                            "bakeTimeMinutes": 15})),
     f"{NS}:services.api.deployment.strategy: serviceDefaults.steadyStateTimeoutMinutes (30) must be at least 35"),
    ("registry scanning neither managed nor external", setting("registryScanning", "shared"),
     f"{NS}:registryScanning"),
    ("protectData as a word", setting("protectData", "always"), f"{NS}:protectData"),
    # 2025-26 service settings: managed EBS volumes, Service Connect access logs, AZ rebalancing
    ("an EBS volume larger than gp3 allows", setting("workers.orders.ebsVolume", {"sizeGib": 20000}),
     f"{NS}:workers.orders.ebsVolume.sizeGib"),
    ("gp3 IOPS above its limit", setting("workers.orders.ebsVolume", {"sizeGib": 100, "iops": 20000}),
     f"{NS}:workers.orders.ebsVolume.iops"),
    ("gp3 throughput above its limit", setting("services.api.ebsVolume", {"sizeGib": 100, "throughput": 2000}),
     f"{NS}:services.api.ebsVolume.throughput"),
    ("IOPS on a volume type that takes none", setting("workers.orders.ebsVolume", {
        "sizeGib": 500, "volumeType": "st1", "iops": 500}), f"{NS}:workers.orders.ebsVolume.iops"),
    ("throughput on a volume type that takes none", setting("workers.orders.ebsVolume", {
        "sizeGib": 500, "volumeType": "io2", "iops": 1000, "throughput": 500}),
     f"{NS}:workers.orders.ebsVolume.throughput"),
    ("io1 without IOPS", setting("workers.orders.ebsVolume", {"sizeGib": 500, "volumeType": "io1"}),
     f"{NS}:workers.orders.ebsVolume.iops"),
    ("a magnetic volume on Fargate", setting("workers.orders.ebsVolume", {"sizeGib": 500, "volumeType": "standard"}),
     f"{NS}:workers.orders.ebsVolume.volumeType: magnetic"),
    ("an EBS volume on a scheduled task", setting("scheduledTasks", {"report": {
        **REPORT, "ebsVolume": {"sizeGib": 100}}}), f"{NS}:scheduledTasks.report.ebsVolume"),
    ("an EBS volume over a scratch path", setting("workers.orders.ebsVolume", {"sizeGib": 100, "path": "/tmp/big"}),
     f"{NS}:workers.orders.ebsVolume.path"),
    ("two EBS volumes", setting("workers.orders.ebsVolume", [{"sizeGib": 100}, {"sizeGib": 100, "path": "/b"}]),
     f"{NS}:workers.orders.ebsVolume"),
    ("query strings logged with access logs off", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("workers.orders.serviceConnect", {"accessLogs": "off", "includeQueryParameters": True})),
     f"{NS}:workers.orders.serviceConnect.includeQueryParameters"),
    ("an access log format AWS does not have", both(
        setting("cluster.serviceConnectNamespace", "internal"),
        setting("workers.orders.serviceConnect", {"accessLogs": "yaml"})),
     f"{NS}:workers.orders.serviceConnect.accessLogs"),
    ("AZ rebalancing as a word", setting("serviceDefaults.availabilityZoneRebalancing", "on"),
     f"{NS}:serviceDefaults.availabilityZoneRebalancing"),
    # Internal services, stickiness, host names and certificates
    ("a load balancer that is neither public, internal nor none", setting("services.admin.loadBalancer", "private"),
     f"{NS}:services.admin.loadBalancer"),
    ("a service without a load balancer that keeps a path", setting("services.admin.loadBalancer", "none"),
     f"{NS}:services.admin.healthCheck: is for a service behind a load balancer"),
    ("a service without a load balancer nor Service Connect", lambda c: c[f"{NS}:services"].update(admin={
        "image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine", "loadBalancer": "none"}),
     f"{NS}:services.admin.serviceConnect: required with loadBalancer: none"),
    ("an internal load balancer no service uses", setting("internalLoadBalancer", {}), f"{NS}:internalLoadBalancer"),
    ("an app cookie without its name", setting("services.admin.stickiness", {"type": "appCookie"}),
     f"{NS}:services.admin.stickiness.cookieName"),
    ("a stickiness longer than a week", setting("services.admin.stickiness", {"durationSeconds": 604801}),
     f"{NS}:services.admin.stickiness.durationSeconds"),
    ("host rules that run into another service's priority", both(
        setting("services.api.hostHeaders", ["a.example.com", "b.example.com", "c.example.com", "d.example.com",
                                             "e.example.com", "f.example.com", "g.example.com"]),
        setting("services.admin.priority", 12)),
     f"{NS}:services.admin.priority: priority 12 overlaps service api's priorities 10 to 12"),
    ("additional certificates on an HTTP listener", setting("loadBalancer.additionalCertificateArns", [
        "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"]),
     f"{NS}:loadBalancer.additionalCertificateArns"),
    ("a service name with capitals", lambda c: c[f"{NS}:services"].update(Admin2=c[f"{NS}:services"].pop("admin")),
     f"{NS}:services.Admin2"),
]


@pytest.mark.parametrize("change, key", [(c, k) for _, c, k in REFUSALS], ids=[i for i, _, _ in REFUSALS])
def test_a_mistake_is_refused_in_one_line_before_anything_is_registered(plan_stack, change, key: str) -> None:
    result = plan_stack(change)
    assert result.code == 2, result.stderr or result.stdout[-400:]
    assert result.registered == 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert key in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_every_mistake_of_a_stack_file_is_refused_at_once_one_line_each(plan_stack) -> None:
    result = plan_stack(both(setting("network.azCount", 12), setting("services.api.memory", 3000)))
    assert result.code == 2 and result.registered == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert f"{NS}:network.azCount" in lines[0] + lines[1] and f"{NS}:services.api.memory" in lines[0] + lines[1]


PHRASES = ("Input should", "String should", "Value error", "pattern", "^", "validation error", "Field required")


@pytest.mark.parametrize("change", [c for _, c, _ in REFUSALS], ids=[i for i, _, _ in REFUSALS])
def test_a_refusal_speaks_the_users_language(plan_stack, change) -> None:
    message = plan_stack(change).stderr
    assert not [p for p in PHRASES if p in message], message


@pytest.mark.parametrize("typo, suggestion", [
    (setting("ecs-platfrom:services", {}), "did you mean ecs-platform:services?"),
    (setting("aws:profiel", "dev"), "did you mean profile?"),
    (setting("aws:region", "eu-west-l"), "did you mean eu-west-1?"),
    (setting("network.azCuont", 2), "did you mean azCount?"),
    (setting("services.api.autoscalling", {}), "did you mean autoscaling?"),
    (setting("cluster.defaultCapacityProviderStrategy", [{"capacityProvider": "FARGATE", "wieght": 1}]),
     "did you mean weight?"),
])
def test_a_misspelt_key_gets_the_closest_one_suggested(plan_stack, typo, suggestion: str) -> None:
    assert suggestion in plan_stack(typo).stderr


# The command line -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, mentions", [
    (["--pack", "/no/such/pack"], "--pack /no/such/pack"),
    (["--config", "/no/such/config.json"], "--config /no/such/config.json"),
    (["--spot-discount", "1.5"], "--spot-discount"),
    (["--spot-discount", "lots"], "--spot-discount"),
    (["--json", "/no/such/folder/plan.json"], "--json /no/such/folder/plan.json"),
    (["--graph", "/"], "--graph /"),
])
def test_a_bad_option_is_refused_in_one_line(plan_stack, args: list[str], mentions: str) -> None:
    result = plan_stack(None, *args)
    assert (result.code, result.registered) == (2, 0)
    assert result.stderr.count("\n") == 1 and mentions in result.stderr


def test_a_pack_config_that_is_not_json_names_its_line(plan_stack, tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text('{\n  "all": mandatory\n}\n')
    result = plan_stack(None, "--config", str(config))
    assert result.code == 2 and "line 2" in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_stack_file_is_one_line(tmp_path: Path, capsys) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    assert main(["plan", "--stack", "nope", "--dir", str(tmp_path)]) == 2
    assert "Pulumi.nope.yaml does not exist" in capsys.readouterr().err


def test_json_to_standard_output_is_the_report_alone(plan_stack) -> None:
    result = plan_stack(None, "--json", "-", "--config", str(ROOT / "policies" / "config" / "dev.json"))
    assert result.code == 0 and json.loads(result.stdout)["stack"] == "bad"


def test_a_pack_that_never_starts_is_reported_not_waited_for(plan_stack, tmp_path: Path) -> None:
    pack = tmp_path / "broken-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text("raise SystemExit('this pack is broken')\n")
    result = plan_stack(None, "--pack", str(pack))
    assert result.code == 3 and "did not start" in result.stderr and result.stderr.count("\n") == 1


def test_a_secure_value_is_carried_as_a_placeholder_and_noted(plan_stack) -> None:
    result = plan_stack(setting("aws:secretKey", {"secure": "AAABAJ8zZW5jcnlwdGVk"}),
                        "--config", str(ROOT / "policies" / "config" / "dev.json"))
    assert result.code == 0
    assert "aws:secretKey: secure values cannot be decrypted offline" in result.stdout


def test_the_provider_gets_the_stack_files_aws_keys(tmp_path: Path) -> None:
    program = tmp_path / "program"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    stack = copy.deepcopy(DEV)
    stack["config"]["aws:profile"] = "platform-dev"
    stack["config"]["aws:allowedAccountIds"] = ["123456789012"]
    stack["config"]["aws:assumeRoles"] = [{"roleArn": "arn:aws:iam::123456789012:role/deployer"}]
    (program / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    provider = engine.run_stack(program, "dev").one("pulumi:providers:aws", "aws")

    def value(key: str) -> Any:  # a provider's structured inputs travel as JSON text
        raw = provider.inputs[key]
        return json.loads(raw) if isinstance(raw, str) and raw[:1] in "[{" else raw

    assert value("profile") == "platform-dev"
    assert value("allowedAccountIds") == ["123456789012"]
    assert value("assumeRoles")[0]["roleArn"] == "arn:aws:iam::123456789012:role/deployer"
