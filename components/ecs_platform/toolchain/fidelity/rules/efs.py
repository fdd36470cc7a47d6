"""EFS: CreateFileSystem, CreateMountTarget, CreateAccessPoint and the EFS volumes of RegisterTaskDefinition.

Sources: the EFS API reference (CreateFileSystem, CreateMountTarget, CreateAccessPoint), the EFS User Guide
("Creating mount targets", "Working with access points") and the ECS API reference (EFSVolumeConfiguration).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import Finding, Stack, dig, indexed, known, rule, show

FILE_SYSTEM = "efs:CreateFileSystem"
MOUNT_TARGET = "efs:CreateMountTarget"
ACCESS_POINT = "efs:CreateAccessPoint"
TASK_DEFINITION = "ecs:RegisterTaskDefinition"
_PERMISSIONS = re.compile(r"^[0-7]{3,4}$")


@rule
def efs_file_system_settings(stack: Stack) -> Iterator[Finding]:
    """CreateFileSystem: KmsKeyId "If you specify a KMS key, you must set the Encrypted parameter to true";
    ProvisionedThroughputInMibps is required with ThroughputMode provisioned and only then; Elastic throughput is
    not supported with the maxIO performance mode (EFS User Guide, "Throughput modes"; AWS CDK's aws-efs FileSystem
    refuses the same pair)."""
    for request in stack.of(FILE_SYSTEM):
        p = request.params
        if known(p.get("KmsKeyId")) and p.get("KmsKeyId") and p.get("Encrypted") is not True:
            yield request, "Encrypted", "must be true when KmsKeyId is given"
        mode = p.get("ThroughputMode")
        if known(mode) and (mode == "provisioned") != (p.get("ProvisionedThroughputInMibps") is not None):
            yield (request, "ProvisionedThroughputInMibps",
                   f"is required with ThroughputMode provisioned and only then; ThroughputMode is {show(mode)}")
        if mode == "elastic" and p.get("PerformanceMode") == "maxIO":
            yield request, "ThroughputMode", "elastic is not supported with PerformanceMode maxIO; use bursting"


@rule
def efs_one_mount_target_per_zone(stack: Stack) -> Iterator[Finding]:
    """CreateMountTarget: "You can create only one mount target per Availability Zone" of a file system, each in
    a subnet of it (MountTargetConflict); two mount targets of one file system in the same subnet conflict."""
    seen: dict[tuple[str, str], str] = {}
    for request in stack.of(MOUNT_TARGET):
        fs, subnet = request.params.get("FileSystemId"), request.params.get("SubnetId")
        if not known(fs, subnet) or fs is None or subnet is None:
            continue
        key = (str(fs), str(subnet))
        if key in seen:
            yield request, "SubnetId", f"{show(subnet)} already has mount target {seen[key]} of {show(fs)}"
        seen.setdefault(key, request.resource.name)
    for request in stack.of(MOUNT_TARGET):
        groups = request.params.get("SecurityGroups")
        if known(groups) and isinstance(groups, list) and len(groups) > 5:
            yield request, "SecurityGroups", f"takes at most 5 security groups; got {len(groups)}"


@rule
def efs_access_point_directory(stack: Stack) -> Iterator[Finding]:
    """CreateAccessPoint RootDirectory: Path absolute, up to 100 characters; CreationInfo needs OwnerUid, OwnerGid
    and Permissions (an octal mode, e.g. 0755), and "If you do not provide this information, Amazon EFS does not
    create the root directory" (then mounts fail until someone creates it)."""
    for request in stack.of(ACCESS_POINT):
        root = request.params.get("RootDirectory") or {}
        path = root.get("Path") if isinstance(root, dict) else None
        if known(path) and path is not None and (not str(path).startswith("/") or len(str(path)) > 100):
            yield request, "RootDirectory.Path", f"must be an absolute path of at most 100 characters; got {show(path)}"
        info = root.get("CreationInfo") if isinstance(root, dict) else None
        if path not in (None, "/") and not info:
            yield (request, "RootDirectory.CreationInfo",
                   f"is missing: EFS will not create {show(path)}, and mounts fail until it exists")
        if isinstance(info, dict):
            permissions = info.get("Permissions")
            if known(permissions) and not _PERMISSIONS.match(str(permissions)):
                yield request, "RootDirectory.CreationInfo.Permissions", f"must be an octal mode; got {show(permissions)}"


@rule
def efs_volume_configuration(stack: Stack) -> Iterator[Finding]:
    """ECS EFSVolumeConfiguration: "Transit encryption must be turned on if Amazon EFS IAM authorization is used"
    and when an access point is used; with an access point, rootDirectory "must either be omitted or set to /"."""
    for definition in stack.of(TASK_DEFINITION):
        for index, volume in indexed(definition.params.get("volumes")):
            efs = volume.get("efsVolumeConfiguration")
            if not isinstance(efs, dict):
                continue
            where = f"volumes[{index}].efsVolumeConfiguration"
            access_point, iam = dig(efs, "authorizationConfig", "accessPointId"), dig(efs, "authorizationConfig", "iam")
            if (access_point or iam == "ENABLED") and efs.get("transitEncryption") != "ENABLED":
                yield (definition, f"{where}.transitEncryption",
                       "must be ENABLED with IAM authorization or an access point")
            if access_point and efs.get("rootDirectory") not in (None, "/"):
                yield (definition, f"{where}.rootDirectory",
                       f"must be omitted or / with an access point; got {show(efs.get('rootDirectory'))}")
