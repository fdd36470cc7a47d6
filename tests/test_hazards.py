"""Day-2 safety through the CLI: `ecs-platform plan --compare` of prod against prod's own plan after an edit of
Pulumi.prod.yaml says what a `pulumi up` of the live stack would do, and fails on the edits AWS or the engine would
punish (docs/changing-a-live-stack.md)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_platform.toolchain.cli import main

from .conftest import ROOT
from .helpers import NS, Edit, delete, setting

PROD = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
EXISTING_VPC = {"vpcId": "vpc-0a1b2c3d4e5f60718",
                "privateSubnetIds": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
                "publicSubnetIds": ["subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]}
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f5a3c1e-8d2b-4e6f-9a7c-3b1d5e8f2a4c"


def _program(directory: Path, edit: Edit) -> Path:
    """A copy of the program with an edited prod stack file (no policy pack: the hazards are the plan's own)."""
    directory.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    stack = json.loads(json.dumps(PROD))
    edit(stack["config"])
    (directory / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return directory


def _plan(directory: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", "--stack", "prod", "--dir", str(directory), "--json", str(directory / "plan.json"),
                     *args])
    return code, json.loads((directory / "plan.json").read_text()), err.getvalue()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """Prod's own plan: the live stack every edit is compared with."""
    directory = _program(tmp_path_factory.mktemp("live") / "program", lambda config: None)
    code, _, _ = _plan(directory)
    assert code == 0
    return directory / "plan.json"


@pytest.fixture
def compare(tmp_path: Path, base: Path) -> Callable[[Edit], tuple[int, dict[str, Any], str]]:
    def run(edit: Edit) -> tuple[int, dict[str, Any], str]:
        code, report, err = _plan(_program(tmp_path / "program", edit), "--compare", str(base))
        return code, report["comparison"], err
    return run


def section(name: str) -> dict[str, Any]:
    return PROD["config"][f"{NS}:{name}"]


def rename(kind: str, old: str, new: str, say_so: bool = False) -> Edit:
    """Rename a workload (and the callers lists that name it), with or without renamedFrom."""
    def edit(config: dict[str, Any]) -> None:
        workloads = config[f"{NS}:{kind}"]
        workloads[new] = workloads.pop(old)
        if say_so:
            workloads[new]["renamedFrom"] = old
        for service in config[f"{NS}:services"].values():
            callers = (service.get("serviceConnect") or {}).get("callers") or []
            callers[:] = [new if c == old else c for c in callers]
    return edit


def swap_priorities(config: dict[str, Any]) -> None:
    services = config[f"{NS}:services"]
    services["api"]["priority"], services["admin"]["priority"] = services["admin"]["priority"], 10


# (edit, the stack-file key the first mandatory hazard names, its kind)
PUNISHED = {
    "rename a worker key": (rename("workers", "orders", "order-processor"), f"{NS}:workers.orders", "update-fails"),
    "repository.kmsKeyArn on a live repository": (setting("services.api.repository.kmsKeyArn", KMS_KEY),
                                                  f"{NS}:services.api.repository.kmsKeyArn", None),
    "network.cidr": (setting("network.cidr", "10.30.0.0/16"), f"{NS}:network.cidr", "data-lost"),
    "cluster.serviceConnectNamespace": (setting("cluster.serviceConnectNamespace", "internal-v2"),
                                        f"{NS}:cluster.serviceConnectNamespace", "update-fails"),
    "remove a scheduled task": (delete("scheduledTasks.nightly-report"), f"{NS}:scheduledTasks.nightly-report",
                                "update-fails"),
    "swap two services' priority": (swap_priorities, f"{NS}:services.admin.priority", "update-fails"),
    "rename a service key": (rename("services", "admin", "backoffice"), None, "update-fails"),
    "switch a canary service back to rolling": (setting("services.api.deployment", {}),
                                                f"{NS}:services.api.deployment.strategy", "traffic"),
    "move the stack into an existing VPC": (setting("network", {"existingVpc": EXISTING_VPC}),
                                            f"{NS}:network.existingVpc", "update-fails"),
}


@pytest.mark.parametrize("edit, key, kind", PUNISHED.values(), ids=list(PUNISHED))
def test_an_edit_the_live_stack_would_punish_fails_with_a_mandatory_hazard(compare, edit, key, kind) -> None:
    code, comparison, err = compare(edit)
    mandatory = [h for h in comparison["hazards"] if h["severity"] == "mandatory"]
    assert code == 1 and mandatory, comparison["hazards"]
    assert comparison["hazards"][:len(mandatory)] == mandatory  # mandatory first
    if key is not None:
        assert any(h["key"] == key for h in mandatory), [h["key"] for h in mandatory]
    if kind is not None:
        assert any(h["kind"] == kind for h in mandatory), [h["kind"] for h in mandatory]
    assert all(h["message"] and h["resource"] for h in mandatory)
    last = err.strip().splitlines()[-1]
    hazards = f"{len(mandatory)} mandatory hazard{'' if len(mandatory) == 1 else 's'} for the live stack"
    assert last.startswith("error: the plan of stack prod fails: ") and hazards in last


ORDINARY = {
    "cpu and memory": lambda config: config[f"{NS}:services"]["admin"].update(cpu=512, memory=1024),
    "autoscaling bounds": setting("services.admin.autoscaling", {"minTasks": 2, "maxTasks": 6}),
    "an environment variable": setting("services.api.environment", {"LOG_LEVEL": "debug"}),
    "an alarm threshold": setting("alarms.p95LatencySeconds", 2),
    "a queue's visibility timeout": setting("workers.orders.queue", {"visibilityTimeoutSeconds": 600,
                                                                    "maxReceiveCount": 5}),
    "an image tag": setting("services.api.repository", {"tag": "1.4.3"}),
    "a desired count": setting("services.api.desiredCount", 4),
    "a canary service's container port": setting("services.api.containerPort", 9090),
    "a worker renamed with renamedFrom": rename("workers", "orders", "order-processor", say_so=True),
    "a service renamed with renamedFrom": rename("services", "admin", "backoffice", say_so=True),
    "egress to a data store and its client group": lambda config: config[f"{NS}:workers"]["orders"].update(
        egress=[{"cidr": "10.20.0.0/16", "port": 5432}], securityGroupIds=["sg-0a1b2c3d4e5f6071a"]),
    "sticky sessions": setting("services.admin.stickiness", {"durationSeconds": 3600}),
    "an additional certificate": setting("loadBalancer.additionalCertificateArns", [
        "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"]),
    "more host names than one rule holds": setting("services.admin.hostHeaders", [
        "a.example.com", "b.example.com", "c.example.com", "d.example.com"]),
}


@pytest.mark.parametrize("edit", ORDINARY.values(), ids=list(ORDINARY))
def test_an_ordinary_edit_passes_with_no_mandatory_hazard(compare, edit) -> None:
    code, comparison, err = compare(edit)
    assert code == 0, err
    assert [h for h in comparison["hazards"] if h["severity"] == "mandatory"] == []


def test_a_rename_said_with_renamed_from_moves_every_resource(compare) -> None:
    _, comparison, _ = compare(rename("workers", "orders", "order-processor", say_so=True))
    assert comparison["resources"]["added"] == comparison["resources"]["removed"] == []
    queue = next(c for c in comparison["resources"]["changed"] if c["type"] == "aws:sqs/queue:Queue") \
        if any(c["type"] == "aws:sqs/queue:Queue" for c in comparison["resources"]["changed"]) else None
    assert queue is None or queue["action"] == "update"


def test_a_new_container_port_replaces_neither_target_group_nor_security_group(compare) -> None:
    _, comparison, _ = compare(setting("services.api.containerPort", 9090))
    replaced = {(c["type"], c["name"]) for c in comparison["resources"]["changed"] if c["action"] == "replace"}
    assert not {t for t, _ in replaced} & {"aws:lb/targetGroup:TargetGroup", "aws:ec2/securityGroup:SecurityGroup"}


def test_more_host_names_add_a_rule_and_keep_the_first_one(compare) -> None:
    _, comparison, _ = compare(setting("services.admin.hostHeaders", [f"{c}.example.com" for c in "abcd"]))
    added = {(a["type"], a["name"]) for a in comparison["resources"]["added"]}
    assert ("aws:lb/listenerRule:ListenerRule", "admin-route-2") in added
    changed = {(c["type"], c["name"]): c["action"] for c in comparison["resources"]["changed"]}
    assert changed.get(("aws:lb/listenerRule:ListenerRule", "admin-route"), "update") == "update"


def test_each_changed_resource_is_an_update_or_a_replacement_with_its_reasons(compare) -> None:
    _, comparison, _ = compare(setting("services.api.repository.kmsKeyArn", KMS_KEY))
    changed = {(c["type"], c["name"]): c for c in comparison["resources"]["changed"]}
    repository = changed[("aws:ecr/repository:Repository", "api-images")]
    assert repository["action"] == "replace" and repository["deleteFirst"] is False
    assert repository["replaceBecause"] == ["encryptionConfigurations[*]"]
    assert changed[("aws:ecs/service:Service", "api")]["action"] == "update"


def test_an_explicitly_named_resource_is_replaced_delete_first(compare) -> None:
    _, comparison, _ = compare(setting("cluster.serviceConnectNamespace", "internal-v2"))
    namespace = next(c for c in comparison["resources"]["changed"]
                     if c["type"] == "aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace["action"] == "replace" and namespace["deleteFirst"] is True


def test_a_removed_log_group_the_stack_keeps_is_advisory(compare) -> None:
    _, comparison, _ = compare(delete("scheduledTasks.nightly-report"))
    retained = [h for h in comparison["hazards"] if h["resource"].endswith("::nightly-report-logs")]
    assert [(h["severity"], h["kind"]) for h in retained] == [("advisory", "retained")]


def test_the_pull_request_comment_shows_the_hazards_first(tmp_path: Path, base: Path) -> None:
    directory = _program(tmp_path / "program", swap_priorities)
    _plan(directory, "--compare", str(base), "--markdown", str(tmp_path / "comment.md"))
    comment = (tmp_path / "comment.md").read_text().splitlines()
    first = next(i for i, line in enumerate(comment) if line.strip() and not line.startswith(("<!--", "###")))
    assert comment[first] == "**2 change(s) this `pulumi up` would punish**"
    assert "PriorityInUse" in comment[first + 2]
