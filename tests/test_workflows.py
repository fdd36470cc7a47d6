"""The GitHub workflows are valid workflows and keep their promises: tests before any preview or deploy, the policy
pack with each stack's own config, AWS only through OIDC, prod only after dev and an approval.

Nothing here runs a workflow: GitHub is the only place they run. The schema is SchemaStore's GitHub workflow schema
as vendored by check-jsonschema; the action inputs below are copied from each action's `action.yml` at the pinned
major version, because the schema cannot know them and a misspelt input is only a warning on GitHub.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft7Validator, ValidationError

from .conftest import ROOT

try:
    from ruamel.yaml import YAML  # check-jsonschema's own YAML parser
except ImportError as error:  # pragma: no cover - a missing dev dependency, not a test outcome
    raise ImportError("tests/test_workflows.py needs check-jsonschema: add `check-jsonschema>=0.29,<1` to "
                      "requirements-dev.txt and run `make venv`") from error

WORKFLOWS_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])

# Every input each pinned action declares (pulumi/actions v6, aws-actions/configure-aws-credentials v4,
# actions/checkout v4, actions/setup-python v5, actions/upload-artifact v4).
ACTION_INPUTS = {
    "actions/github-script@v7": {
        "script", "github-token", "debug", "user-agent", "previews", "result-encoding", "retries",
        "retry-exempt-status-codes", "base-url",
    },
    "actions/checkout@v4": {
        "repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials",
        "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags",
        "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout",
    },
    "actions/setup-python@v5": {
        "python-version", "python-version-file", "cache", "architecture", "check-latest", "token",
        "cache-dependency-path", "update-environment", "allow-prereleases", "freethreaded",
    },
    "actions/upload-artifact@v4": {
        "name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite", "include-hidden-files",
    },
    "aws-actions/configure-aws-credentials@v4": {
        "audience", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-region",
        "mask-aws-account-id", "role-to-assume", "web-identity-token-file", "role-duration-seconds",
        "role-session-name", "role-external-id", "role-skip-session-tagging", "inline-session-policy",
        "managed-session-policies", "output-credentials", "output-env-credentials", "unset-current-credentials",
        "disable-retry", "retry-max-attempts", "special-characters-workaround", "use-existing-credentials",
        "role-chaining", "http-proxy",
    },
    "pulumi/actions@v6": {
        "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr",
        "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel",
        "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target",
        "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment",
        "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary",
        "continue-on-error", "log-verbosity", "log-flow", "debug",
    },
}


def load(path: Path) -> dict[str, Any]:
    """A workflow as GitHub reads it: YAML 1.2, so `on:` is a key and not the boolean true."""
    return YAML(typ="safe", pure=True).load(path.read_text())


def schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("github-workflows.json")
    return json.loads(vendored.read_text())


def schema_errors(workflow: dict[str, Any]) -> list[str]:
    """`path: reason` for every failure; a job or step that matches none of its alternatives (a normal job, a
    reusable-workflow call) gives the reasons of each alternative rather than one line quoting the whole job."""
    def reasons(error: ValidationError) -> Iterator[ValidationError]:
        yield from (r for sub in error.context for r in reasons(sub)) if error.context else [error]

    validator = Draft7Validator(schema(), format_checker=Draft7Validator.FORMAT_CHECKER)
    return [f"{'.'.join(map(str, r.absolute_path)) or '<root>'}: {r.message}"
            for error in validator.iter_errors(workflow) for r in reasons(error)]


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS_DIR / name)


def steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The job's steps that use `action` (owner/name, any version)."""
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def needs(job: dict[str, Any]) -> list[str]:
    return [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])


def all_jobs() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(f"{path.name}:{name}", load(path), job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def test_both_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


def test_the_vendored_schema_is_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(schema())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_matches_the_github_workflow_schema(path: Path) -> None:
    assert schema_errors(load(path)) == []


def test_the_check_jsonschema_cli_agrees() -> None:
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("break_it, reason", [
    (lambda w: w["jobs"]["test"].pop("runs-on"), "jobs.test: 'runs-on' is a required property"),
    (lambda w: w["jobs"]["preview"].update(enviroment="prod"),
     "jobs.preview: Additional properties are not allowed ('enviroment' was unexpected)"),
    (lambda w: w["jobs"]["test"]["steps"].append({"uses": "actions/checkout@v4", "run": "make test"}),
     "jobs.test.steps.3: "),
    (lambda w: w.pop("on"), "<root>: 'on' is a required property"),
], ids=["runs-on missing", "misspelt job key", "step with both uses and run", "no trigger"])
def test_a_broken_workflow_fails_schema_validation(break_it, reason: str) -> None:
    broken = copy.deepcopy(workflow("pull-request.yml"))
    break_it(broken)
    assert any(error.startswith(reason) for error in schema_errors(broken))


def test_the_cli_rejects_a_broken_workflow_too(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: make test\n")
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             str(broken)], capture_output=True, text=True)
    assert result.returncode == 1 and "broken.yml" in result.stdout + result.stderr


