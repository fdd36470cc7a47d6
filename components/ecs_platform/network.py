"""Network: the VPC every other component lives in, plus what awsx's Vpc leaves out."""


import json
import re
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, validation
from ._args import check_keys
from ._aws import AccountContext, ingress_from_cidr, policy_document, service_trust_policy
from .enums import ENDPOINT_SERVICE_SUFFIX, GATEWAY_ENDPOINTS, NatGatewayStrategy, VpcEndpointService

_AWSX_NAT = {
    NatGatewayStrategy.SINGLE: awsx.ec2.NatGatewayStrategy.SINGLE,
    NatGatewayStrategy.ONE_PER_AZ: awsx.ec2.NatGatewayStrategy.ONE_PER_AZ,
    # The NAT instance is ours: awsx creates no NAT gateway and no default route for the inner subnets.
    NatGatewayStrategy.INSTANCE: awsx.ec2.NatGatewayStrategy.NONE,
}

# Amazon Linux 2023 minimal for arm64, published by Amazon itself (owner alias `amazon`): never an image anyone else
# could publish under a matching name.
NAT_AMI_OWNERS = ["amazon"]
NAT_AMI_FILTERS = {
    "name": "al2023-ami-minimal-*-kernel-*-arm64",
    "architecture": "arm64",
    "virtualization-type": "hvm",
    "root-device-type": "ebs",
    "state": "available",
}


class ExistingVpc(TypedDict):
    """A VPC and subnets made elsewhere (another stack, another team, AWS Copilot). Plain ids: they decide what the
    Network creates, and are looked up when the program runs."""

    vpc_id: str
    """The VPC (vpc-...)."""
    private_subnet_ids: list[str]
    """Subnets of the tasks and the interface endpoints, at least 2 (in different AZs), with a NAT route of the
    VPC's owner for the tasks' HTTPS."""
    public_subnet_ids: NotRequired[list[str]]
    """Subnets of the internet-facing load balancer, at least 2 when it has one. Default: none."""
    route_table_ids: NotRequired[list[str]]
    """Route tables the gateway endpoints join (the private subnets' tables). Default: none; then only interface
    endpoints may be asked for."""


class NetworkArgs(TypedDict):
    """Inputs of a Network. Values that decide which resources exist are plain, so they are checked up front."""

    cidr_block: NotRequired[str]
    """IPv4 CIDR of the VPC, /16 to /28. Default: 10.0.0.0/16."""
    availability_zone_count: NotRequired[int]
    """Availability zones to spread subnets over, 2 to 6. Default: 3."""
    nat_gateway_strategy: NotRequired[NatGatewayStrategy]
    """One NAT gateway per AZ, a single one for the VPC, or one NAT instance (development). Default: onePerAz."""
    nat_instance_type: NotRequired[str]
    """Graviton (arm64) instance type of the NAT instance; only with nat_gateway_strategy instance. Default:
    t4g.nano."""
    public_subnet_prefix: NotRequired[int]
    """Prefix length of each public subnet (load balancer, NAT gateways). Default: 24."""
    private_subnet_prefix: NotRequired[int]
    """Prefix length of each private subnet (tasks). Default: 20."""
    flow_log_retention_days: NotRequired[int]
    """Days the VPC flow log group keeps records. Default: 365."""
    vpc_endpoints: NotRequired[list[VpcEndpointService]]
    """Services reached through VPC endpoints instead of the NAT gateways. Default: none."""
    protect_data: NotRequired[bool]
    """Keep the flow log group in AWS when it would be deleted (retainOnDelete). Default: false."""
    existing_vpc: NotRequired[ExistingVpc]
    """Place everything in this VPC and these subnets instead of creating a VPC: no subnets, NAT, route tables,
    flow logs or default security group of the stack's own (the VPC's owner keeps those); only the interface (and,
    with route_table_ids, gateway) endpoints asked for are created. The other keys, which shape a created VPC, are
    then refused. Default: none, a VPC is created."""


