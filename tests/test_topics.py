"""SNS topics from the stack file: encrypted topics, publishers allowed exactly their topics, workers subscribed
through a queue policy that names them, FIFO kept FIFO end to end, and one-line refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_platform.testing import ProgramRun, run_stack

from .conftest import ROOT
from .helpers import NS, containers, policy, statements_by_action
from .test_settings import minimal, rejected

IMAGE = "public.ecr.aws/docker/library/alpine:3.20"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _with_topics(config: dict[str, Any]) -> None:
    config[f"{NS}:topics"] = {"orders": {}, "ledger": {"fifo": True, "contentBasedDeduplication": True},
                              "audit": {"kmsKeyArn": KEY}}
    config[f"{NS}:services"]["api"]["publishes"] = ["orders", "audit"]
    config[f"{NS}:workers"]["orders"]["subscriptions"] = [
        {"topic": "orders", "filterPolicy": {"event": ["order_placed"]}, "rawMessageDelivery": True}]
    config[f"{NS}:workers"]["ledger"] = {"image": IMAGE, "queue": {"fifo": True},
                                         "subscriptions": [{"topic": "ledger"}]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> ProgramRun:
    folder = tmp_path_factory.mktemp("topics")
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, folder / file)
    data = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    _with_topics(data["config"])
    (folder / "Pulumi.dev.yaml").write_text(yaml.safe_dump(data))
    return run_stack(folder, "dev")


def _topic(run: ProgramRun, name: str) -> Any:
    return next(t for t in run.of_type("aws:sns/topic:Topic") if t.name == name)


def test_topics_are_encrypted_with_the_aws_managed_key_unless_given_one(stack: ProgramRun) -> None:
    assert _topic(stack, "orders").inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert _topic(stack, "audit").inputs["kmsMasterKeyId"] == KEY


def test_topic_policy_denies_publishing_over_plain_http(stack: ProgramRun) -> None:
    for topic_policy in stack.of_type("aws:sns/topicPolicy:TopicPolicy"):
        (statement,) = json.loads(topic_policy.inputs["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_a_publisher_may_publish_to_exactly_its_topics_and_reads_their_arns(stack: ProgramRun) -> None:
    arns = {name: f"arn:aws:sns:us-east-1:123456789012:{_topic(stack, name).inputs['name']}"
            for name in ("orders", "audit")}
    role = next(r for r in stack.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "api-task")
    allowed = statements_by_action(policy(role))
    assert sorted(allowed["sns:Publish"]) == sorted(arns.values())
    assert allowed["kms:GenerateDataKey"] == [KEY]
    environment = {e["name"]: e["value"] for e in containers(stack, "api")[0]["environment"]}
    assert json.loads(environment["SNS_TOPIC_ARNS"]) == arns


def test_a_workload_that_publishes_nothing_gets_no_sns_permission(stack: ProgramRun) -> None:
    role = next(r for r in stack.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "orders-task")
    assert "sns:Publish" not in statements_by_action(policy(role))


def test_a_subscription_delivers_to_the_workers_queue_with_its_filter(stack: ProgramRun) -> None:
    sub = next(s for s in stack.of_type("aws:sns/topicSubscription:TopicSubscription") if s.name == "orders-orders")
    queue = next(q for q in stack.of_type("aws:sqs/queue:Queue") if q.name == "orders")
    assert (sub.inputs["protocol"], sub.inputs["rawMessageDelivery"]) == ("sqs", True)
    assert sub.inputs["endpoint"] == f"arn:aws:sqs:us-east-1:123456789012:{queue.inputs['name']}"
    assert json.loads(sub.inputs["filterPolicy"]) == {"event": ["order_placed"]}


def test_the_queue_policy_lets_only_the_subscribed_topics_send(stack: ProgramRun) -> None:
    queue_policy = next(p for p in stack.of_type("aws:sqs/queuePolicy:QueuePolicy") if p.name == "orders-topics")
    (statement,) = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    topic = _topic(stack, "orders").inputs["name"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [f"arn:aws:sns:us-east-1:123456789012:{topic}"]}}


def test_fifo_topics_and_queues_carry_the_fifo_suffix(stack: ProgramRun) -> None:
    assert _topic(stack, "ledger").inputs["name"] == "ecs-platform-dev-ledger.fifo"
    names = sorted(q.inputs["name"] for q in stack.of_type("aws:sqs/queue:Queue") if q.name.startswith("ledger"))
    assert names == ["ecs-platform-dev-ledger-dlq.fifo", "ecs-platform-dev-ledger.fifo"]


# Refusals --------------------------------------------------------------------------------------------------------

WORKER = {"image": IMAGE}


def test_publishing_to_a_topic_the_stack_lacks_is_refused_on_its_key() -> None:
    error = rejected(workers={"w": {**WORKER, "publishes": ["missing"]}}, topics={"orders": {}})
    assert str(error).startswith(f"{NS}:workers.w.publishes[0]: missing is not under topics")


def test_a_fifo_topic_to_a_standard_queue_is_refused_on_its_key() -> None:
    error = rejected(workers={"w": {**WORKER, "subscriptions": [{"topic": "ledger"}]}}, topics={"ledger": {"fifo": True}})
    assert str(error).startswith(f"{NS}:workers.w.subscriptions[0].topic: ledger is a FIFO topic")


def test_a_filter_policy_over_five_attribute_names_is_refused() -> None:
    policy_ = {k: ["x"] for k in "abcdef"}
    error = rejected(workers={"w": {**WORKER, "subscriptions": [{"topic": "t", "filterPolicy": policy_}]}},
                     topics={"t": {}})
    assert "workers.w.subscriptions.0.filterPolicy" in str(error) or "subscriptions[0].filterPolicy" in str(error)
    assert "at most 5" in str(error)


def test_content_based_deduplication_needs_a_fifo_topic() -> None:
    error = rejected(topics={"t": {"contentBasedDeduplication": True}})
    assert str(error).startswith(f"{NS}:topics.t.contentBasedDeduplication:")


def test_a_filter_policy_scope_without_a_policy_is_refused() -> None:
    error = rejected(workers={"w": {**WORKER, "subscriptions": [{"topic": "t", "filterPolicyScope": "MessageBody"}]}},
                     topics={"t": {}})
    assert "filterPolicyScope" in str(error)


def test_a_stack_without_topics_is_unchanged() -> None:
    from ecs_platform.settings import parse
    assert parse(minimal(), NS).topics == {}


def test_sns_publishes_are_priced_per_million_at_the_stated_assumption(stack: ProgramRun, monkeypatch) -> None:
    from ecs_platform.toolchain.plan import cost

    prices = cost.load_prices("us-east-1")
    assumed = {**prices["assumptions"], "snsMillionPublishesPerTopic": 3}
    monkeypatch.setattr(cost, "load_prices", lambda region: {**prices, "assumptions": assumed})
    (line,) = [i for i in cost.estimate(stack, "us-east-1").items if i.item == "SNS publishes (assumed)"]
    assert line.desired == pytest.approx(3 * 3 * prices["snsStandardPublishesPerMillion"])  # three topics
