"""LoadBalancer: an Application Load Balancer that web services attach routing rules to, internet-facing in the
public subnets or internal in the private ones."""


import json
from typing import Optional, TypedDict

import pulumi
import pulumi_aws as aws
from typing_extensions import NotRequired

from . import _sdk  # noqa: F401 - first: the SDK modules, without their import-time deprecation warnings
from . import defaults, naming, validation
from ._args import check_keys
from ._aws import AccountContext, ingress_from_cidr, policy_document
from .enums import ListenerProtocol

# Only explicit listener rules reach a service; anything else gets this.
_NOT_FOUND = {
    "type": "fixed-response",
    "fixed_response": {"content_type": "text/plain", "status_code": "404", "message_body": "Not Found"},
}

MAX_CERTIFICATES_PER_LOAD_BALANCER = 25
"""ELB User Guide, "Quotas for your Application Load Balancers": "Certificates per Application Load Balancer
(excluding default certificates): 25" (adjustable; the default quota)."""

ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
"""The service principal that writes access logs in every region (the only writer in regions opened after August
2022)."""

# Regions with a regional Elastic Load Balancing account that writes access logs: the regions opened before August
# 2022. Source: terraform-provider-aws, internal/service/elb/service_account_data_source.go
# (`accountIDPerRegionMap`, which `aws.elb.get_service_account` reads and outside of which it fails with
# "unsupported AWS Region"), matching the ELB User Guide's list. me-central-1 (opened 2022-08) and every later region
# (ap-south-2, ap-southeast-4/5/7, ca-west-1, eu-central-2, eu-south-2, il-central-1, mx-central-1...) have none.
ELB_LOG_ACCOUNT_REGIONS: frozenset[str] = frozenset({
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-north-1",
    "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
})


def has_elb_log_account(region: str) -> bool:
    """Whether ``region`` has a regional ELB account for access logs (and `aws.elb.get_service_account` answers)."""
    return region in ELB_LOG_ACCOUNT_REGIONS


class LoadBalancerArgs(TypedDict):
    """Inputs of a LoadBalancer."""

    vpc_id: pulumi.Input[str]
    """VPC of the load balancer and its target groups."""
    vpc_cidr_block: pulumi.Input[str]
    """CIDR of the VPC: the only destination the load balancer's security group lets traffic out to."""
    public_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """Public subnets, one per AZ, that an internet-facing load balancer's nodes are placed in. Required unless
    internal."""
    internal: NotRequired[bool]
    """An internal load balancer (scheme internal: private addresses only) in private_subnet_ids instead of an
    internet-facing one. Changing it replaces the load balancer. Default: false."""
    private_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """Private subnets, one per AZ, of an internal load balancer. Required when internal."""
    additional_certificate_arns: NotRequired[list[str]]
    """More ACM certificates on the HTTPS listener, chosen by SNI, at most 25. Default: none."""
    protocol: NotRequired[ListenerProtocol]
    """HTTPS (with an HTTP listener that only redirects) or plain HTTP. Default: HTTPS."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate of the HTTPS listener. Required with HTTPS."""
    ssl_policy: NotRequired[str]
    """Security policy of the HTTPS listener. Default: ELBSecurityPolicy-TLS13-1-2-Res-2021-06."""
    ingress_cidrs: NotRequired[list[str]]
    """IPv4 CIDRs allowed to reach the listeners (more are let in by security group with admit()). Default:
    0.0.0.0/0, or the VPC's CIDR when internal."""
    idle_timeout_seconds: NotRequired[pulumi.Input[int]]
    """Seconds an idle connection stays open. Default: 60."""
    deletion_protection: NotRequired[pulumi.Input[bool]]
    """Refuse to delete the load balancer until this is turned off. Default: true."""
    access_logs: NotRequired[bool]
    """Write access logs to an encrypted, private S3 bucket created for them. Default: true."""
    access_log_retention_days: NotRequired[int]
    """Days the access log bucket keeps objects. Default: 90."""
    protect_data: NotRequired[bool]
    """Keep the access log bucket in AWS, with its logs, when access logs are switched off or the load balancer is
    removed (retainOnDelete); they then expire on their retention. Default: false."""


