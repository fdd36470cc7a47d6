"""The documentation stays true: every settings key is in the configuration reference."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from ecs_platform.settings import StackSettings

from .conftest import ROOT


def _model(annotation: object) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    return next((a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None)


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key a stack file may write: nested sections are walked, maps of sections get a `<name>` segment,
    lists of sections are documented as one key."""
    found = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        origin = typing.get_origin(field.annotation)
        nested = _model(field.annotation)
        if origin is dict and nested is not None:
            found += keys(nested, f"{key}.<name>.")
        elif nested is not None and origin is not list:
            found += keys(nested, f"{key}.")
        else:
            found.append(key)
    return found


def test_every_settings_key_is_documented() -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = [k for k in keys(StackSettings) if f"`{k}`" not in reference]
    assert not missing


def test_the_walk_reaches_nested_and_mapped_sections() -> None:
    found = keys(StackSettings)
    assert "network.azCount" in found
    assert "services.<name>.autoscaling.minTasks" in found
    assert "workers.<name>.scaling.mode" in found


# Every README example works as written ------------------------------------------------------------------------

import re  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

from ecs_platform.toolchain.cli import main  # noqa: E402

README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
COMMANDS = sorted(set(re.findall(r"`venv/bin/(ecs-platform [^`<>]+)`", README + ARCHITECTURE)))


@pytest.fixture
def project_copy(tmp_path: Path, monkeypatch) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_shows_offline_commands() -> None:
    assert len(COMMANDS) >= 3 and any("--graph" in c for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_command_works_as_written(project_copy: Path, command: str) -> None:
    assert main(shlex.split(command)[1:]) == 0


def test_the_readme_fits_a_newcomers_first_screen() -> None:
    """What it is, the two set-up commands and the first change come first; the references live in docs/."""
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[:2] == ["Set up a fresh machine", "Your first change"]
    assert README.index("make test") < 2000 and len(README.splitlines()) <= 120


def test_the_readmes_compare_workflow_works_as_written(project_copy: Path) -> None:
    block = README.split("plan the live stack before the change and compare after it:", 1)[1]
    commands = [line.split("#")[0].strip() for line in block.split("```sh", 1)[1].split("```", 1)[0].splitlines()
                if line.strip()]
    assert [main(shlex.split(c)[1:]) for c in commands] == [0, 0]
    assert (project_copy / "live.json").is_file()


def test_the_readme_example_of_adding_a_service_plans_cleanly(project_copy: Path) -> None:
    snippet = README.split("Adding a service is a few lines in a stack file:", 1)[1].split("```yaml", 1)[1]
    added = yaml.safe_load(snippet.split("```", 1)[0])["ecs-platform:services"]
    stack = yaml.safe_load((project_copy / "Pulumi.prod.yaml").read_text())
    stack["config"]["ecs-platform:services"].update(added)
    (project_copy / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    assert main(["plan", "--stack", "prod"]) == 0
