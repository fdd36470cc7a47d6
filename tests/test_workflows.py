"""The GitHub workflows are valid workflows and keep their promises: tests before any preview or deploy, the policy
pack with each stack's own config, AWS only through OIDC, prod only after dev and an approval, a comment on the pull
request whether the preview passes or fails, a cost review that survives a base branch it cannot plan.

Nothing here runs a workflow on GitHub: GitHub is the only place they run. The checks are SchemaStore's GitHub
workflow schema as vendored by check-jsonschema, actionlint (with ShellCheck on every `run:` script), the action
inputs below, copied from each action's `action.yml` at the pinned commit because the schema cannot know them and a
misspelt input is only a warning on GitHub, and the workflows' own shell and helper scripts run here against stand-ins
for the plan CLI.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from collections.abc import Iterator
from types import ModuleType
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

# Each action the workflows use: the release it is pinned to, that release's commit (the tag's target in the action's
# repository) and every input its `action.yml` declares there. Dependabot (.github/dependabot.yml) proposes new pins;
# a new release's inputs go here with it, or the pin test fails.
PINNED_ACTIONS: dict[str, tuple[str, str, set[str]]] = {
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", {
        "repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user", "persist-credentials",
        "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags",
        "show-progress", "lfs", "submodules", "set-safe-directory", "github-server-url", "allow-unsafe-pr-checkout",
    }),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97", {
        "python-version", "python-version-file", "cache", "architecture", "check-latest", "token",
        "cache-dependency-path", "update-environment", "allow-prereleases", "freethreaded", "pip-version",
    }),
    "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", {
        "name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite", "include-hidden-files",
        "archive",
    }),
    "actions/github-script": ("v8.0.0", "ed597411d8f924073f98dfc5c65a23a2325f34cd", {
        "script", "github-token", "debug", "user-agent", "previews", "result-encoding", "retries",
        "retry-exempt-status-codes", "base-url",
    }),
    "aws-actions/configure-aws-credentials": ("v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c", {
        "audience", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-region", "aws-profile",
        "overwrite-aws-profile", "mask-aws-account-id", "role-to-assume", "web-identity-token-file",
        "role-duration-seconds", "role-session-name", "role-external-id", "role-skip-session-tagging",
        "transitive-tag-keys", "custom-tags", "inline-session-policy", "managed-session-policies", "output-credentials",
        "output-env-credentials", "unset-current-credentials", "disable-retry", "retry-max-attempts",
        "special-characters-workaround", "use-existing-credentials", "allowed-account-ids", "force-skip-oidc",
        "action-timeout-s", "role-chaining", "http-proxy", "no-proxy", "sts-endpoint",
    }),
    "pulumi/actions": ("v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d", {
        "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr",
        "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel",
        "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target",
        "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment",
        "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary",
        "continue-on-error", "log-verbosity", "log-flow", "debug",
    }),
}

# A `uses:` line as the workflows write it: the commit, then the release it is, for people and for Dependabot.
USES_LINE = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$")

BIN = Path(sys.executable).parent
ACTIONLINT = BIN / "actionlint"
SHELLCHECK = BIN / "shellcheck"
SCRIPTS = ROOT / ".github" / "scripts"


def load(path: Path) -> dict[str, Any]:
    """A workflow as GitHub reads it: YAML 1.2, so `on:` is a key and not the boolean true (each test gets its own
    copy of the one reading)."""
    return copy.deepcopy(_read(path, path.read_text()))


@functools.lru_cache(maxsize=None)
def _read(path: Path, text: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(text)


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
def test_every_action_is_pinned_by_commit_and_given_only_inputs_it_declares(name, job, step) -> None:
    action, _, ref = step["uses"].partition("@")
    assert action in PINNED_ACTIONS, f"{name}: add {action}'s release, commit and inputs to PINNED_ACTIONS"
    version, sha, inputs = PINNED_ACTIONS[action]
    assert ref == sha, f"{name}: {step['uses']} is not the commit of {action} {version}"
    assert set(step.get("with", {})) <= inputs


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_uses_line_names_the_release_its_commit_is(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        match = USES_LINE.match(line)
        assert match, f"{path.name}: `{line.strip()}` is not `uses: owner/name@<40-hex commit> # vX.Y.Z`"
        assert PINNED_ACTIONS[match["action"]][:2] == (match["version"], match["sha"]), line.strip()


def test_the_pin_check_rejects_a_tag_and_a_wrong_comment() -> None:
    assert not USES_LINE.match("      - uses: actions/checkout@v7")
    assert not USES_LINE.match("      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1")
    assert USES_LINE.match("      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1")


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


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    """The job's step with this id or name."""
    (found,) = [s for s in job["steps"] if name in (s.get("id"), s.get("name"))]
    return found