class LoadBalancer(pulumi.ComponentResource):
    """An internet-facing Application Load Balancer with a locked-down security group, HTTPS (or, for development,
    HTTP) and a default action that answers 404, so only explicit routing rules reach services."""

    arn: pulumi.Output[str]
    """ARN of the load balancer."""
    arn_suffix: pulumi.Output[str]
    """The `app/<name>/<id>` part of the ARN that CloudWatch metrics use as the LoadBalancer dimension."""
    dns_name: pulumi.Output[str]
    """DNS name of the load balancer (resolving to private addresses when internal)."""
    zone_id: pulumi.Output[str]
    """Route 53 hosted zone of the DNS name, for alias records."""
    url: pulumi.Output[str]
    """Base URL of the load balancer (https:// or http://)."""
    security_group_id: pulumi.Output[str]
    """Security group of the load balancer: task security groups admit traffic from this group only."""
    listener_arn: pulumi.Output[str]
    """The listener that services attach routing rules to (HTTPS, or HTTP when the protocol is HTTP)."""
    access_log_bucket: pulumi.Output[Optional[str]]
    """Bucket that receives the access logs, when they are on."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        naming.check_name("LoadBalancer", name, naming.LOAD_BALANCER_CHILDREN)
        check_keys("LoadBalancer", args, LoadBalancerArgs)
        protocol = ListenerProtocol(args.get("protocol", defaults.LISTENER_PROTOCOL))
        certificate_arn = args.get("certificate_arn")
        ssl_policy = args.get("ssl_policy", defaults.SSL_POLICY)
        internal = bool(args.get("internal", False))
        ingress_cidrs: list[pulumi.Input[str]] = (
            [str(validation.ipv4_network(c)) for c in args["ingress_cidrs"]] if "ingress_cidrs" in args
            else [args["vpc_cidr_block"]] if internal else list(defaults.INGRESS_CIDRS))
        subnets_key = "private_subnet_ids" if internal else "public_subnet_ids"
        other_subnets = "public_subnet_ids" if internal else "private_subnet_ids"
        if args.get(subnets_key) is None:
            raise ValueError(f"{subnets_key} is required for {'an internal' if internal else 'an internet-facing'} "
                             "load balancer")
        if args.get(other_subnets) is not None:
            raise ValueError(f"{other_subnets} is for {'an internet-facing' if internal else 'an internal'} load "
                             f"balancer; this one {'is' if internal else 'is not'} internal")
        additional = list(args.get("additional_certificate_arns", []))
        problem = additional_certificates_problem(additional, certificate_arn, protocol)
        if problem:
            raise ValueError(problem)
        access_logs = args.get("access_logs", defaults.ACCESS_LOGS)
        log_days = int(args.get("access_log_retention_days", defaults.ACCESS_LOG_RETENTION_DAYS))
        if protocol is ListenerProtocol.HTTPS and certificate_arn is None:
            raise ValueError("certificate_arn is required when protocol is HTTPS")
        if isinstance(certificate_arn, str):
            validation.arn(certificate_arn, "acm", "certificate/")
        if ssl_policy not in validation.TLS13_SSL_POLICIES:
            raise ValueError(f"ssl_policy must negotiate TLS 1.3 ({validation.one_of(ssl_policy, validation.TLS13_SSL_POLICIES)})")
        if log_days < 1:
            raise ValueError(f"access_log_retention_days must be at least 1; got {log_days}")

        super().__init__("ecs-platform:index:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        security_group = aws.ec2.SecurityGroup(
            f"{name}-alb",
            description="Load balancer: listeners open to the configured CIDRs, traffic out only into the VPC",
            vpc_id=args["vpc_id"],
            opts=child,
        )
        ports = [443, 80] if protocol is ListenerProtocol.HTTPS else [80]
        self._admission = (name, ports, security_group)
        for port in ports:
            for index, cidr in enumerate(ingress_cidrs):
                ingress_from_cidr(
                    f"{name}-alb-{port}-{index}", security_group.id, port, cidr, f"Port {port} from {cidr}", child
                )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-vpc",
            security_group_id=security_group.id,
            description="To targets inside the VPC only",
            ip_protocol="tcp",
            from_port=0,
            to_port=65535,
            cidr_ipv4=args["vpc_cidr_block"],
            opts=child,
        )

        bucket: Optional[aws.s3.Bucket] = None
        depends_on: list[pulumi.Resource] = []
        if access_logs:
            # Unprotected (development) load balancers take their logs with them on destroy; protected ones keep
            # them until someone empties the bucket on purpose.
            force_destroy = args.get("deletion_protection", defaults.DELETION_PROTECTION) is False
            bucket, bucket_policy = _access_log_bucket(
                f"{name}-access-logs", log_days, force_destroy, self,
                pulumi.ResourceOptions(parent=self, retain_on_delete=bool(args.get("protect_data", False))))
            depends_on.append(bucket_policy)

        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            # ForceNew: switching between internal and internet-facing replaces the load balancer.
            internal=internal,
            ip_address_type="ipv4",
            security_groups=[security_group.id],
            subnets=args[subnets_key],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.get("deletion_protection", defaults.DELETION_PROTECTION),
            idle_timeout=args.get("idle_timeout_seconds", defaults.IDLE_TIMEOUT_SECONDS),
            access_logs={"bucket": bucket.bucket, "enabled": True, "prefix": name} if bucket else None,
            # ELB checks that it can write to the bucket when access logs are switched on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

        if protocol is ListenerProtocol.HTTPS:
            listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=alb.arn,
                port=443,
                protocol="HTTPS",
                certificate_arn=certificate_arn,
                ssl_policy=ssl_policy,
                default_actions=[_NOT_FOUND],
                opts=child,
            )
            for arn in additional:
                # Named for the certificate, not its place in the list: removing one certificate removes its
                # resource only (listener_arn and certificate_arn are ForceNew, and a replacement's delete would
                # take the certificate its successor just added off the listener).
                aws.lb.ListenerCertificate(
                    f"{name}-cert-{arn.rsplit('/', 1)[-1]}", listener_arn=listener.arn, certificate_arn=arn,
                    opts=child)
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                    }
                ],
                opts=child,
            )
            scheme = "https"
        else:
            listener = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[_NOT_FOUND],
                opts=child,
            )
            scheme = "http"

        self.load_balancer = alb
        """The aws.lb.LoadBalancer, for escape hatches."""
        self.listener = listener
        """The aws.lb.Listener services attach rules to."""
        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.url = alb.dns_name.apply(lambda dns: f"{scheme}://{dns}")
        self.security_group_id = security_group.id
        self.listener_arn = listener.arn
        self.access_log_bucket = bucket.bucket if bucket else pulumi.Output.from_input(None)
        self.internal = internal
        """Whether the load balancer is internal."""
        self.register_outputs(
            {
                "arn": self.arn,
                "arn_suffix": self.arn_suffix,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "url": self.url,
                "security_group_id": self.security_group_id,
                "listener_arn": self.listener_arn,
                "access_log_bucket": self.access_log_bucket,
            }
        )


    def admit(self, workload: str, security_group_id: pulumi.Input[str]) -> None:
        """Let the tasks in ``security_group_id`` (the workload ``workload``) reach the listeners: an ingress rule
        `<name>-from-<workload>-<port>` on the load balancer's group for each listener port, and the matching egress
        rule on the tasks' group (the platform's task groups allow only HTTPS out, so HTTP on 80 needs it)."""
        name, ports, group = self._admission
        for port in ports:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-{workload}-{port}",
                security_group_id=group.id,
                description=f"Port {port} from the tasks of {workload}",
                ip_protocol="tcp", from_port=port, to_port=port,
                referenced_security_group_id=security_group_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{workload}-to-{name}-{port}",
                security_group_id=security_group_id,
                description=f"{workload} to the {name} load balancer on port {port}",
                ip_protocol="tcp", from_port=port, to_port=port,
                referenced_security_group_id=group.id,
                opts=pulumi.ResourceOptions(parent=self),
            )


def additional_certificates_problem(arns: list[str], certificate_arn: Optional[pulumi.Input[str]],
                                    protocol: ListenerProtocol) -> Optional[str]:
    """Why ``arns`` cannot be the HTTPS listener's additional certificates, or None."""
    if not arns:
        return None
    if protocol is not ListenerProtocol.HTTPS:
        return "additional_certificate_arns need an HTTPS listener (protocol HTTPS with a certificate_arn)"
    for arn in arns:
        validation.arn(arn, "acm", "certificate/")
    repeated = sorted({arn for arn in arns if arns.count(arn) > 1})
    if repeated:
        return f"additional_certificate_arns lists {repeated[0]} twice"
    if isinstance(certificate_arn, str) and certificate_arn in arns:
        return "additional_certificate_arns repeats certificate_arn, the listener's default certificate"
    if len(arns) > MAX_CERTIFICATES_PER_LOAD_BALANCER:
        return (f"additional_certificate_arns: an Application Load Balancer takes at most "
                f"{MAX_CERTIFICATES_PER_LOAD_BALANCER} certificates besides the default one (ELB's default quota); "
                f"got {len(arns)}")
    return None


