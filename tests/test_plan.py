"""The offline plan: tree, outputs, policy, fidelity, cost and graph of a stack, and its exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi_aws as aws
import pytest

from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.plan import build_plan, render
from ecs_platform.toolchain.plan.cost import estimate, load_prices, place
from ecs_platform.testing import run

from .conftest import ROOT

PRICES = load_prices("us-east-1")
HOURS = 730


@pytest.fixture(scope="module")
def prod_plan():
    return build_plan(ROOT, "prod")


@pytest.fixture(scope="module")
def dev_plan():
    return build_plan(ROOT, "dev")


# Placement -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [(0, {"FARGATE": 0, "FARGATE_SPOT": 0}), (1, {"FARGATE": 1, "FARGATE_SPOT": 0}),
     (2, {"FARGATE": 1, "FARGATE_SPOT": 1}), (6, {"FARGATE": 2, "FARGATE_SPOT": 4}),
     (21, {"FARGATE": 5, "FARGATE_SPOT": 16})],
)
def test_tasks_fill_the_base_first_then_follow_the_weights(tasks: int, expected: dict) -> None:
    assert place(tasks, [("FARGATE_SPOT", 4, 0), ("FARGATE", 1, 1)]) == expected


def test_on_demand_only_strategy_places_everything_on_fargate() -> None:
    assert place(7, [("FARGATE", 1, 1)]) == {"FARGATE": 7}


# Cost ----------------------------------------------------------------------------------------------------------


def one_service(cpu: str = "256", memory: str = "512", architecture: str = "X86_64", strategy=None):
    def program() -> None:
        definition = aws.ecs.TaskDefinition("td", family="app", cpu=cpu, memory=memory, network_mode="awsvpc",
                                            requires_compatibilities=["FARGATE"], container_definitions="[]",
                                            runtime_platform={"cpu_architecture": architecture,
                                                              "operating_system_family": "LINUX"})
        aws.ecs.Service("svc", cluster="arn:aws:ecs:us-east-1:123456789012:cluster/main", desired_count=1,
                        task_definition=definition.arn,
                        capacity_provider_strategies=strategy or [{"capacity_provider": "FARGATE", "weight": 1}])
    return run(program, project="cost", stack="test", config={"aws:region": "us-east-1"})


def test_smallest_task_all_month_on_demand_costs_about_nine_dollars() -> None:
    (item,) = estimate(one_service(), "us-east-1").items
    assert item.desired == pytest.approx(9.01, abs=0.005)


def test_arm64_tasks_use_the_graviton_rates() -> None:
    (item,) = estimate(one_service(cpu="1024", memory="2048", architecture="ARM64"), "us-east-1").items
    assert item.desired == pytest.approx(HOURS * (1 * 0.03238 + 2 * 0.00356))


def test_spot_discount_is_configurable() -> None:
    spot = [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    (item,) = estimate(one_service(strategy=spot), "us-east-1", spot_discount=0.5).items
    assert item.desired == pytest.approx(9.010025 * 0.5)


def test_dev_stack_cost_matches_a_hand_calculation(dev) -> None:
    task = HOURS * (0.25 * 0.04048 + 0.5 * 0.004445)     # 0.25 vCPU, 0.5 GB on demand: $9.01
    spot = task * (1 - 0.70)                             # the same on Fargate Spot: $2.70
    fixed = (HOURS * 0.0225                             # the load balancer's hours
             + HOURS * 1 * 0.008                        # one LCU, as assumed
             + HOURS * 2 * 0.005                        # two public IPv4 addresses: the ALB's two AZs
             + HOURS * 0.0042 + 8 * 0.08 + HOURS * 0.005  # the NAT instance: t4g.nano, 8 GiB gp3, its public IPv4
             + 10 * 0.10                                # five alarms reading 10 metrics: dlq 1, wake 4, out 1, in 3,
                                                        # the NAT instance's recovery 1
             + 4 * 0.10)                                # two target-tracking policies, two alarms each
    cost = estimate(dev, "us-east-1")
    # Desired: api and admin run one Spot task each (dev puts even the minimum on Spot); the worker is idle; no
    # Container Insights (dev disables it).
    assert cost.total["desired"] == pytest.approx(round(2 * spot + fixed, 2))
    # Max: api and admin scale to 2 Spot tasks; orders to 5 (its own strategy: 2 on demand + 3 Spot).
    assert cost.total["max"] == pytest.approx(round(2 * 2 * spot + (2 * task + 3 * spot) + fixed, 2))


def test_dev_idles_at_half_what_awsx_defaults_cost_with_no_task_on_a_public_ip(dev_plan) -> None:
    assert dev_plan.cost.total["desired"] <= 57.50
    assert dev_plan.policy.mandatory == []
    services = dev_plan.run.of_type("aws:ecs/service:Service")
    assert services and all(s.inputs["networkConfiguration"]["assignPublicIp"] is False for s in services)


def test_container_insights_are_priced_where_a_cluster_has_them(prod_plan) -> None:
    item = next(i for i in prod_plan.cost.items if i.item == "Container Insights (estimate)")
    # One cluster, four services, five task families (the nightly report's too: its runs publish task metrics).
    assert item.desired == pytest.approx((16 + 4 * 13 + 5 * 8) * 0.30)


def test_prod_prices_a_nat_gateway_and_endpoints_per_zone(prod_plan) -> None:
    items = {i.item: i for i in prod_plan.cost.items}
    assert items["NAT gateways"].desired == pytest.approx(HOURS * 3 * 0.045)
    assert items["Interface VPC endpoints"].desired == pytest.approx(HOURS * 5 * 3 * 0.01)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_first_preview_prices_each_task_as_the_full_run_does(request, stack: str) -> None:
    # At a first preview a service's taskDefinition (and a schedule's) is an unknown ARN: the task is found through
    # the dependency instead, never by matching one unknown with another.
    full = request.getfixturevalue(f"{stack}_plan").cost.items
    preview = build_plan(ROOT, stack, preview=True).cost.items
    assert [(i.item, i.detail, i.desired) for i in preview] == [(i.item, i.detail, i.desired) for i in full]


def test_price_file_names_its_source_and_date() -> None:
    assert PRICES["date"] and PRICES["source"] and PRICES["region"] == "us-east-1"


def test_what_is_not_included_is_said(prod_plan) -> None:
    assert any("data transfer" in line for line in prod_plan.cost.not_included)
    assert any("Logs ingestion" in line for line in prod_plan.cost.not_included)


# The report ----------------------------------------------------------------------------------------------------


def test_tree_nests_resources_under_their_component(prod_plan) -> None:
    components = {n["name"]: n for n in prod_plan.tree() if n["type"] == "ecs-platform:index:WebService"}
    assert {c["name"] for c in components["api"]["children"]} >= {"api-tg", "api-route", "api"}


def test_plan_reports_policy_fidelity_and_outputs(prod_plan) -> None:
    assert prod_plan.status == "ok"
    assert prod_plan.policy.mandatory == [] and prod_plan.fidelity.violations == []
    assert prod_plan.run.outputs["albUrl"].startswith("https://")


def test_json_report_has_the_documented_structure(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "prod", "--dir", str(ROOT), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report) == {"schemaVersion", "project", "stack", "preview", "status", "error", "resources", "outputs",
                           "policy", "fidelity", "cost", "notes", "budget", "comparison", "config"}
    documented = (ROOT / "docs" / "plan.md").read_text()
    assert all(f"`{key}`" in documented for key in report)
    assert report["cost"]["total"]["desired"] == pytest.approx(sum(i["desired"] for i in report["cost"]["lineItems"]),
                                                               abs=0.05)
    assert report["resources"]["byType"]["aws:ecs/service:Service"] == 4


def test_graph_is_a_mermaid_flowchart_of_components_and_dependencies(prod_plan, tmp_path: Path) -> None:
    graph = prod_plan.graph()
    assert graph.startswith("flowchart LR")
    assert 'subgraph' in graph and '"WebService: api"' in graph
    assert graph.count("-->") > 20


def test_the_architecture_doc_shows_the_prod_graph(prod_plan) -> None:
    assert prod_plan.graph().strip() in (ROOT / "docs" / "architecture.md").read_text()


# Exit codes ----------------------------------------------------------------------------------------------------


def copy_program(tmp_path: Path, stack_text: str) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    (tmp_path / "Pulumi.bad.yaml").write_text(stack_text)
    return tmp_path


def test_bad_key_exits_non_zero_with_one_line_naming_it(tmp_path: Path, capsys) -> None:
    program = copy_program(tmp_path, (ROOT / "Pulumi.dev.yaml").read_text().replace("azCount", "azCuont"))
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "bad", "--dir", str(program), "--json", str(out)]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "ecs-platform:network.azCuont" in line and captured.out == ""
    assert json.loads(out.read_text())["status"] == "settings-error"


def test_program_error_exits_three(tmp_path: Path, capsys) -> None:
    program = copy_program(tmp_path, (ROOT / "Pulumi.dev.yaml").read_text())
    (program / "__main__.py").write_text("raise RuntimeError('boom')\n")
    assert main(["plan", "--stack", "bad", "--dir", str(program)]) == 3
    assert "boom" in capsys.readouterr().err


def test_fidelity_violation_fails_the_plan(tmp_path: Path) -> None:
    program = copy_program(tmp_path, "config:\n  aws:region: us-east-1\n")
    (program / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "aws.cloudwatch.MetricAlarm('a', comparison_operator='GreaterThanThreshold', evaluation_periods=1,\n"
        "    metric_name='CPUUtilization', namespace='AWS/ECS', period=45, statistic='Average', threshold=1,\n"
        "    alarm_actions=['arn:aws:sns:us-east-1:123456789012:t'])\n")
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "bad", "--dir", str(program), "--json", str(out)]) == 1
    assert json.loads(out.read_text())["status"] == "fidelity-violations"


def test_mandatory_policy_violation_fails_the_plan_of_another_project(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "fixtures" / "bad_program"
    assert main(["plan", "--stack", "test", "--dir", str(bad), "--pack", str(ROOT / "policies"),
                 "--config", str(ROOT / "policies" / "config" / "prod.json")]) == 1


# The plan says what it shows -----------------------------------------------------------------------------------


def test_the_same_stack_plans_byte_for_byte_the_same(tmp_path: Path) -> None:
    import contextlib
    import io
    import subprocess
    import sys

    def args(out: Path) -> list[str]:
        return ["plan", "--stack", "prod", "--dir", str(ROOT), "--json", str(out)]

    # One plan in a new process (its own hash seed, its own pack process), one in this one, at the same time.
    other = subprocess.Popen([sys.executable, "-m", "ecs_platform.toolchain.cli", *args(tmp_path / "a.json")],
                             stdout=subprocess.PIPE, text=True)
    here = io.StringIO()
    with contextlib.redirect_stdout(here), contextlib.redirect_stderr(io.StringIO()):
        main(args(tmp_path / "b.json"))
    assert other.communicate()[0] == here.getvalue() and "Policy" in here.getvalue()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_the_tree_says_what_the_awsx_vpc_creates_is_not_shown(prod_plan) -> None:
    vpc = next(n for top in prod_plan.tree() for n in top["children"] if n["type"] == "awsx:ec2:Vpc")
    assert "not shown" in vpc["note"] and "not shown" in render(prod_plan)


def test_a_stack_without_its_own_pack_config_is_named_in_the_notes(tmp_path: Path) -> None:
    import shutil

    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.staging.yaml")
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    plan = build_plan(tmp_path, "staging")
    assert any("no config for stack staging" in note for note in plan.notes)


def test_each_violation_names_its_control_once(dev_plan) -> None:
    for line in dev_plan.policy.lines():
        control = line.split()[1]
        assert line.count(control) == 1, line


def test_version_and_exit_codes_are_in_the_help(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("ecs-platform ")
    for command in (["--help"], ["plan", "--help"], ["policy", "--help"]):
        assert main(command) == 0
        assert "exit codes:" in capsys.readouterr().out


@pytest.mark.parametrize("expression, runs", [
    ("rate(1 day)", 30.4), ("rate(6 hours)", 121.7), ("rate(30 minutes)", 1460.0), ("cron(0 3 * * ? *)", 30.4),
    ("cron(15 * * * ? *)", 730.0), ("cron(0 8 ? * MON,THU *)", 8.7), ("cron(0/5 8-17 ? * MON-FRI *)", None),
])
def test_a_schedule_runs_as_often_as_its_expression_says(expression: str, runs) -> None:
    from ecs_platform.toolchain.plan.cost import _runs_a_month

    assert _runs_a_month(expression) == runs


def test_policy_help_lists_the_policy_commands_own_exit_codes(capsys) -> None:
    assert main(["policy", "--help"]) == 0
    text = capsys.readouterr().out
    assert "1  a mandatory policy violation" in text and "budget" not in text and "hazard" not in text