def shell(text: str) -> str:
    """A `run:` script on one line per command: continuation lines joined, spaces collapsed."""
    return re.sub(r"[ \t]+", " ", text.replace("\\\n", " "))


def test_the_preview_runs_the_policy_pack_with_each_stacks_config_after_the_tests() -> None:
    job = workflow("pull-request.yml")["jobs"]["preview"]
    preview = step(job, "preview")
    assert needs(job) == ["test"] and job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert preview["env"]["STACK"] == "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}"
    assert preview["env"]["PACK_CONFIG"] == "policies/config/${{ matrix.stack }}.json"
    assert all((ROOT / "policies" / "config" / f"{stack}.json").is_file() for stack in ["dev", "prod"])
    assert ('pulumi preview --non-interactive --color never --stack "$STACK" --policy-pack policies '
            '--policy-pack-config "$PACK_CONFIG" 2>&1 | tee "$OUTPUT"') in shell(preview["run"])
    # tee would hide the preview's exit status from the step without pipefail.
    assert shell(preview["run"]).lstrip().startswith("set -o pipefail")


def test_a_failed_preview_still_comments_on_the_pull_request_and_fails_the_job() -> None:
    job = workflow("pull-request.yml")["jobs"]["preview"]
    names = [s.get("id") or s.get("name") or s["uses"].split("@")[0] for s in job["steps"]]
    preview, write, post = step(job, "preview"), step(job, "Write the preview comment"), step(
        job, "Post or update the preview comment")
    # The preview step's own failure fails the job; the two comment steps run after it whatever its outcome, but
    # not for a run that a newer push cancelled.
    assert "continue-on-error" not in preview and "if" not in preview
    assert names.index("preview") < names.index("Write the preview comment") < names.index(
        "Post or update the preview comment")
    assert write["if"] == post["if"] == "${{ !cancelled() }}"
    assert write["env"]["OUTCOME"] == "${{ steps.preview.outcome }}"
    assert write["env"]["OUTPUT"] == preview["env"]["OUTPUT"] == "preview-${{ matrix.stack }}.txt"
    assert ".github/scripts/preview_comment.py" in write["run"] and "preview-comment.md" in write["run"]
    script = post["with"]["script"]
    assert "preview-comment.md" in script and "updateComment" in script and "createComment" in script
    # pulumi/actions only installs the CLI here: it comments only when its command succeeds.
    (pulumi,) = steps(job, "pulumi/actions")
    assert "with" not in pulumi


def test_the_preview_job_gets_only_the_permissions_it_uses() -> None:
    job = workflow("pull-request.yml")["jobs"]["preview"]
    assert job["permissions"] == {"id-token": "write", "contents": "read", "pull-requests": "write"}
    assert workflow("pull-request.yml")["permissions"] == {"contents": "read"}


