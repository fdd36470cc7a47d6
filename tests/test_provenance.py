"""Findings on the stack-file line: every violation names the key to change and its line, a failing plan ends with
its verdict, a pull request gets each finding on its line, and the defaults pass the prod pack."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_platform.testing import run_stack
from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.plan.provenance import Provenance, key_lines

from .conftest import ROOT

PROD_CONFIG = str(ROOT / "policies" / "config" / "prod.json")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"
MINIMAL_HTTPS = {
    "aws:region": "us-east-1",
    "ecs-platform:tags": {"owner": "platform-team"},
    "ecs-platform:loadBalancer": {"certificateArn": CERT},
    # The pack wants every alarm to tell someone: no default can be a topic.
    "ecs-platform:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:platform-oncall",
    "ecs-platform:services": {"api": {"image": "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
                                      "pathPatterns": ["/api/*"], "priority": 10}},
    "ecs-platform:workers": {"orders": {"image": "public.ecr.aws/aws-cli/aws-cli:2.22.35"}},
    "ecs-platform:scheduledTasks": {"report": {"image": "public.ecr.aws/aws-cli/aws-cli:2.22.35",
                                               "schedule": "rate(1 day)"}},
}


def _program(directory: Path, stack: str, config: dict[str, Any]) -> Path:
    directory.mkdir(exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return directory


def _plan(*args: str, env: dict[str, str] | None = None, monkeypatch=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def dev_under_prod_rules(tmp_path_factory) -> tuple[int, dict[str, Any], str, str]:
    """dev judged by prod's pack config: its deliberate advisories become mandatory violations."""
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    code, stdout, stderr = _plan("--stack", "dev", "--dir", str(ROOT), "--config", PROD_CONFIG, "--json", str(out),
                                 "--annotations")
    return code, json.loads(out.read_text()), stdout, stderr


def test_a_failing_plan_ends_with_its_verdict_on_standard_error(dev_under_prod_rules) -> None:
    code, report, _, stderr = dev_under_prod_rules
    count = report["policy"]["mandatory"]
    assert code == 1 and count
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: the plan of stack dev fails: {count} mandatory policy violation")
    assert "(first: Pulumi.dev.yaml:" in last


def test_every_violation_names_its_stack_file_key_and_line(dev_under_prod_rules) -> None:
    _, report, _, _ = dev_under_prod_rules
    lines = key_lines((ROOT / "Pulumi.dev.yaml").read_text(), "ecs-platform")
    for violation in report["policy"]["violations"]:
        place = violation["stackFile"]
        assert place["path"] == "Pulumi.dev.yaml" and place["key"].startswith("ecs-platform:"), violation
        assert place["line"] in lines.values(), violation


def test_a_writable_root_filesystem_points_at_the_key_that_turns_it_on(tmp_path: Path) -> None:
    config = json.loads(json.dumps(MINIMAL_HTTPS))
    config["ecs-platform:services"]["api"]["readOnlyRootFilesystem"] = False
    program = _program(tmp_path / "program", "prod", config)
    out = tmp_path / "plan.json"
    _plan("--stack", "prod", "--dir", str(program), "--pack", str(ROOT / "policies"), "--config", PROD_CONFIG,
          "--json", str(out))
    (violation,) = [v for v in json.loads(out.read_text())["policy"]["violations"]
                    if v["policy"] == "ecs-read-only-root-filesystem"]
    text = (program / "Pulumi.prod.yaml").read_text().splitlines()
    place = violation["stackFile"]
    assert place["key"] == "ecs-platform:services.api.readOnlyRootFilesystem"
    assert text[place["line"] - 1].strip() == "readOnlyRootFilesystem: false"


def test_a_key_left_to_its_default_is_named_at_its_sections_line(tmp_path: Path) -> None:
    program = _program(tmp_path / "program", "prod", MINIMAL_HTTPS)
    run = run_stack(program, "prod")
    provenance = Provenance(program / "Pulumi.prod.yaml", "ecs-platform", run, {})
    place = provenance.of_resource("aws:ecs/taskDefinition:TaskDefinition", "api-task", "ecs-non-root-user")
    text = (program / "Pulumi.prod.yaml").read_text().splitlines()
    assert place.key == "ecs-platform:services.api.user" and text[place.line - 1].strip() == "api:"


def test_a_pull_request_gets_each_finding_on_its_line(dev_under_prod_rules) -> None:
    _, report, stdout, _ = dev_under_prod_rules
    commands = [line for line in stdout.splitlines() if line.startswith("::")]
    errors = [c for c in commands if c.startswith("::error file=Pulumi.dev.yaml,line=")]
    assert len(errors) == report["policy"]["mandatory"]


def test_annotations_follow_github_actions_without_the_flag(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, stdout, _ = _plan("--stack", "dev", "--dir", str(ROOT), "--config", PROD_CONFIG)
    assert any(line.startswith("::error file=Pulumi.dev.yaml,line=") for line in stdout.splitlines())


def test_the_defaults_pass_every_mandatory_rule_of_the_prod_pack(tmp_path: Path) -> None:
    program = _program(tmp_path / "program", "prod", MINIMAL_HTTPS)
    out = tmp_path / "plan.json"
    code, _, stderr = _plan("--stack", "prod", "--dir", str(program), "--pack", str(ROOT / "policies"),
                            "--config", PROD_CONFIG, "--json", str(out))
    assert code == 0, stderr
    assert json.loads(out.read_text())["policy"]["mandatory"] == 0


def test_prod_without_an_ssl_policy_passes_elb_17(tmp_path: Path) -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    del stack["config"]["ecs-platform:loadBalancer"]["sslPolicy"]
    program = _program(tmp_path / "program", "prod", stack["config"])
    shutil.copytree(ROOT / "policies", program / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    out = tmp_path / "plan.json"
    code, _, stderr = _plan("--stack", "prod", "--dir", str(program), "--json", str(out))
    assert code == 0, stderr
    assert json.loads(out.read_text())["policy"]["mandatory"] == 0
