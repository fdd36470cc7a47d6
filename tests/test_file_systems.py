"""EFS volumes: fileSystems the stack creates (or only reaches), and the volumes workloads mount from them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_platform.settings import SettingsError, parse
from ecs_platform.testing import ProgramRun, run_stack

from .conftest import ROOT
from .helpers import containers

NS = "ecs-platform"
FS = "aws:efs/fileSystem:FileSystem"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
EXISTING = "fs-0123456789abcdef0"

CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    f"{NS}:tags": {"owner": "team-a"},
    f"{NS}:network": {"azCount": 2, "natGateways": "single"},
    f"{NS}:loadBalancer": {"protocol": "HTTP", "deletionProtection": False, "accessLogs": False},
    f"{NS}:fileSystems": {"uploads": {}, "shared": {"fileSystemId": EXISTING}},
    f"{NS}:services": {"api": {
        "image": "example/api:1.0", "pathPatterns": ["/api/*"], "priority": 10, "user": "101",
        "volumes": {"uploads": {"fileSystem": "uploads", "path": "/data/uploads"},
                    "shared": {"fileSystem": "shared", "path": "/shared", "readOnly": True,
                               "rootDirectory": "/exports"}},
    }},
    f"{NS}:scheduledTasks": {"cleanup": {
        "image": "example/cleanup:1.0", "schedule": "rate(1 hour)",
        "volumes": {"uploads": {"fileSystem": "uploads", "path": "/data"}},
    }},
}


@pytest.fixture(scope="module")
def efs(tmp_path_factory) -> ProgramRun:
    program = tmp_path_factory.mktemp("efs")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, program / name)
    (program / "Pulumi.efs.yaml").write_text(yaml.safe_dump({"config": CONFIG}))
    return run_stack(program, "efs")


def _preview_of_efs(folder: Path) -> ProgramRun:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "Pulumi.efs.yaml").write_text(yaml.safe_dump({"config": CONFIG}))
    return run_stack(folder, "efs", preview=True)


def volumes_of(run: ProgramRun, name: str) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in run.one(TASK_DEFINITION, f"{name}-task").inputs["volumes"]}


def task_policy(run: ProgramRun, name: str) -> list[dict[str, Any]]:
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy", f"{name}-efs").inputs["policy"])["Statement"]


# The file system ------------------------------------------------------------------------------------------------


def test_a_created_file_system_is_encrypted_elastic_general_purpose_and_moves_cold_files_after_30_days(efs) -> None:
    fs = efs.one(FS, "uploads").inputs
    assert (fs["encrypted"], fs["performanceMode"], fs["throughputMode"]) == (True, "generalPurpose", "elastic")
    assert fs["lifecyclePolicies"] == [{"transitionToIa": "AFTER_30_DAYS"}]


def test_a_created_file_system_is_backed_up_by_default(efs) -> None:
    assert efs.one("aws:efs/backupPolicy:BackupPolicy", "uploads-backup").inputs["backupPolicy"] == {"status": "ENABLED"}


def test_a_created_file_system_has_a_mount_target_in_each_private_subnet(efs) -> None:
    subnets = {t.inputs["subnetId"] for t in efs.of_type(MOUNT_TARGET)}
    assert subnets == set(efs.outputs["privateSubnetIds"])


def test_mount_targets_admit_nfs_only_from_the_workloads_that_mount_them(efs) -> None:
    group = efs.one("aws:ec2/securityGroup:SecurityGroup", "uploads-efs").outputs["id"]
    rules = [r.inputs for r in efs.of_type(INGRESS) if r.inputs["securityGroupId"] == group]
    sources = {r["referencedSecurityGroupId"] for r in rules}
    workloads = {efs.one("aws:ec2/securityGroup:SecurityGroup", f"{w}-tasks").outputs["id"] for w in ("api", "cleanup")}
    assert sources == workloads
    assert {(r["fromPort"], r["toPort"]) for r in rules} == {(2049, 2049)}


def test_the_file_system_policy_refuses_requests_without_tls_and_grants_nothing(efs) -> None:
    document = json.loads(efs.one("aws:efs/fileSystemPolicy:FileSystemPolicy", "uploads-policy").inputs["policy"])
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_an_existing_file_system_creates_nothing_but_nfs_out_of_the_workloads(efs) -> None:
    assert [r.name for r in efs.of_type(FS)] == ["uploads"]
    (rule,) = [r.inputs for r in efs.of_type(EGRESS) if r.name == "api-to-shared-nfs"]
    assert (rule["fromPort"], rule["cidrIpv4"]) == (2049, efs.outputs["vpcCidrBlock"])


# The volumes -----------------------------------------------------------------------------------------------------


def test_every_efs_volume_mounts_over_tls_with_iam_authorization(efs) -> None:
    for name in ("efs-uploads", "efs-shared"):
        config = volumes_of(efs, "api")[name]["efsVolumeConfiguration"]
        assert config["transitEncryption"] == "ENABLED"
        assert config["authorizationConfig"]["iam"] == "ENABLED"


def test_a_created_file_system_is_mounted_through_an_access_point_per_workload(efs) -> None:
    point = efs.one(ACCESS_POINT, "api-uploads-efs")
    config = volumes_of(efs, "api")["efs-uploads"]["efsVolumeConfiguration"]
    assert config["authorizationConfig"]["accessPointId"] == point.outputs["id"]
    assert point.inputs["rootDirectory"]["path"] == "/api"
    assert point.inputs["rootDirectory"]["creationInfo"]["permissions"] == "0750"


def test_the_access_point_runs_as_the_workloads_numeric_user_else_1000(efs) -> None:
    assert efs.one(ACCESS_POINT, "api-uploads-efs").inputs["posixUser"] == {"uid": 101, "gid": 101}
    assert efs.one(ACCESS_POINT, "cleanup-uploads-efs").inputs["posixUser"] == {"uid": 1000, "gid": 1000}


def test_an_existing_file_system_mounts_its_root_directory_without_an_access_point(efs) -> None:
    config = volumes_of(efs, "api")["efs-shared"]["efsVolumeConfiguration"]
    assert config["rootDirectory"] == "/exports" and "accessPointId" not in config["authorizationConfig"]


def test_the_main_container_mounts_each_volume_at_its_path(efs) -> None:
    mounts = {m["sourceVolume"]: m for m in containers(efs, "api")[0]["mountPoints"]}
    assert mounts["efs-uploads"] == {"sourceVolume": "efs-uploads", "containerPath": "/data/uploads",
                                     "readOnly": False}
    assert mounts["efs-shared"]["readOnly"] is True


def test_the_task_role_may_mount_and_write_only_the_file_system_the_stack_tagged(efs) -> None:
    tags = efs.one(FS, "uploads").inputs["tags"]
    (statement,) = [s for s in task_policy(efs, "api") if "Condition" in s and "aws:ResourceTag/ecs-platform:file-system"
                    in s["Condition"].get("StringEquals", {})]
    assert statement["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert statement["Resource"].endswith(":file-system/*")
    assert statement["Condition"]["StringEquals"]["aws:ResourceTag/ecs-platform:file-system"] == \
        tags["ecs-platform:file-system"]


def test_the_task_roles_efs_policy_is_known_at_a_first_preview(tmp_path) -> None:
    from ecs_platform.offline.engine import has_unknown
    run = _preview_of_efs(tmp_path)
    (policy_,) = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "api-efs"]
    assert not has_unknown(policy_.inputs["policy"])


def test_a_read_only_volume_grants_no_write(efs) -> None:
    (statement,) = [s for s in task_policy(efs, "api") if s["Resource"].endswith(EXISTING)]
    assert statement["Action"] == ["elasticfilesystem:ClientMount"]


def test_the_task_definition_waits_for_the_mount_targets(efs) -> None:
    definition = efs.one(TASK_DEFINITION, "api-task")
    targets = {t.urn for t in efs.of_type(MOUNT_TARGET)}
    assert targets <= set(definition.property_dependencies.get("volumes", []))


# Refusals ----------------------------------------------------------------------------------------------------------


def _config(**changes: Any) -> dict[str, str]:
    config = json.loads(json.dumps(CONFIG))
    for path, value in changes.items():
        node: Any = config
        top, *rest = path.split(".")
        node = node[f"{NS}:{top}"]
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]] = value
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


@pytest.mark.parametrize("changes, key", [
    ({"services.api.volumes.uploads.fileSystem": "photos"}, "services.api.volumes.uploads.fileSystem"),
    ({"services.api.volumes.uploads.path": "data"}, "services.api.volumes.uploads.path"),
    ({"services.api.volumes.shared.path": "/data/uploads/shared"}, "services.api.volumes.shared.path"),
    ({"services.api.scratchPaths": ["/data"]}, "services.api.volumes.uploads.path"),
    ({"services.api.volumes.uploads.accessPointId": "fsap-0123456789abcdef0",
      "services.api.volumes.uploads.rootDirectory": "/x"}, "services.api.volumes.uploads.rootDirectory"),
    ({"services.api.volumes.uploads.accessPointId": "ap-1"}, "services.api.volumes.uploads.accessPointId"),
    ({"fileSystems.shared.performanceMode": "maxIO"}, "fileSystems.shared.performanceMode"),
    ({"fileSystems.uploads.securityGroupId": "sg-0123456789abcdef0"}, "fileSystems.uploads.securityGroupId"),
    ({"fileSystems.uploads.transitionToIa": "AFTER_2_DAYS"}, "fileSystems.uploads.transitionToIa"),
    ({"fileSystems.uploads.performanceMode": "maxIO"}, "fileSystems.uploads.throughputMode"),
    ({"fileSystems.shared.fileSystemId": "fs-1"}, "fileSystems.shared.fileSystemId"),
    ({"fileSystems.uploads.renamedFrom": "shared"}, "fileSystems.uploads.renamedFrom"),
])
def test_a_volume_or_file_system_mistake_is_refused_in_one_line_naming_its_key(changes, key) -> None:
    with pytest.raises(SettingsError) as caught:
        parse(_config(**changes), NS)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{NS}:{key}: "), message


def test_a_file_system_name_that_cannot_name_its_resources_is_refused() -> None:
    config = _config()
    config[f"{NS}:fileSystems"] = json.dumps({"Uploads_1": {}, "uploads": {}, "shared": {"fileSystemId": EXISTING}})
    with pytest.raises(SettingsError) as caught:
        parse(config, NS)
    assert str(caught.value).startswith(f"{NS}:fileSystems.Uploads_1: ") and "\n" not in str(caught.value)


def test_a_volume_on_a_read_only_root_filesystem_is_accepted() -> None:
    settings = parse(_config(**{"services.api.readOnlyRootFilesystem": True}), NS)
    assert settings.services["api"].volumes["uploads"].path == "/data/uploads"


# Day 2 -------------------------------------------------------------------------------------------------------------


def _with_uploads(mode: str, protect: bool) -> Any:
    def edit(config: dict[str, Any]) -> None:
        config[f"{NS}:protectData"] = protect
        config[f"{NS}:fileSystems"] = {"uploads": {"performanceMode": mode, "throughputMode": "bursting"}}
        config[f"{NS}:services"]["api"]["volumes"] = {"uploads": {"fileSystem": "uploads", "path": "/data"}}
    return edit


@pytest.mark.parametrize("protect, kind", [(False, "data-lost"), (True, "update-fails")])
def test_a_new_performance_mode_of_a_live_file_system_is_refused_as_losing_its_files(tmp_path, protect, kind) -> None:
    from .test_hazards import _plan, _program

    base = _program(tmp_path / "live", _with_uploads("generalPurpose", protect))
    assert _plan(base)[0] == 0
    code, report, _ = _plan(_program(tmp_path / "head", _with_uploads("maxIO", protect)),
                            "--compare", str(base / "plan.json"))
    hazards = [h for h in report["comparison"]["hazards"] if h["severity"] == "mandatory"]
    assert code == 1
    assert any(h["kind"] == kind and "uploads" in h["resource"] for h in hazards), hazards


def test_efs_storage_is_a_cost_line_at_the_per_gb_month_price_with_no_size_assumed(efs) -> None:
    from ecs_platform.toolchain.plan import cost

    estimate = cost.estimate(efs, "us-east-1")
    (line,) = [i for i in estimate.items if i.item == "EFS storage (assumed)"]
    # Only the created file system is the stack's to pay for; the existing one is its owner's.
    assert line.detail == "1 file system(s) x 0 GB Standard at $0.3 per GB-month"
    assert line.desired == 0
    assert any("per GB-month" in a for a in estimate.assumptions)



# Fidelity ------------------------------------------------------------------------------------------------------------


def test_the_efs_requests_of_the_stack_pass_aws_models_and_documented_rules(efs) -> None:
    from ecs_platform.toolchain import fidelity

    report = fidelity.check(efs)
    labels = {f"{r.service}:{r.operation}" for r in fidelity.requests_for(efs.resources)}
    assert {"efs:CreateFileSystem", "efs:CreateMountTarget", "efs:CreateAccessPoint", "efs:PutFileSystemPolicy",
            "efs:PutBackupPolicy", "efs:PutLifecycleConfiguration"} <= labels
    assert report.violations == []


def _efs_findings(build) -> list[str]:
    from ecs_platform.toolchain import fidelity

    from .policy_support import program

    return [f"{v.field}: {v.message}" for v in fidelity.check(program(build)).violations]


def test_fidelity_refuses_an_efs_volume_with_iam_but_no_transit_encryption() -> None:
    import pulumi_aws as aws

    def build() -> None:
        aws.ecs.TaskDefinition("td", family="td", container_definitions="[]", volumes=[{"name": "data",
            "efs_volume_configuration": {"file_system_id": "fs-0123456789abcdef0",
                                         "authorization_config": {"iam": "ENABLED"}}}])
    assert any("transitEncryption" in f and "ENABLED" in f for f in _efs_findings(build))


def test_fidelity_refuses_a_root_directory_beside_an_access_point() -> None:
    import pulumi_aws as aws

    def build() -> None:
        aws.ecs.TaskDefinition("td", family="td", container_definitions="[]", volumes=[{"name": "data",
            "efs_volume_configuration": {"file_system_id": "fs-0123456789abcdef0", "root_directory": "/x",
                                         "transit_encryption": "ENABLED",
                                         "authorization_config": {"access_point_id": "fsap-0123456789abcdef0"}}}])
    assert any("rootDirectory" in f for f in _efs_findings(build))


def test_fidelity_refuses_elastic_throughput_on_max_io() -> None:
    import pulumi_aws as aws

    assert any("maxIO" in f for f in _efs_findings(
        lambda: aws.efs.FileSystem("fs", encrypted=True, performance_mode="maxIO", throughput_mode="elastic")))


def test_fidelity_refuses_two_mount_targets_of_a_file_system_in_one_subnet() -> None:
    import pulumi_aws as aws

    def build() -> None:
        for name in ("a", "b"):
            aws.efs.MountTarget(name, file_system_id="fs-0123456789abcdef0", subnet_id="subnet-0123456789abcdef0")
    assert any("already has mount target" in f for f in _efs_findings(build))


def test_fidelity_refuses_an_access_point_directory_it_would_not_create() -> None:
    import pulumi_aws as aws

    assert any("CreationInfo" in f for f in _efs_findings(lambda: aws.efs.AccessPoint(
        "ap", file_system_id="fs-0123456789abcdef0", root_directory={"path": "/app"})))


# The component on its own ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    ({"file_system_id": "fs-1"}, "file_system_id must be an EFS file system id"),
    ({"file_system_id": EXISTING, "performance_mode": "maxIO"}, "performance_mode describe a file system"),
    ({"subnet_ids": ["subnet-a"], "security_group_id": "sg-1"}, "security_group_id is for a file system given"),
    ({"subnet_ids": ["subnet-a"], "throughput_mode": "provisioned"}, "throughput_mode must be one of"),
    ({}, "subnet_ids"),
])
def test_the_component_refuses_bad_args_before_registering_anything(run_component, args, expected) -> None:
    from ecs_platform import FileSystem

    from .helpers import refusal_of

    message = refusal_of(run_component, lambda: FileSystem("uploads", {"vpc_id": "vpc-1", **args}))
    assert expected in message


def test_a_protected_file_system_refuses_deletion(run_component) -> None:
    from ecs_platform import FileSystem

    run = run_component(lambda: FileSystem("uploads", {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a"],
                                                       "protect_data": True}))
    assert run.one(FS, "uploads").protect


def test_tasks_that_mount_efs_run_on_a_platform_version_that_supports_it(efs) -> None:
    # EFS volumes on Fargate need platform version 1.4.0 or later; LATEST is 1.4.0 on Linux.
    assert efs.one("aws:ecs/service:Service", "api").inputs["platformVersion"] == "LATEST"
    target = efs.one("aws:scheduler/schedule:Schedule", "cleanup").inputs["target"]
    assert target["ecsParameters"]["platformVersion"] == "LATEST"


def test_a_workload_without_volumes_gets_no_efs_policy(dev) -> None:
    assert not [r for r in dev.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-efs")]
