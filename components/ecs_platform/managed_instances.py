"""ECS Managed Instances: capacity providers whose EC2 instances AWS launches, patches and replaces, for the tasks
Fargate cannot run (GPUs) or runs dearer (steady, heavy load). The Cluster builds them from these args.

Facts (research/managed-instances.md): a managed-instances capacity provider is cluster-scoped and must name its
cluster (pulumi-aws CapacityProvider docs: "Required when using managed_instances_provider"); it needs an
infrastructure role ECS assumes (trust ecs.amazonaws.com, AmazonECSInfrastructureRolePolicyForManagedInstances) and
an instance profile whose role carries AmazonECSInstanceRolePolicyForManagedInstances. That infrastructure policy
scopes iam:PassRole to `arn:aws:iam::*:role/ecsInstanceRole*` (ECS Developer Guide, "Amazon ECS Managed Instances
instance profile"), so the instance role and its profile are named with that prefix.
"""


import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults
from ._aws import AccountContext, policy_document
from .enums import INSTANCE_CAPACITY_OPTION, AcceleratorType, CpuArchitecture, InstanceCapacity, InstanceMonitoring


class ManagedInstancesRange(TypedDict):
    """An inclusive range; max left out means no upper bound."""

    min: int
    """Lower bound."""
    max: NotRequired[int]
    """Upper bound. Default: none."""


class ManagedInstancesArgs(TypedDict):
    """One Managed Instances capacity provider: what instances AWS may launch for it."""

    vcpu: ManagedInstancesRange
    """vCPUs per instance (instance requirements vCpuCount)."""
    memory_mib: ManagedInstancesRange
    """Memory per instance in MiB (instance requirements memoryMiB)."""
    cpu_architecture: NotRequired[CpuArchitecture]
    """X86_64 (Intel and AMD) or ARM64 (Graviton); tasks placed here must be built for it. Default: X86_64."""
    accelerator_types: NotRequired[list[AcceleratorType]]
    """gpu and/or inference: only instances with such accelerators. Default: none (any instance, accelerators not
    required)."""
    accelerator_count: NotRequired[ManagedInstancesRange]
    """Accelerators per instance. Default: any."""
    accelerator_manufacturers: NotRequired[list[str]]
    """nvidia, amd, amazon-web-services, xilinx or habana. Default: any."""
    allowed_instance_types: NotRequired[list[str]]
    """Only these instance types (wildcards allowed, g5.*); not with excluded_instance_types. Default: any that
    meets the requirements."""
    excluded_instance_types: NotRequired[list[str]]
    """Never these instance types (wildcards allowed). Default: none."""
    capacity: NotRequired[InstanceCapacity]
    """onDemand or spot (capacityOptionType). Changing it replaces the capacity provider. Default: onDemand."""
    storage_gib: NotRequired[int]
    """Size of each instance's task volume in GiB, 1 or more. Default: AWS's (not stated in the API)."""
    scale_in_after_seconds: NotRequired[int]
    """Seconds an idle or underused instance waits before ECS removes or consolidates it, 0 to 3600, or -1 to never
    optimize. Default: AWS's default delay."""
    monitoring: NotRequired[InstanceMonitoring]
    """basic or detailed CloudWatch monitoring of the instances. Default: basic."""


ACCELERATOR_MANUFACTURERS = ("amazon-web-services", "amd", "nvidia", "xilinx", "habana")
"""EC2 instance requirements acceleratorManufacturers (pulumi-aws CapacityProvider instance_requirements)."""
CPU_MANUFACTURERS: dict[CpuArchitecture, tuple[str, ...]] = {
    CpuArchitecture.X86_64: ("intel", "amd"),
    CpuArchitecture.ARM64: ("amazon-web-services",),
}
"""cpuManufacturers per architecture: Graviton is made by amazon-web-services."""
_INSTANCE_TYPE = re.compile(r"^[a-zA-Z0-9.*-]{1,30}$")
"""terraform-provider-aws capacity_provider.go: 1 to 30 characters of letters, digits, `.`, `*` and `-`."""
MAX_INSTANCE_TYPES = 400
INSTANCE_ROLE_PREFIX = "ecsInstanceRole"
"""AmazonECSInfrastructureRolePolicyForManagedInstances lets ECS pass only roles named `ecsInstanceRole*`."""
INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForManagedInstances"
INSTANCE_POLICY = "AmazonECSInstanceRolePolicyForManagedInstances"


