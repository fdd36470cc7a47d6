"""Changing a live stack: what protects the data, and what a rename keeps (the components' side of day-2 safety;
tests/test_hazards.py judges whole changes through the CLI)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_platform import Cluster, ImageRepository, LoadBalancer, Network, QueueWorker, ScheduledTask, WebService
from ecs_platform.testing import ProgramRun

from .helpers import PLACEMENT, refusal_of, web_args

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _protected(run: ProgramRun) -> dict[str, tuple[bool, bool]]:
    """(protect, retainOnDelete) by type::name, for the resources that hold data."""
    stateful = (LOG_GROUP, "aws:ecr/repository:Repository", "aws:s3/bucket:Bucket",
                "aws:servicediscovery/httpNamespace:HttpNamespace", "aws:sqs/queue:Queue")
    return {f"{r.type}::{r.name}": (r.protect, r.retain_on_delete) for r in run.resources if r.type in stateful}


WORKLOADS = {
    "web service": lambda protect: WebService("api", web_args(task={"image": "x:1", "protect_data": protect})),
    "queue worker": lambda protect: QueueWorker("orders", {"placement": PLACEMENT,
                                                           "task": {"image": "x:1", "protect_data": protect}}),
    "scheduled task": lambda protect: ScheduledTask("report", {"placement": PLACEMENT, "schedule": "rate(1 day)",
                                                               "task": {"image": "x:1", "protect_data": protect}}),
}


@pytest.mark.parametrize("kind", sorted(WORKLOADS))
def test_a_protected_workload_keeps_its_log_group_when_removed(run_component, kind: str) -> None:
    logs = [r for r in run_component(lambda: WORKLOADS[kind](True)).resources if r.type == LOG_GROUP]
    assert logs and all(r.retain_on_delete and not r.protect for r in logs)


@pytest.mark.parametrize("kind", sorted(WORKLOADS))
def test_data_is_not_kept_unless_the_stack_asks(run_component, kind: str) -> None:
    assert not any(retain for _, retain in _protected(run_component(lambda: WORKLOADS[kind](False))).values())


def test_a_protected_repository_refuses_deletion_and_replacement(run_component) -> None:
    run = run_component(lambda: ImageRepository("api", {"image_tag": "1.0.0", "protect_data": True}))
    assert run.one("aws:ecr/repository:Repository").protect is True


def test_a_protected_cluster_keeps_its_namespace_and_audit_log(run_component) -> None:
    run = run_component(lambda: Cluster("main", {"service_connect_namespace": "internal", "protect_data": True}))
    assert run.one("aws:servicediscovery/httpNamespace:HttpNamespace").protect is True
    assert run.one(LOG_GROUP).retain_on_delete is True


def test_a_protected_network_keeps_its_flow_logs(run_component) -> None:
    run = run_component(lambda: Network("main", {"protect_data": True}))
    assert run.one(LOG_GROUP).retain_on_delete is True


def test_a_protected_load_balancer_keeps_its_access_log_bucket(run_component) -> None:
    run = run_component(lambda: LoadBalancer("web", {
        "vpc_id": "vpc-1", "vpc_cidr_block": "10.0.0.0/16", "public_subnet_ids": ["subnet-a", "subnet-b"],
        "protocol": "HTTP", "protect_data": True}))
    assert run.one("aws:s3/bucket:Bucket").retain_on_delete is True


def test_prod_asks_for_protection_and_gets_it_on_everything_that_holds_data(prod: ProgramRun) -> None:
    kept = _protected(prod)
    unprotected = [name for name, (protect, retain) in kept.items()
                   if not (protect or retain) and name != "aws:sqs/queue:Queue::nightly-report-dlq"]
    # The scheduled task's dead-letter queue holds only runs that never started (docs/decisions.md).
    assert unprotected == []


def test_dev_protects_nothing_it_would_have_to_clean_up_by_hand(dev: ProgramRun) -> None:
    assert not any(retain or protect for protect, retain in _protected(dev).values())


# Renames ---------------------------------------------------------------------------------------------------------


def _urn_names(run: ProgramRun, type_: str) -> dict[str, list[str]]:
    return {r.name: [a.rsplit("::", 1)[-1] for a in r.aliases] for r in run.resources if r.type == type_}


def test_a_renamed_worker_finds_its_old_queues_and_children(run_component) -> None:
    run = run_component(lambda: QueueWorker("order-processor", {"placement": PLACEMENT, "task": {"image": "x:1"},
                                                                "renamed_from": "orders"}))
    queues = {r.name: r for r in run.of_type("aws:sqs/queue:Queue")}
    old = "urn:pulumi:test::test::ecs-platform:index:QueueWorker$aws:sqs/queue:Queue::"
    assert f"{old}orders" in queues["order-processor"].aliases
    assert f"{old}orders-dlq" in queues["order-processor-dlq"].aliases
    component = run.one("ecs-platform:index:QueueWorker")
    assert "urn:pulumi:test::test::ecs-platform:index:QueueWorker::orders" in component.aliases


def test_a_renamed_callers_rules_keep_their_state(run_component) -> None:
    def program() -> None:
        service = WebService("api", web_args(service_connect={"namespace": "arn:aws:servicediscovery:us-east-1:"
                                                                           "123456789012:namespace/ns-1"}))
        service.admit("order-processor", "sg-0caller000000000001", "orders")

    run = run_component(program)
    assert "orders-to-api" in _urn_names(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")[
        "order-processor-to-api"]
    assert "api-from-orders" in _urn_names(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")[
        "api-from-order-processor"]


@pytest.mark.parametrize("renamed_from", ["api", "", 3])
def test_a_component_cannot_be_renamed_from_its_own_name_or_nothing(run_component, renamed_from: Any) -> None:
    message = refusal_of(run_component, lambda: WebService("api", web_args(renamed_from=renamed_from)))
    assert message.startswith("WebService renamed_from must be the name 'api' had before")
