"""Image rules: ECR repositories (Security Hub ECR.* controls) and the images task definitions run.

The pack does not import ecs_platform (it judges any program), so the list of mutable tags is its own, as policy
config, not the components' ``MUTABLE_TAGS``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import (
    Control,
    Messages,
    by_type,
    containers,
    known,
    known_items,
    lookup,
    related,
    resource_policy,
    stack_policy,
)
from .ecs import TASK_DEFINITION

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"

# Tags that by convention move to a new image on every build or release (kept in step with
# ecs_platform.image_repository.MUTABLE_TAGS).
MUTABLE_TAGS = [
    "latest", "stable", "edge", "nightly", "lts", "current",
    "main", "master", "trunk", "head",
    "dev", "develop", "development", "staging", "prod", "production",
]
SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
"""The registry scan frequencies that scan every image of a repository they cover (MANUAL does not)."""

Findings = Iterator[tuple[str, Optional[str]]]


def _name(repository: Any) -> str:
    return str(known(repository.props, "name") or repository.name)


def _covers(filter_: Any, repository_name: Optional[str]) -> bool:
    """Whether a registry scanning filter selects a repository (ECR User Guide, "Filter wildcards": a filter with
    `*` matches names where each `*` stands for zero or more characters; one without matches every name that
    contains it). A repository whose name is not known yet is covered only by `*`."""
    value = known(filter_, "filter") if isinstance(filter_, Mapping) else None
    if not isinstance(value, str) or not value:
        return False
    if repository_name is None:
        return value.strip("*") == ""
    if "*" in value:
        return fnmatch.fnmatchcase(repository_name, value.replace("[", "[[]").replace("?", "[?]"))
    return value in repository_name


def _registry_scans(resources: list[Any], repository_name: Optional[str]) -> bool:
    """Whether a registry scanning configuration of the stack scans the repository on push or continuously."""
    for configuration in by_type(resources, REGISTRY_SCANNING):
        for scanning_rule in known_items(lookup(configuration.props, "rules")):
            if not isinstance(scanning_rule, Mapping) or known(scanning_rule, "scanFrequency") not in \
                    SCANNING_FREQUENCIES:
                continue
            if any(_covers(f, repository_name) for f in known_items(lookup(scanning_rule, "repositoryFilters"))):
                return True
    return False


def _image_scanning(resources: list[Any], config: Mapping[str, Any]) -> Findings:
    if config["registryScansAllRepositories"]:
        return
    for repository in by_type(resources, REPOSITORY):
        # Read as it is: a setting built from a value not known yet leaves the policy unjudged at a preview (the
        # SDK reports it), rather than guessed either way.
        scanning = repository.props.get("imageScanningConfiguration")
        scan_on_push = scanning.get("scanOnPush") if isinstance(scanning, Mapping) else None
        if scan_on_push is True or _registry_scans(resources, known(repository.props, "name")):
            continue
        yield (f"repository {_name(repository)!r} scans no image: set imageScanningConfiguration.scanOnPush, or "
               "cover it with a registry scanning configuration (SCAN_ON_PUSH or CONTINUOUS_SCAN)"), repository.urn


def _tag_immutability(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    # MUTABLE is what the provider sends when the program says nothing; only IMMUTABLE passes ECR.2.
    mutability = args.props.get("imageTagMutability") or "MUTABLE"
    if mutability != "IMMUTABLE":
        yield (f"image tags are {mutability}: a pushed tag can be moved to another image; set imageTagMutability "
               "IMMUTABLE")


def _lifecycle_policies(resources: list[Any], _: Mapping[str, Any]) -> Findings:
    repositories = by_type(resources, REPOSITORY)
    managed = {id(r) for policy in by_type(resources, LIFECYCLE_POLICY)
               for r in related(policy, "repository", repositories, match_key="name")}
    for repository in repositories:
        if id(repository) not in managed:
            yield (f"repository {_name(repository)!r} has no lifecycle policy: every image pushed is kept (and "
                   "billed) forever; add an aws.ecr.LifecyclePolicy for it"), repository.urn


def image_tag(image: str) -> Optional[str]:
    """The tag of an image reference (`registry[:port]/repository[:tag][@digest]`), or None when it has none."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _pinned_images(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Messages:
    mutable = {str(tag).lower() for tag in config["mutableTags"]}
    for container in containers(args.props):
        image, name = str(container.get("image") or ""), container.get("name", "?")
        if not image or "@" in image:
            continue
        tag = image_tag(image)
        if tag is None:
            yield (f"container {name!r} runs {image!r} with no tag or digest, so each task pulls whatever `latest` "
                   "is when it starts; pin a version tag or a digest")
        elif tag.lower() in mutable:
            yield (f"container {name!r} runs {image!r}: {tag!r} is a mutable tag, so a task started later (scaling, "
                   "a replaced task) can run another image than this deployment; pin a version tag or a digest")


def _ecr(control_id: str, severity: Severity, config_rule: str) -> Control:
    return Control(control_id, severity, config_rule, "ecr")


POLICIES = [
    stack_policy("ecr-image-scanning", _ecr("ECR.1", Severity.HIGH, "ecr-private-image-scanning-enabled"),
                 "ECR private repositories must scan images: on push, or by the registry's scanning configuration.",
                 _image_scanning,
                 config={"registryScansAllRepositories": {
                     "type": "boolean", "default": False,
                     "description": "The account's registry scanning configuration, managed outside this stack, "
                                    "scans every repository on push or continuously."}}),
    resource_policy("ecr-tag-immutability", _ecr("ECR.2", Severity.MEDIUM, "ecr-private-tag-immutability-enabled"),
                    "ECR private repositories must have immutable image tags.", [REPOSITORY], _tag_immutability),
    stack_policy("ecr-lifecycle-policy", _ecr("ECR.3", Severity.MEDIUM, "ecr-private-lifecycle-policy-configured"),
                 "ECR repositories must have a lifecycle policy.", _lifecycle_policies),
    resource_policy("ecs-image-pinned", Control("PLATFORM.IMAGE-PINNED", Severity.LOW),
                    "Containers should run images pinned by a version tag or a digest, not a mutable tag such as "
                    "latest.", [TASK_DEFINITION], _pinned_images,
                    config={"mutableTags": {"type": "array", "items": {"type": "string"}, "default": MUTABLE_TAGS,
                                            "description": "Tags (case-insensitive) that move from image to image."}}),
]
