"""A stack file means what it means to the Pulumi CLI, which reads YAML with Go's yaml.v3 (YAML 1.2 core schema)
and hands the program each value as the string its config loader makes of it (see the sources in
ecs_platform/offline/stack_file.py): fed raw stack-file text, as people write it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ecs_platform.offline.stack_file import StackFileError, read_stack_config
from ecs_platform.toolchain.cli import main

from .conftest import ROOT
from .helpers import NS, TASK_DEFINITION, watch_runs

Config = Callable[[str], dict[str, str]]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """What the program is handed for a stack file whose `config:` mapping is ``body`` (indented two spaces)."""

    def read(body: str) -> dict[str, str]:
        stack_file = tmp_path / "Pulumi.dev.yaml"
        stack_file.write_text("config:\n" + body)
        return read_stack_config(stack_file, NS).values

    return read


def refusal(config: Config, body: str) -> str:
    with pytest.raises(StackFileError) as refused:
        config(body)
    message = str(refused.value)
    assert "\n" not in message and message.startswith("Pulumi.dev.yaml: ")
    return message


# Timestamps: yaml.v3 reads an unquoted date as a time.Time; the CLI passes time.Time.String() ---------------------


def test_an_unquoted_date_reaches_the_program_as_the_cli_writes_it(config: Config) -> None:
    assert config(f"  {NS}:released: 2024-06-01\n")[f"{NS}:released"] == "2024-06-01 00:00:00 +0000 UTC"


def test_an_unquoted_date_inside_a_structured_value_is_text_in_its_json(config: Config) -> None:
    value = config(f"  {NS}:tags: {{released: 2024-06-01}}\n")[f"{NS}:tags"]
    assert json.loads(value) == {"released": "2024-06-01 00:00:00 +0000 UTC"}


def test_a_quoted_date_keeps_its_text(config: Config) -> None:
    assert config(f"  {NS}:tags: {{released: '2024-06-01'}}\n")[f"{NS}:tags"] == '{"released":"2024-06-01"}'


def test_a_date_in_a_services_environment_plans_and_reaches_the_task_definition(tmp_path: Path, capsys,
                                                                                  monkeypatch) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    dev = (ROOT / "Pulumi.dev.yaml").read_text()
    assert "      environment: {LOG_LEVEL: debug}\n" in dev
    (tmp_path / "Pulumi.dev.yaml").write_text(
        dev.replace("      environment: {LOG_LEVEL: debug}\n", "      environment: {RELEASED: 2024-06-01}\n"))
    monitors = watch_runs(monkeypatch)

    code = main(["plan", "--stack", "dev", "--dir", str(tmp_path)])

    assert code == 0, capsys.readouterr().err
    (task,) = [r for m in monitors for r in m.registrations if r.type == TASK_DEFINITION and r.name == "api-task"]
    (api,) = [c for c in json.loads(task.inputs["containerDefinitions"]) if c["name"] == "api"]
    assert {"name": "RELEASED", "value": "2024-06-01 00:00:00 +0000 UTC"} in api["environment"]


# What YAML 1.1 typed and YAML 1.2 leaves as text ------------------------------------------------------------------


def test_a_sexagesimal_looking_value_stays_text(config: Config) -> None:
    assert config(f"  {NS}:window: 1:00:00\n")[f"{NS}:window"] == "1:00:00"


@pytest.mark.parametrize("word", ["on", "off", "yes", "no", "y", "n", "On", "NO"])
def test_yaml_1_1_booleans_stay_words(config: Config, word: str) -> None:
    values = config(f"  {NS}:flag: {word}\n  {NS}:flags: {{a: {word}}}\n")
    assert values[f"{NS}:flag"] == word
    assert json.loads(values[f"{NS}:flags"]) == {"a": word}


# Typed values are still typed -------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, passed", [
    ("true", "true"), ("false", "false"), ("True", "true"), ("FALSE", "false"),
    ("null", ""), ("~", ""), ("", ""),
    ("42", "42"), ("-7", "-7"), ("1_000", "1000"), ("0x1F", "31"),
    ("1.50", "1.5"), ("-0.25", "-0.25"),
])
def test_a_typed_scalar_is_passed_as_the_cli_passes_it(config: Config, written: str, passed: str) -> None:
    assert config(f"  {NS}:value: {written}\n")[f"{NS}:value"] == passed


def test_typed_values_keep_their_json_types_inside_a_structured_value(config: Config) -> None:
    value = config(f"  {NS}:s: {{t: true, f: false, none: null, tilde: ~, count: 42, ratio: 1.50}}\n")[f"{NS}:s"]
    assert value == '{"t":true,"f":false,"none":null,"tilde":null,"count":42,"ratio":1.5}'


@pytest.mark.parametrize("written", ["017", "0o17"])
def test_octal_is_read_as_yaml_v3_reads_it(config: Config, written: str) -> None:
    # 0o17 is YAML 1.2's spelling; yaml.v3 still reads 1.1's leading zero as octal too (resolve.go).
    assert config(f"  {NS}:mode: {written}\n  {NS}:modes: [{written}]\n") == {
        f"{NS}:mode": "15", f"{NS}:modes": "[15]"}


@pytest.mark.parametrize("written, passed", [("1e3", "1000"), ("1e6", "1000000"), ("1.0", "1"), ("2.50e-7", "2.5e-7")])
def test_a_number_is_written_the_way_go_writes_it(config: Config, written: str, passed: str) -> None:
    values = config(f"  {NS}:n: {written}\n  {NS}:ns: [{written}]\n")
    assert (values[f"{NS}:n"], values[f"{NS}:ns"]) == (passed, f"[{passed}]")


def test_an_infinite_number_is_refused_in_one_line_naming_the_key(config: Config) -> None:
    message = refusal(config, f"  {NS}:limits: {{max: .inf}}\n")
    assert f"{NS}:limits.max is .inf" in message


# Anchors, merge keys and duplicates ---------------------------------------------------------------------------------


MERGED = f"""\
  {NS}:services:
    api: &service-defaults
      image: public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine
      cpu: 256
      memory: 512
      pathPatterns: ["/api/*"]
    admin:
      <<: *service-defaults
      pathPatterns: ["/admin/*"]
    reports:
      <<: *service-defaults
      memory: 1024
      pathPatterns: ["/reports/*"]
