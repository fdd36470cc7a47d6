"""Copilot's own manifests (tests/fixtures/copilot, from aws/copilot-cli) through `ecs-platform import copilot`, one
workload at a time, in a copy of each workspace where every Dockerfile a manifest builds exists (as it does in the
workspace Copilot deploys from). `python tests/copilot_corpus.py` prints the outcome of each."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ecs_platform.offline.stack_file import read_yaml
from ecs_platform.toolchain.migrate.copilot import Options, migrate, write
from ecs_platform.toolchain.migrate.kinds import SECTIONS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "copilot"
MIGRATABLE_TYPES = (*SECTIONS, "Request-Driven Web Service")
"""The types the issue counts: Copilot's four ECS workload types and App Runner's."""

# Variables the fixtures interpolate, exported as a user would before `copilot deploy`.
VARIABLES = {"TAG": "1.4.2", "DOMAINNAME": "example.com", "TIMENOW": "20240325", "SSM_NAME": "/app/param",
             "SECRETS_MANAGER_NAME": "app/secret", "COPILOT_SERVICE_DISCOVERY_ENDPOINT": "test.app.local",
             "BUCKETNAME": "assets", "IMPORTED_CERT_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/"
                                                          "11111111-2222-3333-4444-555555555555"}
# Secrets Manager secrets the fixtures name, with the ARNs a user passes as --secret-arn.
SECRET_ARNS = {name: f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
               for name in ("app/secret", "mysql", "demo/test/mysql", "demo/testing/mysql")}
ACCOUNT = "123456789012"


@dataclass
class Outcome:
    workspace: str
    folder: str
    kind: str
    env: str
    stack_file: Optional[Path]
    lines: list[str]
    """Refusals (or the settings' problems) when nothing was written."""


def environment_of(workspace: Path) -> str:
    envs = sorted(p.parent.name for p in (workspace / "copilot" / "environments").glob("*/manifest.yml"))
    return "test" if not envs or "test" in envs else envs[0]


def _dockerfiles(workspace: Path) -> None:
    for manifest in (workspace / "copilot").glob("*/manifest.yml"):
        body = read_yaml(manifest) or {}
        builds = [body.get("image")] + [o.get("image") for o in (body.get("environments") or {}).values()
                                        if isinstance(o, dict)]
        for image in builds:
            build = image.get("build") if isinstance(image, dict) else None
            if isinstance(build, str):
                build = {"dockerfile": build}
            if not isinstance(build, dict):
                continue
            dockerfile = workspace / (build.get("dockerfile") or Path(build.get("context") or ".") / "Dockerfile")
            (workspace / (build.get("context") or dockerfile.parent.relative_to(workspace))).mkdir(
                parents=True, exist_ok=True)
            dockerfile.parent.mkdir(parents=True, exist_ok=True)
            dockerfile.write_text("FROM public.ecr.aws/docker/library/alpine:3.20\n")


def copy_workspace(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(FIXTURES / name, target)
    _dockerfiles(target)
    return target


def run(into: Path, monkeypatch: Any = None) -> list[Outcome]:
    """Every workload manifest of every fixture workspace, migrated alone; stack files land in ``into``/out."""
    import os

    for key, value in VARIABLES.items():
        if monkeypatch is not None:
            monkeypatch.setenv(key, value)
        else:
            os.environ[key] = value
    out_dir = into / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for fixture in sorted(p for p in FIXTURES.iterdir() if (p / "copilot").is_dir()):
        workspace = copy_workspace(fixture.name, into)
        env = environment_of(workspace)
        for manifest in sorted((workspace / "copilot").glob("*/manifest.yml")):
            folder = manifest.parent.name
            if folder == "environments":
                continue
            kind = str((read_yaml(manifest) or {}).get("type", ""))
            out = out_dir / f"Pulumi.{fixture.name}-{folder}.yaml"
            options = Options(env, "us-east-1", out, ACCOUNT, only=[folder], secret_arns=SECRET_ARNS)
            migration = migrate(workspace / "copilot", options)
            lines = [str(f) for f in migration.refusals] or write(migration, out, options.project)
            outcomes.append(Outcome(fixture.name, folder, kind, env, None if lines else out, lines))
    return outcomes


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        results = run(Path(folder))
        for o in results:
            print(f"{'migrated' if o.stack_file else 'refused '} {o.kind:28} {o.workspace}/{o.folder} ({o.env})")
            for line in o.lines:
                print(f"    {line}")
        counted = [o for o in results if o.kind in MIGRATABLE_TYPES]
        print(f"{sum(1 for o in counted if o.stack_file)} of {len(counted)} migrated", file=sys.stderr)