@pytest.mark.parametrize("name, job, step", [
    (name, job, step) for name, _, job in all_jobs() for step in job["steps"] if "uses" in step
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_action_is_pinned_to_a_major_version_and_given_only_inputs_it_declares(name, job, step) -> None:
    assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), f"{name}: {step['uses']} is not pinned to vN"
    assert step["uses"] in ACTION_INPUTS, f"{name}: add {step['uses']}'s inputs to ACTION_INPUTS"
    assert set(step.get("with", {})) <= ACTION_INPUTS[step["uses"]]


def test_pull_requests_to_main_run_the_readme_test_command() -> None:
    pr = workflow("pull-request.yml")
    assert pr["on"]["pull_request"]["branches"] == ["main"]
    assert any(s.get("run", "").strip() == "make test" for s in pr["jobs"]["test"]["steps"])


def test_a_new_push_cancels_the_runs_of_the_same_pull_request() -> None:
    concurrency = workflow("pull-request.yml")["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"] and concurrency["cancel-in-progress"] is True


def test_the_offline_plan_runs_each_stack_as_a_first_preview_and_keeps_the_json() -> None:
    job = workflow("pull-request.yml")["jobs"]["offline-plan"]
    runs = [s.get("run", "") for s in job["steps"]]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert "make venv" in runs
    assert ("venv/bin/ecs-platform plan --stack ${{ matrix.stack }} --preview --json plan-${{ matrix.stack }}.json"
            in runs)
    (upload,) = steps(job, "actions/upload-artifact")
    assert upload["with"]["path"] == "plan-${{ matrix.stack }}.json"


def test_the_preview_runs_the_policy_pack_with_each_stacks_config_after_the_tests() -> None:
    job = workflow("pull-request.yml")["jobs"]["preview"]
    (pulumi,) = steps(job, "pulumi/actions")
    assert needs(job) == ["test"] and job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert all((ROOT / "policies" / "config" / f"{stack}.json").is_file() for stack in ["dev", "prod"])
    assert pulumi["with"]["comment-on-pr"] is True and job["permissions"]["pull-requests"] == "write"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_deploy_job_updates_its_own_stack_with_its_own_pack_config(stack: str) -> None:
    job = workflow("deploy.yml")["jobs"][stack]
    (pulumi,) = steps(job, "pulumi/actions")
    assert environment(job) == stack
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["stack-name"] == f"${{{{ vars.PULUMI_ORG }}}}/{stack}"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == f"policies/config/{stack}.json"
    assert (ROOT / pulumi["with"]["policyPackConfigs"]).is_file()


def test_dev_is_deployed_only_after_the_tests_pass_in_the_same_job() -> None:
    runs = [s.get("run", "").strip() or s.get("uses", "") for s in workflow("deploy.yml")["jobs"]["dev"]["steps"]]
    assert runs.index("make test") < runs.index("aws-actions/configure-aws-credentials@v4") < runs.index(
        "pulumi/actions@v6")


def test_prod_is_deployed_only_after_dev_and_an_approval_in_the_prod_environment() -> None:
    prod = workflow("deploy.yml")["jobs"]["prod"]
    assert needs(prod) == ["dev"] and environment(prod) == "prod"


def test_deploys_run_on_pushes_to_main_and_by_hand() -> None:
    on = workflow("deploy.yml")["on"]
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on


def test_never_two_deploys_of_one_stack_at_once() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    groups = {stack: jobs[stack]["concurrency"] for stack in ["dev", "prod"]}
    assert all(g["cancel-in-progress"] is False for g in groups.values())
    assert groups["dev"]["group"] != groups["prod"]["group"]


@pytest.mark.parametrize("name, flow, job", [
    (name, flow, job) for name, flow, job in all_jobs() if steps(job, "aws-actions/configure-aws-credentials")
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_that_assumes_an_aws_role_may_request_an_oidc_token(name, flow, job) -> None:
    permissions = job.get("permissions", flow.get("permissions", {}))
    assert permissions.get("id-token") == "write", name
    assert all("role-to-assume" in s["with"] for s in steps(job, "aws-actions/configure-aws-credentials"))


def test_some_job_assumes_an_aws_role() -> None:
    """Guards the test above against passing on no job at all."""
    assert sum(bool(steps(job, "aws-actions/configure-aws-credentials")) for _, _, job in all_jobs()) == 3


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_uses_long_lived_aws_keys(path: Path) -> None:
    text = path.read_text().upper().replace("-", "_")
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_every_job_has_a_timeout() -> None:
    assert [name for name, _, job in all_jobs() if "timeout-minutes" not in job] == []


def test_every_variable_and_secret_the_workflows_read_is_documented() -> None:
    guide = (ROOT / "docs" / "ci.md").read_text()
    used = {m for path in WORKFLOWS for m in re.findall(r"\b(?:vars|secrets)\.(\w+)", path.read_text())}
    assert used and [name for name in sorted(used) if name != "GITHUB_TOKEN" and f"`{name}`" not in guide] == []


def test_the_pull_request_workflow_posts_the_cost_comparison_and_updates_its_own_comment() -> None:
    job = load(WORKFLOWS_DIR / "pull-request.yml")["jobs"]["cost-review"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--compare" in runs and "--markdown" in runs and "base.sha" in str(job["steps"])
    script = next(step["with"]["script"] for step in job["steps"] if step.get("uses", "").startswith("actions/github-script"))
    from ecs_platform.toolchain.plan.review import MARKER

    assert MARKER in script and "updateComment" in script and "createComment" in script
    assert job["permissions"]["pull-requests"] == "write"
