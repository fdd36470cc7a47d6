"""Pulumi mocks that answer like AWS: ids, ARNs, auto-names and DNS names in the shapes the provider returns.

A custom resource comes back with its inputs plus what the provider computes (``arn``, ``id``, an auto-generated
``name`` when none was given, ``dnsName``...), in the engine's camelCase. A remote component (``awsx:ec2:Vpc``)
comes back with its *outputs* only: its children are registered inside the awsx provider, which mocks never run.
Invokes the components make (caller identity, region, partition, availability zones, the ELB log account, the NAT
instance's image and its subnets' route tables) are answered for any region; anything unknown raises, so a test
notices a new invoke instead of reading ``None``.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Optional

import pulumi

from . import mocks_efs, mocks_images, mocks_network, mocks_schedules, mocks_services
from .mock_context import ACCOUNT_ID, AUTO_NAMED, DEFAULT_REGION, Computer, Outputs, _Ctx, _hex, physical_name

# Zones that need no opt-in, per region (EC2 DescribeAvailabilityZones). Regions not listed get a, b and c.
AVAILABILITY_ZONES: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "eu-west-1": "abc",
    "eu-central-1": "abc",
    "ap-northeast-1": "acd",
    # Regions opened since August 2022: no regional ELB log account, three zones each.
    "me-central-1": "abc",
    "eu-central-2": "abc",
    "eu-south-2": "abc",
    "ap-south-2": "abc",
    "ap-southeast-4": "abc",
    "il-central-1": "abc",
    "ca-west-1": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-7": "abc",
    "mx-central-1": "abc",
}

# Regional Elastic Load Balancing accounts that deliver access logs, exactly the table `aws.elb.getServiceAccount`
# answers from (terraform-provider-aws, internal/service/elb/service_account_data_source.go). Any other region gets
# the provider's "unsupported AWS Region" error.
ELB_LOG_ACCOUNTS: dict[str, str] = {
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-gov-east-1": "190560391635",
    "us-gov-west-1": "048591011584",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
}

# Route 53 zone of ALB DNS names per region (ELB endpoints and quotas).
ALB_HOSTED_ZONES: dict[str, str] = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-central-1": "Z215JYRZR1TBD5",
}



def _log_group(c: _Ctx) -> tuple[str, Outputs]:
    name = c.inputs["name"]
    return name, {"arn": c.arn("logs", f"log-group:{name}"), "logGroupClass": "STANDARD"}


def _role(c: _Ctx) -> tuple[str, Outputs]:
    name = c.inputs["name"]
    return name, {"arn": c.arn("iam", f"role/{name}", region=False), "uniqueId": f"AROA{c.hex(17).upper()}",
                  "path": c.inputs.get("path", "/")}


def _role_policy(c: _Ctx) -> tuple[str, Outputs]:
    return f"{c.inputs['role']}:{c.inputs['name']}", {}


def _role_policy_attachment(c: _Ctx) -> tuple[str, Outputs]:
    return f"{c.inputs['role']}-{c.hex(20)}", {}


def _security_group(c: _Ctx) -> tuple[str, Outputs]:
    sg = c.ec2_id("sg")
    return sg, {"arn": c.arn("ec2", f"security-group/{sg}"), "ownerId": ACCOUNT_ID}


def _default_security_group(c: _Ctx) -> tuple[str, Outputs]:
    sg = c.ec2_id("sg")
    return sg, {"arn": c.arn("ec2", f"security-group/{sg}"), "name": "default", "ownerId": ACCOUNT_ID}


def _sg_rule(c: _Ctx) -> tuple[str, Outputs]:
    rule = c.ec2_id("sgr")
    return rule, {"arn": c.arn("ec2", f"security-group-rule/{rule}"), "securityGroupRuleId": rule}


def _vpc(c: _Ctx) -> tuple[str, Outputs]:
    vpc = c.ec2_id("vpc")
    return vpc, {
        "arn": c.arn("ec2", f"vpc/{vpc}"),
        "defaultSecurityGroupId": f"sg-{c.hex(17, 'default')}",
        "mainRouteTableId": f"rtb-{c.hex(17, 'main')}",
        "ownerId": ACCOUNT_ID,
    }


def _subnet(c: _Ctx) -> tuple[str, Outputs]:
    subnet = c.ec2_id("subnet")
    return subnet, {"arn": c.arn("ec2", f"subnet/{subnet}"), "ownerId": ACCOUNT_ID,
                    "availabilityZone": c.inputs.get("availabilityZone") or f"{c.region}a"}


def _ip(seed: str, first: int) -> str:
    """A stable IPv4 address starting with ``first``, from a seed."""
    digits = bytes.fromhex(_hex(seed, 6))
    return f"{first}.{digits[0]}.{digits[1]}.{max(digits[2], 4)}"


def _instance(c: _Ctx) -> tuple[str, Outputs]:
    instance = c.ec2_id("i")
    private_ip = _ip(c.seed + "private", 10)
    zone = c.inputs.get("availabilityZone") or f"{c.region}a"
    internal = "ec2.internal" if c.region == "us-east-1" else f"{c.region}.compute.internal"
    outputs: Outputs = {
        "arn": c.arn("ec2", f"instance/{instance}"),
        "instanceState": "running",
        "availabilityZone": zone,
        "primaryNetworkInterfaceId": f"eni-{c.hex(17, 'eni')}",
        "privateIp": private_ip,
        "privateDns": f"ip-{private_ip.replace('.', '-')}.{internal}",
        "publicIp": "",
        "publicDns": "",
    }
    # What the provider reports for the switches a program leaves out (a preview knows the ones it sets).
    outputs.update({key: value for key, value in (("sourceDestCheck", True), ("ebsOptimized", False),
                                                  ("monitoring", False)) if key not in c.inputs})
    if c.inputs.get("associatePublicIpAddress"):
        public_ip = _ip(c.seed + "public", 3)
        domain = "compute-1.amazonaws.com" if c.region == "us-east-1" else f"{c.region}.compute.amazonaws.com"
        outputs.update(publicIp=public_ip, publicDns=f"ec2-{public_ip.replace('.', '-')}.{domain}")
    return instance, outputs


def _route(c: _Ctx) -> tuple[str, Outputs]:
    # The provider's id: "r-", the route table id and a hash of the destination.
    destination = str(c.inputs.get("destinationCidrBlock") or c.inputs.get("destinationIpv6CidrBlock")
                      or c.inputs.get("destinationPrefixListId"))
    digest = int(hashlib.sha256(destination.encode()).hexdigest()[:8], 16)
    return f"r-{c.inputs.get('routeTableId')}{digest}", {"origin": "CreateRoute", "state": "active"}


def _iam_policy(c: _Ctx) -> tuple[str, Outputs]:
    arn = c.arn("iam", f"policy/{c.inputs['name']}", region=False)
    return arn, {"arn": arn, "policyId": f"ANPA{c.hex(17).upper()}"}


def _by_queue_url(c: _Ctx) -> tuple[str, Outputs]:
    return str(c.inputs.get("queueUrl")), {}


def _flow_log(c: _Ctx) -> tuple[str, Outputs]:
    flow_log = c.ec2_id("fl")
    return flow_log, {"arn": c.arn("ec2", f"vpc-flow-log/{flow_log}")}


def _vpc_endpoint(c: _Ctx) -> tuple[str, Outputs]:
    endpoint = c.ec2_id("vpce")
    service = str(c.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    return endpoint, {
        "arn": c.arn("ec2", f"vpc-endpoint/{endpoint}"),
        "state": "available",
        "dnsEntries": [{"dnsName": f"{endpoint}.{service}.{c.region}.vpce.amazonaws.com", "hostedZoneId": "Z7HUB22UULQXV"}],
        "networkInterfaceIds": [c.ec2_id("eni")],
    }


def _load_balancer(c: _Ctx) -> tuple[str, Outputs]:
    name = c.inputs["name"]
    suffix = f"app/{name}/{c.hex(16)}"
    arn = c.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    scheme = "internal-" if c.inputs.get("internal") else ""
    return arn, {
        "arn": arn,
        "arnSuffix": suffix,
        "dnsName": f"{scheme}{name}-{int(c.hex(8), 16) % 10**10}.{c.region}.elb.amazonaws.com",
        "zoneId": ALB_HOSTED_ZONES.get(c.region, "Z35SXDOTRQ7X7K"),
        "vpcId": f"vpc-{c.hex(17, 'vpc')}",
    }


def _listener(c: _Ctx) -> tuple[str, Outputs]:
    lb_arn = str(c.inputs.get("loadBalancerArn", ""))
    lb_part = lb_arn.split("loadbalancer/", 1)[-1]
    arn = c.arn("elasticloadbalancing", f"listener/{lb_part}/{c.hex(16)}")
    return arn, {"arn": arn}


def _listener_rule(c: _Ctx) -> tuple[str, Outputs]:
    listener = str(c.inputs.get("listenerArn", "")).split("listener/", 1)[-1]
    arn = c.arn("elasticloadbalancing", f"listener-rule/{listener}/{c.hex(16)}")
    return arn, {"arn": arn}


def _target_group(c: _Ctx) -> tuple[str, Outputs]:
    suffix = f"targetgroup/{c.inputs['name']}/{c.hex(16)}"
    arn = c.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix, "loadBalancerArns": []}


def _cluster(c: _Ctx) -> tuple[str, Outputs]:
    arn = c.arn("ecs", f"cluster/{c.inputs['name']}")
    return arn, {"arn": arn}


def _capacity_providers(c: _Ctx) -> tuple[str, Outputs]:
    return str(c.inputs.get("clusterName")), {}


def _task_definition(c: _Ctx) -> tuple[str, Outputs]:
    family = c.inputs.get("family", c.name)
    base = c.arn("ecs", f"task-definition/{family}")
    # Every registration of a family is a new revision, as RegisterTaskDefinition numbers them.
    revision = c.revisions[family] = c.revisions.get(family, 0) + 1
    return family, {"arn": f"{base}:{revision}", "arnWithoutRevision": base, "revision": revision}


def _service(c: _Ctx) -> tuple[str, Outputs]:
    cluster = str(c.inputs.get("cluster", "")).rsplit("/", 1)[-1]
    arn = c.arn("ecs", f"service/{cluster}/{c.inputs['name']}")
    return arn, {"arn": arn}


def _queue(c: _Ctx) -> tuple[str, Outputs]:
    name = c.inputs["name"]
    url = f"https://sqs.{c.region}.amazonaws.com/{ACCOUNT_ID}/{name}"
    return url, {"arn": c.arn("sqs", name), "url": url}


def _metric_alarm(c: _Ctx) -> tuple[str, Outputs]:
    name = c.inputs["name"]
    return name, {"arn": c.arn("cloudwatch", f"alarm:{name}")}


def _scalable_target(c: _Ctx) -> tuple[str, Outputs]:
    resource_id = str(c.inputs.get("resourceId"))
    return resource_id, {"arn": c.arn("application-autoscaling", f"scalable-target/{c.hex(32)}")}


def _scaling_policy(c: _Ctx) -> tuple[str, Outputs]:
    name, resource_id = c.inputs["name"], c.inputs.get("resourceId", "")
    arn = c.arn(
        "autoscaling",
        f"scalingPolicy:{c.hex(8)}-{c.hex(4, 'a')}-{c.hex(4, 'b')}-{c.hex(4, 'c')}-{c.hex(12, 'd')}"
        f":resource/{c.inputs.get('serviceNamespace', 'ecs')}/{resource_id}:policyName/{name}",
    )
    return name, {"arn": arn, "alarmArns": []}


def _bucket(c: _Ctx) -> tuple[str, Outputs]:
    bucket = c.inputs["bucket"]
    return bucket, {
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": c.region,
    }


def _by_bucket(c: _Ctx) -> tuple[str, Outputs]:
    return str(c.inputs.get("bucket")), {}


def _awsx_vpc(c: _Ctx) -> tuple[str, Outputs]:
    """Outputs of the awsx Vpc component, as its provider would return them (never the inputs)."""
    zones = c.inputs.get("availabilityZoneNames") or [
        f"{c.region}{letter}" for letter in AVAILABILITY_ZONES.get(c.region, "abc")
    ][: int(c.inputs.get("numberOfAvailabilityZones", 3))]
    specs = c.inputs.get("subnetSpecs") or [{"type": "Private"}, {"type": "Public"}]
    ids: dict[str, list[str]] = {"Public": [], "Private": [], "Isolated": []}
    for zone in zones:
        for spec in specs:
            ids[spec["type"]].append(f"subnet-{_hex(c.seed + zone + spec['type'], 17)}")
    return "", {
        "vpcId": f"vpc-{c.hex(17)}",
        "publicSubnetIds": ids["Public"],
        "privateSubnetIds": ids["Private"],
        "isolatedSubnetIds": ids["Isolated"],
        "subnetLayout": [{"type": s["type"], "cidrMask": s.get("cidrMask"), "name": s.get("name")} for s in specs],
    }


COMPUTERS: dict[str, Computer] = {
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _default_security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule,
    "aws:ec2/flowLog:FlowLog": _flow_log,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _sg_rule,
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/route:Route": _route,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:sqs/queuePolicy:QueuePolicy": _by_queue_url,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _by_queue_url,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _capacity_providers,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _service,
    "aws:sqs/queue:Queue": _queue,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketPolicy:BucketPolicy": _by_bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _by_bucket,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _by_bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _by_bucket,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _by_bucket,
    "awsx:ec2:Vpc": _awsx_vpc,
}

# Types whose registration is a component: only the outputs a computer returns are state, never the inputs.
REMOTE_COMPONENTS = frozenset({"awsx:ec2:Vpc"})

# Answers for the resources of the operations features live in their own modules; their tables are read here.
EXTRA_INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
for _extension in (mocks_services, mocks_images, mocks_schedules, mocks_network, mocks_efs):
    COMPUTERS.update(_extension.COMPUTERS)
    EXTRA_INVOKES.update(_extension.INVOKES)
    REMOTE_COMPONENTS = REMOTE_COMPONENTS | _extension.REMOTE
    for _type, _property in _extension.AUTO_NAMED.items():
        AUTO_NAMED.setdefault(_type, _property)


# Owners whose images the getAmi mock answers for: the alias and the account Amazon publishes Amazon Linux from.
AMAZON_IMAGE_OWNERS = {"amazon": "137112412989", "137112412989": "137112412989"}
AMAZON_LINUX_RELEASE = ("2023.7.20250609.0", "6.1")
"""The Amazon Linux 2023 release and kernel the getAmi mock fills a name pattern's wildcards with."""


