"""Settings of the stack's EFS file systems (``fileSystems``) and of the volumes a workload mounts from them
(``volumes`` of a service, worker or scheduled task)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal, Optional

import pulumi
from pydantic import Field, field_validator, model_validator

from .. import defaults, validation
from ..file_system import ACCESS_POINT_ID, FILE_SYSTEM_ID, TRANSITIONS_TO_IA, FileSystemArgs
from ..task_definition import EfsVolume
from .base import Bool, KeyProblem, _Settings

_SECTIONS = (("services", "services"), ("workers", "workers"), ("scheduledTasks", "scheduled_tasks"))

_CREATED_ONLY = ("kms_key_arn", "performance_mode", "throughput_mode", "transition_to_ia", "backup")


class FileSystemSettings(_Settings):
    """One entry of fileSystems: an encrypted EFS file system the stack creates, or one it does not own."""

    file_system_id: Optional[str] = Field(None, description=(
        "An existing file system (fs-...): nothing is created, its owner keeps its mount targets, security groups "
        "and policy. Default: none, the stack creates one."))
    security_group_id: Optional[str] = Field(None, description=(
        "With fileSystemId: the security group of its mount targets; the workloads' NFS goes out to it (its owner "
        "admits them). Default: NFS out to the VPC's CIDR."))
    kms_key_arn: Optional[str] = Field(None, description="Customer managed KMS key for encryption at rest. Default: "
                                                         "the AWS managed key aws/elasticfilesystem.")
    performance_mode: Literal["generalPurpose", "maxIO"] = Field(defaults.EFS_PERFORMANCE_MODE, description=(
        "Replaces the file system (and loses its files) when changed."))
    throughput_mode: Literal["elastic", "bursting"] = defaults.EFS_THROUGHPUT_MODE
    transition_to_ia: str = Field(defaults.EFS_TRANSITION_TO_IA, description=(
        "Days unread before a file moves to Infrequent Access: AFTER_1_DAY ... AFTER_365_DAYS, or never."))
    backup: Bool = Field(True, description="AWS Backup's daily automatic backups.")
    renamed_from: Optional[str] = Field(None, description=(
        "The name this entry had before a rename: the file system keeps its state (and files) under the new name."))

    @field_validator("file_system_id")
    @classmethod
    def _id(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not FILE_SYSTEM_ID.match(value):
            raise ValueError(f"must be an EFS file system id such as fs-0123456789abcdef0; got {value!r}")
        return value

    @field_validator("security_group_id")
    @classmethod
    def _group(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^sg-[0-9a-f]{8,17}$", value):
            raise ValueError(f"must be a security group id such as sg-0123456789abcdef0; got {value!r}")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "kms", "key/")

    @field_validator("transition_to_ia")
    @classmethod
    def _transition(cls, value: str) -> str:
        if value not in TRANSITIONS_TO_IA + ("never",):
            raise ValueError(f"must be one of {', '.join(TRANSITIONS_TO_IA)} or never; got {value!r}")
        return value

    @model_validator(mode="after")
    def _existing(self) -> "FileSystemSettings":
        if self.file_system_id is None:
            if self.security_group_id is not None:
                raise KeyProblem("securityGroupId", "only with fileSystemId; a created file system has its own group")
            if self.performance_mode == "maxIO" and self.throughput_mode == "elastic":
                # EFS User Guide, "Throughput modes": Elastic throughput is for General Purpose file systems only.
                raise KeyProblem("throughputMode", "elastic is not supported with performanceMode maxIO; set bursting")
            return self
        owned = [k for k in _CREATED_ONLY if k in self.model_fields_set]
        if owned:
            key = owned[0].split("_")[0] + "".join(p.title() for p in owned[0].split("_")[1:])
            raise KeyProblem(key, "describes a file system the stack creates; with fileSystemId its owner sets it")
        return self

    def args(self, name: str, *, vpc_id: pulumi.Input[str], subnet_ids: list[pulumi.Input[str]],
             vpc_cidr_block: pulumi.Input[str], protect_data: bool) -> FileSystemArgs:
        args: dict[str, Any] = {"vpc_id": vpc_id, "vpc_cidr_block": vpc_cidr_block}
        if self.renamed_from:
            args["renamed_from"] = self.renamed_from
        if self.file_system_id is not None:
            args["file_system_id"] = self.file_system_id
            if self.security_group_id:
                args["security_group_id"] = self.security_group_id
            return args  # type: ignore[return-value]
        args.update(subnet_ids=subnet_ids, performance_mode=self.performance_mode, throughput_mode=self.throughput_mode,
                    transition_to_ia=self.transition_to_ia, backup=self.backup, protect_data=protect_data)
        if self.kms_key_arn:
            args["kms_key_arn"] = self.kms_key_arn
        return args  # type: ignore[return-value]


class VolumeSettings(_Settings):
    """One entry of a workload's volumes: a file system of fileSystems mounted into its main container."""

    file_system: str = Field(description="The name of an entry of fileSystems.")
    path: str = Field(description="Absolute path in the main container, apart from every other mount and scratch "
                                  "path.")
    read_only: Bool = False
    access_point_id: Optional[str] = Field(None, description=(
        "An access point (fsap-...) to mount through. Default: for a created file system, one is created per "
        "workload and volume (POSIX user the workload's numeric user, else 1000:1000, rooted at /<workload>, 0750)."))
    root_directory: Optional[str] = Field(None, description="Directory of the file system to mount, without an access "
                                                            "point. Default: /.")

    @field_validator("access_point_id")
    @classmethod
    def _access_point(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not ACCESS_POINT_ID.match(value):
            raise ValueError(f"must be an EFS access point id such as fsap-0123456789abcdef0; got {value!r}")
        return value

    @field_validator("root_directory")
    @classmethod
    def _root(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"must be an absolute path on the file system such as /shared; got {value!r}")
        return value

    @model_validator(mode="after")
    def _one_root(self) -> "VolumeSettings":
        if self.root_directory is not None and self.access_point_id is not None:
            # RegisterTaskDefinition EFSVolumeConfiguration: with an access point, rootDirectory must be omitted or /.
            raise KeyProblem("rootDirectory", "cannot be combined with accessPointId (AWS refuses it); the access "
                                              "point sets the directory")
        return self

    def volume(self, name: str, workload: str, file_system_id: pulumi.Input[str], created: bool,
               tag: Optional[str] = None) -> EfsVolume:
        """The EfsVolume of this entry; ``workload`` is the workload's first name (its access point's directory),
        ``created`` whether the stack creates the file system (then an access point is created unless one is
        given or a rootDirectory is)."""
        volume: dict[str, Any] = {"name": name, "file_system_id": file_system_id, "container_path": self.path,
                                  "read_only": self.read_only}
        if created and tag:
            volume["file_system_tag"] = tag
        if self.access_point_id:
            volume["access_point_id"] = self.access_point_id
        elif self.root_directory is not None:
            volume["root_directory"] = self.root_directory
        elif created:
            volume.update(create_access_point=True, access_point_root=f"/{workload}")
        return volume  # type: ignore[return-value]


FileSystemRefs = dict[str, tuple[Any, ...]]
"""Each file system's name -> (its id, whether the stack creates it[, its FileSystem's iam_tag]): what the program
passes to the workloads."""


def task_volumes(volumes: dict[str, VolumeSettings], workload: str,
                 refs: Optional[FileSystemRefs]) -> dict[str, list[EfsVolume]]:
    """The task args' volumes of a workload's volumes (nothing without any); ``workload`` is its first name
    (renamedFrom, else its name)."""
    if not volumes:
        return {}
    if refs is None:
        raise ValueError(f"{workload} mounts volumes: pass file_systems, each FileSystem's id and whether it is created")
    return {"volumes": [v.volume(name, workload, *refs[v.file_system]) for name, v in volumes.items()]}


def _volumes(stack: Any) -> Iterator[tuple[str, str, str, VolumeSettings]]:
    """(section, workload, volume name, volume) of every workload's volumes."""
    for key, field in _SECTIONS:
        for name, workload in getattr(stack, field).items():
            for volume_name, volume in workload.volumes.items():
                yield key, name, volume_name, volume


def file_system_problems(stack: Any) -> Iterator[KeyProblem]:
    """A volume names a file system of fileSystems; a renamed file system's old name is free and claimed once."""
    for key, name, volume_name, volume in _volumes(stack):
        if volume.file_system not in stack.file_systems:
            known = ", ".join(sorted(stack.file_systems)) or "none: add a fileSystems section"
            yield KeyProblem(f"{key}.{name}.volumes.{volume_name}.fileSystem",
                             f"{volume.file_system!r} is not a file system of fileSystems (there are: {known})")
    for name in stack.file_systems:
        if not re.match(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$", name):
            yield KeyProblem(f"fileSystems.{name}", "names are 1 to 40 lowercase letters, digits and -, starting with "
                                                    "a letter and not ending with -")
    claimed: dict[str, str] = {}
    for name, fs in stack.file_systems.items():
        old = fs.renamed_from
        if old is not None and (old in stack.file_systems or old in claimed or old == name):
            yield KeyProblem(f"fileSystems.{name}.renamedFrom",
                             f"{old} is still a file system of this stack or already renamed; name the old entry once")
        if old is not None:
            claimed[old] = name


def mounts(stack: Any) -> list[tuple[str, str]]:
    """(file system, workload) pairs: which workloads' tasks the mount targets of each file system admit."""
    return sorted({(v.file_system, name) for _, name, _, v in _volumes(stack)})
