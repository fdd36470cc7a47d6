"""The policy pack driven through the Pulumi engine's whole analyzer sequence, Remediate included, and judged at a
new stack's first preview (values AWS assigns unknown, auto-names known)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.plan import build_plan
from ecs_platform.toolchain.policy_runner import Analysis, PolicyPack, PolicyPackError
from ecs_platform.testing import ProgramRun, run_stack
from ecs_platform.offline.mocks import UNKNOWN

from .conftest import ROOT
from .policy_support import POLICIES

PACK = ROOT / "policies"
BAD_PROGRAM = ROOT / "tests" / "fixtures" / "bad_program"
OPENING = ["Handshake", "ConfigureStack", "GetPluginInfo", "GetAnalyzerInfo", "Configure"]


def engine_session(run: ProgramRun, pack: Path = PACK, config: Path | None = None):
    """Drive a pack through the engine's sequence for a finished run; return the session, its report and the run."""
    with PolicyPack(pack, project=run.project, stack=run.stack, config={}) as started:
        session = Analysis(started, config, project=run.project, stack=run.stack)
        for resource in [run.root, *run.resources]:
            session.on_register(resource)
        report = session.finish(run).result()
    return session, report, run


@pytest.fixture(scope="module")
def sessions(dev, prod) -> dict:
    return {
        "dev": engine_session(dev, config=PACK / "config" / "dev.json"),
        "prod": engine_session(prod, config=PACK / "config" / "prod.json"),
        "bad": engine_session(run_stack(BAD_PROGRAM, "test"), config=PACK / "config" / "prod.json"),
    }


@pytest.fixture(scope="module")
def previews() -> dict:
    return {stack: build_plan(ROOT, stack, preview=True) for stack in ("dev", "prod")}


@pytest.fixture(scope="module")
def bad_preview():
    return build_plan(BAD_PROGRAM, "test", pack=PACK, pack_config=PACK / "config" / "prod.json", preview=True)


# The engine's sequence -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["dev", "prod", "bad"])
def test_pack_answers_the_whole_engine_sequence(sessions, program: str) -> None:
    session, _, _ = sessions[program]
    calls = [rpc for rpc, _ in session.sequence]
    assert calls[:5] == OPENING
    assert calls[-2:] == ["AnalyzeStack", "Cancel"]
    assert set(calls[5:-2]) == {"Remediate", "Analyze"}


@pytest.mark.parametrize("program", ["dev", "prod", "bad"])
def test_every_registration_is_remediated_then_analyzed_in_registration_order(sessions, program: str) -> None:
    session, _, run = sessions[program]
    expected = [step for r in [run.root, *run.resources] for step in (("Remediate", r.urn), ("Analyze", r.urn))]
    assert session.sequence[5:-2] == expected


def test_the_stack_providers_and_components_are_analyzed_too(sessions) -> None:
    session, _, _ = sessions["prod"]
    analyzed = {urn.split("::")[2].split("$")[-1] for rpc, urn in session.sequence if rpc == "Analyze"}
    assert {"pulumi:pulumi:Stack", "pulumi:providers:aws", "ecs-platform:index:WebService", "awsx:ec2:Vpc"} <= analyzed


def test_a_resource_without_a_provider_gets_the_engines_default_provider_first(sessions) -> None:
    session, _, _ = sessions["bad"]
    analyzed = [urn for rpc, urn in session.sequence if rpc == "Analyze"]
    default = next(i for i, urn in enumerate(analyzed) if "pulumi:providers:aws::default_" in urn)
    first_aws = next(i for i, urn in enumerate(analyzed) if "::aws:" in urn)
    assert default < first_aws


def write_pack(directory: Path, policies: str) -> Path:
    """A one-file pack, laid out like this project's, started exactly as the engine starts a pack."""
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (directory / "__main__.py").write_text(textwrap.dedent(policies))
    return directory


def test_a_failing_remediation_stops_the_run_as_the_engine_does(tmp_path: Path, capsys) -> None:
    pack = write_pack(tmp_path / "pack", """
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        def remediate(args):
            raise RuntimeError("this remediation failed")

        PolicyPack(name="failing", policies=[ResourceValidationPolicy(
            name="always-fails", description="d", remediate=remediate,
            enforcement_level=EnforcementLevel.REMEDIATE)])
    """)
    assert main(["policy", "--stack", "test", "--dir", str(BAD_PROGRAM), "--pack", str(pack)]) == 3
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "failed to run remediation on urn:pulumi:test::bad-program::" in line
    assert "this remediation failed" in line


