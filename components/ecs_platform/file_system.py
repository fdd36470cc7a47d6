"""FileSystem: an encrypted Amazon EFS file system the stack's tasks share, reachable only from the workloads that
mount it, or a file system the stack does not own (``file_system_id``), which it only lets those workloads reach.

A created file system gets:

- the file system, encrypted at rest (the account's aws/elasticfilesystem key, or ``kms_key_arn``), elastic
  throughput, files moved to Infrequent Access after ``transition_to_ia`` without reads;
- AWS Backup's daily backups (the BackupPolicy: ENABLED), unless ``backup`` is false;
- a mount target in every private subnet, in a security group that admits NFS (TCP 2049) only from the security
  groups of the workloads that mount it (:meth:`FileSystem.admit`);
- a file-system policy that refuses every client request not made over TLS, and grants nothing: a client mounts only
  with an IAM identity (the task role) whose own policy allows it, so anonymous NFS clients are refused.

With ``file_system_id`` nothing of the file system is created: its owner keeps its mount targets, their security
group and its policy, and must admit NFS from the workloads' security groups. :meth:`FileSystem.admit` then only opens
NFS out of the workload's tasks, to ``security_group_id`` when given, else to the VPC's CIDR.
"""

import re
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming
from ._aws import AccountContext, policy_document

NFS_PORT = 2049
"""NFS, the only port EFS mount targets listen on (EFS User Guide, "Using VPC security groups")."""

PERFORMANCE_MODES = ("generalPurpose", "maxIO")
THROUGHPUT_MODES = ("elastic", "bursting")
# EFS LifecyclePolicy TransitionToIA (PutLifecycleConfiguration API reference).
TRANSITIONS_TO_IA = ("AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS",
                     "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS")
FILE_SYSTEM_ID = re.compile(r"^fs-[0-9a-f]{8,40}$")
ACCESS_POINT_ID = re.compile(r"^fsap-[0-9a-f]{8,40}$")
"""Identifier patterns of CreateFileSystem's FileSystemId and CreateAccessPoint's AccessPointId (EFS API reference)."""


FILE_SYSTEM_TAG = "ecs-platform:file-system"
"""Tag of a created file system that task roles' ClientMount/ClientWrite permissions are scoped by
(aws:ResourceTag, which EFS's ClientMount and ClientWrite support: Service Authorization Reference, Amazon EFS)."""


class FileSystemArgs(TypedDict):
    """An EFS file system for the stack's tasks, or the identifier of one it does not own."""

    vpc_id: pulumi.Input[str]
    """VPC of the mount targets' security group."""
    subnet_ids: NotRequired[list[pulumi.Input[str]]]
    """Private subnets, one per AZ, that get a mount target each (one Output per AZ: the count must be known).
    Required unless file_system_id is given."""
    vpc_cidr_block: NotRequired[pulumi.Input[str]]
    """The VPC's CIDR: where NFS goes out to for a file system given by file_system_id without security_group_id."""
    file_system_id: NotRequired[str]
    """An existing file system (fs-...): nothing is created; its owner keeps its mount targets, security groups and
    policy. Default: none, a file system is created."""
    security_group_id: NotRequired[pulumi.Input[str]]
    """With file_system_id: the security group of its mount targets, where the workloads' NFS goes out to. Default:
    none (NFS out to vpc_cidr_block)."""
    kms_key_arn: NotRequired[str]
    """Customer managed KMS key for encryption at rest. Default: the account's AWS managed key
    (aws/elasticfilesystem)."""
    performance_mode: NotRequired[str]
    """generalPurpose or maxIO; changing it replaces the file system and loses its files. Default: generalPurpose."""
    throughput_mode: NotRequired[str]
    """elastic or bursting. Default: elastic."""
    transition_to_ia: NotRequired[str]
    """How long a file goes unread before it moves to Infrequent Access (AFTER_1_DAY ... AFTER_365_DAYS), or
    "never". Default: AFTER_30_DAYS."""
    backup: NotRequired[bool]
    """AWS Backup's daily automatic backups. Default: true."""
    protect_data: NotRequired[bool]
    """Refuse deletion and replacement of the file system (protect): it holds the files. Default: false."""
    renamed_from: NotRequired[str]
    """The name this file system had before a rename: its resources keep their state under the new name (aliases)."""


