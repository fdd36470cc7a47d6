"""EFS rules (Security Hub EFS.* controls) and the platform's rule on how ECS tasks mount EFS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import Control, Messages, resource_policy

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def _encrypted(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if args.props.get("encrypted") is not True:
        yield "the file system is not encrypted at rest; set encrypted (and kmsKeyId for a customer managed key)"


def _root_directory(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    root = args.props.get("rootDirectory") or {}
    path = root.get("path") if isinstance(root, Mapping) else None
    if path in (None, "", "/"):
        yield "the access point exposes the file system's root; set rootDirectory.path to the directory it may use"


def _user_identity(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    if not args.props.get("posixUser"):
        yield "the access point lets clients use any user identity; set posixUser (uid and gid)"


def _iam_authorization(args: ResourceValidationArgs, _: Mapping[str, Any]) -> Messages:
    for volume in args.props.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration")
        if not isinstance(efs, Mapping):
            continue
        authorization = efs.get("authorizationConfig") or {}
        if not isinstance(authorization, Mapping) or authorization.get("iam") != "ENABLED":
            yield (f"EFS volume {volume.get('name')!r} mounts without the task role's identity; set "
                   "authorizationConfig.iam ENABLED so the file system's policy and IAM decide who mounts")


def _efs(control_id: str, config_rule: str) -> Control:
    return Control(control_id, Severity.MEDIUM, config_rule, "efs")


POLICIES = [
    resource_policy("efs-encrypted", _efs("EFS.1", "efs-encrypted-check"),
                    "EFS file systems must encrypt file data at rest with AWS KMS.", [FILE_SYSTEM], _encrypted),
    resource_policy("efs-access-point-root-directory", _efs("EFS.3", "efs-access-point-enforce-root-directory"),
                    "EFS access points must enforce a root directory.", [ACCESS_POINT], _root_directory),
    resource_policy("efs-access-point-user-identity", _efs("EFS.4", "efs-access-point-enforce-user-identity"),
                    "EFS access points must enforce a user identity.", [ACCESS_POINT], _user_identity),
    resource_policy("ecs-efs-iam-authorization", Control("PLATFORM.ECS-EFS-IAM", Severity.MEDIUM),
                    "EFS volumes of ECS tasks must mount with IAM authorization (the task role's identity).",
                    [TASK_DEFINITION], _iam_authorization),
]