def test_analyze_sees_the_inputs_a_remediation_returned(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "pack", """
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        def add_owner(args):
            if args.resource_type == "aws:ecs/cluster:Cluster":
                return {**args.props, "tags": {"owner": "remediated"}}

        def owned(args, report_violation):
            if args.resource_type == "aws:ecs/cluster:Cluster" and (args.props.get("tags") or {}).get("owner") != "remediated":
                report_violation("no owner")

        PolicyPack(name="remediating", policies=[
            ResourceValidationPolicy(name="add-owner", description="d", remediate=add_owner,
                                     enforcement_level=EnforcementLevel.REMEDIATE),
            ResourceValidationPolicy(name="owned", description="d", validate=owned,
                                     enforcement_level=EnforcementLevel.MANDATORY)])
    """)
    session, report, _ = engine_session(run_stack(BAD_PROGRAM, "test"), pack=pack)
    assert session.remediations and report.violations == []


# A new stack's first preview ---------------------------------------------------------------------------------


def test_first_preview_leaves_what_aws_assigns_unknown_and_auto_names_known() -> None:
    run = run_stack(ROOT, "prod", preview=True)
    queue = run.one("aws:sqs/queue:Queue", "orders")
    assert queue.outputs["arn"] == UNKNOWN and queue.outputs["url"] == UNKNOWN
    assert queue.inputs["name"].startswith("orders-") and queue.inputs["name"] != UNKNOWN


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_pack_judges_every_evaluation_at_a_first_preview(previews, stack: str) -> None:
    assert previews[stack].policy.unjudged == []
    assert previews[stack].status == "ok"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_first_preview_reaches_the_same_verdicts_as_a_full_plan(previews, stack: str) -> None:
    full = build_plan(ROOT, stack)

    def verdicts(plan):
        return sorted((v.policy, v.level, v.resource_name) for v in plan.policy.violations)

    assert verdicts(previews[stack]) == verdicts(full)


def test_the_bad_program_is_caught_at_first_preview_by_every_policy(bad_preview) -> None:
    caught = {v.policy for v in bad_preview.policy.mandatory}
    advisory_by_config = {"ecs-service-tags", "ecs-cluster-tags", "ecs-task-definition-tags",
                          "iam-no-wildcard-service-actions", "ecs-fargate-memory-rightsizing", "ecs-image-pinned",
                          "ecs-service-az-rebalancing"}
    assert caught == set(POLICIES) - advisory_by_config
    assert {v.policy for v in bad_preview.policy.advisory} >= advisory_by_config
    assert len(bad_preview.policy.unjudged) <= 1


def test_the_plan_fails_a_preview_where_a_mandatory_policy_cannot_judge(tmp_path: Path, capsys) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: opaque\nruntime: python\n")
    (program / "Pulumi.test.yaml").write_text("config:\n  aws:region: us-east-1\n")
    # Container definitions built from the queue's URL output: unknown until the queue exists.
    (program / "__main__.py").write_text(textwrap.dedent("""
        import json
        import pulumi_aws as aws

        queue = aws.sqs.Queue("work", sqs_managed_sse_enabled=True)
        aws.ecs.TaskDefinition("app", family="app", cpu="256", memory="512", network_mode="awsvpc",
                               requires_compatibilities=["FARGATE"],
                               container_definitions=queue.url.apply(lambda url: json.dumps([
                                   {"name": "app", "image": "app:1", "environment": [{"name": "Q", "value": url}]}])))
    """))
    config = PACK / "config" / "dev.json"
    out = tmp_path / "plan.json"
    code = main(["plan", "--stack", "test", "--dir", str(program), "--pack", str(PACK), "--config", str(config),
                 "--preview", "--json", str(out)])
    report = json.loads(out.read_text())
    assert code == 1 and report["status"] == "policy-unjudged"
    assert "ecs-no-privileged-containers" in {v["policy"] for v in report["policy"]["unjudged"]}
    assert "UNJUDGED" in capsys.readouterr().out


# Several pack processes ------------------------------------------------------------------------------------------


def test_a_run_shared_by_two_pack_processes_gets_the_verdicts_one_process_reaches(sessions) -> None:
    from ecs_platform.toolchain.policy_runner import Shards

    _, alone, run = sessions["bad"]

    def start(first: bool) -> PolicyPack:
        return PolicyPack(PACK, project=run.project, stack=run.stack, config={})

    # No backlog allowed: the second process starts at the second registration and takes every other one.
    with Shards(start, PACK / "config" / "prod.json", project=run.project, stack=run.stack, processes=2,
                backlog=-1) as shards:
        for resource in [run.root, *run.resources]:
            shards.on_register(resource)
        shared = shards.finish(run).result()
        analyzed = [len(session.analyzed) for session in shards.sessions]
    assert len(analyzed) == 2 and min(analyzed) > 0

    def verdicts(report) -> list[tuple[str, str, str, str]]:
        return sorted((v.policy, v.urn, v.level, v.message) for v in report.violations + report.unjudged)

    assert verdicts(shared) == verdicts(alone) and verdicts(alone)
