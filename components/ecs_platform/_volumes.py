"""A managed EBS volume for each task of a service or worker: what both service components share.

ECS creates one EBS volume per task when the task starts, attaches it, formats it and mounts it where the task
definition's `configuredAtLaunch` volume is mounted; it deletes the volume when the task stops. The data is the
task's scratch space, never the workload's state. Sources: the ECS API reference (ServiceVolumeConfiguration,
ServiceManagedEBSVolumeConfiguration, in botocore's ECS model) and the ECS Developer Guide, "Use Amazon EBS volumes
with Amazon ECS" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ebs-volumes.html): one volume per
task.
"""

import json
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from ._aws import ECS_INFRASTRUCTURE_TRUST, AccountContext, policy_document

EBS_VOLUME_NAME = "ebs"
"""The task definition volume configured at launch, and the name the service's volume configuration gives it. Fixed:
a new path keeps the volume's name."""

DEFAULT_PATH = "/data"
DEFAULT_VOLUME_TYPE = "gp3"
DEFAULT_FILE_SYSTEM_TYPE = "xfs"
FILE_SYSTEM_TYPES = ("ext3", "ext4", "xfs")

# ServiceManagedEBSVolumeConfiguration (botocore ECS model, sizeInGiB, iops, throughput): GiB per type, and IOPS
# where the type takes them. `standard` (magnetic) is refused outright: "not supported on Fargate".
SIZE_GIB = {"gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384), "io2": (4, 16384), "st1": (125, 16384),
            "sc1": (125, 16384)}
IOPS = {"gp3": (3000, 16000), "io1": (100, 64000), "io2": (100, 256000)}
IOPS_REQUIRED = ("io1", "io2")
THROUGHPUT_MIBS = {"gp3": (125, 1000)}
"""gp3 only, "with a maximum of 1,000 MiB/s"; 125 MiB/s is gp3's baseline (what it gets without the key)."""
GP3_BASELINE_IOPS = 3000
GP3_BASELINE_THROUGHPUT = 125

INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForVolumes"


class EbsVolume(TypedDict):
    """A managed EBS volume ECS creates for every task, mounted writable in the main container. It is scratch: it is
    created empty when a task starts and deleted when the task stops."""

    size_gib: int
    """Size in GiB: gp2/gp3 1 to 16384, io1/io2 4 to 16384, st1/sc1 125 to 16384."""
    path: NotRequired[str]
    """Where the main container sees it. Default: /data."""
    volume_type: NotRequired[str]
    """gp3, gp2, io1, io2, st1 or sc1 (magnetic `standard` is not supported on Fargate). Default: gp3."""
    iops: NotRequired[int]
    """Provisioned IOPS: gp3 3000 to 16000 (default 3000), io1 100 to 64000, io2 100 to 256000 (required for io1 and
    io2); other types take none. Default: the type's baseline."""
    throughput: NotRequired[int]
    """gp3 only: MiB/s, 125 to 1000. Default: 125."""
    kms_key_arn: NotRequired[str]
    """Customer managed KMS key the volume is encrypted with. Default: the account's EBS key (volumes are always
    encrypted)."""
    file_system_type: NotRequired[str]
    """ext3, ext4 or xfs. Default: xfs."""


def _range(value: int, bounds: tuple[int, int], what: str, volume_type: str, unit: str = "") -> Optional[str]:
    low, high = bounds
    if not low <= value <= high:
        return f"{what} must be {low} to {high}{unit} for a {volume_type} volume; got {value}"
    return None


def ebs_volume_problem(volume: EbsVolume) -> Optional[str]:
    """Why ECS would refuse ``volume``, or None: one line naming the key (``ebs_volume.<key> ...``)."""
    kind = str(volume.get("volume_type", DEFAULT_VOLUME_TYPE))
    if kind in ("standard", "magnetic"):
        return "ebs_volume.volume_type magnetic (standard) volumes are not supported on Fargate; use gp3"
    if kind not in SIZE_GIB:
        return f"ebs_volume.volume_type must be one of {', '.join(SIZE_GIB)}; got {kind!r}"
    problem = _range(int(volume["size_gib"]), SIZE_GIB[kind], "ebs_volume.size_gib", kind, " GiB")
    if problem:
        return problem
    iops = volume.get("iops")
    if iops is not None:
        if kind not in IOPS:
            return f"ebs_volume.iops a {kind} volume takes no provisioned IOPS; remove it or use gp3, io1 or io2"
        problem = _range(int(iops), IOPS[kind], "ebs_volume.iops", kind)
        if problem:
            return problem
    elif kind in IOPS_REQUIRED:
        return f"ebs_volume.iops is required for a {kind} volume ({IOPS[kind][0]} to {IOPS[kind][1]})"
    throughput = volume.get("throughput")
    if throughput is not None:
        if kind not in THROUGHPUT_MIBS:
            return f"ebs_volume.throughput only gp3 volumes take a throughput; a {kind} volume does not"
        problem = _range(int(throughput), THROUGHPUT_MIBS[kind], "ebs_volume.throughput", kind, " MiB/s")
        if problem:
            return problem
    file_system = str(volume.get("file_system_type", DEFAULT_FILE_SYSTEM_TYPE))
    if file_system not in FILE_SYSTEM_TYPES:
        return f"ebs_volume.file_system_type must be one of {', '.join(FILE_SYSTEM_TYPES)}; got {file_system!r}"
    return None


