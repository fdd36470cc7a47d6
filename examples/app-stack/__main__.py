"""The billing team's stack: a web service and a queue worker on the shared ECS platform.

Everything shared (VPC, private subnets, cluster, load balancer) belongs to the platform stack and arrives through a
StackReference to its outputs (docs/outputs.md in the platform repository); this stack adds only its own workloads.
"""

import pulumi
import pulumi_aws as aws

from ecs_platform import QueueWorker, WebService

config = pulumi.Config()
platform = pulumi.StackReference(config.require("platformStack"))

# The same tags the platform sets, owned by this team, set once as the provider's default tags.
provider = aws.Provider(
    "aws",
    region=pulumi.Config("aws").require("region"),
    default_tags={"tags": {
        "environment": pulumi.get_stack(),
        "project": pulumi.get_project(),
        "owner": config.require("owner"),
    }},
)
opts = pulumi.ResourceOptions(providers=[provider])

# require_output, not get_output: a platform output that is missing fails the update, naming it.
placement = {
    "cluster_arn": platform.require_output("clusterArn"),
    "cluster_name": platform.require_output("clusterName"),
    "vpc_id": platform.require_output("vpcId"),
    "subnet_ids": platform.require_output("privateSubnetIds"),
    "execute_command_log_group_name": platform.require_output("execLogGroupName"),
}
deployment = {"enable_execute_command": config.get_bool("ecsExec") or False}

billing = WebService(
    "billing",
    {
        "placement": placement,
        "listener_arn": platform.require_output("listenerArn"),
        "load_balancer_security_group_id": platform.require_output("albSecurityGroupId"),
        "load_balancer_arn_suffix": platform.require_output("albArnSuffix"),
        # A listener takes each priority once, and the platform's own services hold 10 and 20.
        "priority": 100,
        "path_patterns": ["/billing/*"],
        "task": {"image": config.require("billingImage"), "user": "1000:1000", "scratch_paths": ["/tmp"]},
        "autoscaling": {"min_tasks": 1, "max_tasks": 4},
        "deployment": deployment,
    },
    opts,
)

invoices = QueueWorker(
    "invoices",
    {
        "placement": placement,
        "task": {"image": config.require("invoicesImage"), "user": "1000:1000", "scratch_paths": ["/tmp"]},
        "scaling": {"max_tasks": 5},
        "deployment": deployment,
    },
    opts,
)

pulumi.export("billingUrl", pulumi.Output.concat(platform.require_output("albUrl"), "/billing/"))
pulumi.export("billingServiceName", billing.service_name)
pulumi.export("invoicesQueueUrl", invoices.queue_url)
pulumi.export("invoicesDeadLetterQueueUrl", invoices.dead_letter_queue_url)
