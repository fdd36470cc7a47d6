"""Every default of the platform, in one place.

The stack settings (`settings.py`) and the component args both read these, so a stack file that leaves a key out
and a program that builds a component directly get the same thing. Changing one is a breaking change: the tests pin
the ones that matter.
"""

from __future__ import annotations

from .enums import (
    CapacityProvider,
    ContainerInsights,
    CpuArchitecture,
    InstanceCapacity,
    InstanceMonitoring,
    DeploymentStrategy,
    ListenerProtocol,
    NatGatewayStrategy,
    WorkerScalingMode,
)

# Logs -------------------------------------------------------------------------------------------------------------
LOG_RETENTION_DAYS = 365
"""Days every log group of the platform keeps events (flow logs, ECS Exec audit, task logs): a year, what Security Hub
CloudWatch.16 asks by default. Development stacks set less."""

# Tasks ------------------------------------------------------------------------------------------------------------
TASK_USER = "1000:1000"
"""The user and group a task's main container runs as unless it says otherwise: not root (Security Hub ECS.20). An
image that needs root says `user: root`, and the policy pack flags it."""

# Network ----------------------------------------------------------------------------------------------------------
VPC_CIDR = "10.0.0.0/16"
AZ_COUNT = 3
"""Three AZs: a service with three tasks survives the loss of one AZ with two thirds of its capacity."""
MIN_AZ_COUNT, MAX_AZ_COUNT = 2, 6
"""An ALB needs subnets in at least two AZs (ELB.13); no region offers more than six."""
NAT_GATEWAY_STRATEGY = NatGatewayStrategy.ONE_PER_AZ
PUBLIC_SUBNET_PREFIX = 24
"""256 addresses per AZ: the load balancer's nodes and the NAT gateways, nothing else lives there."""
PRIVATE_SUBNET_PREFIX = 20
"""4096 addresses per AZ: every Fargate task takes one (awsvpc), so this bounds tasks per AZ."""
NAT_INSTANCE_TYPE = "t4g.nano"
"""The NAT instance of the `instance` strategy: the smallest Graviton burstable type (2 vCPUs, 0.5 GiB, up to
5 Gbps), about $3 a month on demand in us-east-1."""
NAT_INSTANCE_TYPE_PATTERN = r"^[a-z]+[0-9]+g[a-z]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal)$"
"""A Graviton (arm64) instance type: a `g` right after the generation digit (t4g.nano, c7gn.large, x2gd.xlarge);
the NAT instance boots an arm64 image, so nothing else can run it. The size is one EC2 names (nano to 48xlarge, metal):
`t4g.nanoo` is refused here, in one line, instead of by EC2's list of 900 types."""
NAT_INSTANCE_VOLUME_GIB = 8
"""Encrypted gp3 root volume of the NAT instance, in GiB."""

# Load balancer ----------------------------------------------------------------------------------------------------
LISTENER_PROTOCOL = ListenerProtocol.HTTPS
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
"""TLS 1.3, and TLS 1.2 with the restricted forward-secret AEAD ciphers only: one of the policies Security Hub ELB.17
recommends (the plain TLS13-1-2-2021-06 is no longer among them), available in every region."""
INGRESS_CIDRS = ("0.0.0.0/0",)
IDLE_TIMEOUT_SECONDS = 60
DELETION_PROTECTION = True
ACCESS_LOGS = True
ACCESS_LOG_RETENTION_DAYS = 90
"""Days the access log bucket keeps objects before they expire."""

# Cluster ----------------------------------------------------------------------------------------------------------
CONTAINER_INSIGHTS = ContainerInsights.ENABLED
DEFAULT_CAPACITY_PROVIDER_STRATEGY: tuple[tuple[CapacityProvider, int, int], ...] = (
    (CapacityProvider.FARGATE, 1, 1),
)
"""(provider, weight, base): on-demand only unless a stack opts into Spot."""

