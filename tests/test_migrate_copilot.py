"""`ecs-platform import copilot`, from the outside: Copilot workspaces in, a stack file (or one line per refused
field) out, and the stack files it writes planned the way CI plans a stack."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import pytest

from ecs_platform.offline.stack_file import read_yaml
from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.migrate.kinds import SECTIONS, schedule

from .copilot_corpus import MIGRATABLE_TYPES, Outcome, copy_workspace, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    with pytest.MonkeyPatch.context() as patch:
        return run(tmp_path_factory.mktemp("corpus"), patch)


def _workspace(tmp_path: Path, manifests: dict[str, str], env: Optional[str] = None) -> Path:
    copilot = tmp_path / "app" / "copilot"
    for folder, text in manifests.items():
        (copilot / folder).mkdir(parents=True)
        (copilot / folder / "manifest.yml").write_text(text)
    if env is not None:
        (copilot / "environments" / "test").mkdir(parents=True)
        (copilot / "environments" / "test" / "manifest.yml").write_text(env)
    return copilot


def _import(copilot: Path, out: Path, *extra: str) -> int:
    return main(["import", "copilot", str(copilot), "--env", "test", "--out", str(out), "--region", "eu-west-1",
                 *extra])


_API = """name: api
type: Backend Service
image:
  location: public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine
  port: 8080
count: 2
variables:
  MODE: base
  KEEP: yes
environments:
  test:
    count: 3
    variables:
      MODE: test
"""


# Schedules: Copilot's own conversions (scheduled_job.go) -----------------------------------------------------------

@pytest.mark.parametrize("copilot, eventbridge", [
    ("0 9 * * 1-5", "cron(0 9 ? * 2-6 *)"),  # the example in toAWSCron's comment
    ("@every 1h30m", "rate(90 minutes)"),  # the example in toRate's comment
    ("@annually", "cron(0 0 1 1 ? *)"),  # the example in toFixedSchedule's comment
    ("@weekly", "cron(0 0 ? * 1 *)"),
    ("0 12 1 * *", "cron(0 12 1 * ? *)"),
    ("30 6 * * 0,7", "cron(30 6 ? * 1,1 *)"),
    ("rate(5 minutes)", "rate(5 minutes)"),
])
def test_schedules_convert_as_copilot_deployed_them(copilot: str, eventbridge: str) -> None:
    assert schedule(copilot) == eventbridge


@pytest.mark.parametrize("bad", ["0 9 1 * 1", "@every 30s", "0 9 * *"])
def test_schedules_eventbridge_cannot_express_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        schedule(bad)


# Reading manifests as Copilot does ----------------------------------------------------------------------------------

def test_environment_overrides_replace_scalars_and_merge_maps(tmp_path: Path) -> None:
    out = tmp_path / "Pulumi.test.yaml"
    assert _import(_workspace(tmp_path, {"api": _API}), out) == 0
    api = read_yaml(out)["config"]["ecs-platform:services"]["api"]
    assert api["desiredCount"] == 3
    assert api["environment"] == {"MODE": "test", "KEEP": "yes"}


def test_an_unset_variable_is_refused_by_name_and_nothing_is_written(tmp_path: Path, capsys) -> None:
    copilot = _workspace(tmp_path, {"api": _API.replace("MODE: base", "MODE: ${NOT_SET_ANYWHERE}")})
    out = tmp_path / "Pulumi.test.yaml"
    assert _import(copilot, out) == 2
    assert "error: copilot/api/manifest.yml: ${NOT_SET_ANYWHERE}: is not set" in capsys.readouterr().err
    assert not out.exists()


def test_an_escaped_variable_stays_literal(tmp_path: Path) -> None:
    copilot = _workspace(tmp_path, {"api": _API.replace("MODE: base", "MODE: \\${LITERAL}").replace("MODE: test", "")})
    out = tmp_path / "Pulumi.test.yaml"
    assert _import(copilot, out) == 0
    assert read_yaml(out)["config"]["ecs-platform:services"]["api"]["environment"]["MODE"] == "${LITERAL}"


# Secrets keep their references ---------------------------------------------------------------------------------

_SECRETS = _API + """secrets:
  DB_PASSWORD: /app/db/password
  API_KEY:
    secretsmanager: "app/api-key:key::"