class Network(pulumi.ComponentResource):
    """A VPC with public and private subnets in every AZ, NAT gateways (or a NAT instance), flow logs, a closed
    default security group and optional VPC endpoints."""

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
        if "existing_vpc" in args:
            self._adopt(name, args, opts)
            return
        cidr = validation.vpc_cidr(args.get("cidr_block", defaults.VPC_CIDR))
        az_count = int(args.get("availability_zone_count", defaults.AZ_COUNT))
        public_prefix = int(args.get("public_subnet_prefix", defaults.PUBLIC_SUBNET_PREFIX))
        private_prefix = int(args.get("private_subnet_prefix", defaults.PRIVATE_SUBNET_PREFIX))
        nat = NatGatewayStrategy(args.get("nat_gateway_strategy", defaults.NAT_GATEWAY_STRATEGY))
        nat_instance_type = _nat_instance_type(nat, args.get("nat_instance_type"))
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
        with_instance = nat is NatGatewayStrategy.INSTANCE
        # awsx routes its private subnets through its own NAT gateways; with our NAT instance the inner subnets are
        # isolated for awsx (their own route tables, no default route) and the routes to the instance are ours. The
        # spec keeps its name, so the subnets keep theirs (`<name>-private-<n>`) whichever way they reach out.
        inner_type = awsx.ec2.SubnetType.ISOLATED if with_instance else awsx.ec2.SubnetType.PRIVATE

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
                    awsx.ec2.SubnetSpecArgs(type=inner_type, name="private", cidr_mask=private_prefix),
                    awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, name="public", cidr_mask=public_prefix),
                ],
                # Gateway endpoints go through awsx so that they join every route table it creates (isolated ones
                # included).
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
        inner_subnet_ids = vpc.isolated_subnet_ids if with_instance else vpc.private_subnet_ids

        # awsx adopts the default security group only implicitly; take it over and strip every rule (EC2.2) so that
        # nothing launched without an explicit group can talk to anything.
        aws.ec2.DefaultSecurityGroup(f"{name}-default", vpc_id=vpc.vpc_id, ingress=[], egress=[], opts=child)

        flow_logs = _FlowLogs(f"{name}-flow-logs", vpc.vpc_id, retention, account, child,
                              retain=bool(args.get("protect_data", False)))

        # One Output per AZ: a list whose length is known before the subnets exist, so whatever is placed in them is
        # seen to span every AZ at a first preview, while the subnet ids themselves are still unknown.
        self.public_subnets: list[pulumi.Output[str]] = [
            vpc.public_subnet_ids.apply(lambda ids, i=index: ids[i]) for index in range(az_count)
        ]
        """The public subnet ids as a list of one Output per AZ (Python programs)."""
        self.private_subnets: list[pulumi.Output[str]] = [
            inner_subnet_ids.apply(lambda ids, i=index: ids[i]) for index in range(az_count)
        ]
        """The private subnet ids as a list of one Output per AZ (Python programs)."""

        self.nat_instance: Optional[aws.ec2.Instance] = None
        """The NAT instance, with nat_gateway_strategy instance (escape hatch); otherwise None."""
        if with_instance:
            self.nat_instance = _NatInstance(
                f"{name}-nat", self, vpc, str(cidr), nat_instance_type, self.public_subnets[0], self.private_subnets,
                account, child,
            ).instance

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
        self.private_subnet_ids = inner_subnet_ids

        self.flow_log_group_name = flow_logs.log_group.name
        self.endpoint_security_group_id = endpoint_sg.id if endpoint_sg else pulumi.Output.from_input(None)
        self._register()


    def _adopt(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions]) -> None:
        """The existing-VPC form: look the network up, create only the endpoints."""
        existing = args["existing_vpc"]
        creating = sorted(k for k in _CREATING_ARGS if k in args)
        if creating:
            raise ValueError(f"{', '.join(creating)} shape a VPC the Network creates; with existing_vpc, leave them out")
        vpc_id = validation.ec2_id(existing["vpc_id"], "vpc")
        private = validation.ec2_ids(list(existing["private_subnet_ids"]), "subnet")
        public = validation.ec2_ids(list(existing.get("public_subnet_ids", [])), "subnet")
        tables = validation.ec2_ids(list(existing.get("route_table_ids", [])), "rtb")
        if len(private) < 2:
            raise ValueError("existing_vpc.private_subnet_ids needs at least 2 subnets, in different AZs")
        if set(private) & set(public):
            raise ValueError("existing_vpc: a subnet cannot be both private and public")
        endpoints = [VpcEndpointService(e) for e in args.get("vpc_endpoints", [])]
        gateways = [e for e in endpoints if e in GATEWAY_ENDPOINTS]
        if gateways and not tables:
            raise ValueError(f"{', '.join(e.value for e in gateways)} is a gateway endpoint: give "
                             "existing_vpc.route_table_ids for it to join")

        super().__init__("ecs-platform:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.of(self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        # Looked up, not trusted: the VPC's CIDR admits the load balancer's and the endpoints' traffic, and each
        # subnet is asked for *in that VPC* (the provider fails the lookup of a subnet of another VPC, before any
        # resource is created), so a subnet id of the wrong VPC stops the preview.
        vpc = aws.ec2.get_vpc_output(id=vpc_id, opts=invoke)
        subnets = [aws.ec2.get_subnet_output(id=s, vpc_id=vpc_id, opts=invoke) for s in private + public]
        cidr = vpc.cidr_block
        self.vpc = None
        """The awsx VPC when the Network creates one; None with an existing VPC."""
        self.nat_instance = None
        """The NAT instance, with nat_gateway_strategy instance (escape hatch); otherwise None."""
        self.public_subnets = [pulumi.Output.from_input(s) for s in public]
        """The public subnet ids as a list of one Output per AZ (Python programs)."""
        self.private_subnets = [pulumi.Output.from_input(s) for s in private]
        """The private subnet ids as a list of one Output per AZ (Python programs)."""

        endpoint_sg = _endpoints(name, vpc_id, cidr, endpoints, self.private_subnets, tables, account, child)
        self.vpc_id = pulumi.Output.from_input(vpc_id)
        self.cidr_block = cidr
        self.availability_zones = pulumi.Output.all(*[s.availability_zone for s in subnets[:len(private)]]).apply(
            lambda zones: list(dict.fromkeys(zones)))
        self.public_subnet_ids = pulumi.Output.from_input(public)
        self.private_subnet_ids = pulumi.Output.from_input(private)
        self.flow_log_group_name = pulumi.Output.from_input(None)
        self.endpoint_security_group_id = endpoint_sg.id if endpoint_sg else pulumi.Output.from_input(None)
        self._register()

    def _register(self) -> None:
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


_CREATING_ARGS = ("cidr_block", "availability_zone_count", "nat_gateway_strategy", "nat_instance_type",
                  "public_subnet_prefix", "private_subnet_prefix")
"""Network args that shape a VPC the Network creates."""


def _endpoints(
    name: str, vpc_id: pulumi.Input[str], cidr: pulumi.Input[str], endpoints: list[VpcEndpointService],
    subnets: list[pulumi.Output[str]], route_tables: list[str], account: AccountContext, child: pulumi.ResourceOptions,
) -> Optional[aws.ec2.SecurityGroup]:
    """The endpoints of an existing VPC: interface endpoints in its private subnets behind one security group, and
    gateway endpoints joined to the given route tables. Named as in a created VPC."""
    for service in (e for e in endpoints if e in GATEWAY_ENDPOINTS):
        aws.ec2.VpcEndpoint(
            f"{name}-{service.value.lower()}",
            vpc_id=vpc_id,
            service_name=_service_name(account.region, service),
            vpc_endpoint_type="Gateway",
            route_table_ids=route_tables,
            opts=child,
        )
    interface = [e for e in endpoints if e not in GATEWAY_ENDPOINTS]
    if not interface:
        return None
    group = aws.ec2.SecurityGroup(
        f"{name}-endpoints",
        description="Interface VPC endpoints: HTTPS from inside the VPC only",
        vpc_id=vpc_id,
        opts=child,
    )
    ingress_from_cidr(f"{name}-endpoints-https", group.id, 443, cidr, "HTTPS from the VPC", child)
    for service in interface:
        aws.ec2.VpcEndpoint(
            f"{name}-{service.value.lower()}",
            vpc_id=vpc_id,
            service_name=_service_name(account.region, service),
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=subnets,
            security_group_ids=[group.id],
            opts=child,
        )
    return group


def _nat_instance_type(strategy: NatGatewayStrategy, given: Optional[str]) -> str:
    """The NAT instance's type: only the instance strategy takes one, and it must be Graviton (the image is arm64)."""
    if given is not None and strategy is not NatGatewayStrategy.INSTANCE:
        raise ValueError(f"nat_instance_type applies only with nat_gateway_strategy instance; got {strategy.value}")
    instance_type = defaults.NAT_INSTANCE_TYPE if given is None else given
    if not isinstance(instance_type, str) or not re.match(defaults.NAT_INSTANCE_TYPE_PATTERN, instance_type):
        raise ValueError(
            f"nat_instance_type must be a Graviton (arm64) type of a g family, such as t4g.nano or c7gn.medium; "
            f"got {instance_type!r}"
        )
    return instance_type


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
        opts: pulumi.ResourceOptions, retain: bool = False,
    ) -> None:
        self.log_group = aws.cloudwatch.LogGroup(name, retention_in_days=retention_days, opts=opts.merge(
            pulumi.ResourceOptions(retain_on_delete=retain)))
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



