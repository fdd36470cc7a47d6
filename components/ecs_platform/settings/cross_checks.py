"""The stack-wide checks: what no single section of a stack file can check alone (workload names and renames,
listener rule priorities and routes, Service Connect members and callers, each service's deployment with the
stack's serviceDefaults, alarm thresholds without a topic, what must fit the region and the account). StackSettings
runs them; each problem is a KeyProblem naming the key to fix, relative to the stack file's top."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Optional, Protocol

from .. import naming, validation
from .._service import Deployment, deployment_problems, rollback_alarm_actions_problem
from ..enums import PROGRESSIVE_STRATEGIES, ContainerInsights, WorkerScalingMode
from ..web_service import alternate_target_group_problem
from .base import KeyProblem, _blame
from .routing import internal_load_balancer_used, routes
from .cluster import ClusterSettings
from .file_systems import file_system_problems
from .load_balancer import InternalLoadBalancerSettings, LoadBalancerSettings
from .managed_instances import placement_problems
from .network import NetworkSettings
from .operations import ServiceDefaultsSettings, StackAlarmSettings
from .scheduled_tasks import ScheduledTaskSettings
from .services import ServiceSettings
from .tasks import TaskSettings
from .topics import TopicSettings
from .workers import WorkerSettings


class Stack(Protocol):
    """What the checks read of a StackSettings (settings/stack.py, which runs them and so is not imported here)."""

    region: str
    network: NetworkSettings
    load_balancer: LoadBalancerSettings
    internal_load_balancer: Optional[InternalLoadBalancerSettings]
    cluster: ClusterSettings
    service_defaults: ServiceDefaultsSettings
    alarm_topic_arn: Optional[str]
    alarms: StackAlarmSettings
    services: dict[str, ServiceSettings]
    workers: dict[str, WorkerSettings]
    scheduled_tasks: dict[str, ScheduledTaskSettings]
    topics: dict[str, TopicSettings]
    provider: dict[str, Any]


_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")


def _check_name(kind: str, name: str, children: Mapping[str, tuple[str, ...]]) -> None:
    """Names become parts of AWS names, after Pulumi's random suffix: their length is bounded by the children."""
    if not _NAME.match(name):
        raise KeyProblem(name, "names are lowercase letters, digits and hyphens, starting with a letter")
    try:
        naming.check_name(kind, name, children)
    except ValueError as error:
        raise KeyProblem(name, str(error)) from None


def workload_names(value: dict[str, Any], field_name: str) -> dict[str, Any]:
    """The names of one section's workloads (``field_name``: services, workers or scheduled_tasks) and the names
    they were renamed from."""
    kind, children = {"services": ("service", naming.WEB_SERVICE_CHILDREN),
                      "workers": ("worker", naming.QUEUE_WORKER_CHILDREN),
                      "scheduled_tasks": ("scheduled task", naming.SCHEDULED_TASK_CHILDREN)}[field_name]
    for name, workload in value.items():
        _check_name(kind, name, children)
        old = workload.renamed_from
        if old is not None:
            if not _NAME.match(old):
                raise KeyProblem(f"{name}.renamedFrom", "names are lowercase letters, digits and hyphens, "
                                                        f"starting with a letter; got {old!r}")
            if old == name:
                raise KeyProblem(f"{name}.renamedFrom", "is the workload's own name; give the name it had before")
    return value


def problems(stack: Stack) -> list[KeyProblem]:
    """Every cross-key check, every problem at once: a person fixes them all in one go."""
    return [problem for check in (
        _renames,
        _workloads,
        _insights_for_backlog,
        _deployments,
        _service_connect,
        _alarms_tell_someone,
        routes,
        internal_load_balancer_used,
        _regional,
        _secrets_from_other_accounts,
        _topics,
        file_system_problems,
        _managed_instances,
    ) for problem in check(stack)]


def _topics(stack: Stack) -> Iterator[KeyProblem]:
    """Publishers and subscribers name topics of the stack; a FIFO topic delivers to FIFO queues only."""
    known = ", ".join(sorted(stack.topics)) or "none"
    for kind, name, w in each_workload(stack):
        for i, topic in enumerate(w.publishes):
            if topic not in stack.topics:
                yield KeyProblem(f"{kind}.{name}.publishes[{i}]", f"{topic} is not under topics (the stack has "
                                                                  f"{known})")
    for name, worker in stack.workers.items():
        for i, sub in enumerate(worker.subscriptions):
            key = f"workers.{name}.subscriptions[{i}].topic"
            topic = stack.topics.get(sub.topic)
            if topic is None:
                yield KeyProblem(key, f"{sub.topic} is not under topics (the stack has {known})")
            elif topic.fifo != worker.queue.fifo:
                yield KeyProblem(key, f"{sub.topic} is {'a FIFO' if topic.fifo else 'a standard'} topic and the "
                                      f"queue is {'FIFO' if worker.queue.fifo else 'standard'}; SNS delivers FIFO "
                                      "topics to FIFO queues only: set queue.fifo to match")