"""


def test_ssm_parameter_names_become_arns_of_the_given_region_and_account(tmp_path: Path) -> None:
    out = tmp_path / "Pulumi.test.yaml"
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/api-key-AbCdEf"
    assert _import(_workspace(tmp_path, {"api": _SECRETS}), out, "--account", "123456789012",
                   "--secret-arn", f"app/api-key={arn}") == 0
    secrets = read_yaml(out)["config"]["ecs-platform:services"]["api"]["secrets"]
    assert secrets == {"DB_PASSWORD": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db/password",
                       "API_KEY": f"{arn}:key::"}


def test_secret_names_without_account_or_arn_are_refused_field_by_field(tmp_path: Path, capsys) -> None:
    assert _import(_workspace(tmp_path, {"api": _SECRETS}), tmp_path / "Pulumi.test.yaml") == 2
    errors = capsys.readouterr().err.splitlines()
    assert [e.split(": ")[2] for e in errors] == ["secrets.DB_PASSWORD", "secrets.API_KEY"]
    assert "--account" in errors[0] and "--secret-arn app/api-key=" in errors[1]


# Defaults that differ are carried on purpose, with a comment ------------------------------------------------------

def test_copilot_defaults_that_differ_are_written_with_a_comment(tmp_path: Path) -> None:
    out = tmp_path / "Pulumi.test.yaml"
    sidecar = _API + "sidecars:\n  proxy:\n    image: public.ecr.aws/nginx/nginx:1.27\n    port: 9000\n"
    assert _import(_workspace(tmp_path, {"api": sidecar}), out) == 0
    text = out.read_text().splitlines()
    written = read_yaml(out)["config"]
    api = written["ecs-platform:services"]["api"]
    assert api["readOnlyRootFilesystem"] is False and api["sidecars"][0]["essential"] is True
    assert written["ecs-platform:logRetentionDays"] == 30
    for key in ("readOnlyRootFilesystem:", "sidecars:", "logRetentionDays:"):
        line = next(i for i, t in enumerate(text) if t.strip().removeprefix("ecs-platform:").startswith(key))
        assert text[line - 1].strip().startswith("#"), key


def test_a_worker_keeps_copilots_on_demand_capacity(tmp_path: Path) -> None:
    worker = ("name: jobs\ntype: Worker Service\nimage:\n  location: public.ecr.aws/docker/library/alpine:3.20\n"
              "count:\n  range: 0-4\n  queue_delay:\n    acceptable_latency: 10m\n    msg_processing_time: 250ms\n")
    out = tmp_path / "Pulumi.test.yaml"
    assert _import(_workspace(tmp_path, {"jobs": worker}), out) == 0
    jobs = read_yaml(out)["config"]["ecs-platform:workers"]["jobs"]
    assert jobs["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert jobs["scaling"] == {"minTasks": 0, "maxTasks": 4, "mode": "backlog", "acceptableLatencySeconds": 600,
                               "secondsPerMessage": 0.25}


# Copilot's own manifests -----------------------------------------------------------------------------------------

def test_no_copilot_manifest_crashes_the_import(corpus: list[Outcome]) -> None:
    assert len(corpus) >= 55
    assert all(o.stack_file or o.lines for o in corpus)


def test_every_refusal_is_one_line_naming_manifest_or_stack_key(corpus: list[Outcome]) -> None:
    for outcome in corpus:
        for line in outcome.lines:
            assert "\n" not in line
            assert line.startswith(("copilot/", "ecs-platform:")), line


def test_every_ecs_workload_type_migrates_and_app_runner_is_refused_on_its_type(corpus: list[Outcome]) -> None:
    for kind in SECTIONS:
        assert any(o.stack_file for o in corpus if o.kind == kind), kind
    app_runner = [o for o in corpus if o.kind == "Request-Driven Web Service"]
    assert app_runner and all(o.lines and ": type: an App Runner service" in o.lines[0] for o in app_runner)


def test_what_the_migration_carries_is_reported(corpus: list[Outcome]) -> None:
    counted = [o for o in corpus if o.kind in MIGRATABLE_TYPES]
    migrated = [o for o in counted if o.stack_file]
    # docs/migrating-from-copilot.md gives this share; keep the two in step.
    guide = (ROOT / "docs" / "migrating-from-copilot.md").read_text()
    assert f"{len(migrated)} of {len(counted)}" in guide


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_migrated_stack_files_plan_clean_under_the_dev_pack_config(corpus: list[Outcome], tmp_path: Path,
                                                                    kind: str, capsys) -> None:
    outcome = next(o for o in corpus if o.kind == kind and o.stack_file)
    program = tmp_path / "program"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    copy_workspace(outcome.workspace, tmp_path)
    assert outcome.stack_file is not None
    # The stack file sits one folder below the workspaces, as it did when it was written: build paths still hold.
    shutil.copy(outcome.stack_file, program / "Pulumi.migrated.yaml")
    code = main(["plan", "--stack", "migrated", "--dir", str(program), "--pack", str(ROOT / "policies"),
                 "--config", str(ROOT / "policies" / "config" / "dev.json")])
    assert code == 0, capsys.readouterr()