def _ami(args: Mapping[str, Any], region: str) -> tuple[dict, list[tuple[str, str]]]:
    """The newest Amazon-owned image matching the filters, as DescribeImages would find it. Images of any other
    owner (or of no owner given: anyone's) are refused, so a program that would boot a stranger's image fails."""
    owners = list(args.get("owners") or [])
    if not owners or any(owner not in AMAZON_IMAGE_OWNERS for owner in owners):
        raise ValueError(f"AwsMocks answers getAmi only for Amazon's own images (owners ['amazon']); got owners "
                         f"{owners or 'none (any owner)'}")
    filters = {f["name"]: list(f.get("values") or []) for f in args.get("filters") or []}
    # The name pattern with its wildcards filled in: release, then kernel.
    head, *tails = (filters.get("name") or ["al2023-ami-minimal-*-kernel-*-x86_64"])[0].split("*")
    fills = [*AMAZON_LINUX_RELEASE, *["0"] * len(tails)]
    name = head + "".join(fill + tail for fill, tail in zip(fills, tails))
    architecture = (filters.get("architecture") or ["arm64" if name.endswith("arm64") else "x86_64"])[0]
    found = {"name": name, "architecture": architecture, "virtualization-type": "hvm", "root-device-type": "ebs",
             "state": "available", "owner-alias": "amazon"}
    for key, values in filters.items():
        if key in found and not any(fnmatch.fnmatchcase(found[key], value) for value in values):
            return {}, [("filters", f"Your query returned no results ({key} {values}; the image has {found[key]})")]
    image = f"ami-{_hex(region + name + architecture, 17)}"
    return {
        "id": image,
        "imageId": image,
        "arn": f"arn:aws:ec2:{region}::image/{image}",
        "name": name,
        "description": f"Amazon Linux 2023 AMI {AMAZON_LINUX_RELEASE[0]} {architecture} Minimal HVM kernel-"
                       f"{AMAZON_LINUX_RELEASE[1]}",
        "architecture": architecture,
        "ownerId": AMAZON_IMAGE_OWNERS[owners[0]],
        "imageOwnerAlias": "amazon",
        "imageLocation": f"amazon/{name}",
        "imageType": "machine",
        "platformDetails": "Linux/UNIX",
        "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "enaSupport": True,
        "state": "available",
        "public": True,
        "creationDate": "2025-06-09T22:27:54.000Z",
        "owners": owners,
        "mostRecent": bool(args.get("mostRecent")),
        "filters": args.get("filters") or [],
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volume_size": "2", "volume_type": "gp3",
                                                                     "encrypted": "false"}}],
    }, []


