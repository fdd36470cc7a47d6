"""StackSettings, everything a stack file configures: its sections as fields, the checks across them (run from
settings/cross_checks.py), and the args of each component the program builds from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional

import pulumi
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .. import defaults, validation
from .._service import WEB_ONLY_ALARMS, WORKER_ONLY_ALARMS, Placement, ServiceAlarms
from ..cluster import ClusterArgs
from ..enums import ContainerInsights, NatGatewayStrategy, ServiceExposure
from ..image_repository import ImageRepositoryArgs, mutable_tag_problem
from ..load_balancer import LoadBalancerArgs
from ..network import NetworkArgs
from ..queue_worker import QueueWorkerArgs
from ..scheduled_task import ScheduledTaskArgs
from ..topics import TopicArgs
from ..web_service import WebServiceArgs
from .base import Bool, KeyProblem, KeyProblems, _Settings
from .cluster import ClusterSettings
from .file_systems import FileSystemRefs, FileSystemSettings, mounts, task_volumes
from .cross_checks import (
    alarm_actions,
    deployment_defaults,
    deployment_strategy,
    each_workload,
    problems,
    stack_account,
    workload_names,
)
from .load_balancer import InternalLoadBalancerSettings, LoadBalancerSettings
from .network import NetworkSettings
from .operations import BudgetSettings, ServiceDefaultsSettings, StackAlarmSettings, TagSettings
from .routing import unique_priorities
from .scheduled_tasks import ScheduledTaskSettings
from .services import AlarmSettings, ServiceConnectSettings, ServiceSettings
from .topics import TOPIC_NAME, TopicSettings
from .workers import WorkerSettings, _default_worker_strategy


class StackSettings(_Settings):
    """Everything a stack file configures."""

    region: str = Field(alias="aws:region", description="AWS region of the stack (aws:region).")
    tags: TagSettings
    log_retention_days: int = Field(defaults.LOG_RETENTION_DAYS, description="Retention of every log group.")
    registry_scanning: Literal["managed", "external"] = Field("managed", description=(
        "managed: the stack sets the account's ECR registry scanning (every pushed image, every repository) when it "
        "has repositories; external: another stack or the account's owners do (one stack per account may manage "
        "it)."))
    protect_data: Bool = Field(False, description=(
        "Keep what the stack stores when a change would delete it: image repositories and the Service Connect "
        "namespace refuse deletion and replacement (protect); log groups and the access-log bucket stay in AWS "
        "(retainOnDelete). Queues follow serviceDefaults.protectQueues."))
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    # Validated even when absent, so a stack without the section hears that HTTPS needs a certificate.
    load_balancer: LoadBalancerSettings = Field(default_factory=lambda: {})  # type: ignore[arg-type]
    internal_load_balancer: Optional[InternalLoadBalancerSettings] = Field(None, description=(
        "The internal load balancer of the services with loadBalancer: internal. Default: {} when one has it."))
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    service_defaults: ServiceDefaultsSettings = Field(default_factory=ServiceDefaultsSettings)
    alarm_topic_arn: Optional[str] = Field(
        None, description="SNS topic the on-call alarms and dead-letter alarms tell. Default: none, no on-call alarms.")
    alarms: StackAlarmSettings = Field(default_factory=StackAlarmSettings,
                                       description="Alarm thresholds of every service and worker (each may override).")
    services: dict[str, ServiceSettings] = Field(default_factory=dict, description="Web services by name.")
    workers: dict[str, WorkerSettings] = Field(default_factory=dict, description="Queue workers by name.")
    scheduled_tasks: dict[str, ScheduledTaskSettings] = Field(default_factory=dict,
                                                              description="Scheduled tasks by name.")
    topics: dict[str, TopicSettings] = Field(default_factory=dict, description=(
        "SNS topics the workloads publish to (publishes) and workers subscribe to (subscriptions), by name."))
    file_systems: dict[str, FileSystemSettings] = Field(default_factory=dict, description=(
        "EFS file systems the workloads' volumes mount, by name: created encrypted, or existing (fileSystemId)."))
    budget: Optional[BudgetSettings] = Field(None, description="Monthly budget the offline plan checks.")
    provider: dict[str, Any] = Field(
        default_factory=dict, alias="aws:*",
        description="The stack file's other aws: keys (profile, assumeRoles...), for the stack's AWS provider.",
    )

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.sns_topic_arn(value)

    @field_validator("services", "workers", "scheduled_tasks")
    @classmethod
    def _names(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        return workload_names(value, info.field_name)

    @field_validator("services")
    @classmethod
    def _unique_priorities(cls, services: dict[str, ServiceSettings]) -> dict[str, ServiceSettings]:
        return unique_priorities(services)

    @field_validator("topics")
    @classmethod
    def _topic_names(cls, value: dict[str, TopicSettings]) -> dict[str, TopicSettings]:
        for name in value:
            if not TOPIC_NAME.match(name):
                raise KeyProblem(name, "topic names are 1 to 200 letters, digits, - and _")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return validation.known_region(value)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return validation.log_retention_days(value)

    @model_validator(mode="after")
    def _cross_checks(self) -> "StackSettings":
        """Every cross-key check, every problem at once: a person fixes them all in one go."""
        found = problems(self)
        if found:
            raise KeyProblems(found)
        return self

    def topic_args(self) -> dict[str, TopicArgs]:
        """Args of the Topic of each entry of topics, by name."""
        return {name: t.args() for name, t in self.topics.items()}  # type: ignore[misc]

    def _topics(self, arns: Optional[Mapping[str, pulumi.Input[str]]]) -> dict[str, tuple[Any, TopicSettings]]:
        """Each topic's ARN (from the program's Topic components) with its settings."""
        return {name: ((arns or {}).get(name), t) for name, t in self.topics.items()}

    def renamed_from(self, name: str) -> Optional[str]:
        """The name workload ``name`` had before a rename, or None."""
        return next((w.renamed_from for _, n, w in each_workload(self) if n == name), None)

    def account(self) -> Optional[str]:
        """The AWS account the stack deploys to, when the stack file says it: one allowedAccountIds, or the one
        account its certificate and alarm topic share."""
        return stack_account(self)

    def image_repositories(self) -> dict[str, ImageRepositoryArgs]:
        """Args of the ImageRepository of each workload that has a repository section, by workload name."""
        return {name: {**w.repository.args(w.cpu_architecture), "protect_data": self.protect_data,
                       **self._renamed(name)}  # type: ignore[misc]
                for _, name, w in each_workload(self) if w.repository is not None}

    def warnings(self, namespace: str) -> list[str]:
        """One line per image that can change under a running workload (a mutable tag such as latest, or no tag),
        naming its key: worth fixing, not worth refusing (the policy pack advises the same)."""
        found = []
        for kind, name, w in each_workload(self):
            images = [("image", w.image)] + [(f"sidecars[{i}].image", c.image) for i, c in enumerate(w.sidecars)]
            for key, image in images:
                problem = mutable_tag_problem(image) if image else None
                if problem:
                    found.append(f"{namespace}:{kind}.{name}.{key}: {problem}")
        return found

    def default_tags(self, project: str, stack: str) -> dict[str, str]:
        return {"environment": stack, "project": project, "owner": self.tags.owner, **self.tags.extra}

    def network_args(self) -> NetworkArgs:
        n = self.network
        if n.existing_vpc is not None:
            existing = n.existing_vpc
            return {
                "existing_vpc": {
                    "vpc_id": existing.vpc_id,
                    "private_subnet_ids": list(existing.private_subnet_ids),
                    "public_subnet_ids": list(existing.public_subnet_ids),
                    **({"route_table_ids": list(existing.route_table_ids)} if existing.route_table_ids else {}),
                },
                "flow_log_retention_days": self.log_retention_days,
                "vpc_endpoints": list(n.endpoints),
                "protect_data": self.protect_data,
            }
        return {
            "cidr_block": n.cidr,
            "availability_zone_count": n.az_count,
            "nat_gateway_strategy": n.nat_gateways,
            "public_subnet_prefix": n.public_subnet_prefix,
            "private_subnet_prefix": n.private_subnet_prefix,
            "flow_log_retention_days": self.log_retention_days,
            "vpc_endpoints": list(n.endpoints),
            "protect_data": self.protect_data,
            **({"nat_instance_type": n.nat_instance_type} if n.nat_gateways is NatGatewayStrategy.INSTANCE else {}),
        }

    def load_balancer_args(
        self, vpc_id: pulumi.Input[str], vpc_cidr_block: pulumi.Input[str], public_subnet_ids: pulumi.Input[list[str]]
    ) -> LoadBalancerArgs:
        lb = self.load_balancer
        args: LoadBalancerArgs = {
            "vpc_id": vpc_id,
            "vpc_cidr_block": vpc_cidr_block,
            "public_subnet_ids": public_subnet_ids,
            "protocol": lb.protocol,
            "ssl_policy": lb.ssl_policy,
            "ingress_cidrs": list(lb.ingress_cidrs),
            "idle_timeout_seconds": lb.idle_timeout_seconds,
            "deletion_protection": lb.deletion_protection,
            "access_logs": lb.access_logs,
            "access_log_retention_days": lb.access_log_retention_days,
            "protect_data": self.protect_data,
        }
        if lb.certificate_arn:
            args["certificate_arn"] = lb.certificate_arn
        if lb.additional_certificate_arns:
            args["additional_certificate_arns"] = list(lb.additional_certificate_arns)
        return args

    def internal_load_balancer_args(self, vpc_id: pulumi.Input[str], vpc_cidr_block: pulumi.Input[str],
                                    private_subnet_ids: pulumi.Input[list[str]]) -> Optional[LoadBalancerArgs]:
        """Args of the internal LoadBalancer, or None when no service has loadBalancer: internal."""
        if not any(s.load_balancer is ServiceExposure.INTERNAL for s in self.services.values()):
            return None
        return (self.internal_load_balancer or InternalLoadBalancerSettings()).args(
            self.load_balancer, self.network.cidr, self.protect_data,
            vpc_id=vpc_id, vpc_cidr_block=vpc_cidr_block, private_subnet_ids=private_subnet_ids)

    def _alarms(self, own: AlarmSettings, *, web: bool, balanced: bool = True) -> Optional[ServiceAlarms]:
        """On-call alarms with the stack's thresholds under the workload's own, telling alarmTopicArn; none without
        it. A web service without a load balancer (not ``balanced``) has only the task alarms."""
        if not self.alarm_topic_arn:
            return None
        elsewhere = (WORKER_ONLY_ALARMS if web else WEB_ONLY_ALARMS) + (() if balanced else WEB_ONLY_ALARMS)
        stack = {k: v for k, v in self.alarms.thresholds().items() if k not in elsewhere}
        return {  # type: ignore[typeddict-item]
            "actions": alarm_actions(self),
            **stack,
            **own.thresholds(),
            "container_insights": self.cluster.container_insights is not ContainerInsights.DISABLED,
        }

    def _connect_args(self, name: str, own: Optional[ServiceConnectSettings],
                         namespace: Optional[pulumi.Input[str]]) -> dict[str, Any]:
        if own is None:
            return {}
        if namespace is None:
            raise ValueError(f"{name} joins Service Connect: pass the cluster's service_connect_namespace_arn")
        # A renamed service keeps the discovery name its callers know unless the stack file gives another.
        return {"service_connect": own.args(self.renamed_from(name) or name, namespace)}

    def _renamed(self, name: str) -> dict[str, Any]:
        old = self.renamed_from(name)
        return {"renamed_from": old} if old else {}

    def service_url(self, name: str, *, public: pulumi.Input[str],
                    internal: Optional[pulumi.Input[str]] = None) -> pulumi.Output[str]:
        """Where service ``name`` answers: on its load balancer, or at its Service Connect address."""
        s = self.services[name]
        return s.url({ServiceExposure.PUBLIC: public, ServiceExposure.INTERNAL: internal}.get(s.load_balancer), name)
    def _task(self, name: str, w: Any, image: Optional[pulumi.Input[str]], file_systems: Optional[FileSystemRefs],
              topics: Optional[Mapping[str, pulumi.Input[str]]] = None) -> dict[str, Any]:
        args = w.task_args(self.log_retention_days, image, self.protect_data, self._topics(topics))
        return {**args, **task_volumes(w.volumes, w.renamed_from or name, file_systems)}

    def mounts(self) -> list[tuple[str, str]]:
        """(file system, workload) pairs: whose tasks the mount targets of each file system admit."""
        return mounts(self)

    def callers(self) -> list[tuple[str, str]]:
        """(callee, caller) pairs of the stack's Service Connect: who may call whom."""
        return [(name, caller) for name, s in self.services.items() if s.service_connect is not None
                for caller in s.service_connect.callers]

    def web_service_args(self, name: str, placement: Placement, *, namespace: Optional[pulumi.Input[str]] = None,
                         image: Optional[pulumi.Input[str]] = None, internal: Optional[dict[str, Any]] = None,
                         topics: Optional[Mapping[str, pulumi.Input[str]]] = None,
                         file_systems: Optional[FileSystemRefs] = None,
                         capacity_providers: Optional[dict[str, pulumi.Input[str]]] = None,
                         **wiring: Any) -> WebServiceArgs:
        """Args of the WebService `name`; `wiring` supplies the load balancer outputs (listener_arn,
        load_balancer_security_group_id, load_balancer_arn_suffix), `internal` the internal load balancer's,
        `namespace` the cluster's Service Connect namespace ARN, `image` its ImageRepository's image_uri when it has
        a repository, `topics` the ARNs of the stack's topics, `file_systems` its file systems, `capacity_providers`
        the Cluster's capacity_provider_names (Managed Instances)."""
        s = self.services[name]
        exposure = s.load_balancer
        alarms = self._alarms(s.alarms, web=True, balanced=exposure is not ServiceExposure.NONE)
        args: dict[str, Any] = {
            **({ServiceExposure.PUBLIC: wiring, ServiceExposure.INTERNAL: internal or {}}.get(exposure) or {}),
            **self._connect_args(name, s.service_connect, namespace),
            **({"alarms": alarms} if alarms else {}),
            **self._renamed(name),
            "placement": placement,
            "deployment": {**deployment_defaults(self, s), **deployment_strategy(s)},
            "task": self._task(name, s, image, file_systems, topics),
            "container_port": s.container_port,
            **s.placement_args(self.cluster.default_capacity_provider_strategy, capacity_providers),
            "autoscaling": {k: v for k, v in s.autoscaling.model_dump().items() if v is not None},
        }
        if exposure is not ServiceExposure.NONE:
            args.update({
                "priority": s.priority, "path_patterns": list(s.path_patterns), "host_headers": list(s.host_headers),
                "health_check": s.health_check.model_dump(),
                "deregistration_delay_seconds": s.deregistration_delay_seconds,
                "health_check_grace_period_seconds": s.health_check_grace_period_seconds,
                **({"stickiness": s.stickiness.args()} if s.stickiness is not None else {}),
            })
        if s.desired_count is not None:
            args["desired_count"] = s.desired_count
        return args  # type: ignore[return-value]

    def queue_worker_args(self, name: str, placement: Placement, *, namespace: Optional[pulumi.Input[str]] = None,
                          image: Optional[pulumi.Input[str]] = None,
                          topics: Optional[Mapping[str, pulumi.Input[str]]] = None,
                          file_systems: Optional[FileSystemRefs] = None,
                          capacity_providers: Optional[dict[str, pulumi.Input[str]]] = None) -> QueueWorkerArgs:
        """Args of the QueueWorker `name`; `namespace` is the cluster's Service Connect namespace ARN, `image` its
        ImageRepository's image_uri when it has a repository."""
        w = self.workers[name]
        queue = {k: v for k, v in w.queue.model_dump().items() if v is not None}
        scaling = w.scaling.model_dump()
        alarms = self._alarms(w.alarms, web=False)
        args: dict[str, Any] = {
            **self._connect_args(name, w.service_connect, namespace),
            **({"alarms": alarms} if alarms else {}),
            **self._renamed(name),
            "placement": placement,
            "deployment": deployment_defaults(self, w),
            "task": self._task(name, w, image, file_systems, topics),
            "subscriptions": [{"name": sub.topic, "topic_arn": (topics or {})[sub.topic],
                               "fifo": self.topics[sub.topic].fifo,
                               "raw_message_delivery": sub.raw_message_delivery,
                               **({"filter_policy": sub.filter_policy, "filter_policy_scope": sub.filter_policy_scope}
                                  if sub.filter_policy is not None else {})}
                              for sub in w.subscriptions],
            "queue": queue,
            "protect_queues": self.service_defaults.protect_queues,
            "scaling": scaling,
            **w.placement_args(_default_worker_strategy(), capacity_providers),
            "alarm_actions": [self.alarm_topic_arn] if self.alarm_topic_arn else [],
        }
        return args  # type: ignore[return-value]

    def scheduled_task_args(self, name: str, placement: Placement, *, image: Optional[pulumi.Input[str]] = None,
                            topics: Optional[Mapping[str, pulumi.Input[str]]] = None,
                            file_systems: Optional[FileSystemRefs] = None,
                            capacity_providers: Optional[dict[str, pulumi.Input[str]]] = None) -> ScheduledTaskArgs:
        """Args of the ScheduledTask `name`; its dead-letter alarm tells alarmTopicArn; `image` is its
        ImageRepository's image_uri when it has a repository."""
        t = self.scheduled_tasks[name]
        where = t.placement_args([], capacity_providers)
        return {
            **self._renamed(name),  # type: ignore[typeddict-item]
            "placement": placement,
            "task": self._task(name, t, image, file_systems, topics),
            "schedule": t.schedule,
            "timezone": t.timezone,
            "retry": t.retry.model_dump(),  # type: ignore[typeddict-item]
            **({"managed_instances": where["managed_instances"]} if "managed_instances" in where
               else {"on_demand": t.on_demand}),
            "enabled": t.enabled,
            "alarm_actions": alarm_actions(self),  # type: ignore[typeddict-item]
        }

    def cluster_args(self, vpc_id: Optional[pulumi.Input[str]] = None,
                     private_subnet_ids: Optional[pulumi.Input[list[str]]] = None) -> ClusterArgs:
        """Args of the Cluster; Managed Instances launch in ``private_subnet_ids`` of ``vpc_id``."""
        args = self.cluster.args(self.log_retention_days, self.protect_data)
        if self.cluster.managed_instances:
            if vpc_id is None or private_subnet_ids is None:
                raise ValueError("cluster.managedInstances launch instances: pass the network's vpc_id and "
                                 "private_subnet_ids")
            args["managed_instances"] = {k: m.args() for k, m in self.cluster.managed_instances.items()}
            args["vpc_id"] = vpc_id
            args["subnet_ids"] = private_subnet_ids
        return args
