"""Reading Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does, with one-line errors.

The CLI refuses a stack file with a YAML syntax error, tab indentation or a duplicate key, and hands a Python
program its config as ``PULUMI_CONFIG`` (``namespace:key`` to string, structured values as JSON text). It decrypts
``secure:`` values with the stack's secrets provider; offline there is no such provider, so a secure value is
passed as a placeholder marked secret (``PULUMI_CONFIG_SECRET_KEYS``) and named in :attr:`StackConfig.secure`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

SECURE_PLACEHOLDER = "offline-placeholder-for-a-secure-value"
"""What a `secure:` value becomes offline: the plan cannot decrypt it."""


class StackFileError(ValueError):
    """A stack or project file the Pulumi CLI would refuse; the message is one line naming the file and place."""


class _StrictLoader(yaml.SafeLoader):
    """YAML as the CLI reads it: a key written twice in one mapping is an error, not a silent override."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise StackFileError(f"line {mark.line + 1}, column {mark.column + 1}: the key {key!r} appears twice in "
                                 f"the same mapping (first on line {seen[key].start_mark.line + 1}); keep one")
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Union[str, Path]) -> Any:
    """Parse a YAML file, turning every problem into one line: ``<file>: line L, column C: <what>``."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StackFileError(f"{path} does not exist") from None
    except OSError as error:
        raise StackFileError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except StackFileError as error:
        raise StackFileError(f"{path.name}: {error}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = str(error.problem or error.context or "not valid YAML")
        if "'\\t'" in problem or "\t" in (text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""):
            problem = "a tab character; YAML indents with spaces only"
        raise StackFileError(f"{path.name}: {where}{problem}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name}: not valid YAML ({str(error).splitlines()[0]})") from None


def project_name(program_dir: Union[str, Path]) -> str:
    """The project name in ``Pulumi.yaml``."""
    path = Path(program_dir) / "Pulumi.yaml"
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise StackFileError(f"{path.name}: needs a `name:` (the project name)")
    return data["name"]


@dataclass
class StackConfig:
    """A stack file's config as the CLI hands it to a Python program."""

    values: dict[str, str] = field(default_factory=dict)
    """``namespace:key`` to the string the program reads (objects and arrays as JSON text)."""
    secure: list[str] = field(default_factory=list)
    """Keys holding a ``secure:`` value (or one nested inside), passed as a placeholder."""


def _unsecure(value: Any, found: list[bool]) -> Any:
    """The value with every ``{secure: ...}`` replaced by the placeholder."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found.append(True)
            return SECURE_PLACEHOLDER
        return {k: _unsecure(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecure(v, found) for v in value]
    return value


def read_stack_config(stack_file: Union[str, Path], project: str) -> StackConfig:
    """The config of a stack file: keys gain the project namespace when they have none; objects and arrays become
    JSON text; every other value becomes a string, as the CLI passes it."""
    stack_file = Path(stack_file)
    data = read_yaml(stack_file)
    if data is None:
        return StackConfig()
    if not isinstance(data, dict):
        raise StackFileError(f"{stack_file.name}: expected a mapping with a `config:` key; got {type(data).__name__}")
    config = data.get("config")
    if config is None:
        return StackConfig()
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file.name}: `config:` must be a mapping of keys to values; got "
                             f"{type(config).__name__}")
    result = StackConfig()
    for key, value in config.items():
        if not isinstance(key, str) or not key:
            raise StackFileError(f"{stack_file.name}: config keys are strings such as {project}:network; got {key!r}")
        full_key = key if ":" in key else f"{project}:{key}"
        found: list[bool] = []
        value = _unsecure(value, found)
        if found:
            result.secure.append(full_key)
        if isinstance(value, (dict, list)):
            result.values[full_key] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            result.values[full_key] = "true" if value else "false"
        elif value is None:
            result.values[full_key] = ""
        else:
            result.values[full_key] = str(value)
    return result
