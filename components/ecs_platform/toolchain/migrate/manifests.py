"""Reading a Copilot workspace the way Copilot reads it: manifests found by folder, environment variables
substituted, the environment's overrides applied, and every finding about a field kept as one line.

Sources (aws/copilot-cli): `internal/pkg/workspace/workspace.go` (layout), `internal/pkg/manifest/interpolate.go`
(``${VAR}`` substitution before parsing), `internal/pkg/manifest/transform.go` (overrides: maps merge key by key;
scalars and lists are replaced)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ecs_platform.offline.stack_file import StackFileError, parse_yaml

WORKLOAD_TYPES = ("Load Balanced Web Service", "Backend Service", "Worker Service", "Scheduled Job",
                  "Request-Driven Web Service", "Static Site")

_VARIABLE = re.compile(r"(\\?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Finding:
    """One field the migration changed (``blocking`` False: approximated or dropped, said so) or cannot carry."""

    manifest: str
    field: str
    message: str
    blocking: bool = False

    def __str__(self) -> str:
        return f"{self.manifest}: {self.field}: {self.message}"


@dataclass
class Manifest:
    """A manifest with the environment's overrides applied; ``path`` as printed (copilot/<folder>/manifest.yml)."""

    path: str
    folder: str
    body: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    name: str = ""
    """The workload's name: the manifest's, unless another manifest has it too (then the folder's; Copilot requires
    the two to match, workspace.go ``manifestNameMatchWithDir``)."""

    def __post_init__(self) -> None:
        self.name = self.name or str(self.body.get("name") or self.folder)

    @property
    def kind(self) -> str:
        return str(self.body.get("type", ""))

    def note(self, key: str, message: str) -> None:
        self.findings.append(Finding(self.path, key, message))

    def refuse(self, key: str, message: str) -> None:
        self.findings.append(Finding(self.path, key, message, blocking=True))


class WorkspaceError(ValueError):
    """The folder is not a Copilot workspace, or the environment is unknown: one line."""


def _interpolate(value: Any, predefined: dict[str, str], missing: list[str]) -> Any:
    """Copilot's substitution (interpolate.go): in every string value (not in keys or comments), ``${NAME}`` becomes
    Copilot's own variable or the shell's; ``\\${NAME}`` stays ``${NAME}``; an unset one is an error."""
    if isinstance(value, dict):
        return {k: _interpolate(v, predefined, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, predefined, missing) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.groups()
        if escaped:
            return f"${{{name}}}"
        if name in predefined:
            return predefined[name]
        if name not in os.environ:
            missing.append(name)
            return match.group(0)
        return os.environ[name]

    return _VARIABLE.sub(replace, value)


def _read(path: Path, shown: str, app: str, env: str) -> tuple[Any, list[str]]:
    """The manifest parsed as Copilot does (yaml.v3), its ``${VAR}`` substituted; the variables that are not set."""
    missing: list[str] = []
    predefined = {"COPILOT_APPLICATION_NAME": app, "COPILOT_ENVIRONMENT_NAME": env}
    try:
        body = parse_yaml(path.read_text(), shown)
    except StackFileError as error:
        raise WorkspaceError(f"{shown}: {str(error).split(': ', 1)[-1]}") from None
    return _interpolate(body, predefined, missing), missing


def application(copilot_dir: Path) -> str:
    """The application's name: copilot/.workspace's ``application``, else the workspace folder's name."""
    marker = copilot_dir / ".workspace"
    if marker.is_file():
        for line in marker.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "application" and value.strip():
                return value.strip()
    return copilot_dir.resolve().parent.name


def merge(base: Any, override: Any) -> Any:
    """Copilot's override rule (mergo with override, as transform.go uses it): maps merge key by key, a null
    override keeps the base, anything else (a list, a scalar, a map replacing a scalar form) replaces it."""
    if override is None:
        return base
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: merge(base.get(key), value) for key, value in override.items()}}
    return override


def workloads(copilot_dir: Path, env: str) -> list[Manifest]:
    """Every workload manifest of the workspace with ``env``'s overrides applied, in folder order."""
    if not copilot_dir.is_dir():
        raise WorkspaceError(f"{copilot_dir}: no such folder; give the workspace's copilot/ folder")
    found = []
    for manifest in sorted(copilot_dir.glob("*/manifest.yml")):
        folder = manifest.parent.name
        if folder == "environments":
            continue
        shown = f"copilot/{folder}/manifest.yml"
        body, missing = _read(manifest, shown, application(copilot_dir), env)
        if not isinstance(body, dict):
            raise WorkspaceError(f"{shown}: not a manifest (a mapping of fields)")
        overrides = (body.pop("environments", None) or {}).get(env)
        loaded = Manifest(shown, folder, merge(body, overrides) if isinstance(overrides, dict) else body)
        _addons(manifest.parent, loaded)
        for name in sorted(set(missing)):
            loaded.refuse(f"${{{name}}}", "is not set in this shell; export it as for `copilot deploy` and run again")
        found.append(loaded)
    if not found:
        raise WorkspaceError(f"{copilot_dir}: no <workload>/manifest.yml; give the workspace's copilot/ folder")
    return found


def _addons(folder: Path, manifest: Manifest) -> None:
    """Copilot deploys the CloudFormation templates of ``<folder>/addons/`` with the workload or environment."""
    templates = sorted(p.name for p in (folder / "addons").glob("*.y*ml")) if (folder / "addons").is_dir() else []
    if templates:
        manifest.refuse("addons", f"{', '.join(templates)}: CloudFormation the workload relies on (tables, "
                                  "buckets, queues); deploy it on its own or as Pulumi resources, then give the "
                                  "workload their names under environment and their ARNs under taskRolePolicy")


def name_uniquely(manifests: list[Manifest]) -> None:
    """Two manifests with one name (Copilot refuses a name that differs from its folder) go by their folders."""
    names = [m.name for m in manifests]
    for m in manifests:
        if m.name != m.folder and names.count(m.name) > 1:
            m.note("name", f"{m.name!r} is the name of another manifest too, and differs from the folder (Copilot "
                           f"refuses that); the workload is called {m.folder!r}")
            m.name = m.folder


def environment(copilot_dir: Path, env: str) -> Optional[Manifest]:
    """The environment's manifest, or None when the workspace has none for it (Copilot then uses its defaults)."""
    path = copilot_dir / "environments" / env / "manifest.yml"
    if not path.is_file():
        known = sorted(p.parent.name for p in (copilot_dir / "environments").glob("*/manifest.yml"))
        if known:
            raise WorkspaceError(f"{copilot_dir}: no environment {env!r}; the workspace has {', '.join(known)}")
        return None
    shown = f"copilot/environments/{env}/manifest.yml"
    body, missing = _read(path, shown, application(copilot_dir), env)
    loaded = Manifest(shown, env, body if isinstance(body, dict) else {})
    _addons(copilot_dir / "environments", loaded)
    for name in sorted(set(missing)):
        loaded.refuse(f"${{{name}}}", "is not set in this shell; export it as for `copilot env deploy` and run again")
    return loaded


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def seconds(value: Any) -> Optional[float]:
    """A Go duration (``1h30m``, ``10s``, ``500ms``) in seconds; None when it is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value).strip()) if value not in (None, "") else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, secs, millis = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs + millis / 1000
