"""ImageRepository: an ECR repository per service (immutable tags, scan on push, KMS, lifecycle), the optional
build from source, the mutable-tag warning settings give, and what the mocks and deploy fidelity make of it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from ecs_platform.enums import CpuArchitecture
from ecs_platform.image_repository import ImageRepository, lifecycle_policy, mutable_tag_problem
from ecs_platform.registry_scanning import RegistryScanning
from ecs_platform.offline import UNKNOWN, run
from ecs_platform.toolchain import fidelity

from .helpers import watch_runs

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "awsx:ecr:Image"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DIGEST_URI = re.compile(r"^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/api-images-[0-9a-f]{7}@sha256:[0-9a-f]{64}$")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A build context with a Dockerfile and one file of application code."""
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/busybox:1.37.0\nCOPY app.sh /app.sh\n")
    (tmp_path / "app.sh").write_text("echo hello\n")
    return tmp_path


def repository(run_component, args: dict[str, Any] | None = None, name: str = "api"):
    return run_component(lambda: ImageRepository(name, args or {}))


def rules(run) -> list[dict[str, Any]]:
    return json.loads(run.one(LIFECYCLE).inputs["policy"])["rules"]


# The repository ------------------------------------------------------------------------------------------------


def test_tags_are_immutable(run_component) -> None:
    assert repository(run_component).one(REPOSITORY).inputs["imageTagMutability"] == "IMMUTABLE"


def test_the_registry_scans_every_push_of_every_repository(run_component) -> None:
    run = run_component(lambda: RegistryScanning("registry", {}))
    configuration = run.one("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration").inputs
    assert configuration == {"scanType": "BASIC", "rules": [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]}


def test_a_repository_leaves_the_deprecated_repository_level_scanning_alone_by_default(run_component) -> None:
    assert "imageScanningConfiguration" not in repository(run_component).one(REPOSITORY).inputs


def test_images_are_encrypted_with_the_aws_managed_kms_key_by_default(run_component) -> None:
    assert repository(run_component).one(REPOSITORY).inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]


def test_a_given_kms_key_encrypts_the_images(run_component) -> None:
    run = repository(run_component, {"kms_key_arn": KEY})
    assert run.one(REPOSITORY).inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY}]


def test_a_repository_holding_images_is_not_deleted_by_default(run_component) -> None:
    assert repository(run_component).one(REPOSITORY).inputs["forceDelete"] is False
    assert repository(run_component, {"force_delete": True}).one(REPOSITORY).inputs["forceDelete"] is True


def test_the_repository_is_auto_named_after_the_service(run_component) -> None:
    name = repository(run_component, name="billing").one(REPOSITORY).inputs["name"]
    assert re.fullmatch(r"billing-images-[0-9a-f]{7}", name)


# The lifecycle policy ------------------------------------------------------------------------------------------


def test_lifecycle_policy_is_attached_to_the_repository(run_component) -> None:
    run = repository(run_component)
    assert run.one(LIFECYCLE).inputs["repository"] == run.one(REPOSITORY).outputs["name"]