# Runs once, at first boot, as root. Amazon Linux 2023, as the VPC User Guide ("Create a NAT AMI") and AWS CDK's
# NatInstanceProviderV2 configure it: iptables-services keeps the rules across reboots (and instance recovery, which
# is a reboot on another host), IPv4 forwarding is persistent, and only traffic from the VPC is masqueraded or
# forwarded. ICMP redirects are off, as in the old Amazon NAT AMI's configure-pat.sh: traffic arrives and leaves on
# the one interface, and the VPC, not the instance, decides the next hop. The minimal AMI ships neither iptables nor
# the tools some guides use (awk, the `service` command): the script installs every package whose command it runs
# (NAT_PACKAGES) and otherwise needs only bash, coreutils, rpm, dnf and systemd, which every AL2023 image has.
NAT_PACKAGES = {"iptables-services": "iptables", "iproute": "ip", "procps-ng": "sysctl"}
"""Package -> the command of it the NAT user data runs."""
NAT_USER_DATA = """#!/bin/bash
set -euo pipefail
for attempt in 1 2 3 4 5; do
  dnf install -y @PACKAGES@ && break
  sleep 10
done
rpm -q @PACKAGES@
cat > /etc/sysctl.d/90-nat-instance.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
SYSCTL
sysctl --system
read -r _ _ _ _ iface _ < <(ip -4 route show default)
cat > /etc/sysconfig/iptables <<RULES
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s @VPC_CIDR@ -o $iface -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -s @VPC_CIDR@ -j ACCEPT
COMMIT
RULES
systemctl enable --now iptables
""".replace("@PACKAGES@", " ".join(NAT_PACKAGES))


