"""Components used from another project refuse args their TypedDicts do not declare, at every level, before they
register anything (a TypedDict is not checked at runtime)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_platform import Cluster, LoadBalancer, Network, QueueWorker, WebService
from ecs_platform.offline import run

from .helpers import PLACEMENT, watch_runs

TASK = {"image": "example/app:1.0"}
WEB = {"placement": PLACEMENT, "listener_arn": "arn:listener", "load_balancer_security_group_id": "sg-1",
       "load_balancer_arn_suffix": "app/web/1", "priority": 10, "path_patterns": ["/api/*"], "task": TASK}
LB = {"vpc_id": "vpc-1", "vpc_cidr_block": "10.0.0.0/16", "public_subnet_ids": ["a", "b"], "protocol": "HTTP"}

CASES: list[tuple[str, Any, dict[str, Any], str]] = [
    ("network top level", Network, {"az_count": 2}, "az_count"),
    ("cluster list item", Cluster, {"default_capacity_provider_strategy": [
        {"capacity_provider": "FARGATE", "wieght": 1}]}, "did you mean weight?"),
    ("load balancer top level", LoadBalancer, {**LB, "idle_timeout": 30}, "did you mean idle_timeout_seconds?"),
    ("web service nested section", WebService, {**WEB, "autoscaling": {"min_task": 2}}, "did you mean min_tasks?"),
    ("web service task", WebService, {**WEB, "task": {**TASK, "memmory": 512}}, "did you mean memory?"),
    ("worker sidecar item", QueueWorker, {"placement": PLACEMENT, "task": {**TASK, "sidecars": [
        {"name": "proxy", "image": "envoy:1", "essentail": True}]}}, "did you mean essential?"),
    ("worker scaling", QueueWorker, {"placement": PLACEMENT, "task": TASK, "scaling": {"min_task": 3}},
     "did you mean min_tasks?"),
    ("worker missing task", QueueWorker, {"placement": PLACEMENT}, "'task' is required"),
]


@pytest.mark.parametrize("component, args, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_misspelt_arg_is_refused_before_anything_is_registered(component, args, message: str,
                                                                monkeypatch) -> None:
    monitors = watch_runs(monkeypatch)
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        run(lambda: component("x", args), project="p", stack="s", config={"aws:region": "us-east-1"})
    assert [r.type for r in monitors[0].registrations] == ["pulumi:pulumi:Stack"]
