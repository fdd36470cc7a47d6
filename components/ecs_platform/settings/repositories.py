"""Settings of a workload's own ECR repository (``repository``) and of the image build that can fill it."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator, model_validator

from .. import validation
from ..enums import CpuArchitecture
from ..image_repository import KEEP_IMAGES, UNTAGGED_EXPIRE_DAYS, ImageBuild, ImageRepositoryArgs, tag_problem
from .base import Bool, KeyProblem, _Settings


class ImageBuildSettings(_Settings):
    """Build the image from a Dockerfile and push it to the workload's repository (awsx.ecr.Image); the tag is a
    digest of the source, so changed source is a new image."""

    context: str = Field(description="Directory of the Docker build context, relative to the project. Required.")
    dockerfile: Optional[str] = Field(None, description="Path of the Dockerfile, relative to the project. Default: "
                                                        "Dockerfile in the context.")
    target: Optional[str] = Field(None, description="Stage of a multi-stage Dockerfile. Default: the last.")
    args: dict[str, str] = Field(default_factory=dict, description="Build arguments (--build-arg).")

    def image_build(self, cpu_architecture: CpuArchitecture) -> ImageBuild:
        """The ImageRepository build for tasks of ``cpu_architecture`` (which decides the platform)."""
        build = {k: v for k, v in self.model_dump().items() if v}
        return {**build, "cpu_architecture": cpu_architecture}  # type: ignore[typeddict-item]


class RepositorySettings(_Settings):
    """An ECR repository the platform owns for the workload's images: immutable tags, scan on push, KMS encryption
    and a lifecycle policy. The workload runs `tag` from it (pushed by CI), or the image `build` makes."""

    keep_images: int = Field(KEEP_IMAGES, ge=1, le=1000, description="Most recent images kept, tagged or not.")
    untagged_expire_days: int = Field(UNTAGGED_EXPIRE_DAYS, ge=1, le=365,
                                      description="Days an untagged image is kept.")
    kms_key_arn: Optional[str] = Field(None, description="KMS key or alias ARN. Default: the AWS managed aws/ecr key.")
    force_delete: Bool = Field(False, description="Delete the repository on destroy even while it holds images.")
    tag: Optional[str] = Field(None, description="Tag of the image CI pushes that the workload runs, e.g. 1.4.2.")
    build: Optional[ImageBuildSettings] = None

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.kms_key_or_alias_arn(value)

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: Optional[str]) -> Optional[str]:
        problem = None if value is None else tag_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _source(self) -> "RepositorySettings":
        if (self.tag is None) == (self.build is None):
            raise KeyProblem("tag", "give the tag CI pushes (tag: 1.4.2) or a build section, one of the two")
        return self

    def args(self, cpu_architecture: CpuArchitecture) -> ImageRepositoryArgs:
        args: ImageRepositoryArgs = {"keep_images": self.keep_images, "untagged_expire_days": self.untagged_expire_days,
                                     "force_delete": self.force_delete}
        if self.kms_key_arn:
            args["kms_key_arn"] = self.kms_key_arn
        if self.tag:
            args["image_tag"] = self.tag
        if self.build:
            args["build"] = self.build.image_build(cpu_architecture)
        return args