def overlaps(path: str, other: str) -> bool:
    """Whether two container paths are the same directory or one lies inside the other."""
    a, b = path.rstrip("/") + "/", other.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def volume_path_problem(path: str, scratch_paths: list[str]) -> Optional[str]:
    """Why ``path`` cannot be where the EBS volume is mounted, or None: an absolute directory below /, apart from
    every scratch path (two volumes mounted one inside the other hide each other's files)."""
    if not path.startswith("/") or path.rstrip("/") == "" or any(c.isspace() for c in path):
        return f"ebs_volume.path {path!r} must be an absolute directory below / without whitespace (e.g. /data)"
    clash = next((p for p in scratch_paths if overlaps(path, p)), None)
    if clash is not None:
        return f"ebs_volume.path {path} overlaps the scratch path {clash}; mount them apart"
    return None


def infrastructure_role(name: str, volume: EbsVolume, parent: pulumi.Resource) -> tuple[aws.iam.Role,
                                                                                         list[pulumi.Resource]]:
    """The role ECS assumes to create, attach and delete this workload's volumes, and its policies.

    One per workload, not one per stack: AmazonECSInfrastructureRolePolicyForVolumes is the same for all, but a
    workload with its own KMS key gets the key's permissions on its own role only (a stack-wide role would let every
    workload's volumes use every key), the role comes and goes with the workload that needs it, and no workload
    without an EBS volume has one. The trust policy is the one AWS documents for the infrastructure role
    (ecs.amazonaws.com, no condition; ECS Developer Guide, "Amazon ECS infrastructure IAM role")."""
    opts = pulumi.ResourceOptions(parent=parent)
    account = AccountContext.of(parent)
    role = aws.iam.Role(
        f"{name}-volumes",
        description=f"ECS creates, attaches and deletes the EBS volumes of the tasks of {name}",
        assume_role_policy=ECS_INFRASTRUCTURE_TRUST,
        opts=opts,
    )
    permissions: list[pulumi.Resource] = [aws.iam.RolePolicyAttachment(
        f"{name}-volumes",
        role=role.name,
        policy_arn=f"arn:{account.partition}:iam::aws:policy/service-role/{INFRASTRUCTURE_POLICY}",
        opts=opts,
    )]
    key = volume.get("kms_key_arn")
    if key:
        # What EBS encryption with a customer managed key needs from whoever creates the volume (Amazon EBS User
        # Guide, "Requirements for Amazon EBS encryption"), on this key only; grants only for AWS resources.
        permissions.append(aws.iam.RolePolicy(f"{name}-volumes-kms", role=role.name, policy=json.dumps(policy_document(
            {"Effect": "Allow", "Resource": key,
             "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"]},
            {"Effect": "Allow", "Resource": key, "Action": "kms:CreateGrant",
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        )), opts=opts))
    return role, permissions


def volume_configuration(volume: EbsVolume, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The service's `volume_configuration`: one encrypted volume per task, tagged as the service is."""
    managed: dict[str, Any] = {
        "role_arn": role_arn,
        # Always: the provider's default is true too, and the policy pack holds it (EC2.3).
        "encrypted": True,
        "size_in_gb": int(volume["size_gib"]),
        "volume_type": str(volume.get("volume_type", DEFAULT_VOLUME_TYPE)),
        "file_system_type": str(volume.get("file_system_type", DEFAULT_FILE_SYSTEM_TYPE)),
        # The volumes carry the service's tags (cost allocation sees them as the service's).
        "tag_specifications": [{"resource_type": "volume", "propagate_tags": "SERVICE"}],
    }
    for key, api in (("iops", "iops"), ("throughput", "throughput"), ("kms_key_arn", "kms_key_id")):
        if volume.get(key) is not None:
            managed[api] = volume[key]  # type: ignore[literal-required]
    return {"name": EBS_VOLUME_NAME, "managed_ebs_volume": managed}
