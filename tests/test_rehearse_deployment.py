"""`ecs-platform rehearse --deployment`: a service's rollout replayed as its program configures it, against the time
`pulumi up` waits for it."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.rehearsal import Rollout, RolloutAssumptions, replay

from .conftest import ROOT


def rollout(**overrides) -> Rollout:
    """Three tasks behind a target group checked every 15 s, 30 s of draining."""
    values = dict(service="api", strategy="ROLLING", tasks=3, minimum_healthy_percent=100, maximum_percent=200,
                  grace_seconds=60, health_interval=15, deregistration_delay=30, stop_timeout=30,
                  load_balanced=True)
    return Rollout(**{**values, **overrides})


START = 30 + 60 + 15
"""Image pull, task start and the first health check one interval later: when a new task serves (seconds).
A newly registered target is healthy after one passing check, whatever its healthy threshold (ECS Developer Guide,
"Optimize load balancer health check parameters for Amazon ECS")."""
DRAIN = 30 + 30
"""Deregistration delay, then the stop timeout: when an old task has stopped after it is drained (seconds)."""


def test_prods_canary_fits_in_the_time_pulumi_up_waits(tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    assert main(["rehearse", "--stack", "prod", "--dir", str(ROOT), "--deployment", "api", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())["summary"]
    # canary: serve, 10 minutes at 10%, all traffic, 15 minutes of bake, then drain the old revision.
    assert summary["deployMinutes"] == round((START + 10 * 60 + 15 * 60 + DRAIN) / 60, 1)
    assert (summary["timeoutMinutes"], summary["fits"]) == (45, True)


def test_a_canary_shifts_its_share_first_and_the_rest_after_its_bake() -> None:
    result = replay(rollout(strategy="CANARY", canary_percent=10, canary_bake_minutes=10, bake_minutes=15))
    shifts = [(round(s.second), s.what) for s in result.timeline if "production traffic" in s.what]
    assert shifts == [(START, "production traffic to the new revision: 10%"),
                      (START + 600, "production traffic to the new revision: 100%")]


def test_a_linear_deployment_bakes_after_every_step_but_the_last() -> None:
    # ECS: "This bake time is not applied after reaching 100 percent traffic."
    result = replay(rollout(strategy="LINEAR", linear_step_percent=25, linear_step_bake_minutes=5, bake_minutes=0))
    assert result.summary["deployMinutes"] == round((START + 3 * 5 * 60 + DRAIN) / 60, 1)


def test_a_rolling_deployment_with_room_for_all_replaces_them_in_one_batch() -> None:
    result = replay(rollout())
    assert result.summary["deployMinutes"] == round((START + DRAIN) / 60, 1)


def test_a_new_task_serves_after_a_single_health_check_interval() -> None:
    # One passing check marks a newly registered target healthy: a longer interval delays it by the difference only.
    quick = replay(rollout(health_interval=15)).summary["deployMinutes"]
    slow = replay(rollout(health_interval=75)).summary["deployMinutes"]
    assert round(slow - quick, 1) == 1.0


def test_a_rolling_deployment_with_alarms_lasts_their_bake_and_the_bake_can_be_overridden() -> None:
    watched = replay(rollout(alarm_bake_minutes=5)).summary["deployMinutes"]
    assert watched == round((START + DRAIN + 5 * 60) / 60, 1)
    assert replay(rollout(alarm_bake_minutes=5), RolloutAssumptions(alarm_bake_minutes=0)).summary[
        "deployMinutes"] == round((START + DRAIN) / 60, 1)


def test_less_room_means_more_batches() -> None:
    # maximumPercent 150 of 4 tasks: two new at a time, so two batches, each waiting for the old ones to stop.
    one = replay(rollout(tasks=4)).summary["deployMinutes"]
    two = replay(rollout(tasks=4, maximum_percent=150)).summary["deployMinutes"]
    assert two == round(2 * (START + DRAIN) / 60, 1) and two > one


def test_every_assumption_can_be_overridden() -> None:
    slow = replay(rollout(), RolloutAssumptions(image_pull_seconds=300, task_start_seconds=120, stop_seconds=5))
    assert slow.summary["deployMinutes"] == round((300 + 120 + 15 + 30 + 5) / 60, 1)


RAW_CANARY = textwrap.dedent('''\
    """A canary service written with pulumi_aws alone: 30 minutes of bakes, and `pulumi up` waits 20 (the provider's
    default update timeout)."""
    import json
    import pulumi_aws as aws

    group = aws.lb.TargetGroup("web", port=80, protocol="HTTP", target_type="ip", vpc_id="vpc-1",
                               health_check={"interval": 10, "healthy_threshold": 2})
    task = aws.ecs.TaskDefinition(
        "web", family="web", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([{"name": "web", "image": "example/web:1.0", "essential": True}]))
    aws.ecs.Service(
        "web", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/c", task_definition=task.arn, desired_count=2,
        launch_type="FARGATE", wait_for_steady_state=True,
        network_configuration={"subnets": ["subnet-a"], "assign_public_ip": False},
        load_balancers=[{"target_group_arn": group.arn, "container_name": "web", "container_port": 8080}],
        deployment_configuration={"strategy": "CANARY", "bake_time_in_minutes": "20",
                                  "canary_configuration": {"canary_percent": 10, "canary_bake_time_in_minutes": "10"}})
''')


RAW_ROLLING_WITH_ALARMS = textwrap.dedent('''\
    """A rolling service whose deployment ECS watches with a 5 x 2-minute alarm and one alarm defined elsewhere."""
    import json
    import pulumi_aws as aws

    aws.cloudwatch.MetricAlarm("errors", name="web-5xx", namespace="AWS/ApplicationELB",
                               metric_name="HTTPCode_Target_5XX_Count",
                               statistic="Sum", period=120, evaluation_periods=5, threshold=10,
                               comparison_operator="GreaterThanThreshold")
    task = aws.ecs.TaskDefinition(
        "web", family="web", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
        container_definitions=json.dumps([{"name": "web", "image": "example/web:1.0", "essential": True}]))
    aws.ecs.Service(
        "web", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/c", task_definition=task.arn, desired_count=2,
        launch_type="FARGATE", network_configuration={"subnets": ["subnet-a"], "assign_public_ip": False},
        alarms={"alarm_names": ["web-5xx", "web-latency"], "enable": True, "rollback": True})
''')


def test_a_rolling_deployment_waits_out_its_alarms_windows(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: raw-rolling\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(RAW_ROLLING_WITH_ALARMS)
    out = tmp_path / "web.json"
    assert main(["rehearse", "--stack", "test", "--dir", str(tmp_path), "--deployment", "web",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["rollout"]["alarmBakeMinutes"] == 10.0  # 5 evaluation periods of 2 minutes
    stages = [s["stage"] for s in report["timeline"]]
    assert any("web-latency not defined by the program" in s for s in stages)
    assert stages[-1] == "no deployment alarm fired: the deployment is complete"


def test_a_rollout_longer_than_the_wait_exits_one_and_says_why(tmp_path: Path, capsys) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: raw-canary\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text(RAW_CANARY)
    out = tmp_path / "web.json"
    assert main(["rehearse", "--stack", "test", "--dir", str(tmp_path), "--deployment", "web",
                 "--json", str(out)]) == 1
    summary = json.loads(out.read_text())["summary"]
    assert (summary["timeoutMinutes"], summary["fits"]) == (20.0, False) and summary["deployMinutes"] > 30
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: the deployment of web takes")


def test_a_stack_file_whose_wait_is_shorter_than_its_bakes_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    stack["config"]["ecs-platform:serviceDefaults"]["steadyStateTimeoutMinutes"] = 25
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    assert main(["rehearse", "--stack", "prod", "--dir", str(tmp_path), "--deployment", "api"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "steadyStateTimeoutMinutes (25) must be at least 35" in line


@pytest.mark.parametrize("args, mentions", [
    (["--deployment", "api", "--scenario", "burst:1@0"], "--scenario is for --worker"),
    (["--deployment", "billing"], "--deployment billing: no ECS service of that name"),
    (["--worker", "orders"], "--worker needs at least one --scenario"),
])
def test_a_rehearsal_mistake_is_refused_in_one_line(args: list[str], mentions: str, capsys) -> None:
    assert main(["rehearse", "--stack", "prod", "--dir", str(ROOT), *args]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert mentions in line