def nat_user_data(vpc_cidr: str) -> str:
    """The NAT instance's user data for a VPC CIDR."""
    return NAT_USER_DATA.replace("@VPC_CIDR@", vpc_cidr)


class _NatInstance:
    """One NAT instance for the whole VPC (the `instance` strategy): a Graviton instance in the first public subnet,
    its security group, a recovery alarm, and a default route to it in every private subnet's route table."""

    def __init__(
        self, name: str, parent: pulumi.Resource, vpc: awsx.ec2.Vpc, vpc_cidr: str, instance_type: str,
        public_subnet: pulumi.Input[str], private_subnets: list[pulumi.Output[str]], account: AccountContext,
        opts: pulumi.ResourceOptions,
    ) -> None:
        image = aws.ec2.get_ami(
            owners=NAT_AMI_OWNERS,
            most_recent=True,
            filters=[aws.ec2.GetAmiFilterArgs(name=key, values=[value]) for key, value in NAT_AMI_FILTERS.items()],
            opts=pulumi.InvokeOptions(parent=parent),
        )
        group = aws.ec2.SecurityGroup(
            name, description="NAT instance: all traffic from the VPC in, anywhere out", vpc_id=vpc.vpc_id, opts=opts
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-vpc",
            security_group_id=group.id,
            description="All traffic from inside the VPC, to be translated",
            ip_protocol="-1",
            cidr_ipv4=vpc_cidr,
            opts=opts,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-anywhere",
            security_group_id=group.id,
            description="Translated traffic to the internet",
            ip_protocol="-1",
            cidr_ipv4="0.0.0.0/0",
            opts=opts,
        )
        self.instance = aws.ec2.Instance(
            name,
            ami=image.id,
            instance_type=instance_type,
            subnet_id=public_subnet,
            vpc_security_group_ids=[group.id],
            # A public address assigned at launch, not an Elastic IP attached afterwards: the user data installs
            # its packages at first boot and needs the internet then. Recovery keeps the address; a replacement
            # (new image, new user data) gets a new one, so egress is not from a fixed address.
            associate_public_ip_address=True,
            # A NAT instance forwards packets that are neither from nor to itself (VPC User Guide, NAT instances).
            source_dest_check=False,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_type="gp3",
                volume_size=defaults.NAT_INSTANCE_VOLUME_GIB,
                encrypted=True,
                delete_on_termination=True,
            ),
            maintenance_options=aws.ec2.InstanceMaintenanceOptionsArgs(auto_recovery="default"),
            user_data=nat_user_data(vpc_cidr),
            user_data_replace_on_change=True,
            tags={"Name": name},
            opts=opts,
        )
        # Simplified automatic recovery is on by default; the alarm adds the documented, to-the-minute recovery of
        # an instance whose host fails its system status check (EC2 User Guide, CloudWatch action based recovery).
        aws.cloudwatch.MetricAlarm(
            f"{name}-recover",
            alarm_description="Recover the NAT instance onto healthy hardware when its system status check fails",
            namespace="AWS/EC2",
            metric_name="StatusCheckFailed_System",
            dimensions={"InstanceId": self.instance.id},
            statistic="Maximum",
            period=60,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            alarm_actions=[f"arn:{account.partition}:automate:{account.region}:ec2:recover"],
            opts=opts,
        )
        # awsx gives every subnet its own route table; each private one gets its default route here. The lookup is an
        # Output-form invoke, so no resource is created inside an apply, and it waits for the whole VPC component,
        # route table associations included, since it finds the table by its association with the subnet.
        self.routes = [
            aws.ec2.Route(
                f"{name}-{index + 1}",
                route_table_id=aws.ec2.get_route_table_output(
                    subnet_id=subnet, opts=pulumi.InvokeOutputOptions(parent=parent, depends_on=[vpc])
                ).route_table_id,
                destination_cidr_block="0.0.0.0/0",
                network_interface_id=self.instance.primary_network_interface_id,
                opts=opts,
            )
            for index, subnet in enumerate(private_subnets)
        ]