def file_system_problem(args: FileSystemArgs) -> Optional[str]:
    """Why ``args`` cannot make a file system, or None."""
    existing = args.get("file_system_id")
    if existing is not None:
        if not FILE_SYSTEM_ID.match(existing):
            return f"file_system_id must be an EFS file system id such as fs-0123456789abcdef0; got {existing!r}"
        owned = [k for k in ("kms_key_arn", "performance_mode", "throughput_mode", "transition_to_ia", "backup")
                 if k in args]
        if owned:
            return (f"{', '.join(owned)} describe a file system the stack creates; with file_system_id its owner "
                    "sets them")
        return None
    if "security_group_id" in args:
        return "security_group_id is for a file system given by file_system_id; a created one has its own group"
    for key, allowed in (("performance_mode", PERFORMANCE_MODES), ("throughput_mode", THROUGHPUT_MODES),
                         ("transition_to_ia", TRANSITIONS_TO_IA + ("never",))):
        if key in args and args[key] not in allowed:  # type: ignore[literal-required]
            return f"{key} must be one of {', '.join(allowed)}; got {args[key]!r}"  # type: ignore[literal-required]
    if args.get("performance_mode") == "maxIO" and args.get("throughput_mode", "elastic") == "elastic":
        return "throughput_mode elastic is not supported with performance_mode maxIO; use bursting"
    return None


