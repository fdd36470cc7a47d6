"""The component package as a consumer installs it: the built wheel, no extras, in a fresh virtual environment.

It must import and use every component, and bring none of the offline toolchain's dependencies. The platform
modules never import the toolchain, whatever is installed.
"""

from __future__ import annotations

import ast
import email
import json
import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

PACKAGE = ROOT / "components" / "ecs_platform"
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
"""The environment of every process this module starts: nothing but the lean environment is importable there."""
TOOLCHAIN_DEPENDENCIES = {"botocore", "pulumi-policy", "jsonschema", "matplotlib"}
COMPONENTS = ["Network", "LoadBalancer", "Cluster", "WebService", "QueueWorker"]

USE_EVERY_COMPONENT = textwrap.dedent("""
    import json, sys
    import ecs_platform
    from ecs_platform import Cluster, LoadBalancer, Network, QueueWorker, WebService
    from ecs_platform.testing import run

    def program():
        network = Network("main", {"availability_zone_count": 2})
        alb = LoadBalancer("web", {"vpc_id": network.vpc_id, "vpc_cidr_block": network.cidr_block,
                                   "public_subnet_ids": network.public_subnets, "protocol": "HTTP",
                                   "access_logs": False})
        cluster = Cluster("main", {})
        placement = {"cluster_arn": cluster.cluster_arn, "cluster_name": cluster.cluster_name,
                     "vpc_id": network.vpc_id, "subnet_ids": network.private_subnet_ids}
        WebService("api", {"placement": placement, "listener_arn": alb.listener_arn,
                           "load_balancer_security_group_id": alb.security_group_id,
                           "load_balancer_arn_suffix": alb.arn_suffix, "priority": 10,
                           "path_patterns": ["/api/*"], "task": {"image": "example/api:1.0"}})
        QueueWorker("orders", {"placement": placement, "task": {"image": "example/orders:1.0"}})

    result = run(program, project="consumer", stack="dev", config={"aws:region": "us-east-1"})
    toolchain = [m for m in sys.modules if m.startswith(("ecs_platform.toolchain", "botocore", "pulumi_policy"))]
    print(json.dumps({"version": ecs_platform.__version__, "toolchain": toolchain,
                      "types": sorted({r.type for r in result.resources})}))
""")


def _runtime_closure(requirements: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``requirements`` need, transitively, without extras."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(requirements)
    while pending:
        requirement = Requirement(pending.pop())
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name not in found:
            found[name] = metadata.distribution(requirement.name)
            pending.extend(found[name].requires or [])
    return found


def _link(distribution: metadata.Distribution, site: Path) -> None:
    """Make ``distribution`` importable from ``site`` by linking what it installed: its packages whole (with the
    byte code already compiled for them), inside a namespace package (``google``) only its own parts."""
    installed = Path(str(distribution.locate_file("")))
    parts = {Path(str(f)).parts[:2] for f in distribution.files or [] if not str(f).startswith("..")}
    for part in parts:
        top = installed / part[0]
        if top.is_dir() and not (top / "__init__.py").exists() and len(part) == 2:
            (site / part[0]).mkdir(exist_ok=True)
            source, target = top / part[1], site / part[0] / part[1]
        else:
            source, target = top, site / part[0]
        if not target.exists() and source.exists():
            target.symlink_to(source)


def _run(command: list[str], **options: Any) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=CLEAN, **options)


@pytest.fixture(scope="module")
def lean_environment(tmp_path_factory) -> Path:
    """A virtual environment holding the built wheel and exactly the distributions its requirements (no extras)
    need, linked from this environment rather than downloaded again; `pip check` proves nothing is missing."""
    work = tmp_path_factory.mktemp("lean")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir",
          str(work), str(ROOT / "components")], check=True)
    (wheel,) = work.glob("ecs_platform-*.whl")
    venv.create(work / "venv", with_pip=False)
    python = work / "venv" / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True,
                     capture_output=True, text=True).stdout.strip())
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        declared = email.message_from_bytes(archive.read(name)).get_all("Requires-Dist") or []
    for distribution in _runtime_closure(declared).values():
        _link(distribution, site)
    installed = _pip(python, "install", "--no-deps", "--quiet", str(wheel))
    assert installed.returncode == 0, installed.stderr
    return python


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    """This environment's pip working on the environment of ``python``."""
    return _run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args],
                capture_output=True, text=True)