"""


def test_service_defaults_are_merged_into_two_services_under_their_own_keys(config: Config) -> None:
    services = json.loads(config(MERGED)[f"{NS}:services"])
    image = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"
    assert services["admin"] == {"pathPatterns": ["/admin/*"], "image": image, "cpu": 256, "memory": 512}
    assert services["reports"] == {"memory": 1024, "pathPatterns": ["/reports/*"], "image": image, "cpu": 256}


def test_the_first_of_several_merged_mappings_wins(config: Config) -> None:
    body = f"  {NS}:a: &a {{x: 1}}\n  {NS}:b: &b {{x: 2, y: 2}}\n  {NS}:c: {{<<: [*a, *b]}}\n"
    assert json.loads(config(body)[f"{NS}:c"]) == {"x": 1, "y": 2}


def test_a_key_written_twice_is_still_refused_in_one_line(config: Config) -> None:
    message = refusal(config, f"  {NS}:services:\n    api: {{}}\n    admin: {{}}\n    api: {{}}\n")
    assert "line 5" in message and "'api' appears twice" in message and "first on line 3" in message


def test_two_merge_keys_in_one_mapping_are_refused_with_the_list_form(config: Config) -> None:
    message = refusal(config, f"  {NS}:a: &a {{x: 1}}\n  {NS}:b: {{<<: *a, <<: *a}}\n")
    assert "'<<' appears twice" in message and "<<: [*a, *b]" in message


def test_merging_something_that_is_not_a_mapping_is_refused_in_one_line(config: Config) -> None:
    assert "`<<` merges a mapping" in refusal(config, f"  {NS}:a: {{<<: 5}}\n")


@pytest.mark.parametrize("text", [
    *(path.read_text() for path in sorted(ROOT.glob("Pulumi.*.yaml"))),
    "a: 2024-06-01\nb: on\nc: 1:00:00\nd: 1e3\ne: '07'\nf: !!str 12\ng: |\n  text\nh: ~\ni: [1, 0x1F, .inf]\n",
    "defaults: {cpu: 256}\nservice:\n  <<: {memory: 512}\n  cpu: !!int 512\n",
    "key: value\nkey: again\n",
    "list:\n- a\n - b\n",
])
def test_libyaml_and_pyyaml_read_every_text_alike(text: str) -> None:
    """Text without anchors is composed by libyaml for speed; what it means, or the problem reported, must be what
    PyYAML's composer makes of it."""
    from ecs_platform.offline import stack_file

    def read(loader_class: type) -> object:
        loader = loader_class(text)
        try:
            node = loader.get_node() if loader.check_node() else None
            return stack_file._Decoder({}).decode(node)
        except StackFileError as error:
            return str(error)
        except yaml.YAMLError:
            return "not YAML"  # read_yaml then reports PyYAML's own message either way
        finally:
            loader.dispose()

    assert stack_file._FastLoader is not None
    assert read(stack_file._FastLoader) == read(stack_file._Loader)