@dataclass(frozen=True)
class CheckedManagedInstances:
    """A provider's args with defaults applied and bounds checked: what workloads placed on it are checked against."""

    name: str
    vcpu: tuple[int, Optional[int]]
    memory_mib: tuple[int, Optional[int]]
    architecture: CpuArchitecture
    accelerator_types: tuple[AcceleratorType, ...]
    accelerator_count: Optional[tuple[int, Optional[int]]]
    capacity: InstanceCapacity
    args: Mapping[str, Any]

    @property
    def gpu(self) -> bool:
        return AcceleratorType.GPU in self.accelerator_types


def _range(value: Any, key: str, low: int) -> tuple[int, Optional[int]]:
    if not isinstance(value, Mapping) or "min" not in value:
        raise ValueError(f"{key} needs min (and optionally max); got {value!r}")
    minimum, maximum = int(value["min"]), value.get("max")
    if minimum < low:
        raise ValueError(f"{key}.min must be at least {low}; got {minimum}")
    if maximum is not None and int(maximum) < minimum:
        raise ValueError(f"{key}.max must be at least min {minimum}; got {maximum}")
    return minimum, int(maximum) if maximum is not None else None


def checked(name: str, args: Mapping[str, Any]) -> "CheckedManagedInstances":
    """``args`` with defaults, or ValueError naming the first problem (keys as in ManagedInstancesArgs)."""
    vcpu = _range(args.get("vcpu"), "vcpu", 1)
    memory = _range(args.get("memory_mib"), "memory_mib", 1)
    count = _range(args["accelerator_count"], "accelerator_count", 0) if "accelerator_count" in args else None
    for key in ("allowed_instance_types", "excluded_instance_types"):
        types = list(args.get(key, []))
        if len(types) > MAX_INSTANCE_TYPES:
            raise ValueError(f"{key} takes at most {MAX_INSTANCE_TYPES} types; got {len(types)}")
        bad = [t for t in types if not _INSTANCE_TYPE.match(t)]
        if bad:
            raise ValueError(f"{key} {bad[0]!r} is not an instance type (1 to 30 letters, digits, . * -; g5.xlarge "
                             "or g5.*)")
    if args.get("allowed_instance_types") and args.get("excluded_instance_types"):
        raise ValueError("allowed_instance_types and excluded_instance_types cannot both be set (EC2 instance "
                         "requirements take one or the other)")
    makers = [m for m in args.get("accelerator_manufacturers", []) if m not in ACCELERATOR_MANUFACTURERS]
    if makers:
        raise ValueError(f"accelerator_manufacturers {makers[0]!r} must be one of {', '.join(ACCELERATOR_MANUFACTURERS)}")
    if "storage_gib" in args and int(args["storage_gib"]) < 1:
        raise ValueError(f"storage_gib must be at least 1; got {args['storage_gib']}")
    scale_in = args.get("scale_in_after_seconds")
    if scale_in is not None and not -1 <= int(scale_in) <= 3600:
        raise ValueError(f"scale_in_after_seconds must be -1 (never) or 0 to 3600; got {scale_in}")
    return CheckedManagedInstances(
        name=name, vcpu=vcpu, memory_mib=memory,
        architecture=CpuArchitecture(args.get("cpu_architecture", defaults.MANAGED_INSTANCES_CPU_ARCHITECTURE)),
        accelerator_types=tuple(AcceleratorType(t) for t in args.get("accelerator_types", [])),
        accelerator_count=count,
        capacity=InstanceCapacity(args.get("capacity", defaults.MANAGED_INSTANCES_CAPACITY)),
        args=args,
    )


def _api_range(bounds: tuple[int, Optional[int]]) -> dict[str, int]:
    low, high = bounds
    return {"min": low, **({"max": high} if high is not None else {})}


def instance_requirements(spec: CheckedManagedInstances) -> dict[str, Any]:
    """The launch template's instance_requirements (pulumi-aws InstanceRequirementsArgs)."""
    a = spec.args
    requirements: dict[str, Any] = {
        "vcpu_count": _api_range(spec.vcpu),
        "memory_mib": _api_range(spec.memory_mib),
        "cpu_manufacturers": list(CPU_MANUFACTURERS[spec.architecture]),
    }
    if spec.accelerator_types:
        requirements["accelerator_types"] = [t.value for t in spec.accelerator_types]
    if spec.accelerator_count is not None:
        requirements["accelerator_count"] = _api_range(spec.accelerator_count)
    for key in ("accelerator_manufacturers", "allowed_instance_types", "excluded_instance_types"):
        if a.get(key):
            requirements[key] = list(a[key])
    return requirements