def _route_table(args: Mapping[str, Any], region: str) -> tuple[dict, list[tuple[str, str]]]:
    """The route table explicitly associated with a subnet (or the one asked for by id), as the provider finds it."""
    subnet, table = args.get("subnetId"), args.get("routeTableId")
    if not (subnet or table):
        raise ValueError("AwsMocks answers getRouteTable by subnetId or routeTableId; got neither")
    table = table or f"rtb-{_hex(str(subnet), 17)}"
    associations = [{"routeTableAssociationId": f"rtbassoc-{_hex(str(subnet), 17)}", "routeTableId": table,
                     "subnetId": subnet, "gatewayId": "", "main": False}] if subnet else []
    return {
        "id": table,
        "routeTableId": table,
        "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:route-table/{table}",
        "ownerId": ACCOUNT_ID,
        "subnetId": subnet or "",
        "vpcId": args.get("vpcId") or f"vpc-{_hex(str(subnet or table), 17)}",
        "associations": associations,
        "routes": [],
        "tags": {},
    }, []


STACK_REFERENCE = "pulumi:pulumi:StackReference"


class StackReferenceError(LookupError):
    """A program read a stack reference whose outputs the mocks were not given."""


class MissingStackOutput(StackReferenceError):
    """A program required an output the referenced stack does not have (`require_output` raises a bare KeyError)."""


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's marker for a value that is not known until the resource exists."""


