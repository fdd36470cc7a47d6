"""The platform program: one stack per environment, configured only through Pulumi.<stack>.yaml."""

import pulumi
import pulumi_aws as aws

from ecs_platform import (Cluster, FileSystem, ImageRepository, LoadBalancer, Network, QueueWorker,
                          RegistryScanning, ScheduledTask, Topic, WebService)
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
# The internal load balancer, in the private subnets, exists only when a service routes through it.
internal_args = settings.internal_load_balancer_args(network.vpc_id, network.cidr_block, network.private_subnets)
internal = LoadBalancer("private", internal_args, opts) if internal_args else None
# Managed Instances, if any, launch in the private subnets.
cluster = Cluster("main", settings.cluster_args(network.vpc_id, network.private_subnet_ids), opts)
# EFS: encrypted file systems with a mount target per private subnet (or existing ones), mounted by the workloads'
# volumes; a task definition that mounts one waits for its mount targets.
file_systems = {
    name: FileSystem(name, fs.args(name, vpc_id=network.vpc_id, subnet_ids=network.private_subnets,
                                   vpc_cidr_block=network.cidr_block, protect_data=settings.protect_data), opts)
    for name, fs in settings.file_systems.items()
}
volumes = {name: (fs.file_system_id, settings.file_systems[name].file_system_id is None, fs.iam_tag)
           for name, fs in file_systems.items()}

# Topics the workloads publish to and workers subscribe to: their ARNs reach both through the args below.
topics = {name: Topic(name, args, opts).arn for name, args in settings.topic_args().items()}

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
            internal=internal and {"listener_arn": internal.listener_arn,
                                   "load_balancer_security_group_id": internal.security_group_id,
                                   "load_balancer_arn_suffix": internal.arn_suffix},
            namespace=cluster.service_connect_namespace_arn,
            image=images.get(name),
            topics=topics,
            file_systems=volumes,
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
                                   image=images.get(name), topics=topics, file_systems=volumes,
                                   capacity_providers=cluster.capacity_provider_names),
        opts,
    )
    for name in settings.workers
}
scheduled_tasks = {
    name: ScheduledTask(name, settings.scheduled_task_args(name, placement, image=images.get(name), topics=topics,
                                                           file_systems=volumes,
                                                           capacity_providers=cluster.capacity_provider_names), opts)
    for name in settings.scheduled_tasks
}
# Service Connect: each service's port opens to the security groups of its declared callers, and nothing else.
members = {**services, **workers}
for callee, caller in settings.callers():
    services[callee].admit(caller, members[caller].security_group_id, settings.renamed_from(caller))
# The internal load balancer admits the stack's own workloads (and internalLoadBalancer.allowedCidrs).
if internal is not None:
    for name, workload in {**members, **scheduled_tasks}.items():
        internal.admit(name, workload.security_group_id)
# EFS: each file system's mount targets admit NFS from the workloads that mount it, and nothing else.
mounting = {**members, **scheduled_tasks}
for file_system, workload in settings.mounts():
    file_systems[file_system].admit(workload, mounting[workload].security_group_id, settings.renamed_from(workload))

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
        name: {"paths": settings.services[name].path_patterns,
               "url": settings.service_url(name, public=load_balancer.url, internal=internal and internal.url)}
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