# Managed Instances ------------------------------------------------------------------------------------------------
MANAGED_INSTANCES_CPU_ARCHITECTURE = CpuArchitecture.X86_64
MANAGED_INSTANCES_CAPACITY = InstanceCapacity.ON_DEMAND
"""capacityOptionType ON_DEMAND, the AWS default (pulumi-aws CapacityProvider docs)."""
MANAGED_INSTANCES_MONITORING = InstanceMonitoring.BASIC
"""ECS InstanceLaunchTemplate.monitoring: "By default, your managed instance is configured for basic monitoring"."""
INSTANCE_START_SECONDS = 40
"""Assumed seconds from a task that finds no Managed Instance to the instance taking it: about 40 s measured from a
task request with no instance to the application logging (third-party, blog.neilkuan.click 2026-01-17; AWS
documents no figure). The scaling rehearsal adds it to a task's start on Managed Instances."""

# Tasks (both kinds) -----------------------------------------------------------------------------------------------
TASK_CPU = 256
TASK_MEMORY = 512
"""The smallest Fargate size: 0.25 vCPU and 0.5 GB, about $9 a month on demand in us-east-1."""
CPU_ARCHITECTURE = CpuArchitecture.X86_64
STOP_TIMEOUT_SECONDS = 30
"""Seconds between SIGTERM and SIGKILL for web tasks: long enough to finish in-flight requests."""
LOG_MAX_BUFFER_SIZE = "25m"
"""In-memory buffer of the non-blocking awslogs driver; logs beyond it are dropped, never the application blocked."""
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_TIMEOUT_SECONDS = 5
HEALTH_CHECK_RETRIES = 3
HEALTH_CHECK_START_PERIOD_SECONDS = 60
SCRATCH_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.37.0"
"""Image of the init container that hands scratch volumes to a non-root user: Docker's official busybox (amd64 and
arm64) from ECR Public, pinned by tag, for its `chown`."""

# Rolling deployments ----------------------------------------------------------------------------------------------
MINIMUM_HEALTHY_PERCENT = 100
MAXIMUM_PERCENT = 200
"""Start the new tasks before stopping the old ones: no capacity is lost during a deployment."""
ENABLE_EXECUTE_COMMAND = False
"""ECS Exec opens a shell in production tasks; stacks opt in."""
WAIT_FOR_STEADY_STATE = False
"""`pulumi up` returns once ECS accepts the new task definition; stacks that want a failed rollout to fail the update
opt in."""
SERVICE_CONNECT_ACCESS_LOGS = "json"
"""A Service Connect member's proxy logs every request it carries, as JSON (queryable field by field in CloudWatch
Logs Insights); every line is ingested and stored at CloudWatch Logs' price."""
AVAILABILITY_ZONE_REBALANCING = True
"""ECS evens a service's tasks out across AZs after an imbalance, as it does by default for services created today."""
STEADY_STATE_TIMEOUT_MINUTES = 30
"""How long `pulumi up` waits for a rollout when it waits at all (the provider's own default is 20 minutes)."""
MIN_STEADY_STATE_TIMEOUT_MINUTES, MAX_STEADY_STATE_TIMEOUT_MINUTES = 5, 24 * 60
ROLLOUT_MARGIN_MINUTES = 10
"""What a progressive deployment needs beyond its bakes before `pulumi up` sees it complete: pulling the image and
starting the new tasks (2 to 3 minutes on Fargate), the health check grace period and the healthy checks (60 s and
3 x 15 s by default), then draining the old targets (30 s) and stopping the old tasks (up to 120 s on Spot), with
room to spare. The steady-state wait must be at least the bakes plus this."""

