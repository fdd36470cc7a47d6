"""Images from the stack file: prod runs every workload from its own ECR repository, a stack may build an image from
a Dockerfile instead, and a mutable tag is warned about in one line naming its key (not refused)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from ecs_platform.testing import ProgramRun, run_stack
from ecs_platform.toolchain.cli import main

from .conftest import ROOT
from .helpers import containers

NS = "ecs-platform"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "awsx:ecr:Image"
PROD = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
WORKLOADS = {name: w["repository"]["tag"] for kind in ("services", "workers", "scheduledTasks")
             for name, w in PROD[f"{NS}:{kind}"].items()}


def _main_image(run: ProgramRun, workload: str) -> str:
    return next(c["image"] for c in containers(run, workload) if c["name"] == workload)


def _repository(run: ProgramRun, workload: str):
    return run.one(REPOSITORY, f"{workload}-images")


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_prod_runs_each_workload_from_its_own_repository_at_the_tag_of_the_stack_file(prod: ProgramRun,
                                                                                     workload: str) -> None:
    url = _repository(prod, workload).outputs["repositoryUrl"]
    assert _main_image(prod, workload) == f"{url}:{WORKLOADS[workload]}"


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_prod_repositories_keep_every_ecr_control(prod: ProgramRun, workload: str) -> None:
    inputs = _repository(prod, workload).inputs
    assert inputs["imageTagMutability"] == "IMMUTABLE"
    assert inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
    # protectData: a change that would delete or replace the repository stops instead.
    assert _repository(prod, workload).protect is True


def test_prod_scans_every_push_through_its_registry_configuration(prod: ProgramRun) -> None:
    (registry,) = prod.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
    assert registry.inputs["rules"] == [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]


def test_a_stack_whose_registry_scanning_is_managed_elsewhere_leaves_it_alone(tmp_path) -> None:
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, tmp_path / file)
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    stack["config"]["ecs-platform:registryScanning"] = "external"
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    run = run_stack(tmp_path, "prod")
    assert not run.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")


def test_prod_repositories_each_have_a_lifecycle_policy(prod: ProgramRun) -> None:
    managed = {r.inputs["repository"] for r in prod.of_type(LIFECYCLE)}
    assert managed == {r.inputs["name"] for r in prod.of_type(REPOSITORY)} and len(managed) == len(WORKLOADS)


def test_a_repository_keeps_the_number_of_images_its_stack_file_says(prod: ProgramRun) -> None:
    report = _repository(prod, "nightly-report").inputs["name"]
    (policy,) = [p for p in prod.of_type(LIFECYCLE) if p.inputs["repository"] == report]
    counts = [r["selection"]["countNumber"] for r in json.loads(policy.inputs["policy"])["rules"]
              if r["selection"]["countType"] == "imageCountMoreThan"]
    assert counts == [PROD[f"{NS}:scheduledTasks"]["nightly-report"]["repository"]["keepImages"]]


def test_prod_exports_where_ci_pushes_each_image(prod: ProgramRun) -> None:
    exported = prod.outputs["repositories"]
    assert {name: e["repositoryUrl"] for name, e in exported.items()} == {
        name: _repository(prod, name).outputs["repositoryUrl"] for name in WORKLOADS}


def test_at_a_first_preview_prod_images_are_known() -> None:
    preview = run_stack(ROOT, "prod", preview=True)
    for workload, tag in WORKLOADS.items():
        name = _repository(preview, workload).inputs["name"]
        assert _main_image(preview, workload).endswith(f"/{name}:{tag}")


def test_dev_keeps_plain_image_references(dev: ProgramRun) -> None:
    assert dev.of_type(REPOSITORY) == [] and dev.outputs["repositories"] == {}


# A stack that builds its image, and one with a mutable tag -------------------------------------------------------


def _program(tmp_path: Path, edit) -> Path:
    program = tmp_path / "program"
    program.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    edit(stack["config"])
    (program / "Pulumi.test.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return program


def _build_orders(config: dict) -> None:
    worker = config[f"{NS}:workers"]["orders"]
    del worker["image"]
    worker["repository"] = {"build": {"context": "app", "args": {"VERSION": "1"}}}


def test_a_stack_file_build_is_pushed_to_the_workloads_repository_and_run_by_its_tag(tmp_path: Path) -> None:
    program = _program(tmp_path, _build_orders)
    (program / "app").mkdir()
    (program / "app" / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/busybox:1.37.0\n")
    run = run_stack(program, "test")
    image = run.one(IMAGE)
    assert image.inputs["context"] == "app" and image.inputs["args"] == {"VERSION": "1"}
    assert image.inputs["repositoryUrl"] == _repository(run, "orders").outputs["repositoryUrl"]
    repository = _repository(run, "orders").outputs["repositoryUrl"]
    assert _main_image(run, "orders") == f"{repository}:{image.inputs['imageTag']}"


def _latest(config: dict) -> None:
    config[f"{NS}:services"]["api"]["image"] = "public.ecr.aws/nginx/nginx-unprivileged:latest"


def test_a_mutable_tag_is_warned_about_with_its_key_not_refused(tmp_path: Path) -> None:
    run = run_stack(_program(tmp_path, _latest), "test")
    (warning,) = run.warnings
    assert warning.startswith(f"{NS}:services.api.image: ") and "'latest'" in warning


def test_the_plan_shows_the_warning(tmp_path: Path, capsys) -> None:
    program = _program(tmp_path, _latest)
    code = main(["plan", "--stack", "test", "--dir", str(program), "--pack", str(ROOT / "policies"),
                 "--config", str(ROOT / "policies" / "config" / "dev.json")])
    out = capsys.readouterr().out
    assert code == 0
    shown = [line.strip() for line in out.splitlines() if line.strip().startswith("warning: ")]
    warnings = run_stack(program, "test").warnings
    # Each on its stack-file line: `warning: Pulumi.test.yaml:12 ecs-platform:services.api.image: ...`.
    assert len(shown) == len(warnings) and warnings
    assert all(re.fullmatch(rf"warning: Pulumi\.test\.yaml:\d+ {re.escape(w)}", s) for s, w in zip(shown, warnings))
