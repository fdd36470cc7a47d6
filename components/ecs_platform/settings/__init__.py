"""Stack settings: what a stack file may say, with its defaults and its validation.

A stack file configures the platform under the project's namespace, one structured key per component::

    config:
      aws:region: us-east-1
      ecs-platform:tags: {owner: platform-team}
      ecs-platform:network: {azCount: 2, natGateways: single}
      ecs-platform:loadBalancer: {protocol: HTTP, deletionProtection: false}

Keys are camelCase. Unknown keys, wrong types and out-of-range values stop the program before any resource is
registered, with one line naming the key path (``ecs-platform:network.azCount``) and what is allowed. Nothing here
needs the Pulumi runtime except :func:`from_pulumi_config`, which only reads the config the engine passed.

One module per section of the stack file (network, load_balancer, cluster, tasks, services, workers,
scheduled_tasks, repositories, operations) on a shared base; cross_checks holds the checks across sections, stack
the StackSettings that runs them, reading the parsing of the engine's config and the one-line errors.
"""

from .base import Bool, KeyProblem, KeyProblems, SettingsError
from .cluster import CapacityProviderSettings, ClusterSettings
from .load_balancer import LoadBalancerSettings
from .network import NetworkSettings
from .operations import BudgetSettings, ServiceDefaultsSettings, StackAlarmSettings, TagSettings
from .reading import aws_provider_keys, from_pulumi_config, parse, provider_options
from .repositories import ImageBuildSettings, RepositorySettings
from .scheduled_tasks import ScheduledTaskSettings, ScheduleRetrySettings
from .services import (
    AlarmSettings,
    DeploymentSettings,
    ServiceConnectSettings,
    ServiceSettings,
    TargetHealthCheckSettings,
    WebAlarmSettings,
    WebAutoscalingSettings,
)
from .stack import StackSettings
from .tasks import ContainerHealthCheckSettings, PolicyStatementSettings, SidecarSettings, TaskSettings
from .workers import QueueSettings, ScalingStepSettings, WorkerAlarmSettings, WorkerScalingSettings, WorkerSettings

__all__ = [
    "AlarmSettings",
    "Bool",
    "BudgetSettings",
    "CapacityProviderSettings",
    "ClusterSettings",
    "ContainerHealthCheckSettings",
    "DeploymentSettings",
    "ImageBuildSettings",
    "KeyProblem",
    "KeyProblems",
    "LoadBalancerSettings",
    "NetworkSettings",
    "PolicyStatementSettings",
    "QueueSettings",
    "RepositorySettings",
    "ScalingStepSettings",
    "ScheduleRetrySettings",
    "ScheduledTaskSettings",
    "ServiceConnectSettings",
    "ServiceDefaultsSettings",
    "ServiceSettings",
    "SettingsError",
    "SidecarSettings",
    "StackAlarmSettings",
    "StackSettings",
    "TagSettings",
    "TargetHealthCheckSettings",
    "TaskSettings",
    "WebAlarmSettings",
    "WebAutoscalingSettings",
    "WorkerAlarmSettings",
    "WorkerScalingSettings",
    "WorkerSettings",
    "aws_provider_keys",
    "from_pulumi_config",
    "parse",
    "provider_options",
]