class AwsMocks(pulumi.runtime.Mocks):
    """Mocks for programs built from ecs_platform components (and other AWS programs).

    ``region`` is used unless the resource's explicit provider names another one. With ``preview``, they answer
    as the engine does at a new stack's first ``pulumi preview``: a resource's state is its inputs (with the
    provider's auto-names filled in, since the provider's Check assigns them before anything is created) and every
    value AWS assigns (ids, ARNs, URLs, DNS names) is unknown.
    """

    def __init__(self, region: str = DEFAULT_REGION, *, preview: bool = False,
                 stack_references: Optional[Mapping[str, Mapping[str, Any]]] = None) -> None:
        self.region = region
        self.preview = preview
        self.stack_references = {name: dict(outputs) for name, outputs in (stack_references or {}).items()}
        """Outputs of the stacks a program reads with ``pulumi.StackReference``, by stack name."""
        self.stacks_read: list[str] = []
        """The stacks the program has read, in order."""
        self._provider_regions: dict[str, str] = {}
        self._revisions: dict[str, int] = {}

    # Resources ---------------------------------------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[Optional[str], dict]:
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(str(args.inputs.get("name") or args.resource_id or args.name))
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{_hex(args.name, 8)}-{_hex(args.name, 4)}-provider"
            if args.inputs.get("region"):
                self._provider_regions[provider_id] = args.inputs["region"]
            return provider_id, dict(args.inputs)
        computer = COMPUTERS.get(args.typ)
        if computer is None:
            if not args.custom:
                return "", {}
            # A resource type without a computer still gets an id and its inputs, like most providers return.
            if self.preview:
                return "", dict(args.inputs)
            resource_id = f"{args.name}-{_hex(args.typ + args.name, 8)}"
            return resource_id, {**args.inputs, "id": resource_id}
        ctx = _Ctx(args, self._region_of(args.provider), self._revisions)
        resource_id, computed = computer(ctx)
        if self.preview:
            resource_id, computed = "", {key: UNKNOWN for key in computed}
        if args.typ in REMOTE_COMPONENTS:
            return resource_id, computed
        return resource_id, {**ctx.inputs, **computed, "id": resource_id or UNKNOWN}

    def _stack_reference(self, stack: str) -> tuple[str, dict]:
        """A referenced stack's outputs: they exist before this program runs, so they are known at preview too."""
        if stack not in self.stack_references:
            known = ", ".join(sorted(self.stack_references)) or "none"
            raise StackReferenceError(f"the program reads the outputs of stack {stack!r}, which were not given "
                                      f"(stack references given: {known})")
        self.stacks_read.append(stack)
        return stack, {"name": stack, "outputs": self.stack_references[stack], "secretOutputNames": []}

    def missing_output(self, name: str) -> Optional[MissingStackOutput]:
        """The one-line error for an output ``name`` a program required of the stacks it read, or None when one of
        them has it (the KeyError came from somewhere else)."""
        lacking = [s for s in dict.fromkeys(self.stacks_read) if name not in (self.stack_references.get(s) or {})]
        if not lacking or len(lacking) < len(set(self.stacks_read)):
            return None
        import difflib

        stack = lacking[0]
        outputs = sorted(self.stack_references.get(stack) or {})
        close = difflib.get_close_matches(name, outputs, n=1)
        hint = f"; did you mean {close[0]}?" if close else f" (it has: {', '.join(outputs) or 'no outputs'})"
        return MissingStackOutput(f"the program requires output {name!r} of stack {stack!r}, which that stack does "
                                  f"not export{hint}")

    # Invokes -----------------------------------------------------------------------------------------------------

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        region = args.args.get("region") or self._region_of(args.provider)
        token = args.token
        if token in EXTRA_INVOKES:
            return EXTRA_INVOKES[token](dict(args.args), region), []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/platform-deployer/ci",
                "userId": "AROAEXAMPLEDEPLOYER:ci",
                "id": ACCOUNT_ID,
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "region": region,
                "name": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            }, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
                    "id": "aws"}, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = AVAILABILITY_ZONES.get(region, "abc")
            return {
                "names": [f"{region}{letter}" for letter in letters],
                "zoneIds": [f"{region[:2]}{region.split('-')[1][0]}{region[-1]}-az{i + 1}" for i in range(len(letters))],
                "groupNames": [region] * len(letters),
                "id": region,
                "region": region,
                "state": args.args.get("state"),
            }, []
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            account = ELB_LOG_ACCOUNTS.get(region)
            if account is None:
                return {}, [("region", f"unsupported AWS Region: {region}")]
            return {"arn": f"arn:aws:iam::{account}:root", "id": account, "region": region}, []
        if token == "aws:ec2/getAmi:getAmi":
            return _ami(args.args, region)
        if token == "aws:ec2/getRouteTable:getRouteTable":
            return _route_table(args.args, region)
        raise NotImplementedError(f"AwsMocks has no answer for the invoke {token}")

    def _region_of(self, provider_ref: Optional[str]) -> str:
        if provider_ref:
            provider_id = provider_ref.rsplit("::", 1)[-1]
            return self._provider_regions.get(provider_id, self.region)
        return self.region