def test_the_wheel_without_extras_brings_none_of_the_toolchains_dependencies(lean_environment: Path) -> None:
    listed = json.loads(_pip(lean_environment, "list", "--format", "json").stdout)
    installed = {p["name"].lower().replace("_", "-") for p in listed}
    assert "ecs-platform" in installed and "pulumi-aws" in installed
    assert not TOOLCHAIN_DEPENDENCIES & installed


def test_the_wheels_requirements_are_all_met_in_the_lean_environment(lean_environment: Path) -> None:
    checked = _pip(lean_environment, "check")
    assert checked.returncode == 0, checked.stdout


def test_the_wheel_without_extras_imports_and_uses_every_component(lean_environment: Path) -> None:
    done = _run([str(lean_environment), "-c", USE_EVERY_COMPONENT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["toolchain"] == []
    components = {f"ecs-platform:index:{name}" for name in COMPONENTS}
    assert components <= set(report["types"])
    assert "aws:ecs/service:Service" in report["types"]


def test_the_toolchain_command_without_its_extra_says_what_to_install(lean_environment: Path) -> None:
    command = lean_environment.parent / "ecs-platform"
    done = _run([str(command), "plan", "--stack", "dev"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "ecs-platform[plan]" in done.stderr


def test_the_package_has_a_version_and_type_information() -> None:
    import ecs_platform

    assert ecs_platform.__version__.count(".") == 2
    assert (PACKAGE / "py.typed").exists()
    assert set(COMPONENTS) <= set(ecs_platform.__all__)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.add("." * node.level + module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_platform_never_imports_the_toolchain() -> None:
    platform = [p for p in PACKAGE.rglob("*.py") if "toolchain" not in p.relative_to(PACKAGE).parts]
    offenders = {str(p.relative_to(PACKAGE)): sorted(i for i in _imports(p) if "toolchain" in i)
                 for p in platform}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_pulumi_aws_floor_has_every_field_the_components_use() -> None:
    """ECS's native canary and linear configurations (deployment_configuration.canary_configuration and
    linear_configuration) first appear in pulumi-aws 7.12.0 (checked in the published wheels; docs/decisions.md)."""
    import re
    import tomllib

    dependencies = tomllib.loads((ROOT / "components" / "pyproject.toml").read_text())["project"]["dependencies"]
    (floor,) = [re.search(r">=([\d.]+)", d).group(1) for d in dependencies if d.startswith("pulumi-aws>")]
    assert tuple(int(part) for part in floor.split(".")) >= (7, 12)


def _module_imports(package: Path) -> dict[str, set[str]]:
    """Each module of ``package`` to the modules of the package its top-level imports name (imports under
    ``if TYPE_CHECKING`` and inside functions are not made at import time, so they are left out)."""
    def name_of(path: Path) -> str:
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        home = name if path.name == "__init__.py" else name.rpartition(".")[0]
        body = [n for n in ast.parse(path.read_text()).body
                if not (isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))]
        edges: set[str] = set()
        for node in body:
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = home.split(".")[:len(home.split(".")) - node.level + 1] if node.level else []
                target = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:
                    edges.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        graph[name] = (edges & modules.keys()) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_package_import_graph_has_no_cycle() -> None:
    assert _cycles(_module_imports(PACKAGE)) == []


def test_the_cycle_check_finds_a_circle_of_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text("from . import extension\n")
    (package / "extension.py").write_text("from .core import helper\n")
    (package / "leaf.py").write_text("from .core import helper\n")
    assert _cycles(_module_imports(package)) == [["pkg.core", "pkg.extension"]]


def test_the_toolchain_starts_without_loading_the_aws_sdk() -> None:
    # The package imports a component when it is first used: `ecs-platform plan` starts its policy pack before the
    # program (and with it pulumi_aws) is loaded.
    probe = "import sys, ecs_platform.toolchain.cli, ecs_platform.toolchain.policy_runner; print('pulumi_aws' in sys.modules)"
    done = _run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_component_is_importable_from_the_package_when_first_used() -> None:
    import ecs_platform

    assert ecs_platform.WebService.__module__ == "ecs_platform.web_service"
    assert set(ecs_platform.__all__) <= set(dir(ecs_platform))


def test_no_settings_module_is_over_800_lines() -> None:
    # The settings mirror the components, one module per area (docs/decisions.md, "Code layout").
    lengths = {p.name: len(p.read_text().splitlines()) for p in (PACKAGE / "settings").glob("*.py")}
    assert len(lengths) > 5 and max(lengths.values()) <= 800, lengths