def test_untagged_images_expire_first_after_three_days(run_component) -> None:
    first = rules(repository(run_component))[0]
    assert first["rulePriority"] == 1
    assert first["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                  "countNumber": 3}
    assert first["action"] == {"type": "expire"}


def test_the_twenty_newest_images_are_kept_by_the_last_rule(run_component) -> None:
    found = rules(repository(run_component))
    last = found[-1]
    assert last["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
    # ECR: a rule with tagStatus any must have the highest priority.
    assert last["rulePriority"] == max(r["rulePriority"] for r in found) == 2


def test_lifecycle_counts_come_from_the_args(run_component) -> None:
    found = rules(repository(run_component, {"keep_images": 50, "untagged_expire_days": 1}))
    assert [r["selection"]["countNumber"] for r in found] == [1, 50]


# The build -----------------------------------------------------------------------------------------------------


def test_no_image_is_built_by_default(run_component) -> None:
    run = repository(run_component)
    assert run.of_type(IMAGE) == []
    uri = run_component_output(lambda: ImageRepository("api", {}), "image_uri")
    assert uri is None


def run_component_output(build, attribute: str) -> Any:
    """The resolved value of one output of the component ``build`` returns."""
    found: dict[str, Any] = {}

    def program() -> None:
        component = build()
        getattr(component, attribute).apply(lambda value: found.__setitem__("value", value))

    run(program, project="test", stack="test", config={"aws:region": "us-east-1"})
    return found["value"]


def test_a_build_pushes_to_the_repository_and_gives_the_image_by_its_immutable_tag(run_component,
                                                                                   source: Path) -> None:
    run = repository(run_component, {"build": {"context": str(source)}})
    image = run.one(IMAGE)
    assert image.remote and image.inputs["repositoryUrl"] == run.one(REPOSITORY).outputs["repositoryUrl"]
    assert DIGEST_URI.match(image.outputs["imageUri"])
    uri = run_component_output(lambda: ImageRepository("api", {"build": {"context": str(source)}}), "image_uri")
    assert uri == f"{run.one(REPOSITORY).outputs['repositoryUrl']}:{image.inputs['imageTag']}"


def test_what_runs_a_built_image_waits_for_its_push(source: Path) -> None:
    def program() -> None:
        repository = ImageRepository("api", {"build": {"context": str(source)}})
        aws.ecs.TaskDefinition("app", family="app", container_definitions=repository.image_uri.apply(
            lambda image: json.dumps([{"name": "app", "image": image}])))
    found = run(program, project="p", stack="s", config={"aws:region": "us-east-1"}, preview=True)
    definition = found.one("aws:ecs/taskDefinition:TaskDefinition")
    assert found.one(IMAGE).urn in definition.property_dependencies["containerDefinitions"]
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    assert container["image"].endswith(":" + found.one(IMAGE).inputs["imageTag"])


def test_the_image_component_answers_with_its_outputs_only(run_component, source: Path) -> None:
    image = repository(run_component, {"build": {"context": str(source)}}).one(IMAGE)
    assert set(image.outputs) == {"imageUri"}


@pytest.mark.parametrize("architecture, platform", [(None, "linux/amd64"), (CpuArchitecture.ARM64, "linux/arm64")])
def test_the_build_platform_follows_the_tasks_cpu_architecture(run_component, source: Path, architecture,
                                                               platform: str) -> None:
    build: dict[str, Any] = {"context": str(source)}
    if architecture is not None:
        build["cpu_architecture"] = architecture
    assert repository(run_component, {"build": build}).one(IMAGE).inputs["platform"] == platform


def test_the_default_tag_changes_with_the_source(run_component, source: Path) -> None:
    before = repository(run_component, {"build": {"context": str(source)}}).one(IMAGE).inputs["imageTag"]
    (source / "app.sh").write_text("echo goodbye\n")
    after = repository(run_component, {"build": {"context": str(source)}}).one(IMAGE).inputs["imageTag"]
    assert re.fullmatch(r"src-[0-9a-f]{16}", before) and before != after


def test_a_given_tag_dockerfile_and_args_are_passed_to_the_build(run_component, source: Path) -> None:
    build = {"context": str(source), "dockerfile": str(source / "Dockerfile"), "tag": "1.4.2",
             "args": {"VERSION": "1.4.2"}, "target": "runtime"}
    inputs = repository(run_component, {"build": build}).one(IMAGE).inputs
    assert (inputs["imageTag"], inputs["dockerfile"], inputs["args"], inputs["target"]) == (
        "1.4.2", str(source / "Dockerfile"), {"VERSION": "1.4.2"}, "runtime")


def test_every_child_is_parented_to_the_component(run_component, source: Path) -> None:
    run = repository(run_component, {"build": {"context": str(source)}})
    component = run.one("ecs-platform:index:ImageRepository")
    assert {r.type for r in run.children(component)} == {REPOSITORY, LIFECYCLE, IMAGE}


def test_outputs_are_the_repository_url_and_arn(run_component) -> None:
    url = run_component_output(lambda: ImageRepository("api", {}), "repository_url")
    arn = run_component_output(lambda: ImageRepository("api", {}), "repository_arn")
    assert re.fullmatch(r"123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/api-images-[0-9a-f]{7}", url)
    assert arn == f"arn:aws:ecr:us-east-1:123456789012:repository/{url.split('/', 1)[1]}"


def test_an_image_pushed_by_ci_is_run_by_its_tag_in_the_repository() -> None:
    uri = run_component_output(lambda: ImageRepository("api", {"image_tag": "1.4.2"}), "image_uri")
    url = run_component_output(lambda: ImageRepository("api", {}), "repository_url")
    assert uri == f"{url}:1.4.2"


def test_an_image_tag_builds_nothing(run_component) -> None:
    assert repository(run_component, {"image_tag": "1.4.2"}).of_type(IMAGE) == []


# Refusals, before anything is registered -----------------------------------------------------------------------


def refusal(args: dict[str, Any], monkeypatch, name: str = "api") -> str:
    """The message the component refuses ``args`` with, having checked that nothing but the stack was registered
    before it."""
    monitors = watch_runs(monkeypatch)
    with pytest.raises(ValueError) as refused:
        run(lambda: ImageRepository(name, args), project="p", stack="s", config={"aws:region": "us-east-1"})
    assert [r.type for r in monitors[0].registrations] == ["pulumi:pulumi:Stack"]
    return str(refused.value)


@pytest.mark.parametrize("args, message", [
    ({"keep_image": 5}, "did you mean keep_images?"),
    ({"build": {"context": ".", "dockerfil": "Dockerfile"}}, "args.build: unknown key 'dockerfil'; did you mean "
                                                             "dockerfile?"),
    ({"build": {"dockerfile": "Dockerfile"}}, "args.build: 'context' is required"),
], ids=["top level", "build", "build without context"])
def test_a_misspelt_arg_is_refused_before_anything_is_registered(args, message: str, monkeypatch) -> None:
    assert message in refusal(args, monkeypatch)


@pytest.mark.parametrize("args, message", [
    ({"keep_images": 0}, "keep_images must be a whole number of at least 1"),
    ({"untagged_expire_days": 2.5}, "untagged_expire_days must be a whole number of at least 1"),
    ({"kms_key_arn": "alias/ecr"}, "kms_key_arn: not an ARN"),
    ({"kms_key_arn": "arn:aws:s3:::bucket"}, "expected an ARN of service 'kms'"),
    ({"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:grant/abc"}, "the ARN of a KMS key or alias"),
    ({"force_delete": "yes"}, "force_delete must be true or false"),
    ({"build": {"context": "/nonexistent/source"}}, "build.context: no directory '/nonexistent/source'"),
    ({"image_tag": "latest"}, "image_tag: 'latest' is a moving tag"),
    ({"image_tag": "1.4.2/x"}, "image_tag: must be 1 to 128 letters"),
], ids=["keep none", "fractional days", "alias without arn", "not a kms arn", "not a key", "force delete text",
        "no context", "moving image tag", "bad image tag"])
def test_a_bad_value_is_refused_before_anything_is_registered(args, message: str, monkeypatch) -> None:
    assert message in refusal(args, monkeypatch)


@pytest.mark.parametrize("build, message", [
    ({"platform": "linux/386"}, "build.platform: must be linux/amd64 or linux/arm64"),
    ({"platform": "linux/amd64", "cpu_architecture": CpuArchitecture.ARM64},
     "build.platform: linux/amd64 does not run on ARM64 tasks; use linux/arm64"),
    ({"tag": "latest"}, "build.tag: 'latest' is a moving tag"),
    ({"tag": "-v1"}, "build.tag: must be 1 to 128 letters"),
    ({"dockerfile": "/nonexistent/Dockerfile"}, "build.dockerfile: no file '/nonexistent/Dockerfile'"),
], ids=["not a fargate platform", "platform against architecture", "mutable tag", "bad tag", "no dockerfile"])
def test_a_bad_build_is_refused_before_anything_is_registered(build, message: str, source: Path, monkeypatch) -> None:
    assert message in refusal({"build": {"context": str(source), **build}}, monkeypatch)


def test_a_build_and_an_image_tag_together_are_refused(source: Path, monkeypatch) -> None:
    assert "build or image_tag, not both" in refusal({"build": {"context": str(source)}, "image_tag": "1.4.2"},
                                                     monkeypatch)


def test_a_context_without_a_dockerfile_is_refused(tmp_path: Path, monkeypatch) -> None:
    assert "has no Dockerfile" in refusal({"build": {"context": str(tmp_path)}}, monkeypatch)


@pytest.mark.parametrize("name", ["Billing", "api_", "-api"])
def test_a_name_that_cannot_name_a_repository_is_refused(name: str, monkeypatch) -> None:
    assert "must be lowercase letters and digits" in refusal({}, monkeypatch, name=name)


# Mutable tags (what settings warn about) ---------------------------------------------------------------------


@pytest.mark.parametrize("image", [
    "public.ecr.aws/nginx/nginx-unprivileged:latest",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:main",
    "ghcr.io/acme/api:Stable",
    "localhost:5000/api:dev",
    "nginx",
])
def test_a_mutable_tag_gets_a_one_line_warning(image: str) -> None:
    warning = mutable_tag_problem(image)
    assert warning and "\n" not in warning and image in warning


@pytest.mark.parametrize("image", [
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:1.4.2",
    "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine",
    "localhost:5000/api:2.0.1",
    "example/app:latest@sha256:" + "a" * 64,
    "example/app@sha256:" + "b" * 64,
])
def test_an_image_pinned_by_version_or_digest_gets_no_warning(image: str) -> None:
    assert mutable_tag_problem(image) is None


def test_the_warning_names_the_tag_and_how_to_pin() -> None:
    warning = mutable_tag_problem("example/api:latest")
    assert "'latest'" in warning and "example/api:1.2.3" in warning and "example/api@sha256:" in warning


# What the mocks answer -----------------------------------------------------------------------------------------


def test_the_repository_answers_with_its_url_arn_and_registry(run_component) -> None:
    outputs = repository(run_component).one(REPOSITORY).outputs
    name = outputs["name"]
    assert outputs["repositoryUrl"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}"
    assert outputs["arn"] == f"arn:aws:ecr:us-east-1:123456789012:repository/{name}"
    assert outputs["registryId"] == "123456789012"


def test_the_region_of_the_provider_is_in_the_repository_url() -> None:
    found = run(lambda: ImageRepository("api", {}), project="p", stack="s", config={"aws:region": "eu-west-1"})
    assert ".dkr.ecr.eu-west-1.amazonaws.com/" in found.one(REPOSITORY).outputs["repositoryUrl"]


def test_at_a_first_preview_the_name_is_known_and_what_aws_assigns_is_not(source: Path) -> None:
    found = run(lambda: ImageRepository("api", {"build": {"context": str(source)}}), project="p", stack="s",
                config={"aws:region": "us-east-1"}, preview=True)
    repo = found.one(REPOSITORY)
    assert repo.inputs["name"].startswith("api-images-") and repo.outputs["repositoryUrl"] == UNKNOWN
    assert found.one(IMAGE).outputs == {"imageUri": UNKNOWN}


def test_at_a_first_preview_the_image_ci_pushed_is_already_known() -> None:
    # The task definition that runs it is judged at a first preview only if its image is known then.
    def program() -> None:
        repository = ImageRepository("api", {"image_tag": "1.4.2"})
        aws.ecs.TaskDefinition("app", family="app", container_definitions=repository.image_uri.apply(
            lambda image: json.dumps([{"name": "app", "image": image}])))
    found = run(program, project="p", stack="s", config={"aws:region": "us-east-1"}, preview=True)
    name = found.one(REPOSITORY).inputs["name"]
    (container,) = json.loads(found.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
    assert container["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:1.4.2"


# Deploy fidelity -----------------------------------------------------------------------------------------------


def fidelity_lines(build, preview: bool = False) -> list[str]:
    report = fidelity.check(run(build, project="fidelity", stack="test", config={"aws:region": "us-east-1"},
                                preview=preview))
    return [v.line() for v in report.violations]


@pytest.mark.parametrize("preview", [False, True], ids=["full", "first preview"])
def test_the_component_sends_requests_aws_accepts(source: Path, preview: bool) -> None:
    assert fidelity_lines(lambda: ImageRepository("api", {"kms_key_arn": KEY, "build": {"context": str(source)}}),
                          preview) == []


def test_the_component_is_created_with_create_repository_and_put_lifecycle_policy() -> None:
    report = fidelity.check(run(lambda: ImageRepository("api", {}), project="f", stack="t",
                                config={"aws:region": "us-east-1"}))
    assert report.operations == {"ecr:CreateRepository": 1, "ecr:PutLifecyclePolicy": 1}


def lifecycle(*rules_: dict[str, Any]) -> Any:
    def build() -> None:
        repo = aws.ecr.Repository("repo", image_tag_mutability="IMMUTABLE")
        aws.ecr.LifecyclePolicy("repo", repository=repo.name, policy=json.dumps({"rules": list(rules_)}))
    return build


def keep(priority: int = 1, count: Any = 10, status: str = "any", **selection: Any) -> dict[str, Any]:
    return {"rulePriority": priority, "selection": {"tagStatus": status, "countType": "imageCountMoreThan",
                                                   "countNumber": count, **selection}, "action": {"type": "expire"}}


def old(priority: int = 1, days: Any = 3, status: str = "untagged", **selection: Any) -> dict[str, Any]:
    return {"rulePriority": priority, "selection": {"tagStatus": status, "countType": "sinceImagePushed",
                                                   "countUnit": "days", "countNumber": days, **selection},
            "action": {"type": "expire"}}


@pytest.mark.parametrize("rules_, field, snippet", [
    ((keep(1, status="tagged", tagPrefixList=["v"]), keep(1, status="tagged", tagPrefixList=["r"])),
     "rules[1].rulePriority", "rule priorities must be unique"),
    ((keep(0),), "rules[0].rulePriority", "at least 1"),
    ((keep(1), old(2)), "rules[0].rulePriority", "tagStatus any must have the highest priority"),
    ((keep(1, count=0),), "rules[0].selection.countNumber", "0 is not accepted"),
    ((keep(1, status="newest"),), "rules[0].selection.tagStatus", "must be tagged, untagged or any"),
    ((keep(1, status="tagged"),), "rules[0].selection.tagStatus", "needs a tagPrefixList or a tagPatternList"),
    ((old(1, tagPrefixList=["v"]),), "rules[0].selection.tagPrefixList", "remove tagPrefixList"),
    ((keep(1, status="tagged", tagPatternList=["*a*b*c*d*"]),), "rules[0].selection.tagPatternList",
     "at most 4 wildcards"),
    ((old(1), old(2, days=7)), "rules[1].selection.tagStatus", "only one rule may select untagged images"),
    ((old(1, countUnit="weeks"),), "rules[0].selection.countUnit", "counted in days"),
    ((keep(1, countUnit="days"),), "rules[0].selection.countUnit", "applies to ages only"),
    (({"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5},
       "action": {"type": "delete"}},), "rules[0].action.type", "must be expire or transition"),
    ((), "lifecyclePolicyText", "non-empty list of rules"),
], ids=["duplicate priority", "priority zero", "any not last", "count zero", "tag status", "tagged without list",
        "untagged with list", "too many wildcards", "two untagged rules", "weeks", "unit on a count", "action",
        "no rules"])
def test_a_lifecycle_policy_aws_refuses_is_caught(rules_, field: str, snippet: str) -> None:
    report = fidelity.check(run(lifecycle(*rules_), project="f", stack="t", config={"aws:region": "us-east-1"}))
    found = [v for v in report.violations if v.operation == "ecr:PutLifecyclePolicy" and v.field.endswith(field)]
    assert found and any(snippet in v.message for v in found), [v.line() for v in report.violations]


def test_the_components_lifecycle_policy_passes_every_lifecycle_rule() -> None:
    policy = json.loads(lifecycle_policy(20, 3))
    assert fidelity_lines(lifecycle(*policy["rules"])) == []


def test_a_policy_that_is_not_json_is_caught() -> None:
    def build() -> None:
        repo = aws.ecr.Repository("repo")
        aws.ecr.LifecyclePolicy("repo", repository=repo.name, policy="{rules: []}" + " " * 100)
    assert any("lifecyclePolicyText: is not JSON" in line for line in fidelity_lines(build))


def test_a_kms_key_from_another_region_is_caught() -> None:
    other = KEY.replace("us-east-1", "eu-west-1")
    lines = fidelity_lines(lambda: aws.ecr.Repository("repo", encryption_configurations=[
        {"encryption_type": "KMS", "kms_key": other}]))
    assert any("encryptionConfiguration.kmsKey" in line and "region us-east-1" in line for line in lines)


def test_exclusion_filters_without_an_exclusion_mode_are_caught() -> None:
    lines = fidelity_lines(lambda: aws.ecr.Repository("repo", image_tag_mutability="IMMUTABLE",
                                                      image_tag_mutability_exclusion_filters=[
                                                          {"filter": "dev-*", "filter_type": "WILDCARD"}]))
    assert any("imageTagMutabilityExclusionFilters" in line for line in lines)


def test_continuous_scanning_needs_enhanced_registry_scanning() -> None:
    def scanning(scan_type: str):
        return lambda: aws.ecr.RegistryScanningConfiguration("registry", scan_type=scan_type, rules=[
            {"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": [{"filter": "*", "filter_type": "WILDCARD"}]}])
    assert any("rules[0].scanFrequency" in line for line in fidelity_lines(scanning("BASIC")))
    assert fidelity_lines(scanning("ENHANCED")) == []


def test_a_repository_name_aws_refuses_is_caught_by_the_model() -> None:
    lines = fidelity_lines(lambda: aws.ecr.Repository("repo", name="Shop_API"))
    assert any("repositoryName" in line and "does not match the pattern" in line for line in lines)


def test_the_output_used_in_a_program_keeps_the_dependency(run_component) -> None:
    # A task definition built from the image URI waits for the image: the dependency crosses the component.
    def program() -> None:
        repo = ImageRepository("api", {})
        aws.ecs.TaskDefinition("app", family="app", container_definitions=pulumi.Output.json_dumps(
            [{"name": "app", "image": pulumi.Output.concat(repo.repository_url, ":1.4.2")}]))
    found = run_component(program)
    definition = found.one("aws:ecs/taskDefinition:TaskDefinition")
    repo = found.one(REPOSITORY)
    assert repo.urn in definition.property_dependencies["containerDefinitions"]
    assert f"{repo.outputs['repositoryUrl']}:1.4.2" in definition.inputs["containerDefinitions"]