def _access_log_bucket(
    name: str, retention_days: int, force_destroy: bool, parent: pulumi.Resource, opts: pulumi.ResourceOptions
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """A private bucket that only Elastic Load Balancing may write to, encrypted with SSE-S3 (the only encryption
    ALB log delivery supports) and emptied after ``retention_days``."""
    account = AccountContext.of(parent)
    # Only regions opened before August 2022 have a regional ELB account; there the provider's data source answers,
    # everywhere else it fails with "unsupported AWS Region", so it is asked only where the table says it can.
    elb_account_arn = (
        aws.elb.get_service_account(opts=pulumi.InvokeOptions(parent=parent)).arn
        if has_elb_log_account(account.region) else None
    )
    bucket = aws.s3.Bucket(name, force_destroy=force_destroy, opts=opts)
    public_access_block = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts)
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=opts,
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {},
                "expiration": {"days": retention_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
        opts=opts,
    )

    def document(bucket_arn: str) -> str:
        logs = f"{bucket_arn}/*/AWSLogs/{account.account_id}/*"
        writers: list[dict[str, object]] = [
            # Every region delivers through the log delivery service principal (ELB User Guide, "Enable access logs
            # for your Application Load Balancer", step 2), pinned to this account against a confused deputy.
            {
                "Sid": "ElbLogDeliveryWrites",
                "Effect": "Allow",
                "Principal": {"Service": ELB_LOG_DELIVERY_PRINCIPAL},
                "Action": "s3:PutObject",
                "Resource": logs,
                "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
            },
        ]
        if elb_account_arn is not None:
            # Regions opened before August 2022 still deliver as their regional ELB account.
            writers.insert(0, {
                "Sid": "ElbAccountWrites",
                "Effect": "Allow",
                "Principal": {"AWS": elb_account_arn},
                "Action": "s3:PutObject",
                "Resource": logs,
            })
        return json.dumps(
            policy_document(
                *writers,
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            )
        )

    # S3 rejects concurrent changes to a bucket's public access block and policy.
    policy = aws.s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=bucket.arn.apply(document),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_access_block])),
    )
    return bucket, policy