def preview_comment() -> ModuleType:
    spec = importlib.util.spec_from_file_location("preview_comment", SCRIPTS / "preview_comment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN_URL = "https://github.com/acme/ecs-platform/actions/runs/42"

FAILED_PREVIEW = """\
Previewing update (acme/prod):
     Type                 Name                Plan
 +   pulumi:pulumi:Stack  ecs-platform-prod   create
Policies:
    \u274c ecs-platform-policies@v0.1.0 (local: policies)
        - [mandatory]  ecs-service-no-public-ip  (aws:ecs/service:Service: api)
          [ECS.2] ECS services should not have public IP addresses assigned to them automatically
        - [advisory]  ecr-image-pinned  (aws:ecs/taskDefinition:TaskDefinition: api-task)
          the image tag `latest` moves
Resources:
    + 151 to create
error: preview failed
"""


def test_a_failed_preview_comment_names_the_mandatory_violations_first() -> None:
    body = preview_comment().comment("prod", "failure", FAILED_PREVIEW, RUN_URL)
    lines = body.splitlines()
    assert lines[0] == "<!-- ecs-platform pulumi preview: prod -->" and lines[1].endswith(": failed")
    stopped = lines[lines.index("What stopped it:") + 2:]
    assert stopped[:2] == [
        "- `[mandatory]  ecs-service-no-public-ip  (aws:ecs/service:Service: api) [ECS.2] ECS services should not "
        "have public IP addresses assigned to them automatically`",
        "- `error: preview failed`",
    ]
    assert "[advisory]" not in "\n".join(stopped[:2]) and "+ 151 to create" in body and RUN_URL in body


def test_a_passed_preview_comment_carries_the_output_and_no_failures() -> None:
    body = preview_comment().comment("dev", "success", "Resources:\n    + 120 to create\n", RUN_URL)
    assert body.startswith("<!-- ecs-platform pulumi preview: dev -->\n### `pulumi preview` of `dev`: passed")
    assert "What stopped it" not in body and "+ 120 to create" in body


def test_a_preview_that_never_started_still_gets_a_comment_pointing_at_the_run() -> None:
    body = preview_comment().comment("dev", "skipped", None, RUN_URL)
    assert ": did not run" in body and f"[the run]({RUN_URL})" in body and "<details>" not in body


def test_a_long_preview_is_cut_from_the_front_and_the_comment_fits_on_github() -> None:
    output = "".join(f"line {n}\n" for n in range(20_000)) + "Resources:\n    + 3 to create\n"
    body = preview_comment().comment("dev", "failure", output, RUN_URL)
    assert len(body) <= 65_536 and "line 0\n" not in body and "+ 3 to create" in body
    assert "the beginning is cut" in body


def test_the_preview_comment_script_runs_as_the_workflow_runs_it(tmp_path: Path) -> None:
    output = tmp_path / "preview-prod.txt"
    output.write_text("\x1b[31m" + FAILED_PREVIEW + "\x1b[0m")
    result = subprocess.run([sys.executable, SCRIPTS / "preview_comment.py", "prod", "failure", output, RUN_URL],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ecs-service-no-public-ip" in result.stdout and "\x1b" not in result.stdout


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
    runs = [s.get("run", "").strip() or s["uses"].split("@")[0] for s in workflow("deploy.yml")["jobs"]["dev"]["steps"]]
    assert runs.index("make test") < runs.index("aws-actions/configure-aws-credentials") < runs.index("pulumi/actions")


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


def actionlint(*paths: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """actionlint from this environment (requirements-dev.txt), with the repository's configuration and this
    environment's ShellCheck; pyflakes is off because no step runs Python inline."""
    assert ACTIONLINT.is_file() and SHELLCHECK.is_file(), (
        f"no actionlint or shellcheck next to {sys.executable}: run `make venv` (requirements-dev.txt installs both)")
    config = ROOT / ".github" / "actionlint.yaml"
    return subprocess.run([str(ACTIONLINT), "-no-color", "-oneline", "-config-file", str(config),
                           "-shellcheck", str(SHELLCHECK), "-pyflakes", "", *map(str, paths)],
                          cwd=cwd, capture_output=True, text=True)


def test_actionlint_and_shellcheck_find_nothing_in_any_workflow() -> None:
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("mistake, finding", [
    ("      - run: echo $GREETING\n", "SC2086"),
    ("      - run: echo '${{ github.event.pull_request.title }}'\n", "is potentially untrusted"),
    ("      - run: echo '${{ steps.plan.outputs.albUrl }}'\n", "property \"plan\" is not defined"),
    ("      - run: echo '${{ vars.PULUMI_ORGANISATION }}'\n", "undefined configuration variable"),
    ("      - uses: actions/checkout@v7\n", "require-commit-hash"),
], ids=["shellcheck", "script injection", "no such step", "undocumented variable", "action by tag"])
def test_actionlint_reports_a_broken_workflow(tmp_path: Path, mistake: str, finding: str) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n"
                      "    steps:\n" + mistake)
    result = actionlint(broken, cwd=tmp_path)
    assert result.returncode == 1 and finding in result.stdout, result.stdout + result.stderr


def test_dependabot_keeps_the_actions_and_every_requirements_file_current() -> None:
    config_path = ROOT / ".github" / "dependabot.yml"
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.dependabot",
                             str(config_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    updates = {u["package-ecosystem"]: u for u in load(config_path)["updates"]}
    assert updates["github-actions"]["directory"] == "/"
    assert set(updates["pip"]["directories"]) == {"/", "/components", "/policies"}
    assert all((ROOT / d.lstrip("/") / "requirements.txt").is_file() for d in updates["pip"]["directories"])
    assert {u["schedule"]["interval"] for u in updates.values()} == {"weekly"}


def test_make_policy_pack_installs_the_packs_requirements_where_pulumi_looks() -> None:
    dry_run = subprocess.run(["make", "-n", "policy-pack"], cwd=ROOT, capture_output=True, text=True)
    assert dry_run.returncode == 0, dry_run.stderr
    assert re.search(r"-m venv policies/venv\n", dry_run.stdout)
    assert "policies/venv/bin/pip install --quiet -r policies/requirements.txt" in dry_run.stdout
    assert "virtualenv: venv" in (ROOT / "policies" / "PulumiPolicy.yaml").read_text()


@pytest.mark.parametrize("name, job", [
    (name, job) for name, _, job in all_jobs()
    if any("policies" in str(s.get("with", {}).get("policyPacks", "")) or "--policy-pack policies" in s.get("run", "")
           for s in job["steps"])
], ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_that_runs_the_pack_installs_it_with_make_policy_pack_first(name: str, job: dict[str, Any]) -> None:
    runs = [s.get("run", "") for s in job["steps"]]
    first_use = next(i for i, s in enumerate(job["steps"])
                     if s.get("with", {}).get("policyPacks") or "--policy-pack policies" in s.get("run", ""))
    assert any("make policy-pack" in run for run in runs[:first_use]), name
    assert not any("policies/venv/bin/pip" in run for run in runs), f"{name}: use `make policy-pack`"


def test_three_jobs_run_the_pack() -> None:
    """Guards the test above against passing on no job at all."""
    assert len([j for _, _, j in all_jobs() if any("make policy-pack" in s.get("run", "") for s in j["steps"])]) == 3


# The cost review's shell, run here as the runner runs it (`bash -e`), against stand-ins for the two plan CLIs: the
# base branch's and the change's. Each stand-in writes what the real CLI writes for the case at hand.
FAKE_PLAN = """\
#!{python}
import json, sys
from pathlib import Path

args = sys.argv[2:]
option = lambda name: args[args.index(name) + 1] if name in args else None
stack, case = option("--stack"), Path("{case}").read_text().strip()
with open("calls.log", "a") as log:
    log.write("{side} " + " ".join(args) + "\\n")
if "{side}" == "base" or case == "head-settings-error":
    if case in ("settings-error", "head-settings-error"):
        error = "ecs-platform:network.azCount: must be at most 6; got 9 (stack file Pulumi.dev.yaml)"
        Path(option("--json")).write_text(json.dumps({{"status": "settings-error", "error": error, "resources": None}}))
        sys.exit("error: " + error)
    if "{side}" == "base":
        Path(option("--json")).write_text(json.dumps({{"status": "policy-violations", "error": None,
                                                       "resources": {{"count": 150}}}}))
        sys.exit(1)
if option("--compare"):
    if not Path(option("--compare")).is_file():
        sys.exit("error: --compare " + option("--compare") + ": does not exist")
    base = json.loads(Path(option("--compare")).read_text())
    if base["resources"] is None:
        sys.exit("error: --compare " + option("--compare") + ": that plan stopped; nothing to compare with")
Path(option("--json")).write_text(json.dumps({{"status": "ok", "error": None, "resources": {{"count": 151}}}}))
Path(option("--markdown")).write_text("<!-- ecs-platform plan comparison -->\\n### Plan of " + stack + "\\n\\n")
"""


def cost_review(tmp_path: Path, case: str) -> tuple[subprocess.CompletedProcess[str], str, list[str]]:
    """Run the step "Plan both and compare" in a workspace laid out as the job lays it out."""
    (tmp_path / "case").write_text(case)
    sides = {"head": tmp_path / "venv" / "bin", "base": tmp_path / "base" / "venv" / "bin"}
    for side, bin_dir in sides.items():
        if side == "base" and case == "base-not-installed":
            continue  # `make -C base venv` failed: there is no base toolchain at all
        bin_dir.mkdir(parents=True)
        fake = bin_dir / "ecs-platform"
        fake.write_text(FAKE_PLAN.format(python=sys.executable, case=tmp_path / "case", side=side))
        fake.chmod(0o755)
    (tmp_path / ".github").symlink_to(ROOT / ".github")
    script = tmp_path / "step.sh"
    script.write_text(step(workflow("pull-request.yml")["jobs"]["cost-review"], "Plan both and compare")["run"])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    review = (tmp_path / "cost-review.md").read_text() if (tmp_path / "cost-review.md").exists() else ""
    return result, review, (tmp_path / "calls.log").read_text().splitlines()


def test_the_cost_review_compares_with_a_base_that_plans(tmp_path: Path) -> None:
    result, review, calls = cost_review(tmp_path, "ok")
    assert result.returncode == 0, result.stderr
    assert [c for c in calls if c.startswith("head")] == [
        f"head --stack {s} --compare base-{s}.json --json head-{s}.json --markdown cost-{s}.md"
        for s in ["dev", "prod"]]
    assert "could not be planned" not in review and review.count("### Plan of") == 2


@pytest.mark.parametrize("case, reason", [
    ("settings-error", "the base branch could not be planned: settings-error: ecs-platform:network.azCount: must be "
                       "at most 6; got 9 (stack file Pulumi.dev.yaml)"),
    ("base-not-installed", "the base branch could not be planned: no plan report was written ("),
], ids=["base plan stopped", "base toolchain missing"])
def test_the_cost_review_plans_the_change_alone_when_the_base_cannot_be_planned(tmp_path: Path, case: str,
                                                                                 reason: str) -> None:
    result, review, calls = cost_review(tmp_path, case)
    assert result.returncode == 0, result.stderr
    assert [c for c in calls if c.startswith("head")] == [
        f"head --stack {s} --json head-{s}.json --markdown cost-{s}.md" for s in ["dev", "prod"]]
    assert review.count("### Plan of") == 2 and review.count(reason) == 2
    assert f"dev: {reason}" in review and f"prod: {reason}" in review


def test_the_cost_review_says_when_the_change_itself_cannot_be_planned(tmp_path: Path) -> None:
    result, review, _ = cost_review(tmp_path, "head-settings-error")
    assert result.returncode == 0, result.stderr
    assert review.count("This change could not be planned: settings-error: ecs-platform:network.azCount") == 2


def test_the_base_check_tells_a_stopped_plan_from_one_with_findings(tmp_path: Path) -> None:
    def reason(report: dict[str, Any] | None, stderr: str = "") -> str:
        path, err = tmp_path / "plan.json", tmp_path / "plan.err"
        path.unlink(missing_ok=True)
        if report is not None:
            path.write_text(json.dumps(report))
        err.write_text(stderr)
        result = subprocess.run([sys.executable, SCRIPTS / "plan_error.py", path, err], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert reason({"status": "ok", "error": None, "resources": {"count": 1}}) == ""
    assert reason({"status": "hazards", "error": None, "resources": {"count": 1}}) == ""
    assert reason({"status": "program-error", "error": "boom", "resources": None}) == "program-error: boom"
    assert reason(None, "warning: x\nbash: base/venv/bin/ecs-platform: No such file or directory\n") == (
        "no plan report was written (bash: base/venv/bin/ecs-platform: No such file or directory)")


def run_hazard_gate(tmp_path: Path, reports: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for stack, status in reports.items():
        (tmp_path / f"head-{stack}.json").write_text(json.dumps({"status": status}))
    script = tmp_path / "step.sh"
    script.write_text(step(workflow("pull-request.yml")["jobs"]["cost-review"],
                           "Fail on a change the live stacks would punish")["run"])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-e", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)


def test_the_hazard_gate_fails_on_a_mandatory_hazard(tmp_path: Path) -> None:
    result = run_hazard_gate(tmp_path, {"dev": "ok", "prod": "hazards"})
    assert result.returncode == 1 and "prod: this change has mandatory hazards" in result.stdout


def test_the_hazard_gate_skips_a_stack_whose_plan_did_not_run(tmp_path: Path) -> None:
    result = run_hazard_gate(tmp_path, {"prod": "policy-violations"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cost_comment_keeps_its_marker_when_no_plan_wrote_one() -> None:
    job = workflow("pull-request.yml")["jobs"]["cost-review"]
    script = step(job, "Post or update the cost comment")["with"]["script"]
    assert "if (!body.includes(marker)) body = `${marker}\\n${body}`;" in script


# The trust policies in docs/ci.md: each role trusts its one `sub` in both of GitHub's formats, exactly.
def test_the_documented_trust_policy_accepts_both_subject_formats_and_nothing_else() -> None:
    guide = (ROOT / "docs" / "ci.md").read_text()
    policies = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", guide, re.S)
                if "AssumeRoleWithWebIdentity" in block]
    assert policies
    for policy in policies:
        (statement,) = policy["Statement"]
        assert set(statement["Condition"]) == {"StringEquals"}
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects = condition["token.actions.githubusercontent.com:sub"]
        # Exact values only: a wildcard in place of an id would accept whoever takes over the name.
        assert len(subjects) == 2 and "*" not in "".join(subjects) and "?" not in "".join(subjects)
        contexts = {s.split(":", 2)[2] for s in subjects}
        prefixes = {s.split(":", 2)[1] for s in subjects}
        assert len(contexts) == 1 and prefixes == {"<owner>/<repo>", "<owner>@<owner-id>/<repo>@<repo-id>"}
    trusted = {s.split(":", 2)[2] for p in policies
               for s in p["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]}
    assert trusted == {"pull_request", "environment:dev", "environment:prod"}