def provider_name(key: str, cluster_name: str, capacity: InstanceCapacity) -> str:
    """The capacity provider's name: known at a first preview (workloads' strategies and the policy pack read it),
    unique per project, stack and cluster, and carrying the capacity, so that a change of capacity (which replaces
    the provider) creates the new one under a new name beside the old one instead of colliding with it. It starts
    with the key, which may not begin with aws, ecs or fargate (CreateCapacityProvider name)."""
    return f"{key}-{pulumi.get_project()}-{pulumi.get_stack()}-{cluster_name}-{capacity.value.lower()}"[:255]


class ManagedInstancesCapacity:
    """The pieces a cluster's Managed Instances share (roles, instance profile, security group) and one capacity
    provider per entry, all children of the Cluster."""

    def __init__(self, cluster_name: str, cluster: aws.ecs.Cluster, providers: Mapping[str, CheckedManagedInstances],
                 *, vpc_id: pulumi.Input[str], subnet_ids: pulumi.Input[list[str]], parent: pulumi.Resource) -> None:
        child = pulumi.ResourceOptions(parent=parent)
        account = AccountContext.of(parent)
        managed = f"arn:{account.partition}:iam::aws:policy"
        self.infrastructure_role = aws.iam.Role(
            f"{cluster_name}-mi-infrastructure",
            description=f"ECS launches and manages the Managed Instances of the {cluster_name} cluster",
            assume_role_policy=json.dumps(policy_document({
                "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}}})),
            opts=child,
        )
        infrastructure_policy = aws.iam.RolePolicyAttachment(
            f"{cluster_name}-mi-infrastructure", role=self.infrastructure_role.name,
            policy_arn=f"{managed}/{INFRASTRUCTURE_POLICY}", opts=child)
        # Named, not auto-named: the infrastructure policy passes only roles whose name starts ecsInstanceRole.
        role_name = f"{INSTANCE_ROLE_PREFIX}-{pulumi.get_project()}-{pulumi.get_stack()}-{cluster_name}"[:64]
        self.instance_role = aws.iam.Role(
            f"{cluster_name}-mi-instance",
            name=role_name,
            description=f"Managed Instances of the {cluster_name} cluster register with ECS",
            assume_role_policy=json.dumps(policy_document({
                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})),
            opts=child,
        )
        instance_policy = aws.iam.RolePolicyAttachment(
            f"{cluster_name}-mi-instance", role=self.instance_role.name,
            policy_arn=f"{managed}/{INSTANCE_POLICY}", opts=child)
        self.instance_profile = aws.iam.InstanceProfile(
            f"{cluster_name}-mi-instance", name=role_name, role=self.instance_role.name, opts=child)
        self.security_group = aws.ec2.SecurityGroup(
            f"{cluster_name}-mi-instances",
            description=f"Managed Instances of the {cluster_name} cluster: nothing in, HTTPS out",
            vpc_id=vpc_id,
            opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["description"]),
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{cluster_name}-mi-instances-https-out", security_group_id=self.security_group.id,
            description="HTTPS to ECS, ECR and the other AWS APIs through the NAT gateways or endpoints",
            ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0", opts=child)

        self.providers: dict[str, aws.ecs.CapacityProvider] = {}
        self.names: dict[str, str] = {}
        for key, spec in providers.items():
            template: dict[str, Any] = {
                "ec2_instance_profile_arn": self.instance_profile.arn,
                "network_configuration": {"subnets": subnet_ids, "security_groups": [self.security_group.id]},
                "capacity_option_type": INSTANCE_CAPACITY_OPTION[spec.capacity],
                "instance_requirements": instance_requirements(spec),
                "monitoring": InstanceMonitoring(
                    spec.args.get("monitoring", defaults.MANAGED_INSTANCES_MONITORING)).value.upper(),
            }
            if "storage_gib" in spec.args:
                template["storage_configuration"] = {"storage_size_gib": int(spec.args["storage_gib"])}
            provider: dict[str, Any] = {
                "infrastructure_role_arn": self.infrastructure_role.arn,
                "instance_launch_template": template,
                "propagate_tags": "CAPACITY_PROVIDER",
            }
            if "scale_in_after_seconds" in spec.args:
                provider["infrastructure_optimization"] = {"scale_in_after": int(spec.args["scale_in_after_seconds"])}
            self.names[key] = provider_name(key, cluster_name, spec.capacity)
            self.providers[key] = aws.ecs.CapacityProvider(
                f"{cluster_name}-{key}",
                name=self.names[key],
                cluster=cluster.name,
                managed_instances_provider=provider,
                # ECS checks both roles' permissions when it creates the provider.
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[infrastructure_policy, instance_policy]),
            )