class FileSystem(pulumi.ComponentResource):
    """An encrypted EFS file system with a mount target per private subnet, or one the stack does not own."""

    file_system_id: pulumi.Output[str]
    """The file system's id (fs-...). For a created one it resolves once every mount target exists, so a task
    definition that mounts it is registered only when its tasks can mount it in any AZ."""
    file_system_arn: pulumi.Output[str]
    """The file system's ARN, built from its id (what a task role's EFS permissions are scoped to)."""
    security_group_id: pulumi.Output[Optional[str]]
    """Security group of the mount targets: the created one, the given security_group_id, or none."""

    def __init__(self, name: str, args: FileSystemArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        problem = file_system_problem(args)
        if problem:
            raise ValueError(problem)
        existing = args.get("file_system_id")
        if existing is None and not args.get("subnet_ids"):
            raise ValueError("subnet_ids: a created file system needs the private subnets for its mount targets")
        opts = naming.renamed("FileSystem", name, args.get("renamed_from"), opts)
        super().__init__("ecs-platform:index:FileSystem", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)
        self._name = name
        self._renamed_from = args.get("renamed_from") or name
        self.iam_tag = f"{pulumi.get_project()}-{pulumi.get_stack()}-{self._renamed_from}"
        """The value of the created file system's FILE_SYSTEM_TAG (its first name, so a rename keeps it)."""
        self._vpc_cidr = args.get("vpc_cidr_block")
        self._group: Optional[aws.ec2.SecurityGroup] = None
        self._existing_group_id: Optional[pulumi.Input[str]] = args.get("security_group_id")

        if existing is not None:
            self.file_system_id = pulumi.Output.from_input(existing)
            self.security_group_id = pulumi.Output.from_input(args.get("security_group_id"))
        else:
            transition = args.get("transition_to_ia", defaults.EFS_TRANSITION_TO_IA)
            file_system = aws.efs.FileSystem(
                name,
                encrypted=True,
                kms_key_id=args.get("kms_key_arn"),
                performance_mode=args.get("performance_mode", defaults.EFS_PERFORMANCE_MODE),
                throughput_mode=args.get("throughput_mode", defaults.EFS_THROUGHPUT_MODE),
                lifecycle_policies=[] if transition == "never" else [{"transition_to_ia": transition}],
                # Known before the file system exists: the task roles' mount permission is scoped by this tag, so
                # their policies can be judged at a first preview (the id is AWS's to assign).
                tags={"Name": name, FILE_SYSTEM_TAG: self.iam_tag},
                # The files are data: a protected file system refuses deletion and replacement (a new performance
                # mode or key would start it empty).
                opts=pulumi.ResourceOptions(parent=self, protect=bool(args.get("protect_data", False))),
            )
            aws.efs.BackupPolicy(
                f"{name}-backup", file_system_id=file_system.id,
                backup_policy={"status": "ENABLED" if args.get("backup", True) else "DISABLED"}, opts=child)
            group = aws.ec2.SecurityGroup(
                f"{name}-efs", description=f"Mount targets of the {name} file system: NFS from its workloads only",
                vpc_id=args["vpc_id"], opts=pulumi.ResourceOptions(parent=self, ignore_changes=["description"]))
            self._group = group
            targets = [
                aws.efs.MountTarget(f"{name}-{index}", file_system_id=file_system.id, subnet_id=subnet,
                                    security_groups=[group.id], opts=child)
                for index, subnet in enumerate(args.get("subnet_ids", []))
            ]
            arn = pulumi.Output.concat(account.arn("elasticfilesystem", "file-system/"), file_system.id)
            aws.efs.FileSystemPolicy(
                f"{name}-policy",
                file_system_id=file_system.id,
                policy=pulumi.Output.json_dumps(policy_document({
                    "Sid": "DenyWithoutTls",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "*",
                    "Resource": arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                })),
                opts=child,
            )
            # Anything that mounts it waits for every AZ's mount target.
            self.file_system_id = pulumi.Output.all(file_system.id, *[t.id for t in targets]).apply(lambda v: v[0])
            self.security_group_id = group.id  # type: ignore[assignment]
        self.file_system_arn = pulumi.Output.concat(account.arn("elasticfilesystem", "file-system/"),
                                                    self.file_system_id)
        self.register_outputs({
            "file_system_id": self.file_system_id,
            "file_system_arn": self.file_system_arn,
            "security_group_id": self.security_group_id,
        })

    def admit(self, workload: str, security_group_id: pulumi.Input[str],
              workload_renamed_from: Optional[str] = None) -> None:
        """Let the tasks in ``security_group_id`` (the workload ``workload``) reach the mount targets on NFS: an
        egress rule `<workload>-to-<name>-nfs` on the workload's group and, for a created file system, an ingress rule
        `<name>-nfs-from-<workload>` on the mount targets' group. ``workload_renamed_from`` keeps the rules' state
        across a rename of the workload (a rule created again beside its old self is refused as a duplicate)."""
        name, old_name, old_workload = self._name, self._renamed_from, workload_renamed_from or workload

        def opts_for(old: str, new: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=old)] if old != new else None)

        destination: dict[str, pulumi.Input[str]]
        if self._group is not None:
            destination = {"referenced_security_group_id": self._group.id}
        elif self._existing_group_id is not None:
            destination = {"referenced_security_group_id": self._existing_group_id}
        elif self._vpc_cidr is not None:
            destination = {"cidr_ipv4": self._vpc_cidr}
        else:
            raise ValueError(f"{name}: give security_group_id or vpc_cidr_block, where the tasks' NFS goes out to")
        aws.vpc.SecurityGroupEgressRule(
            f"{workload}-to-{name}-nfs",
            security_group_id=security_group_id,
            description=f"{workload} to the {name} file system (NFS)",
            ip_protocol="tcp", from_port=NFS_PORT, to_port=NFS_PORT,
            **destination,
            opts=opts_for(f"{old_workload}-to-{old_name}-nfs", f"{workload}-to-{name}-nfs"),
        )
        if self._group is not None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nfs-from-{workload}",
                security_group_id=self._group.id,
                description=f"NFS from {workload} only",
                ip_protocol="tcp", from_port=NFS_PORT, to_port=NFS_PORT,
                referenced_security_group_id=security_group_id,
                opts=opts_for(f"{old_name}-nfs-from-{old_workload}", f"{name}-nfs-from-{workload}"),
            )


def access_point_arn(account: AccountContext, access_point_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """ARN of an EFS access point (EFS User Guide, "Resources defined by Amazon EFS")."""
    return pulumi.Output.concat(account.arn("elasticfilesystem", "access-point/"), access_point_id)


__all__ = ["FileSystem", "FileSystemArgs", "NFS_PORT", "access_point_arn", "file_system_problem"]
