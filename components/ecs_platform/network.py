"""Network: the VPC every other component lives in, plus what awsx's Vpc leaves out."""


import json
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
from typing_extensions import NotRequired

from . import defaults, validation
from ._args import check_keys
from ._aws import AccountContext, ingress_from_cidr, policy_document, service_trust_policy
from .enums import ENDPOINT_SERVICE_SUFFIX, GATEWAY_ENDPOINTS, NatGatewayStrategy, VpcEndpointService

_AWSX_NAT = {
    NatGatewayStrategy.SINGLE: awsx.ec2.NatGatewayStrategy.SINGLE,
    NatGatewayStrategy.ONE_PER_AZ: awsx.ec2.NatGatewayStrategy.ONE_PER_AZ,
}


class NetworkArgs(TypedDict):
    """Inputs of a Network. Values that decide which resources exist are plain, so they are checked up front."""

    cidr_block: NotRequired[str]
    """IPv4 CIDR of the VPC, /16 to /28. Default: 10.0.0.0/16."""
    availability_zone_count: NotRequired[int]
    """Availability zones to spread subnets over, 2 to 6. Default: 3."""
    nat_gateway_strategy: NotRequired[NatGatewayStrategy]
    """One NAT gateway per AZ, or a single one for the VPC. Default: onePerAz."""
    public_subnet_prefix: NotRequired[int]
    """Prefix length of each public subnet (load balancer, NAT gateways). Default: 24."""
    private_subnet_prefix: NotRequired[int]
    """Prefix length of each private subnet (tasks). Default: 20."""
    flow_log_retention_days: NotRequired[int]
    """Days the VPC flow log group keeps records. Default: 30."""
    vpc_endpoints: NotRequired[list[VpcEndpointService]]
    """Services reached through VPC endpoints instead of the NAT gateways. Default: none."""


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets in every AZ, NAT gateways, flow logs, a closed default security group
    and optional VPC endpoints."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    cidr_block: pulumi.Output[str]
    """IPv4 CIDR of the VPC."""
    availability_zones: pulumi.Output[list[str]]
    """Names of the availability zones the subnets are in, in order."""
    public_subnet_ids: pulumi.Output[list[str]]
    """IDs of the public subnets, one per AZ (for the load balancer)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """IDs of the private subnets, one per AZ (for tasks)."""
    flow_log_group_name: pulumi.Output[str]
    """CloudWatch log group that receives the VPC flow logs."""
    endpoint_security_group_id: pulumi.Output[Optional[str]]
    """Security group of the interface VPC endpoints, when any are configured."""

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_keys("Network", args, NetworkArgs)
        cidr = validation.vpc_cidr(args.get("cidr_block", defaults.VPC_CIDR))
        az_count = int(args.get("availability_zone_count", defaults.AZ_COUNT))
        public_prefix = int(args.get("public_subnet_prefix", defaults.PUBLIC_SUBNET_PREFIX))
        private_prefix = int(args.get("private_subnet_prefix", defaults.PRIVATE_SUBNET_PREFIX))
        nat = NatGatewayStrategy(args.get("nat_gateway_strategy", defaults.NAT_GATEWAY_STRATEGY))
        endpoints = [VpcEndpointService(e) for e in args.get("vpc_endpoints", [])]
        retention = validation.log_retention_days(int(args.get("flow_log_retention_days", defaults.LOG_RETENTION_DAYS)))
        if not defaults.MIN_AZ_COUNT <= az_count <= defaults.MAX_AZ_COUNT:
            raise ValueError(f"availability_zone_count must be {defaults.MIN_AZ_COUNT} to {defaults.MAX_AZ_COUNT}")
        validation.subnet_prefix(cidr, public_prefix, "public")
        validation.subnet_prefix(cidr, private_prefix, "private")
        validation.vpc_layout(cidr, az_count, public_prefix, private_prefix)

        super().__init__("ecs-platform:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)
        zones = _availability_zones(self, account.region, az_count)

        vpc = awsx.ec2.Vpc(
            name,
            awsx.ec2.VpcArgs(
                cidr_block=str(cidr),
                availability_zone_names=zones,
                enable_dns_hostnames=True,
                enable_dns_support=True,
                nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=_AWSX_NAT[nat]),
                subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
                # Largest first: awsx packs each AZ's block in this order, so no space is lost to alignment.
                subnet_specs=[
                    awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PRIVATE, name="private", cidr_mask=private_prefix),
                    awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, name="public", cidr_mask=public_prefix),
                ],
                # Gateway endpoints go through awsx so that they join every route table it creates.
                vpc_endpoint_strategy=awsx.ec2.VpcEndpointStrategy.AUTO,
                vpc_endpoint_specs=[
                    awsx.ec2.VpcEndpointSpecArgs(
                        service_name=_service_name(account.region, e), vpc_endpoint_type="Gateway"
                    )
                    for e in endpoints
                    if e in GATEWAY_ENDPOINTS
                ],
            ),
            opts=child,
        )
        self.vpc = vpc
        """The awsx VPC, for escape hatches (route tables, NAT gateways)."""

        # awsx adopts the default security group only implicitly; take it over and strip every rule (EC2.2) so that
        # nothing launched without an explicit group can talk to anything.
        aws.ec2.DefaultSecurityGroup(f"{name}-default", vpc_id=vpc.vpc_id, ingress=[], egress=[], opts=child)

        flow_logs = _FlowLogs(f"{name}-flow-logs", vpc.vpc_id, retention, account, child)

        # One Output per AZ: a list whose length is known before the subnets exist, so whatever is placed in them is
        # seen to span every AZ at a first preview, while the subnet ids themselves are still unknown.
        self.public_subnets: list[pulumi.Output[str]] = [
            vpc.public_subnet_ids.apply(lambda ids, i=index: ids[i]) for index in range(az_count)
        ]
        """The public subnet ids as a list of one Output per AZ (Python programs)."""
        self.private_subnets: list[pulumi.Output[str]] = [
            vpc.private_subnet_ids.apply(lambda ids, i=index: ids[i]) for index in range(az_count)
        ]
        """The private subnet ids as a list of one Output per AZ (Python programs)."""

        endpoint_sg: Optional[aws.ec2.SecurityGroup] = None
        interface = [e for e in endpoints if e not in GATEWAY_ENDPOINTS]
        if interface:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                description="Interface VPC endpoints: HTTPS from inside the VPC only",
                vpc_id=vpc.vpc_id,
                opts=child,
            )
            ingress_from_cidr(f"{name}-endpoints-https", endpoint_sg.id, 443, str(cidr), "HTTPS from the VPC", child)
            for service in interface:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.value.lower()}",
                    vpc_id=vpc.vpc_id,
                    service_name=_service_name(account.region, service),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.private_subnets,
                    security_group_ids=[endpoint_sg.id],
                    opts=child,
                )

        self.vpc_id = vpc.vpc_id
        self.cidr_block = pulumi.Output.from_input(str(cidr))
        self.availability_zones = pulumi.Output.from_input(zones)
        self.public_subnet_ids = vpc.public_subnet_ids
        self.private_subnet_ids = vpc.private_subnet_ids

        self.flow_log_group_name = flow_logs.log_group.name
        self.endpoint_security_group_id = endpoint_sg.id if endpoint_sg else pulumi.Output.from_input(None)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "cidr_block": self.cidr_block,
                "availability_zones": self.availability_zones,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "flow_log_group_name": self.flow_log_group_name,
                "endpoint_security_group_id": self.endpoint_security_group_id,
            }
        )


def _service_name(region: str, service: VpcEndpointService) -> str:
    return f"com.amazonaws.{region}.{ENDPOINT_SERVICE_SUFFIX[service]}"


def _availability_zones(parent: pulumi.Resource, region: str, count: int) -> list[str]:
    """The first ``count`` zones of the region that need no opt-in, named explicitly so placement never drifts."""
    found = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(parent=parent),
    )
    names = sorted(found.names)
    if len(names) < count:
        raise ValueError(f"availability_zone_count is {count} but {region} offers {len(names)}: {', '.join(names)}")
    return names[:count]


class _FlowLogs:
    """VPC flow logs to CloudWatch Logs (EC2.6): the log group, the role the service assumes, and the flow log."""

    def __init__(
        self, name: str, vpc_id: pulumi.Input[str], retention_days: int, account: AccountContext,
        opts: pulumi.ResourceOptions,
    ) -> None:
        self.log_group = aws.cloudwatch.LogGroup(name, retention_in_days=retention_days, opts=opts)
        role = aws.iam.Role(
            name,
            description="Lets VPC Flow Logs write to its log group",
            assume_role_policy=service_trust_policy(
                "vpc-flow-logs.amazonaws.com",
                source_account=account.account_id,
                source_arn=account.arn("ec2", "vpc-flow-log/*"),
            ),
            opts=opts,
        )
        aws.iam.RolePolicy(
            name,
            role=role.name,
            policy=account.log_group_arn(self.log_group.name).apply(
                lambda arn: json.dumps(
                    policy_document(
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": [arn, f"{arn}:*"],
                        },
                        {
                            "Effect": "Allow",
                            "Action": "logs:DescribeLogGroups",
                            "Resource": account.arn("logs", "log-group:*"),
                        },
                    )
                )
            ),
            opts=opts,
        )
        self.flow_log = aws.ec2.FlowLog(
            name,
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=account.log_group_arn(self.log_group.name),
            iam_role_arn=account.role_arn(role.name),
            max_aggregation_interval=60,
            opts=opts,
        )