def _renames(stack: Stack) -> Iterator[KeyProblem]:
    """A rename moves one workload's state to another name: the old name must be free, and claimed once."""
    names = {name for _, name, _ in each_workload(stack)}
    claimed: dict[str, str] = {}
    for kind, name, w in each_workload(stack):
        old = w.renamed_from
        if old is None:
            continue
        if old in names:
            yield KeyProblem(f"{kind}.{name}.renamedFrom", f"{old} is still a workload of this stack; remove it "
                                                           "or rename it too")
        if old in claimed:
            yield KeyProblem(f"{kind}.{name}.renamedFrom", f"{old} was already renamed to {claimed[old]}")
        claimed[old] = name


def _workloads(stack: Stack) -> Iterator[KeyProblem]:
    for name in set(stack.services) & set(stack.workers):
        yield KeyProblem("workers", f"{name} is also a service; names must be unique across both")
    for name in sorted(set(stack.scheduled_tasks) & (set(stack.services) | set(stack.workers))):
        yield KeyProblem("scheduledTasks", f"{name} is also a service or worker; names must be unique")
    for kind, name, workload in each_workload(stack):
        for index, sidecar in enumerate(workload.sidecars):
            if sidecar.name == name:
                yield KeyProblem(f"{kind}.{name}.sidecars[{index}].name",
                                 f"{name!r} is the name of the main container; give the sidecar another name")


def _insights_for_backlog(stack: Stack) -> Iterator[KeyProblem]:
    """Backlog scaling divides by the running task count, which only Container Insights publishes."""
    if stack.cluster.container_insights is ContainerInsights.DISABLED:
        for name, worker in stack.workers.items():
            if worker.scaling.mode is WorkerScalingMode.BACKLOG:
                yield KeyProblem(f"workers.{name}.scaling.mode",
                                 "backlog reads the running task count from Container Insights, which "
                                 "cluster.containerInsights disables; use steps or enable Container Insights")


def _deployments(stack: Stack) -> Iterator[KeyProblem]:
    """What ECS would refuse of each service's strategy, with the stack's deployment percentages and waiting."""
    for name, service in stack.services.items():
        prefix = f"services.{name}."
        for problem in deployment_problems({**deployment_defaults(stack), **deployment_strategy(service)}):
            yield _blame(problem, prefix)
        strategy = service.deployment.strategy
        problem = rollback_alarm_actions_problem(strategy, alarm_actions(stack))
        if problem:
            yield KeyProblem(f"{prefix}deployment.strategy",
                             f"{strategy.value} creates the alarms ECS rolls back on; set alarmTopicArn so they "
                             "tell someone (CloudWatch.15 wants an ALARM action on every alarm)")
        problem = alternate_target_group_problem(name) if strategy in PROGRESSIVE_STRATEGIES else None
        if problem:
            yield KeyProblem(f"{prefix}deployment.strategy", problem)


def _service_connect(stack: Stack) -> Iterator[KeyProblem]:
    """Members need the namespace; callers must be members of it too (their proxy makes the call)."""
    members = {name: w.service_connect for kind in (stack.services, stack.workers) for name, w in kind.items()
               if w.service_connect is not None}
    kinds = {**{n: "services" for n in stack.services}, **{n: "workers" for n in stack.workers}}
    discovery: dict[str, str] = {}
    for name, connect in members.items():
        key = f"{kinds[name]}.{name}.serviceConnect"
        if stack.cluster.service_connect_namespace is None:
            yield KeyProblem(key, "needs cluster.serviceConnectNamespace, the namespace to join")
        for caller in connect.callers:
            if caller == name:
                yield KeyProblem(f"{key}.callers", f"{name} cannot be its own caller")
                continue
            if caller not in kinds:
                yield KeyProblem(f"{key}.callers", f"{caller!r} is not a service or worker of this stack"
                                                   f"{validation.did_you_mean(caller, list(kinds))}")
            elif caller not in members:
                yield KeyProblem(f"{key}.callers", f"{caller} calls through Service Connect only as a member; "
                                                   f"give {kinds[caller]}.{caller} a serviceConnect section")
        if name in stack.services:
            dns = connect.discovery_name or stack.services[name].renamed_from or name
            if dns in discovery:
                yield KeyProblem(f"{key}.discoveryName", f"{dns!r} is already the name of service "
                                                         f"{discovery[dns]} in the namespace")
            discovery[dns] = name


def _alarms_tell_someone(stack: Stack) -> Iterator[KeyProblem]:
    if stack.alarm_topic_arn is None:
        configured = [("alarms", stack.alarms)] + [
            (f"{kind}.{name}.alarms", w.alarms)
            for kind, workloads in (("services", stack.services), ("workers", stack.workers))
            for name, w in workloads.items()]
        for key, alarms in configured:
            if alarms.model_fields_set:
                yield KeyProblem(key, "on-call alarms tell alarmTopicArn; set it, or remove these thresholds")


