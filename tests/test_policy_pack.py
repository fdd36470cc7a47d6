"""The policy pack as the engine sees it: started as a process, spoken to over gRPC, configured per stack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2

from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.policy_runner import PolicyConfigError, PolicyInfo, reconcile_config, run_policies, start_pack
from ecs_platform.testing import run_stack

from .conftest import ROOT
from .policy_support import POLICIES

PACK = ROOT / "policies"
BAD_PROGRAM = ROOT / "tests" / "fixtures" / "bad_program"
CONTROL = re.compile(r"^\[((?:ECS|ECR|ELB|EC2|SQS|SNS|EFS|CloudWatch|IAM)\.\d+|PLATFORM\.[A-Z0-9-]+)\] ")


@pytest.fixture(scope="module")
def analyzer_info() -> analyzer_pb2.AnalyzerInfo:
    with start_pack(PACK, project="ecs-platform", stack="dev", config={}) as (stub, _):
        return stub.GetAnalyzerInfo(empty_pb2.Empty())


@pytest.fixture(scope="module")
def reports(dev, prod) -> dict:
    return {
        "dev": run_policies(dev, PACK, PACK / "config" / "dev.json"),
        "prod": run_policies(prod, PACK, PACK / "config" / "prod.json"),
    }


@pytest.fixture(scope="module")
def bad_report():
    return run_policies(run_stack(BAD_PROGRAM, "test"), PACK, PACK / "config" / "prod.json")


# The pack as the engine loads it -------------------------------------------------------------------------------


def test_pack_started_like_the_engine_lists_every_policy(analyzer_info) -> None:
    assert analyzer_info.name == "ecs-platform-policies"
    assert {p.name for p in analyzer_info.policies} == set(POLICIES)


def test_every_policy_names_its_control_and_severity(analyzer_info) -> None:
    for policy in analyzer_info.policies:
        assert CONTROL.match(policy.description), policy.name
        assert policy.framework.reference in policy.tags
        assert policy.severity != analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED, policy.name


def test_security_hub_policies_link_to_their_control(analyzer_info) -> None:
    hub = [p for p in analyzer_info.policies if not p.framework.reference.startswith("PLATFORM.")]
    assert hub and all(p.url.startswith("https://docs.aws.amazon.com/securityhub/") for p in hub)


def test_high_and_critical_controls_are_mandatory_by_default(analyzer_info) -> None:
    for policy in analyzer_info.policies:
        serious = policy.severity in (analyzer_pb2.POLICY_SEVERITY_HIGH, analyzer_pb2.POLICY_SEVERITY_CRITICAL)
        assert (policy.enforcementLevel == analyzer_pb2.MANDATORY) == serious, policy.name


def test_thresholds_are_config_with_a_schema_and_defaults(analyzer_info) -> None:
    schemas = {p.name: json_format.MessageToDict(p.configSchema) for p in analyzer_info.policies}
    assert schemas["cloudwatch-log-retention"]["properties"]["minRetentionDays"]["default"] == 365
    assert "requiredTags" in schemas["ecs-service-tags"]["properties"]
    assert "allowedSslPolicies" in schemas["elb-tls-policy"]["properties"]
    assert "secretNamePatterns" in schemas["ecs-no-secrets-in-environment"]["properties"]


def test_pack_entry_point_imports_rules_from_inside_its_folder() -> None:
    source = (PACK / "__main__.py").read_text()
    assert "from platform_policies import" in source and "policies." not in source.replace("platform_policies", "")


# The stacks of this project ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_has_no_mandatory_violation(reports, stack: str) -> None:
    assert reports[stack].mandatory == []


def test_prod_has_no_violation_at_all(reports) -> None:
    assert reports["prod"].violations == []


def test_dev_advisories_are_the_documented_ones(reports) -> None:
    documented = (ROOT / "docs" / "policies.md").read_text()
    advisories = {v.policy for v in reports["dev"].advisory}
    assert advisories == {"elb-https-listeners", "elb-access-logs", "elb-deletion-protection", "cloudwatch-alarm-actions",
                          "ecs-cluster-container-insights", "ecs-spot-on-demand-base"}
    assert all(f"`{policy}`" in documented for policy in advisories)
    # The docs that count them say the same number.
    words = {4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    for doc in (documented, (ROOT / "README.md").read_text()):
        counts = re.findall(r"(\w+) kinds of (?:deliberate )?(?:dev )?advisor", doc)
        assert counts and set(counts) == {words[len(advisories)]}, counts


def test_stricter_config_turns_a_dev_advisory_into_a_mandatory_violation(dev, tmp_path: Path) -> None:
    config = tmp_path / "strict.json"
    strict = json.loads((PACK / "config" / "dev.json").read_text())
    config.write_text(json.dumps({**strict, "elb-deletion-protection": "mandatory"}))
    report = run_policies(dev, PACK, config)
    assert [v.policy for v in report.mandatory] == ["elb-deletion-protection"]


# The deliberately bad program ----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_bad_program_is_caught_rule_by_rule(bad_report, policy: str) -> None:
    found = [v for v in bad_report.violations if v.policy == policy]
    assert found, f"{policy} caught nothing"
    control = POLICIES[policy].framework.reference
    assert all(v.control == control and control not in v.message for v in found)


def test_bad_program_violations_name_their_resource(bad_report) -> None:
    resource_level = [v for v in bad_report.violations if v.policy == "ecs-no-privileged-containers"]
    assert [(v.resource_type, v.resource_name) for v in resource_level] == [
        ("aws:ecs/taskDefinition:TaskDefinition", "ecs-no-privileged-containers")]


def test_runner_exit_code_reflects_mandatory_violations(capsys) -> None:
    assert main(["policy", "--stack", "test", "--dir", str(BAD_PROGRAM), "--pack", str(PACK),
                 "--config", str(PACK / "config" / "prod.json")]) == 1
    output = capsys.readouterr().out
    assert "MANDATORY ECS.4" in output and "ecs-no-privileged-containers" in output


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_runner_exits_zero_on_the_project_stacks(stack: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert main(["policy", "--stack", stack, "--dir", str(ROOT), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["mandatory"] == 0


def test_runner_reports_a_bad_stack_file_in_one_line(tmp_path: Path, capsys) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "Pulumi.oops.yaml").write_text(
        (ROOT / "Pulumi.dev.yaml").read_text().replace("azCount: 2", "azCuont: 2"))
    assert main(["policy", "--stack", "oops", "--dir", str(tmp_path), "--pack", str(PACK)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "ecs-platform:network.azCuont" in line


# Config reconciliation ---------------------------------------------------------------------------------------


def info(name: str, level: str = "advisory", schema: dict | None = None) -> PolicyInfo:
    return PolicyInfo(name=name, description="", level=level, severity="", control="", kind="resource",
                      config_schema=schema or {})


RETENTION = {"properties": {"minRetentionDays": {"type": "integer", "minimum": 1, "default": 365}}}


def test_config_all_sets_every_level_and_entries_override_it() -> None:
    config = reconcile_config([info("a"), info("b")], {"all": "mandatory", "b": "advisory"})
    assert (config["a"]["level"], config["b"]["level"]) == ("mandatory", "advisory")


def test_config_defaults_come_from_the_schema() -> None:
    assert reconcile_config([info("r", schema=RETENTION)], {})["r"]["properties"] == {"minRetentionDays": 365}


def test_config_value_outside_the_schema_is_refused() -> None:
    with pytest.raises(PolicyConfigError, match="minRetentionDays"):
        reconcile_config([info("r", schema=RETENTION)], {"r": {"minRetentionDays": 0}})


def test_config_for_an_unknown_policy_is_refused() -> None:
    with pytest.raises(PolicyConfigError, match="no-such-policy"):
        reconcile_config([info("a")], {"no-such-policy": "mandatory"})


def test_config_with_an_unknown_level_is_refused() -> None:
    with pytest.raises(PolicyConfigError, match="enforcement level"):
        reconcile_config([info("a")], {"a": "blocking"})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_policy_configs_fit_the_pack(analyzer_info, stack: str) -> None:
    policies = [info(p.name, schema=json_format.MessageToDict(p.configSchema)) for p in analyzer_info.policies]
    reconcile_config(policies, json.loads((PACK / "config" / f"{stack}.json").read_text()))