# Progressive deployments (blue/green, canary, linear) ------------------------------------------------------------
DEPLOYMENT_STRATEGY = DeploymentStrategy.ROLLING
"""Rolling unless a service opts into a progressive strategy (which needs a load balancer to shift traffic)."""
BAKE_TIME_MINUTES = 10
"""Minutes the old revision keeps running after all traffic has moved, so a rollback is only a switch back."""
CANARY_PERCENT = 10.0
"""Share of production traffic the new revision gets first in a canary deployment."""
CANARY_BAKE_TIME_MINUTES = 10
"""Minutes a canary deployment holds at the canary share before it shifts the rest."""
LINEAR_STEP_PERCENT = 20.0
"""Share of production traffic each step of a linear deployment shifts (five steps)."""
LINEAR_STEP_BAKE_TIME_MINUTES = 5
"""Minutes a linear deployment waits after each step."""
MAX_BAKE_TIME_MINUTES = 1440
"""ECS DeploymentConfiguration bakeTimeInMinutes, CanaryConfiguration canaryBakeTimeInMinutes and
LinearConfiguration stepBakeTimeInMinutes: "Valid values are 0 to 1440 minutes (24 hours)"."""
MIN_CANARY_PERCENT, MIN_LINEAR_STEP_PERCENT, MAX_TRAFFIC_PERCENT = 0.1, 3.0, 100.0
"""ECS CanaryConfiguration canaryPercent: "multiples of 0.1 from 0.1 to 100.0"; LinearConfiguration stepPercent:
"multiples of 0.1 from 3.0 to 100.0"."""
PROGRESSIVE_MAXIMUM_PERCENT = 200
"""A progressive deployment starts the whole new revision beside the old one: room for twice the desired count."""

# On-call alarms ---------------------------------------------------------------------------------------------------
ALARM_PERIOD_SECONDS = 60
"""Every on-call alarm reads one-minute datapoints (ALB, ECS, Container Insights and SQS all publish per minute)."""
TARGET_5XX_RATE_PERCENT = 5.0
"""Share of a target group's requests answered 5XX by the tasks above which the service alarms."""
TARGET_5XX_DATAPOINTS, TARGET_5XX_EVALUATION_MINUTES = 3, 5
"""3 of 5 minutes: a single bad minute does not page, a sustained error rate does."""
UNHEALTHY_HOSTS = 0
"""Unhealthy targets tolerated: any unhealthy task for UNHEALTHY_HOSTS_MINUTES alarms."""
UNHEALTHY_HOSTS_MINUTES = 3
P95_LATENCY_SECONDS = 2.0
"""95th percentile of TargetResponseTime above which the service alarms."""
LATENCY_MINUTES = 5
RUNNING_BELOW_DESIRED_MINUTES = 5
"""Minutes with fewer running tasks than desired (Container Insights) before the service alarms."""
CPU_ALARM_PERCENT = 90.0
MEMORY_ALARM_PERCENT = 90.0
UTILIZATION_ALARM_MINUTES = 5
"""Average CPU or memory of the service above its threshold for 5 of 5 minutes."""
OLDEST_MESSAGE_AGE_SECONDS = 300
"""Age of a worker's oldest waiting message that alarms (backlog mode: its acceptable latency instead)."""
OLDEST_MESSAGE_MINUTES = 3

# Web services -----------------------------------------------------------------------------------------------------
CONTAINER_PORT = 8080
HEALTH_CHECK_PATH = "/health"
HEALTH_CHECK_MATCHER = "200-299"
TARGET_HEALTH_INTERVAL_SECONDS = 15
TARGET_HEALTH_TIMEOUT_SECONDS = 5
HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 3
DEREGISTRATION_DELAY_SECONDS = 30
"""ALB's own default is 300 s; 30 s drains keep-alive requests and keeps deployments quick."""
STICKINESS_DURATION_SECONDS = 86400
"""How long a sticky client stays on its target: a day, as ELB's own default."""
HEALTH_CHECK_GRACE_PERIOD_SECONDS = 60
DESIRED_COUNT = 2
MIN_TASKS = 2
MAX_TASKS = 10
CPU_TARGET_PERCENT = 70
SCALE_OUT_COOLDOWN_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300
"""Scale out fast, scale in slowly: adding a task is cheap, losing capacity under load is not."""