def _regional(stack: Stack) -> Iterator[KeyProblem]:
    """What must fit the stack's region: its zones, and the certificate, topic and keys it uses."""
    try:
        validation.zones_fit(stack.region, stack.network.az_count)
    except ValueError as error:
        yield KeyProblem("network.azCount", str(error))
    arns: list[tuple[str, Optional[str]]] = [
        ("loadBalancer.certificateArn", stack.load_balancer.certificate_arn),
        *[(f"loadBalancer.additionalCertificateArns[{i}]", arn)
          for i, arn in enumerate(stack.load_balancer.additional_certificate_arns)],
        ("internalLoadBalancer.certificateArn",
         stack.internal_load_balancer.certificate_arn if stack.internal_load_balancer else None),
        ("alarmTopicArn", stack.alarm_topic_arn),
    ]
    arns += [(f"{kind}.{name}.secretsKmsKeyArn", w.secrets_kms_key_arn) for kind, name, w in each_workload(stack)]
    arns += [(f"{kind}.{name}.secrets.{key}", value) for kind, name, w in each_workload(stack)
             for key, value in w.secrets.items()]
    arns += [(f"workers.{name}.queue.kmsKeyArn", w.queue.kms_key_arn) for name, w in stack.workers.items()]
    arns += [(f"{kind}.{name}.repository.kmsKeyArn", w.repository.kms_key_arn)
             for kind, name, w in each_workload(stack) if w.repository is not None]
    for key, arn in arns:
        if arn is not None:
            try:
                validation.regional_arn(arn, stack.region)
            except ValueError as error:
                yield KeyProblem(key, str(error))


def _secrets_from_other_accounts(stack: Stack) -> Iterator[KeyProblem]:
    """A secret another account shares is encrypted with a customer managed key of that account (the AWS
    managed keys cannot be shared), and the execution role needs kms:Decrypt on it: secretsKmsKeyArn. The stack's
    account is the one allowedAccountIds names, or the one its certificate and topic are in."""
    account = stack_account(stack)
    if account is None:
        return
    for kind, name, w in each_workload(stack):
        for key, value in w.secrets.items():
            other = validation.account_of(value)
            if other and other != account and not w.secrets_kms_key_arn:
                yield KeyProblem(f"{kind}.{name}.secrets.{key}",
                                 f"is in account {other}, not the stack's {account}: a secret shared from another "
                                 "account is encrypted with a customer managed KMS key the tasks must be allowed "
                                 f"to use; give {kind}.{name}.secretsKmsKeyArn")


def _managed_instances(stack: Stack) -> Iterator[KeyProblem]:
    """Each workload's managedInstances and gpus against the providers of cluster.managedInstances."""
    for kind, name, w in each_workload(stack):
        yield from placement_problems(f"{kind}.{name}", w, stack.cluster.managed_instances)


def stack_account(stack: Stack) -> Optional[str]:
    """The AWS account the stack deploys to, when the stack file says it: one allowedAccountIds, or the one
    account its certificate and alarm topic share."""
    allowed = stack.provider.get("allowed_account_ids")
    if isinstance(allowed, list) and len(allowed) == 1:
        return str(allowed[0])
    accounts = {validation.account_of(a) for a in (stack.load_balancer.certificate_arn, stack.alarm_topic_arn) if a}
    accounts.discard(None)
    return accounts.pop() if len(accounts) == 1 else None


def each_workload(stack: Stack) -> list[tuple[str, str, TaskSettings]]:
    """(stack-file section, name, settings) of every service, worker and scheduled task."""
    return [(kind, name, w) for kind, workloads in (("services", stack.services), ("workers", stack.workers),
                                                    ("scheduledTasks", stack.scheduled_tasks))
            for name, w in workloads.items()]


def deployment_defaults(stack: Stack, workload: Optional[TaskSettings] = None) -> Deployment:
    """The deployment every service and worker of the stack shares (serviceDefaults), with the workload's own
    enableExecuteCommand when it sets one."""
    d = stack.service_defaults
    own = workload.enable_execute_command if workload is not None else None
    return {
        "minimum_healthy_percent": d.minimum_healthy_percent,
        "maximum_percent": d.maximum_percent,
        "enable_execute_command": d.enable_execute_command if own is None else own,
        "wait_for_steady_state": d.wait_for_steady_state,
        "steady_state_timeout_minutes": d.steady_state_timeout_minutes,
        "availability_zone_rebalancing": d.availability_zone_rebalancing,
    }


def deployment_strategy(service: ServiceSettings) -> dict[str, Any]:
    """The service's strategy and the keys it uses (ECS rejects a canary configuration on a linear rollout)."""
    d = service.deployment
    return {"strategy": d.strategy, **{k: getattr(d, k) for k in d.model_fields_set if k != "strategy"}}


def alarm_actions(stack: Stack) -> list[str]:
    """Where alarms tell: alarmTopicArn, when the stack has one."""
    return [stack.alarm_topic_arn] if stack.alarm_topic_arn else []
