"""The examples work as their READMEs say: an application stack on the platform's outputs (examples/app-stack) passes
its own tests, plans offline with no mandatory policy or fidelity violation, and installs the components as a
project outside this repository would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ecs_platform.testing import run_stack
from ecs_platform.toolchain.cli import main

from .conftest import ROOT

APP = ROOT / "examples" / "app-stack"
PLATFORM_STACK = "acme/ecs-platform/dev"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
GIT_REQUIREMENT = re.compile(r"ecs-platform @ git\+https://github\.com/[^/]+/[^/]+\.git@\S+#subdirectory=components")
"""How a project outside this repository installs the components: a release tag, the package's subdirectory."""


def test_the_examples_own_tests_pass(request) -> None:
    if any(APP in Path(item.path).parents for item in request.session.items):
        pytest.skip("the example's tests are collected directly in this session")
    # As the example's README says: from its folder, with its own pytest.ini.
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests"], cwd=APP, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def platform_plan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("platform") / "platform.json"
    assert main(["plan", "--stack", "dev", "--dir", str(ROOT), "--json", str(path)]) == 0
    return path


@pytest.mark.parametrize("preview", [False, True], ids=["plan", "first-preview"])
def test_the_app_stack_plans_offline_on_the_platforms_outputs(platform_plan: Path, preview: bool, tmp_path: Path,
                                                              monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    report = tmp_path / "app.json"
    code = main(["plan", "--stack", "dev", "--dir", "examples/app-stack",
                 "--stack-outputs", f"{PLATFORM_STACK}={platform_plan}",
                 "--pack", "policies", "--config", "policies/config/dev.json", "--json", str(report)]
                + (["--preview"] if preview else []))
    plan = json.loads(report.read_text())
    assert code == 0, capsys.readouterr().err
    assert plan["policy"]["mandatory"] == 0 and plan["fidelity"]["violations"] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_app_stack_routes_take_priorities_the_platform_leaves_free(request, stack: str) -> None:
    platform = request.getfixturevalue(stack)
    app = run_stack(APP, "dev", stack_references={PLATFORM_STACK: platform.outputs})
    taken = {rule.inputs["priority"] for rule in platform.of_type(LISTENER_RULE)}
    assert taken and not taken & {rule.inputs["priority"] for rule in app.of_type(LISTENER_RULE)}


def test_the_app_stacks_mocked_platform_outputs_follow_the_contract() -> None:
    outputs = json.loads((APP / "tests" / "platform-outputs.json").read_text())
    jsonschema.validate(outputs, json.loads((ROOT / "stack-outputs.schema.json").read_text()))


def test_the_app_stack_installs_the_components_as_an_outsider_would() -> None:
    text = (APP / "requirements.txt").read_text()
    requirements = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    components = [r for r in requirements if r.startswith("ecs-platform") or "components" in r]
    # A path is resolved against the folder pip runs in: the example's, as its README says.
    assert len(components) == 1
    assert GIT_REQUIREMENT.fullmatch(components[0]) or (APP / components[0]).resolve() == ROOT / "components"
    assert not any("[plan]" in r for r in requirements)


def test_the_app_stack_shows_projects_outside_the_repository_the_git_requirement() -> None:
    comments = [line.lstrip("# ").strip() for line in (APP / "requirements.txt").read_text().splitlines()
                if line.startswith("#")]
    assert any(GIT_REQUIREMENT.fullmatch(comment) for comment in comments)


def test_a_consumers_test_run_shows_none_of_the_sdks_import_time_deprecation_warnings() -> None:
    # pulumi_aws warns, as its modules load, about its own deprecated classes (s3.BucketV2...).
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                             "import ecs_platform.testing, pulumi_aws as aws; aws.s3.Bucket; aws.ec2.SecurityGroup"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_platform_output_the_app_requires_but_is_not_given_is_one_line_naming_it_and_the_stack(
        tmp_path: Path, capsys) -> None:
    outputs = json.loads((APP / "tests" / "platform-outputs.json").read_text())
    del outputs["albArnSuffix"]
    given = tmp_path / "outputs.json"
    given.write_text(json.dumps(outputs))
    code = main(["plan", "--stack", "dev", "--dir", str(APP), "--stack-outputs", f"{PLATFORM_STACK}={given}"])
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert line.startswith(f"error: the program requires output 'albArnSuffix' of stack '{PLATFORM_STACK}'")
