"""ImageRepository: a private ECR repository for one service's images, optionally built and pushed from source.

The platform's default stays a plain image reference (`image: <registry>/<repo>:<tag>` in a stack file); a stack
asks for an ImageRepository when it wants the platform to own the repository, and to build the image.
"""

import hashlib
import json
import os
import re
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming, validation
from ._aws import AccountContext
from ._args import check_keys
from .enums import CpuArchitecture

KEEP_IMAGES = 20
"""Images the lifecycle policy keeps (the most recently pushed, tagged or not)."""
UNTAGGED_EXPIRE_DAYS = 3
"""Days an untagged image (a build's leftovers) is kept before it expires."""

# Container platforms Fargate runs Linux tasks on, by the task's CPU architecture.
PLATFORMS: dict[CpuArchitecture, str] = {CpuArchitecture.X86_64: "linux/amd64", CpuArchitecture.ARM64: "linux/arm64"}

# CreateRepository repositoryName, as the ECR API model constrains it (2 to 256 characters).
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
REPOSITORY_SUFFIX = "-images"
MAX_REPOSITORY_NAME = 256
# A Docker image tag: 128 characters at most, letters, digits, _ . -, not starting with . or - (Docker reference
# grammar, which ECR applies to PutImage imageTag).
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

MUTABLE_TAGS: tuple[str, ...] = (
    "latest", "stable", "edge", "nightly", "lts", "current",
    "main", "master", "trunk", "head",
    "dev", "develop", "development", "staging", "prod", "production",
)
"""Tags that by convention move to a new image on every build or release (branch names, channels, `latest`).
A task started later from such a tag (a scale-out, a replaced task) can run another image than the last
deployment did, and a rollback by task definition does not bring the old image back."""


def mutable_tag_problem(image: str) -> Optional[str]:
    """A one-line warning when ``image`` is referenced by a conventionally mutable tag (see :data:`MUTABLE_TAGS`),
    or by no tag at all (Docker then pulls `latest`), with no digest; None for an image pinned by a digest or by
    any other tag."""
    reference = image.strip()
    if "@" in reference:
        return None
    last = reference.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag is None:
        return (f"image {reference!r} has no tag or digest, so every task pulls whatever `latest` is when it "
                f"starts; pin a version tag ({reference}:1.2.3) or a digest ({reference}@sha256:...)")
    if tag.lower() in MUTABLE_TAGS:
        repository = reference[: -len(tag) - 1]
        return (f"image {reference!r} uses the mutable tag {tag!r} without a digest: a task started later (scaling, "
                f"a replaced task) can run a different image than the one deployed; pin a version tag "
                f"({repository}:1.2.3) or a digest ({repository}@sha256:...)")
    return None


class ImageBuild(TypedDict):
    """How to build the service's image from source and push it to the repository (with awsx.ecr.Image)."""

    context: str
    """Directory of the Docker build context, relative to the program's working directory."""
    dockerfile: NotRequired[str]
    """Path of the Dockerfile, relative to the program's working directory. Default: Dockerfile in the context."""
    cpu_architecture: NotRequired[CpuArchitecture]
    """CPU architecture of the tasks that will run the image; it sets the platform. Default: X86_64."""
    platform: NotRequired[str]
    """Platform to build for: linux/amd64 or linux/arm64, matching cpu_architecture. Default: linux/amd64 for
    X86_64, linux/arm64 for ARM64."""
    tag: NotRequired[str]
    """Tag pushed with the image; never a mutable tag such as latest. Default: `src-` and 16 hex characters of a
    SHA-256 over the context's files, the Dockerfile, the platform, the target and the build args, so that changed
    source gets a new tag (the repository's tags are immutable: ECR refuses a changed image under a tag it
    holds)."""
    args: NotRequired[dict[str, str]]
    """Build-time variables (`--build-arg`). Default: none."""
    target: NotRequired[str]
    """Stage of a multi-stage Dockerfile to build. Default: the last stage."""


