"""The platform program: one stack per environment, configured only through Pulumi.<stack>.yaml."""

import pulumi
import pulumi_aws as aws

from ecs_platform import Cluster, LoadBalancer, Network
from ecs_platform.settings import from_pulumi_config

settings = from_pulumi_config()

# Every resource goes through this provider, so the stack's tags are set once, here, and reach even the resources
# that awsx creates.
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags={"tags": settings.default_tags(pulumi.get_project(), pulumi.get_stack())},
)
opts = pulumi.ResourceOptions(providers=[provider])

network = Network("main", settings.network_args(), opts)
load_balancer = LoadBalancer(
    "web",
    settings.load_balancer_args(network.vpc_id, network.cidr_block, network.public_subnet_ids),
    opts,
)
cluster = Cluster("main", settings.cluster_args(), opts)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("albDnsName", load_balancer.dns_name)
pulumi.export("albUrl", load_balancer.url)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("clusterArn", cluster.cluster_arn)
