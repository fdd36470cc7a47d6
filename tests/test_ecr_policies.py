"""The image rules of the policy pack: ECR.1 (scanning), ECR.2 (tag immutability), ECR.3 (lifecycle policy) and the
platform's advisory on mutable image tags, each violated and kept, in a full run and at a first preview."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from ecs_platform.image_repository import ImageRepository
from ecs_platform.registry_scanning import RegistryScanning
from ecs_platform.testing import ProgramRun, run
from ecs_platform.toolchain.policy_runner import PolicyPack, PolicyReport, analyze, reconcile_config

from .conftest import ROOT
from .policy_support import POLICIES, analyze_props, program, violations

PACK = ROOT / "policies"
PROD = PACK / "config" / "prod.json"
DEV = PACK / "config" / "dev.json"
REPOSITORY = "aws:ecr/repository:Repository"
KEEP_TEN = json.dumps({"rules": [{"rulePriority": 1, "selection": {
    "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}}]})
ECR_POLICIES = ("ecr-image-scanning", "ecr-tag-immutability", "ecr-lifecycle-policy")


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    """The pack started once, as the engine starts it, for every analysis of this module."""
    with PolicyPack(PACK, project="policy-test", stack="test", config={}) as started:
        yield started


def first_preview(build: Callable[[], Any]) -> ProgramRun:
    return run(build, project="policy-test", stack="test", config={"aws:region": "us-east-1"}, preview=True)


def report(pack: PolicyPack, run_: ProgramRun, config: Path = PROD) -> PolicyReport:
    """The pack's verdicts through the engine's whole sequence (property dependencies included)."""
    return analyze(pack, run_, config)


def caught(result: PolicyReport, policy: str) -> list[str]:
    return [v.message for v in result.violations if v.policy == policy]


def repository(name: str = "subject", **args: Any) -> aws.ecr.Repository:
    settings = dict(image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True})
    settings.update(args)
    return aws.ecr.Repository(name, **settings)


# The controls and their levels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy, control, severity, config_rule", [
    ("ecr-image-scanning", "ECR.1", "high", "ecr-private-image-scanning-enabled"),
    ("ecr-tag-immutability", "ECR.2", "medium", "ecr-private-tag-immutability-enabled"),
    ("ecr-lifecycle-policy", "ECR.3", "medium", "ecr-private-lifecycle-policy-configured"),
    ("ecs-image-pinned", "PLATFORM.IMAGE-PINNED", "low", None),
])
def test_each_rule_carries_its_control_severity_and_config_rule(policy: str, control: str, severity: str,
                                                                config_rule: str | None) -> None:
    found = POLICIES[policy]
    assert found.framework.reference == control and found.severity.value == severity
    assert (f"aws-config:{config_rule}" in found.tags) if config_rule else found.url is None
    if config_rule:
        assert found.url == f"https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#" \
                            f"{control.lower().replace('.', '-')}"


def configured_levels(pack: PolicyPack, config: Path) -> dict[str, str]:
    """Each policy's enforcement level under a stack's pack config, as the runner configures the pack."""
    policies = report(pack, program(lambda: None), config).policies
    return {name: entry["level"] for name, entry in
            reconcile_config(policies, json.loads(config.read_text())).items()}


def test_prod_enforces_the_ecr_controls_and_only_advises_on_mutable_tags(pack: PolicyPack) -> None:
    levels = configured_levels(pack, PROD)
    assert [levels[p] for p in ECR_POLICIES] == ["mandatory"] * 3
    assert levels["ecs-image-pinned"] == "advisory"


def test_dev_keeps_the_defaults_scanning_mandatory_the_rest_advisory(pack: PolicyPack) -> None:
    levels = configured_levels(pack, DEV)
    assert [levels[p] for p in (*ECR_POLICIES, "ecs-image-pinned")] == ["mandatory", "advisory", "advisory",
                                                                         "advisory"]


# ECR.1: image scanning -----------------------------------------------------------------------------------------


def test_a_repository_that_scans_nothing_is_reported() -> None:
    messages = violations("ecr-image-scanning", program(lambda: repository(image_scanning_configuration=None)))
    assert len(messages) == 1 and "scans no image" in messages[0]


def test_scan_on_push_switched_off_is_reported() -> None:
    run_ = program(lambda: repository(image_scanning_configuration={"scan_on_push": False}))
    assert violations("ecr-image-scanning", run_)


def test_scan_on_push_keeps_the_control() -> None:
    assert violations("ecr-image-scanning", program(lambda: repository())) == []


@pytest.mark.parametrize("frequency, repository_filter, covered", [
    ("SCAN_ON_PUSH", "*", True),
    ("CONTINUOUS_SCAN", "subject-*", True),
    ("SCAN_ON_PUSH", "subj", True),
    ("SCAN_ON_PUSH", "billing-*", False),
    ("MANUAL", "*", False),
], ids=["all on push", "wildcard continuous", "contains", "another prefix", "manual only"])
def test_a_registry_scanning_rule_that_covers_the_repository_keeps_the_control(frequency: str, repository_filter: str,
                                                                               covered: bool) -> None:
    def build() -> None:
        repository(image_scanning_configuration=None)
        aws.ecr.RegistryScanningConfiguration("registry", scan_type="ENHANCED", rules=[
            {"scan_frequency": frequency, "repository_filters": [{"filter": repository_filter,
                                                                  "filter_type": "WILDCARD"}]}])
    assert (violations("ecr-image-scanning", program(build)) == []) is covered


def test_registry_scanning_managed_elsewhere_is_declared_in_config() -> None:
    run_ = program(lambda: repository(image_scanning_configuration=None))
    assert violations("ecr-image-scanning", run_, {"registryScansAllRepositories": True}) == []


def test_scanning_is_judged_at_a_first_preview(pack: PolicyPack) -> None:
    result = report(pack, first_preview(lambda: repository(image_scanning_configuration={"scan_on_push": False})))
    assert caught(result, "ecr-image-scanning") and not result.unjudged


def test_scanning_built_from_a_value_not_known_yet_is_left_unjudged(pack: PolicyPack) -> None:
    def build() -> None:
        switch = aws.sqs.Queue("switch").arn.apply(lambda arn: {"scan_on_push": bool(arn)})
        repository(image_scanning_configuration=switch)
    result = report(pack, first_preview(build))
    assert caught(result, "ecr-image-scanning") == []
    assert [(v.policy, v.level) for v in result.unjudged] == [("ecr-image-scanning", "mandatory")]


# ECR.2: tag immutability ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mutability", [None, "MUTABLE", "IMMUTABLE_WITH_EXCLUSION"], ids=["default", "mutable",
                                                                                           "with exclusions"])
def test_tags_that_can_move_are_reported(mutability: str | None) -> None:
    def build() -> None:
        exclusions = [{"filter": "dev-*", "filter_type": "WILDCARD"}] if mutability == "IMMUTABLE_WITH_EXCLUSION" else None
        repository(image_tag_mutability=mutability, image_tag_mutability_exclusion_filters=exclusions)
    messages = violations("ecr-tag-immutability", program(build))
    assert messages and all("set imageTagMutability IMMUTABLE" in m for m in messages)


def test_immutable_tags_keep_the_control() -> None:
    assert violations("ecr-tag-immutability", program(lambda: repository())) == []


def test_immutability_is_judged_at_a_first_preview(pack: PolicyPack) -> None:
    result = report(pack, first_preview(lambda: repository(image_tag_mutability="MUTABLE")))
    assert caught(result, "ecr-tag-immutability") and not result.unjudged


# ECR.3: lifecycle policy ---------------------------------------------------------------------------------------


def test_a_repository_without_a_lifecycle_policy_is_reported() -> None:
    messages = violations("ecr-lifecycle-policy", program(lambda: repository()))
    assert len(messages) == 1 and "has no lifecycle policy" in messages[0]


def test_a_lifecycle_policy_of_the_repository_keeps_the_control() -> None:
    def build() -> None:
        aws.ecr.LifecyclePolicy("subject", repository=repository().name, policy=KEEP_TEN)
    assert violations("ecr-lifecycle-policy", program(build)) == []


def test_a_lifecycle_policy_naming_the_repository_by_its_written_name_counts() -> None:
    def build() -> None:
        aws.ecr.Repository("subject", name="shop-api", image_tag_mutability="IMMUTABLE")
        aws.ecr.LifecyclePolicy("subject", repository="shop-api", policy=KEEP_TEN)
    assert violations("ecr-lifecycle-policy", program(build)) == []


def test_a_lifecycle_policy_of_another_repository_does_not_count() -> None:
    def build() -> None:
        repository()
        other = repository(name="other")
        aws.ecr.LifecyclePolicy("other", repository=other.name, policy=KEEP_TEN)
    messages = violations("ecr-lifecycle-policy", program(build))
    assert len(messages) == 1 and "subject-" in messages[0]


def test_at_a_first_preview_the_policy_is_matched_through_its_property_dependencies(pack: PolicyPack) -> None:
    # The policy names its repository by a value AWS assigns (unknown at preview): only the dependency links them.
    def build() -> None:
        repo = repository()
        aws.ecr.LifecyclePolicy("subject", repository=repo.repository_url.apply(lambda url: url.rsplit("/", 1)[1]),
                                policy=KEEP_TEN)
        repository(name="forgotten")
    result = report(pack, first_preview(build))
    assert [(v.resource_name, v.level) for v in result.violations if v.policy == "ecr-lifecycle-policy"] == [
        ("forgotten", "mandatory")]
    assert not result.unjudged


# PLATFORM.IMAGE-PINNED: mutable image tags ---------------------------------------------------------------------


def task_running(*images: str) -> Callable[[], Any]:
    definitions = [{"name": f"c{i}", "image": image, "essential": i == 0} for i, image in enumerate(images)]
    return lambda: aws.ecs.TaskDefinition("subject", family="app", container_definitions=json.dumps(definitions))


@pytest.mark.parametrize("image", ["example/app:latest", "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:main",
                                   "localhost:5000/app:STABLE", "example/app"])
def test_a_container_on_a_mutable_tag_is_advised_against(image: str) -> None:
    messages = violations("ecs-image-pinned", program(task_running("example/sidecar:1.0", image)))
    assert len(messages) == 1 and image in messages[0] and "'c1'" in messages[0]


@pytest.mark.parametrize("image", ["example/app:1.4.2", "localhost:5000/app:2.0", "example/app@sha256:" + "a" * 64,
                                   "example/app:latest@sha256:" + "b" * 64])
def test_a_container_pinned_by_version_or_digest_passes(image: str) -> None:
    assert violations("ecs-image-pinned", program(task_running(image))) == []


def test_the_mutable_tags_come_from_config() -> None:
    run_ = program(task_running("example/app:canary"))
    assert violations("ecs-image-pinned", run_) == []
    assert violations("ecs-image-pinned", run_, {"mutableTags": ["canary"]})


def test_mutable_tags_are_judged_at_a_first_preview(pack: PolicyPack) -> None:
    result = report(pack, first_preview(task_running("example/app:latest")))
    assert [v.level for v in result.violations if v.policy == "ecs-image-pinned"] == ["advisory"]


def test_an_unknown_image_is_left_unjudged_rather_than_guessed() -> None:
    response = analyze_props("ecs-image-pinned", "aws:ecs/taskDefinition:TaskDefinition",
                             {"family": "app", "containerDefinitions": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    assert all("during preview" in d.message for d in response.diagnostics)


# The component keeps every image rule --------------------------------------------------------------------------


def test_a_repository_scans_through_the_registry_not_its_own_deprecated_setting(pack: PolicyPack) -> None:
    alone = program(lambda: ImageRepository("api", {"image_tag": "1.0.0"}))
    assert "imageScanningConfiguration" not in alone.one("aws:ecr/repository:Repository").inputs
    assert [v.policy for v in report(pack, alone).violations if v.policy in ECR_POLICIES] == ["ecr-image-scanning"]


@pytest.mark.parametrize("preview", [False, True], ids=["full", "first preview"])
def test_an_image_repository_keeps_every_ecr_control(pack: PolicyPack, preview: bool, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/busybox:1.37.0\n")

    def build() -> None:
        ImageRepository("api", {"build": {"context": str(tmp_path)}})
        RegistryScanning("registry", {})
    run_ = first_preview(build) if preview else program(build)
    result = report(pack, run_)
    assert [v for v in result.violations if v.policy in ECR_POLICIES] == [] and not result.unjudged
