"""Cost in review: comparing a change's plan with the base's, the markdown comment, and budgets that gate the plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.plan.review import MARKER

from .conftest import ROOT

BILLING = {"image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine", "pathPatterns": ["/billing/*"],
           "priority": 30, "user": "101", "scratchPaths": ["/tmp"], "desiredCount": 1, "healthCheck": {"path": "/"},
           "autoscaling": {"minTasks": 1, "maxTasks": 2}}


def project(tmp_path: Path, edit: Callable[[dict[str, Any]], None] = lambda config: None,
            name: str = "program") -> Path:
    """A copy of the project whose dev stack file is edited."""
    directory = tmp_path / name
    directory.mkdir()
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, directory / file)
    shutil.copytree(ROOT / "policies", directory / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    edit(stack["config"])
    (directory / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return directory


@pytest.fixture(scope="module")
def base_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("base") / "base-dev.json"
    assert main(["plan", "--stack", "dev", "--dir", str(ROOT), "--json", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def with_billing(tmp_path_factory, base_plan: Path) -> tuple[dict[str, Any], str]:
    work = tmp_path_factory.mktemp("head")
    program = project(work, lambda config: config["ecs-platform:services"].update(billing=BILLING))
    out, comment = work / "head.json", work / "cost.md"
    assert main(["plan", "--stack", "dev", "--dir", str(program), "--compare", str(base_plan), "--json", str(out),
                 "--markdown", str(comment)]) == 0
    return json.loads(out.read_text()), comment.read_text()


def test_the_total_delta_is_the_difference_of_the_two_totals(base_plan: Path, with_billing) -> None:
    head, _ = with_billing
    base = json.loads(base_plan.read_text())
    for count in ("min", "desired", "max"):
        expected = round(head["cost"]["total"][count] - base["cost"]["total"][count], 2)
        assert head["comparison"]["totalDelta"][count] == pytest.approx(expected, abs=0.011)
    assert head["comparison"]["totalDelta"]["desired"] > 0


def test_the_comparison_names_the_new_service(with_billing) -> None:
    head, _ = with_billing
    added = {(r["type"], r["name"]) for r in head["comparison"]["resources"]["added"]}
    assert ("aws:ecs/service:Service", "billing") in added
    assert {line["item"] for line in head["comparison"]["cost"]["lineItems"]} >= {"Fargate: billing"}
    assert head["comparison"]["resources"]["removed"] == []


def test_the_markdown_comment_carries_its_marker_and_the_change(with_billing) -> None:
    head, comment = with_billing
    assert comment.startswith(MARKER)
    assert f"+${head['comparison']['totalDelta']['desired']:,.2f}" in comment
    assert "billing" in comment


def test_a_changed_image_shows_the_task_definition_as_changed(tmp_path: Path, base_plan: Path) -> None:
    program = project(tmp_path, lambda c: c["ecs-platform:services"]["api"].update(
        image="public.ecr.aws/nginx/nginx-unprivileged:1.28-alpine"))
    out = tmp_path / "head.json"
    main(["plan", "--stack", "dev", "--dir", str(program), "--compare", str(base_plan), "--json", str(out)])
    changed = {(r["type"], r["name"]) for r in json.loads(out.read_text())["comparison"]["resources"]["changed"]}
    assert ("aws:ecs/taskDefinition:TaskDefinition", "api-task") in changed
    assert ("aws:lb/loadBalancer:LoadBalancer", "web-alb") not in changed


def test_a_new_violation_is_reported_as_new(tmp_path: Path, base_plan: Path) -> None:
    program = project(tmp_path, lambda c: c["ecs-platform:services"]["admin"].update(user="root"))
    out, comment = tmp_path / "head.json", tmp_path / "comment.md"
    main(["plan", "--stack", "dev", "--dir", str(program), "--compare", str(base_plan), "--json", str(out),
          "--markdown", str(comment)])
    new = json.loads(out.read_text())["comparison"]["policy"]["new"]
    assert [(v["policy"], v["resource_name"]) for v in new] == [("ecs-non-root-user", "admin-task")]
    # The comment puts it on its stack-file line.
    line = new[0]["stackFile"]["line"]
    assert f"`ecs-non-root-user` on admin-task" in comment.read_text() and f"(Pulumi.dev.yaml:{line})" in \
        comment.read_text()


def test_comparing_with_something_that_is_not_a_plan_is_refused(tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')
    assert main(["plan", "--stack", "dev", "--dir", str(ROOT), "--compare", str(bogus)]) == 2
    assert "not a plan report" in capsys.readouterr().err


# Budgets ------------------------------------------------------------------------------------------------------


def budget(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.update({"ecs-platform:budget": values})


def test_a_mandatory_budget_below_the_estimate_fails_the_plan_in_one_line(tmp_path: Path, capsys) -> None:
    program = project(tmp_path, budget(monthlyUsd=20, enforcement="mandatory"))
    assert main(["plan", "--stack", "dev", "--dir", str(program)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: the plan of stack dev fails: over budget:")
    assert "ecs-platform:budget (Pulumi.dev.yaml:" in line and "$20.00" in line and "biggest:" in line


def test_an_advisory_budget_below_the_estimate_warns_and_passes(tmp_path: Path, capsys) -> None:
    program = project(tmp_path, budget(monthlyUsd=20))
    assert main(["plan", "--stack", "dev", "--dir", str(program)]) == 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("warning: over budget:") and "advisory" in line


def test_a_budget_on_the_maximum_counts_the_maximum(tmp_path: Path) -> None:
    program = project(tmp_path, budget(monthlyUsd=10_000, enforcement="mandatory", count="max"))
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--dir", str(program), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["budget"]["estimate"] == report["cost"]["total"]["max"] and report["budget"]["over"] is False


def in_ireland(config: dict[str, Any]) -> None:
    config["aws:region"] = "eu-west-1"
    config["ecs-platform:services"]["api"]["secrets"] = {}  # its secret lives in us-east-1
    config["ecs-platform:workers"]["orders"]["environment"]["AWS_DEFAULT_REGION"] = "eu-west-1"


def test_a_stack_in_eu_west_1_is_priced_at_irelands_rates(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--dir", str(project(tmp_path, in_ireland)), "--json", str(out)]) == 0
    cost = json.loads(out.read_text())["cost"]
    assert cost["region"] == "eu-west-1"
    nat = next(i for i in cost["lineItems"] if i["item"].startswith(("NAT", "EC2")))
    assert nat["desired"] > 0