class ImageRepositoryArgs(TypedDict):
    """Inputs of an ImageRepository."""

    keep_images: NotRequired[int]
    """Most recent images to keep, tagged or not; older ones expire. Keep more than the images pushed between two
    deployments, or the image running tasks were started from may expire. Default: 20."""
    untagged_expire_days: NotRequired[int]
    """Days after which an untagged image expires. Default: 3."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """ARN of the KMS key (or alias) that encrypts images at rest; ECR cannot change it after creation (a change
    replaces the repository). Default: KMS with the AWS managed key aws/ecr."""
    scan_on_push: NotRequired[bool]
    """Scan each pushed image with the repository's own setting, which ECR deprecates in favour of the registry's
    scanning configuration (RegistryScanning). Default: false."""
    protect_data: NotRequired[bool]
    """Refuse to delete or replace the repository (`protect`): its images are what the tasks run. Default: false."""
    force_delete: NotRequired[bool]
    """Delete the repository on destroy even while it holds images. Default: false (a destroy fails instead of
    deleting images tasks may still pull)."""
    build: NotRequired[ImageBuild]
    """Build the image from source and push it. Not with image_tag. Default: no build (images are pushed by CI)."""
    image_tag: NotRequired[str]
    """Tag of an image pushed to the repository outside Pulumi (by CI) that the workload runs; `image_uri` is then
    `<repository url>:<image_tag>`. Never a mutable tag such as latest. Not with build. Default: none."""
    renamed_from: NotRequired[str]
    """The name this component had before a rename: its resources keep their state under the new name (Pulumi
    aliases) instead of being deleted and created again. Keep it for as long as any stack may still hold the old
    name. Default: none."""


class ImageRepository(pulumi.ComponentResource):
    """A private ECR repository with immutable tags, scan on push, KMS encryption and a lifecycle policy, and
    optionally the service's image built from source and pushed to it."""

    repository_name: pulumi.Output[str]
    """Name of the repository (auto-named from `<name>-images`)."""
    repository_url: pulumi.Output[str]
    """URL of the repository: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`."""
    repository_arn: pulumi.Output[str]
    """ARN of the repository."""
    image_uri: pulumi.Output[Optional[str]]
    """The image a task definition runs, by its tag in this repository (`<repository url>:<tag>`): the tag CI
    pushed (`image_tag`), or the build's tag, once the build is pushed; null with neither. Tags here are immutable, so
    a tag names one image; the value is known at a first preview. The build's digest is `image.image_uri`."""

    def __init__(self, name: str, args: ImageRepositoryArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys("ImageRepository", args, ImageRepositoryArgs)
        _repository_name(name)
        keep_images = _positive("keep_images", args.get("keep_images", KEEP_IMAGES))
        untagged_days = _positive("untagged_expire_days", args.get("untagged_expire_days", UNTAGGED_EXPIRE_DAYS))
        kms_key = args.get("kms_key_arn")
        if isinstance(kms_key, str):
            _kms_key(kms_key)
        force_delete = args.get("force_delete", False)
        if not isinstance(force_delete, bool):
            raise ValueError(f"ImageRepository force_delete must be true or false; got {force_delete!r}")
        build = _build(args["build"]) if "build" in args else None
        image_tag = args.get("image_tag")
        if image_tag is not None:
            if build is not None:
                raise ValueError("ImageRepository takes build or image_tag, not both: a build pushes its own tag")
            problem = tag_problem(image_tag)
            if problem:
                raise ValueError(f"ImageRepository image_tag: {problem}")

        opts = naming.renamed("ImageRepository", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:ImageRepository", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        encryption: dict[str, pulumi.Input[str]] = {"encryption_type": "KMS"}
        if kms_key is not None:
            encryption["kms_key"] = kms_key
        repository = aws.ecr.Repository(
            f"{name}{REPOSITORY_SUFFIX}",
            # A tag names one image for good (Security Hub ECR.2): a task definition that says `:1.4.2` runs
            # the image that was tested as 1.4.2, whenever the task starts.
            image_tag_mutability="IMMUTABLE",
            # ECR deprecates scanning set per repository in favour of the registry's configuration ("it is best
            # practice to specify the scan configuration at the private registry level"): see RegistryScanning.
            image_scanning_configuration={"scan_on_push": True} if args.get("scan_on_push") else None,
            encryption_configurations=[encryption],
            force_delete=force_delete,
            opts=pulumi.ResourceOptions(parent=self, protect=bool(args.get("protect_data", False))),
        )
        lifecycle = aws.ecr.LifecyclePolicy(
            f"{name}{REPOSITORY_SUFFIX}",
            repository=repository.name,
            policy=lifecycle_policy(keep_images, untagged_days),
            opts=child,
        )

        self.repository = repository
        """The aws.ecr.Repository, for escape hatches (repository policies, replication)."""
        self.lifecycle_policy = lifecycle
        """The aws.ecr.LifecyclePolicy."""
        self.image: Optional[awsx.ecr.Image] = None
        """The awsx.ecr.Image that builds and pushes the image, when `build` is given; otherwise None."""
        if build is not None:
            self.image = awsx.ecr.Image(
                name,
                awsx.ecr.ImageArgs(
                    repository_url=repository.repository_url,
                    context=build["context"],
                    dockerfile=build.get("dockerfile"),
                    platform=build["platform"],
                    image_tag=build["tag"],
                    args=build.get("args"),
                    target=build.get("target"),
                ),
                opts=child,
            )

        self.repository_name = repository.name
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        # Built from the repository's name, which is known at a first preview (the provider's repositoryUrl and the
        # build's digest are not), so a task definition that runs it is judged then.
        url = AccountContext.of(self).repository_url(repository.name)
        if self.image is not None:
            # The image's URN resolves once the image is pushed (and is known at preview): a task definition that
            # runs this tag waits for the push.
            pushed = self.image.urn.apply(lambda _: "")
            self.image_uri = pulumi.Output.concat(url, ":", build["tag"], pushed)  # type: ignore[index]
        elif image_tag is not None:
            self.image_uri = pulumi.Output.concat(url, ":", image_tag)
        else:
            self.image_uri = pulumi.Output.from_input(None)
        self.register_outputs(
            {
                "repository_name": self.repository_name,
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "image_uri": self.image_uri,
            }
        )



def lifecycle_policy(keep_images: int, untagged_expire_days: int) -> str:
    """The lifecycle policy text (ECR User Guide, "Lifecycle policy properties" and "evaluation rules").

    Untagged images expire first, by age, at priority 1. The rule that counts every image must come last (a rule
    with tagStatus any "must have the highest value for rulePriority"); it still counts the untagged images rule 1
    has not expired yet, but cannot expire them ("An image that matches the tagging requirements of a rule cannot
    be expired by a rule with a lower priority")."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images {untagged_expire_days} days after they were pushed",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expire_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the {keep_images} most recently pushed images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                    "action": {"type": "expire"},
                },
            ]
        }
    )


def _repository_name(name: str) -> None:
    """The repository is auto-named `<name>-images-<7 hex>`: the whole must be a valid ECR repository name."""
    stem = f"{name}{REPOSITORY_SUFFIX}"
    longest = MAX_REPOSITORY_NAME - len(REPOSITORY_SUFFIX) - len("-") - 7
    if not REPOSITORY_NAME.match(stem):
        raise ValueError(f"ImageRepository name {name!r} must be lowercase letters and digits separated by single "
                         ". _ - or / characters (it names the ECR repository)")
    if len(name) > longest:
        raise ValueError(f"ImageRepository name {name!r} is {len(name)} characters; at most {longest} fit an ECR "
                         "repository name with its suffixes")


def _positive(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"ImageRepository {key} must be a whole number of at least 1 (a lifecycle rule's "
                         f"countNumber); got {value!r}")
    return value


def _kms_key(value: str) -> None:
    try:
        validation.kms_key_or_alias_arn(value)
    except ValueError as error:
        raise ValueError(f"ImageRepository kms_key_arn: {error}") from None


class BuildProblem(ValueError):
    """A build setting that cannot work, with the key (under `build`) it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def tag_problem(tag: str) -> Optional[str]:
    """Why ``tag`` cannot name an image of an immutable repository, or None."""
    if not IMAGE_TAG.match(tag):
        return f"must be 1 to 128 letters, digits, _ . - (not starting with . or -); got {tag!r}"
    if tag.lower() in MUTABLE_TAGS:
        return (f"{tag!r} is a moving tag; the repository's tags are immutable, so a second image could never be "
                "pushed under it: use a version such as 1.4.2")
    return None


def check_build(build: ImageBuild) -> ImageBuild:
    """The build with its platform decided; raises :class:`BuildProblem` before anything is registered. Paths are
    relative to the working directory (a Pulumi program's is its project directory). A tag left out is not made
    here (that reads the whole context): :func:`_build` makes it."""
    context = build["context"]
    if not os.path.isdir(context):
        raise BuildProblem("context", f"no directory {context!r} (from {os.getcwd()})")
    dockerfile = build.get("dockerfile")
    if dockerfile is not None and not os.path.isfile(dockerfile):
        raise BuildProblem("dockerfile", f"no file {dockerfile!r} (from {os.getcwd()})")
    if dockerfile is None and not os.path.isfile(os.path.join(context, "Dockerfile")):
        raise BuildProblem("context", f"{context!r} has no Dockerfile; add one or set dockerfile")
    architecture = CpuArchitecture(build.get("cpu_architecture", defaults.CPU_ARCHITECTURE))
    platform = build.get("platform", PLATFORMS[architecture])
    if platform not in PLATFORMS.values():
        raise BuildProblem("platform", f"must be linux/amd64 or linux/arm64 (what Fargate runs); got {platform!r}")
    if platform != PLATFORMS[architecture]:
        raise BuildProblem("platform", f"{platform} does not run on {architecture.value} tasks; use "
                                       f"{PLATFORMS[architecture]} or leave platform out")
    problem = tag_problem(build["tag"]) if "tag" in build else None
    if problem:
        raise BuildProblem("tag", problem)
    return {**build, "platform": platform}


def _build(build: ImageBuild) -> ImageBuild:
    """The build checked, with its platform and tag decided (a tag left out is `src-` and a digest of the
    source)."""
    try:
        checked = check_build(build)
    except BuildProblem as problem:
        raise ValueError(f"ImageRepository build.{problem.key}: {problem}") from None
    if "tag" not in checked:
        digest = source_digest(checked["context"], checked.get("dockerfile"), checked["platform"],
                               checked.get("target"), dict(checked.get("args") or {}))
        checked["tag"] = "src-" + digest[:16]
    return checked


def source_digest(context: str, dockerfile: Optional[str], platform: str, target: Optional[str],
                  args: dict[str, str]) -> str:
    """SHA-256 over what decides the image: every file of the context (path and content, in a fixed order), the
    Dockerfile when it lives elsewhere, the platform, the target and the build args. It may change when nothing
    in the image does (a file .dockerignore leaves out), never the other way round."""
    digest = hashlib.sha256()
    for root, directories, files in os.walk(context):
        directories.sort()
        for file in sorted(files):
            path = os.path.join(root, file)
            if not os.path.isfile(path):
                continue
            digest.update(os.path.relpath(path, context).replace(os.sep, "/").encode() + b"\0")
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    if dockerfile is not None:
        with open(dockerfile, "rb") as handle:
            digest.update(b"dockerfile\0" + handle.read() + b"\0")
    digest.update(json.dumps({"platform": platform, "target": target, "args": args}, sort_keys=True).encode())
    return digest.hexdigest()
