"""API requests of the EFS resources (registered into :data:`.requests.MAPPERS` with `@maps`).

A file system is CreateFileSystem, then PutLifecycleConfiguration for its lifecycle policies; its backup and
file-system policies are PutBackupPolicy and PutFileSystemPolicy; a mount target CreateMountTarget; an access point
CreateAccessPoint. Tags are left out, as elsewhere. CreateFileSystem's CreationToken and CreateAccessPoint's
ClientToken are required idempotency tokens that terraform-provider-aws fills with a unique id (`id.UniqueId()`,
"terraform-" and 26 digits) when the program gives none: a stand-in of that form is sent, not left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from ecs_platform.offline.engine import Registration
from ecs_platform.offline.mocks import UNKNOWN
from .requests import ApiRequest, _block, _each, maps, request


def _token(r: Registration) -> str:
    return "terraform-" + str(int(hashlib.sha256(r.urn.encode()).hexdigest(), 16))[:26]


@maps("aws:efs/fileSystem:FileSystem")
def file_system(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("efs", "CreateFileSystem", {
        "CreationToken": i.get("creationToken") or _token(r),
        "PerformanceMode": i.get("performanceMode"),
        "Encrypted": i.get("encrypted"),
        "KmsKeyId": i.get("kmsKeyId"),
        "ThroughputMode": i.get("throughputMode"),
        "ProvisionedThroughputInMibps": i.get("provisionedThroughputInMibps"),
        "AvailabilityZoneName": i.get("availabilityZoneName"),
    }, r)
    policies = i.get("lifecyclePolicies")
    if policies:
        yield request("efs", "PutLifecycleConfiguration", {
            # The file system's own id: unknown until CreateFileSystem answers (a first preview).
            "FileSystemId": r.id or UNKNOWN,
            "LifecyclePolicies": _each(policies, lambda p: {
                "TransitionToIA": p.get("transitionToIa"),
                "TransitionToPrimaryStorageClass": p.get("transitionToPrimaryStorageClass"),
                "TransitionToArchive": p.get("transitionToArchive")}),
        }, r)


@maps("aws:efs/mountTarget:MountTarget")
def mount_target(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("efs", "CreateMountTarget", {
        "FileSystemId": i.get("fileSystemId"),
        "SubnetId": i.get("subnetId"),
        "IpAddress": i.get("ipAddress"),
        "SecurityGroups": i.get("securityGroups"),
    }, r)


@maps("aws:efs/accessPoint:AccessPoint")
def access_point(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("efs", "CreateAccessPoint", {
        "ClientToken": _token(r),
        "FileSystemId": i.get("fileSystemId"),
        "PosixUser": _block(i.get("posixUser"), lambda u: {
            "Uid": u.get("uid"), "Gid": u.get("gid"), "SecondaryGids": u.get("secondaryGids")}),
        "RootDirectory": _block(i.get("rootDirectory"), lambda d: {
            "Path": d.get("path"),
            "CreationInfo": _block(d.get("creationInfo"), lambda c: {
                "OwnerUid": c.get("ownerUid"), "OwnerGid": c.get("ownerGid"), "Permissions": c.get("permissions")}),
        }),
    }, r)


@maps("aws:efs/fileSystemPolicy:FileSystemPolicy")
def file_system_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("efs", "PutFileSystemPolicy", {
        "FileSystemId": r.inputs.get("fileSystemId"),
        "Policy": r.inputs.get("policy"),
        "BypassPolicyLockoutSafetyCheck": r.inputs.get("bypassPolicyLockoutSafetyCheck"),
    }, r)


@maps("aws:efs/backupPolicy:BackupPolicy")
def backup_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("efs", "PutBackupPolicy", {
        "FileSystemId": r.inputs.get("fileSystemId"),
        "BackupPolicy": _block(r.inputs.get("backupPolicy"), lambda b: {"Status": b.get("status")}),
    }, r)
