"""The platform program: one stack per environment, configured only through Pulumi.<stack>.yaml."""

import pulumi
import pulumi_aws as aws

from ecs_platform import (Cluster, ImageRepository, LoadBalancer, Network, QueueWorker, RegistryScanning,
                          ScheduledTask, WebService)
from ecs_platform.settings import from_pulumi_config

settings = from_pulumi_config()

# Every resource goes through this provider, so the stack's tags are set once, here, and reach even the resources
# that awsx creates.
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags={"tags": settings.default_tags(pulumi.get_project(), pulumi.get_stack())},
    # The stack file's other aws: keys (profile, assumeRoles, allowedAccountIds...).
    **settings.provider,
)
opts = pulumi.ResourceOptions(providers=[provider])

# A workload with a repository section runs the image of its own ECR repository (the tag CI pushes, or a build).
repositories = {name: ImageRepository(name, args, opts) for name, args in settings.image_repositories().items()}
images = {name: repository.image_uri for name, repository in repositories.items()}
if repositories and settings.registry_scanning == "managed":
    # One per account and region: every image pushed to any repository is scanned (ECR.1).
    RegistryScanning("registry", {}, opts)

network = Network("main", settings.network_args(), opts)
load_balancer = LoadBalancer(
    "web",
    settings.load_balancer_args(network.vpc_id, network.cidr_block, network.public_subnets),
    opts,
)
# Managed Instances, if any, launch in the private subnets.
cluster = Cluster("main", settings.cluster_args(network.vpc_id, network.private_subnet_ids), opts)

placement = {
    "cluster_arn": cluster.cluster_arn,
    "cluster_name": cluster.cluster_name,
    "vpc_id": network.vpc_id,
    "subnet_ids": network.private_subnet_ids,
    "execute_command_log_group_name": cluster.exec_log_group_name,
}
services = {
    name: WebService(
        name,
        settings.web_service_args(
            name,
            placement,
            listener_arn=load_balancer.listener_arn,
            load_balancer_security_group_id=load_balancer.security_group_id,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            namespace=cluster.service_connect_namespace_arn,
            image=images.get(name),
            capacity_providers=cluster.capacity_provider_names,
        ),
        opts,
    )
    for name in settings.services
}
workers = {
    name: QueueWorker(
        name,
        settings.queue_worker_args(name, placement, namespace=cluster.service_connect_namespace_arn,
                                   image=images.get(name), capacity_providers=cluster.capacity_provider_names),
        opts,
    )
    for name in settings.workers
}
scheduled_tasks = {
    name: ScheduledTask(name, settings.scheduled_task_args(name, placement, image=images.get(name),
                                                           capacity_providers=cluster.capacity_provider_names), opts)
    for name in settings.scheduled_tasks
}
# Service Connect: each service's port opens to the security groups of its declared callers, and nothing else.
members = {**services, **workers}
for callee, caller in settings.callers():
    services[callee].admit(caller, members[caller].security_group_id, settings.renamed_from(caller))

# The exports are a contract other stacks build on (docs/outputs.md, stack-outputs.schema.json): add, never rename.
pulumi.export("vpcId", network.vpc_id)
pulumi.export("vpcCidrBlock", network.cidr_block)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("albDnsName", load_balancer.dns_name)
pulumi.export("albUrl", load_balancer.url)
pulumi.export("albArnSuffix", load_balancer.arn_suffix)
pulumi.export("albSecurityGroupId", load_balancer.security_group_id)
pulumi.export("listenerArn", load_balancer.listener_arn)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("clusterArn", cluster.cluster_arn)
pulumi.export("execLogGroupName", cluster.exec_log_group_name)
pulumi.export(
    "services",
    {
        name: {"paths": settings.services[name].path_patterns, "url": settings.services[name].url(load_balancer.url)}
        for name in services
    },
)
pulumi.export(
    "workers",
    {name: {"queueUrl": w.queue_url, "deadLetterQueueUrl": w.dead_letter_queue_url} for name, w in workers.items()},
)
pulumi.export(
    "repositories",
    {name: {"repositoryUrl": r.repository_url, "repositoryName": r.repository_name} for name, r in repositories.items()},
)