# Queue workers ----------------------------------------------------------------------------------------------------
WORKER_STOP_TIMEOUT_SECONDS = 120
"""Fargate Spot sends SIGTERM two minutes before it stops a task: use all of it to finish or hand back messages."""
WORKER_CAPACITY_PROVIDER_STRATEGY: tuple[tuple[CapacityProvider, int, int], ...] = (
    (CapacityProvider.FARGATE_SPOT, 4, 0),
    (CapacityProvider.FARGATE, 1, 1),
)
"""The first task on on-demand Fargate (work continues when Spot capacity is short), four Spot tasks per on-demand
one after that."""
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
"""The SQS maximum: two weeks to notice and redrive failed messages."""
MAX_RECEIVE_COUNT = 5
WORKER_SCALING_MODE = WorkerScalingMode.STEPS
WORKER_MIN_TASKS = 0
"""An idle worker costs nothing."""
WORKER_MAX_TASKS = 20
SCALE_OUT_STEPS: tuple[tuple[int, int], ...] = ((100, 1), (500, 5), (1000, 10))
"""(visible messages, tasks to add): +1 from 100 messages, +5 from 500, +10 from 1000. The rehearsal
(docs/benchmarks.md) measures a 2,000-message burst draining within 1.15x of what 20 tasks can do with these."""
WORKER_SCALE_OUT_COOLDOWN_SECONDS = 60
WORKER_SCALE_IN_COOLDOWN_SECONDS = 120
WAKE_COOLDOWN_SECONDS = 300
"""After waking a worker, wait for the task to start and for Container Insights to report it (a minute or two)
before the wake-up alarm may add another task."""
IDLE_MINUTES = 3
"""Nothing visible, in flight or arriving for three minutes before a worker scales in, straight to its minimum."""
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 3, 60
"""Three periods is the policy pack's floor for scale-in alarms (cloudwatch-scale-in-evaluation-periods)."""
ACCEPTABLE_LATENCY_SECONDS = 300
SECONDS_PER_MESSAGE = 1.0

# Scheduled tasks --------------------------------------------------------------------------------------------------
SCHEDULE_TIMEZONE = "UTC"
"""IANA time zone a schedule's expression is evaluated in (EventBridge Scheduler's own default)."""
SCHEDULE_RETRY_ATTEMPTS = 3
"""Times EventBridge Scheduler retries a RunTask call that failed before the event goes to the dead-letter queue
(Scheduler's own default is 185: a day of retries for a task that may then start far too late)."""
MIN_SCHEDULE_RETRY_ATTEMPTS, MAX_SCHEDULE_RETRY_ATTEMPTS = 0, 185
"""EventBridge Scheduler RetryPolicy MaximumRetryAttempts: 0 to 185."""
SCHEDULE_MAX_EVENT_AGE_SECONDS = 3600
"""How long Scheduler keeps retrying one run: after an hour a missed run goes to the dead-letter queue rather than
starting late (Scheduler's own default is 86400)."""
MIN_SCHEDULE_EVENT_AGE_SECONDS, MAX_SCHEDULE_EVENT_AGE_SECONDS = 60, 86400
"""EventBridge Scheduler RetryPolicy MaximumEventAgeInSeconds: 60 to 86400."""
SCHEDULED_TASK_STOP_TIMEOUT_SECONDS = 120
"""Scheduled tasks run on Fargate Spot by default, which sends SIGTERM two minutes before it stops a task: the
whole notice to finish or checkpoint (on-demand tasks get the web default, 30)."""
SCHEDULED_TASK_ON_DEMAND = False
"""Scheduled tasks run on FARGATE_SPOT unless they opt into on-demand FARGATE."""
SCHEDULE_ENABLED = True

# EFS file systems (fileSystems): general purpose latency, elastic throughput (billed per GB transferred, never
# throttled by a burst balance), files unread for 30 days move to Infrequent Access (the EFS console's default).
EFS_PERFORMANCE_MODE = "generalPurpose"
EFS_THROUGHPUT_MODE = "elastic"
EFS_TRANSITION_TO_IA = "AFTER_30_DAYS"
EFS_ACCESS_POINT_USER = (1000, 1000)
"""POSIX uid and gid of a created access point when the workload's user is not numeric (the platform's TASK_USER)."""
EFS_ACCESS_POINT_PERMISSIONS = "0750"
"""Mode of the directory a created access point roots the workload in (/<workload>), created on first mount."""
