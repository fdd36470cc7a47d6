"""AWS mock answers for the EFS resources (registered into :data:`ecs_platform.offline.mocks.COMPUTERS`).

Identifiers and ARNs in the formats the EFS API reference documents: a file system `fs-` and an access point `fsap-`
with 17 hexadecimal characters, a mount target `fsmt-`; ARNs `file-system/<id>` and `access-point/<id>`. The file
system's and access point's owner is the mock account; their policies are known by the file system's id.
"""

from __future__ import annotations

from typing import Any, Callable

from .mock_context import ACCOUNT_ID, _Ctx


def _file_system(c: _Ctx) -> tuple[str, dict[str, Any]]:
    fs = f"fs-{c.hex(17)}"
    return fs, {
        "arn": c.arn("elasticfilesystem", f"file-system/{fs}"),
        "dnsName": f"{fs}.efs.{c.region}.amazonaws.com",
        "ownerId": ACCOUNT_ID,
        "numberOfMountTargets": 0,
        "sizeInBytes": [{"value": 6144, "valueInIa": 0, "valueInStandard": 6144}],
    }


def _access_point(c: _Ctx) -> tuple[str, dict[str, Any]]:
    ap = f"fsap-{c.hex(17)}"
    fs = str(c.inputs.get("fileSystemId", ""))
    return ap, {"arn": c.arn("elasticfilesystem", f"access-point/{ap}"),
                "fileSystemArn": c.arn("elasticfilesystem", f"file-system/{fs}"), "ownerId": ACCOUNT_ID}


def _mount_target(c: _Ctx) -> tuple[str, dict[str, Any]]:
    fs = str(c.inputs.get("fileSystemId", ""))
    return f"fsmt-{c.hex(17)}", {
        "fileSystemArn": c.arn("elasticfilesystem", f"file-system/{fs}"),
        "networkInterfaceId": f"eni-{c.hex(17, 'eni')}",
        "ownerId": ACCOUNT_ID,
    }


def _by_file_system(c: _Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs.get("fileSystemId")), {}


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "aws:efs/fileSystem:FileSystem": _file_system,
    "aws:efs/accessPoint:AccessPoint": _access_point,
    "aws:efs/mountTarget:MountTarget": _mount_target,
    "aws:efs/fileSystemPolicy:FileSystemPolicy": _by_file_system,
    "aws:efs/backupPolicy:BackupPolicy": _by_file_system,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
REMOTE: frozenset[str] = frozenset()
AUTO_NAMED: dict[str, str] = {}
