"""Reading Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does, with one-line errors.

The CLI refuses a stack file with a YAML syntax error, tab indentation or a duplicate key, and hands a Python
program its config as ``PULUMI_CONFIG`` (``namespace:key`` to string, structured values as JSON text). It decrypts
``secure:`` values with the stack's secrets provider; offline there is no such provider, so a secure value is
passed as a placeholder marked secret (``PULUMI_CONFIG_SECRET_KEYS``) and named in :attr:`StackConfig.secure`.

The CLI is written in Go and reads YAML with gopkg.in/yaml.v3 (v3.0.1), whose plain scalars follow YAML 1.2's core
schema, not the YAML 1.1 that PyYAML implements: ``on``/``yes``/``no`` and ``1:00:00`` stay text, ``1e3`` is a
number, ``<<`` merges, and an unquoted timestamp becomes a Go ``time.Time``. PyYAML still scans and parses here;
what each scalar *means* is decided by :func:`_resolve`, a port of yaml.v3's ``resolve``. The sources, by file:

- go-yaml/yaml (v3.0.1) ``resolve.go``: ``resolve``, ``parseTimestamp`` and ``allowedTimestampFormats``;
  ``decode.go``: ``decoder.scalar`` (decoding into ``interface{}`` keeps what ``resolve`` returned, a
  ``time.Time`` included), ``decoder.mapping`` (``uniqueKeys``: a key written twice is an error, compared as
  written), ``decoder.merge`` and ``isMerge``, ``decoder.alias`` (an anchor containing itself is an error);
  ``yaml.go``: ``unmarshal`` (only the first document is read).
- pulumi/pulumi ``sdk/go/common/workspace/loaders.go``: ``LoadProjectStackBytes`` decodes the file into ``any``,
  checks it with ``SimplifyMarshalledProject`` (``project.go``: the document's own keys must be strings),
  re-encodes it with ``yamlutil.YamlEncode`` (yaml.v3's encoder: a float is written as Go's ``%g``, a time as
  RFC 3339) and decodes that again into ``config.Map``.
- pulumi/pulumi ``sdk/go/common/resource/config/object.go``: ``unmarshalObject`` (a ``time.Time`` becomes
  ``time.Time.String()``, a non-string map key ``fmt.Sprintf("%v", key)``) and ``object.MarshalString`` (a
  string is passed as it is, a bool or number as ``encoding/json`` writes it, an object or array as JSON text);
  ``value.go``/``map.go``: ``Map.Decrypt`` hands those strings to the language host, which puts them in
  ``PULUMI_CONFIG`` (``sdk/python/cmd/pulumi-language-python/main.go``: ``constructConfig``).
- Go's ``encoding/json`` (``encode.go``): ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, a
  float written like ECMAScript's ``Number.prototype.toString`` (exponent below 1e-6 and from 1e21), ``+Inf``
  and ``NaN`` refused (``json: unsupported value``); ``\\b`` and ``\\f`` as themselves since Go 1.22.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Union

import yaml

SECURE_PLACEHOLDER = "offline-placeholder-for-a-secure-value"
"""What a `secure:` value becomes offline: the plan cannot decrypt it."""


class StackFileError(ValueError):
    """A stack or project file the Pulumi CLI would refuse; the message is one line naming the file and place."""


class GoKey(str):
    """A mapping key that is not text in YAML (``1``, ``true``, ``null``, a timestamp): the text Pulumi's config
    loader makes of it, ``fmt.Sprintf("%v", key)`` (``1e6`` is ``1e+06``, ``null`` is ``<nil>``)."""


class GoTimestamp(str):
    """An unquoted YAML timestamp (``2024-06-01``). yaml.v3 decodes it into a Go ``time.Time``, and Pulumi's config
    loader passes that on as ``time.Time.String()``; this is that text (``2024-06-01 00:00:00 +0000 UTC``)."""


# Parsing ------------------------------------------------------------------------------------------------------

_PLAIN = "tag:ecs-platform.offline:plain"
"""The tag a plain (unquoted, untagged) scalar gets while composing; :func:`_resolve` decides what it is."""
_CORE = "tag:yaml.org,2002:"


class _Loader(yaml.SafeLoader):
    """PyYAML's scanner, parser and composer, with none of YAML 1.1's implicit types: every plain scalar is tagged
    :data:`_PLAIN` and resolved by :func:`_resolve` as yaml.v3 resolves it."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, Any]]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.anchor_names: dict[int, str] = {}

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        event = self.peek_event()
        anchor = None if isinstance(event, yaml.AliasEvent) else event.anchor
        if anchor is not None:
            # yaml.v3 lets an anchor be defined again (later aliases see the new value); PyYAML refuses that.
            self.anchors.pop(anchor, None)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self.anchor_names[id(node)] = anchor
        return node


_Loader.add_implicit_resolver(_PLAIN, re.compile(r".*", re.S), None)

_FastLoader: Optional[type] = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's scanner, parser and composer with :class:`_Loader`'s resolution, for text without anchors
        (libyaml refuses an anchor defined twice, which yaml.v3 allows; :class:`_Loader` reads those)."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
        anchor_names: dict[int, str] = {}


def _anchored(text: str) -> bool:
    """Whether the text defines an anchor (or is not YAML at all), as libyaml's parser reads it."""
    try:
        return any(getattr(event, "anchor", None) for event in yaml.parse(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return True


def _first_node(text: str) -> tuple[Optional[yaml.Node], dict[int, str]]:
    """The first document's node graph (yaml.v3's Unmarshal reads no further) and the names of its anchors. Text
    that defines no anchor is composed by libyaml when PyYAML has it, and by PyYAML's own composer otherwise; any
    problem is reported by PyYAML's, whose messages the refusals quote."""
    if _FastLoader is not None and not _anchored(text):
        fast = _FastLoader(text)
        try:
            return (fast.get_node() if fast.check_node() else None), {}
        except yaml.YAMLError:
            pass
        finally:
            fast.dispose()
    loader = _Loader(text)
    try:
        return (loader.get_node() if loader.check_node() else None), loader.anchor_names
    finally:
        loader.dispose()


def _where(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


class _Decoder:
    """The composed document as yaml.v3's ``Unmarshal`` decodes it into ``interface{}``: mappings become dicts
    (a key written twice refused, ``<<`` merged), sequences lists, scalars what :func:`_resolve` makes of them."""

    def __init__(self, anchor_names: dict[int, str]) -> None:
        self.anchor_names = anchor_names
        self.open: set[int] = set()

    @contextmanager
    def _entered(self, node: yaml.Node) -> Iterator[None]:
        if id(node) in self.open:
            name = self.anchor_names.get(id(node))
            what = f"the anchor &{name}" if name else "an anchor"
            raise StackFileError(f"{_where(node)}: {what} is used inside its own value; YAML cannot expand that")
        self.open.add(id(node))
        try:
            yield
        finally:
            self.open.discard(id(node))

    def decode(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        with self._entered(node):
            if isinstance(node, yaml.SequenceNode):
                return [self.decode(item) for item in node.value]
            return self.mapping(node, {}, None)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            # `! "12"` is composed as plain too; yaml.v3 reads any quoted or block scalar as text.
            return _resolve(text) if not node.style else text  # libyaml marks plain with "", PyYAML with None
        if not tag.startswith(_CORE):
            return text  # a tag yaml.v3 cannot resolve (`!Ref x`): the value is its text
        wanted = tag[len(_CORE):]
        if wanted == "binary":
            try:
                data = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except (binascii.Error, ValueError):
                raise StackFileError(f"{_where(node)}: !!binary value contains invalid base64 data") from None
            return data.decode("utf-8", errors="replace")
        if wanted not in ("int", "float", "bool", "null", "timestamp"):
            return text  # !!str, and tags such as !!set or !!map on a scalar
        # An explicit tag resolves like a plain scalar, with timestamps only under !!timestamp, and must agree.
        value = _resolve(text, timestamps=wanted == "timestamp")
        got = _kind(value)
        if wanted == "float" and got == "int":
            return float(value)
        if got != wanted:
            raise StackFileError(f"{_where(node)}: `{text}` is tagged !!{wanted} but reads as !!{got}")
        return value

    def key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise StackFileError(f"{_where(node)}: a mapping or a list cannot be a key; keys are single values")
        key = self.scalar(node)
        return key if type(key) is str else GoKey(_go_v(key))

    def mapping(self, node: yaml.MappingNode, out: dict[str, Any], merged: Optional[set[str]]) -> dict[str, Any]:
        first: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            seen = first.setdefault(key_node.value, key_node)
            if seen is not key_node:
                hint = "; merge several mappings with `<<: [*a, *b]`" if _is_merge(key_node) else "; keep one"
                raise StackFileError(f"{_where(key_node)}: the key {key_node.value!r} appears twice in the same "
                                     f"mapping (first on line {seen.start_mark.line + 1}){hint}")
        merge = None
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merge = value_node
                continue
            key = self.key(key_node)
            if merged is not None:  # merging: what the mapping itself (or an earlier merged one) set is kept
                if key in merged:
                    continue
                merged.add(key)
            out[key] = self.decode(value_node)
        if merge is not None:
            self.merge(node, merge, out, merged)
        return out

    def merge(self, parent: yaml.MappingNode, merge: yaml.Node, out: dict[str, Any],
              merged: Optional[set[str]]) -> None:
        if merged is None:
            merged = {self.key(key_node) for key_node, _ in parent.value}
        sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise StackFileError(f"{_where(source)}: `<<` merges a mapping or a list of mappings "
                                     f"(`<<: *defaults`); got {_node_kind(source)}")
            with self._entered(source):
                self.mapping(source, out, merged)


def _is_merge(node: yaml.Node) -> bool:
    return (isinstance(node, yaml.ScalarNode) and node.value == "<<"
            and (node.tag == f"{_CORE}merge" or node.tag == _PLAIN and not node.style))


def _node_kind(node: yaml.Node) -> str:
    return "a list" if isinstance(node, yaml.SequenceNode) else f"`{node.value}`"


def _kind(value: Any) -> str:
    if isinstance(value, GoTimestamp):
        return "timestamp"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return {int: "int", float: "float"}.get(type(value), "str")


# yaml.v3's resolve(): the first character hints at what a plain scalar may be; a few spellings are looked up.
_HINTS = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D"), **dict.fromkeys("yYnNtTfFoO~", "M"),
          ".": "."}
_LOOKUP: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True), **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# What Go's strconv.ParseFloat accepts after a leading '.': digits, with single underscores between digits.
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?")


def _resolve(text: str, timestamps: bool = True) -> Any:
    """A plain scalar as yaml.v3 resolves it (YAML 1.2 core schema, plus what yaml.v3 keeps from 1.1)."""
    hint = _HINTS.get(text[:1]) if text else "N"
    if hint is None:
        return text
    if text in _LOOKUP:
        return _LOOKUP[text]  # only these spellings: on, yes, no, y, n, nan, inf stay text
    if hint == "M":
        return text
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            number = float(text.replace("_", ""))
            if math.isfinite(number):
                return number
        return text
    if timestamps:
        stamp = _go_timestamp(text)
        if stamp is not None:
            return stamp
    plain = text.replace("_", "")
    # Go's strconv.ParseInt with base 0: 0x, 0o and 0b prefixes, and a bare leading 0 is octal (017 is 15): "Octals
    # from the 1.1 spec, spelled as 0777, are still decoded by default in v3 as well for compatibility".
    for number in (_go_int(plain, 0), _go_uint(plain, 0)):
        if number is not None:
            return number
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        number = float(plain)
        if math.isfinite(number):  # Go's ParseFloat refuses what overflows; 1e400 stays text
            return number  # 08 is here too: not octal, so 8.0
    for prefix, base in (("0b", 2), ("0o", 8)):
        if plain.startswith(prefix):
            number = _go_int(plain[2:], base)
            return number if number is not None else _or_text(_go_uint(plain[2:], base), text)
        if plain.startswith("-" + prefix):
            return _or_text(_go_int("-" + plain[3:], base), text)
    return text  # sexagesimal 1:00:00 included: "Base 60 floats are a bad idea, were dropped in YAML 1.2"


def _or_text(number: Optional[int], text: str) -> Union[int, str]:
    return text if number is None else number


def _go_uint(text: str, base: int) -> Optional[int]:
    """Go's ``strconv.ParseUint(text, base, 64)``, or None where it fails."""
    if not text:
        return None
    if base == 0:
        base = 10
        if text[0] == "0":
            prefix = text[1].lower() if len(text) >= 3 else ""
            base = {"b": 2, "o": 8, "x": 16}.get(prefix, 8)
            text = text[2:] if prefix in ("b", "o", "x") else text[1:]
    number = 0
    for char in text:
        digit = int(char, 36) if char.isascii() and char.isalnum() else base
        if digit >= base:
            return None
        number = number * base + digit
    return number if number < 2 ** 64 else None


def _go_int(text: str, base: int) -> Optional[int]:
    """Go's ``strconv.ParseInt(text, base, 64)``, or None where it fails."""
    negative = text[:1] == "-"
    number = _go_uint(text[1:] if text[:1] in ("+", "-") else text, base)
    if number is None or number > 2 ** 63 - (0 if negative else 1):
        return None
    return -number if negative else number


# parseTimestamp tries these Go layouts in turn: "2006-1-2T15:4:5.999999999Z07:00" (and with a lower-case t),
# "2006-1-2 15:4:5.999999999" (no zone: UTC) and "2006-1-2".
_TIMESTAMP = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?:"
                        r"(?P<t>[Tt ])(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})(?:[.,](?P<ns>[0-9]+))?"
                        r"(?P<zone>Z|[-+][0-9]{2}:[0-9]{2})?)?")


def _go_timestamp(text: str) -> Optional[GoTimestamp]:
    """The text Pulumi passes for what yaml.v3 reads as a timestamp, or None if it is not one."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None or match["t"] is not None and (match["t"] != " ") != (match["zone"] is not None):
        return None  # a T (or t) needs a zone, a space takes none
    year, month, day = int(match["y"]), int(match["mo"]), int(match["d"])
    hour, minute, second = (int(match[k] or 0) for k in ("h", "mi", "s"))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= month <= 12 and 1 <= day <= days[month - 1] and hour < 24 and minute < 60 and second < 60):
        return None
    zone = "+0000 UTC"
    if match["zone"] not in (None, "Z"):
        hours, minutes = int(match["zone"][1:3]), int(match["zone"][4:6])
        if hours > 24 or minutes > 60:
            return None
        offset = hours * 60 + minutes
        if offset:
            # A fixed offset Go names by itself; on a machine whose local zone has that offset at that time, Go
            # prints the local zone's name instead (-0500 EST), which no offline reading can know.
            numeric = f"{match['zone'][0]}{offset // 60:02d}{offset % 60:02d}"
            zone = f"{numeric} {numeric}"
    fraction = (match["ns"] or "")[:9].ljust(9, "0").rstrip("0")  # Go keeps nanoseconds and drops the rest
    return GoTimestamp(f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
                       f"{'.' + fraction if fraction else ''} {zone}")


def read_yaml(path: Union[str, Path]) -> Any:
    """Parse a YAML file as the Pulumi CLI's yaml.v3 decodes it into ``interface{}`` (timestamps as the
    :class:`GoTimestamp` text Pulumi passes on), turning every problem into one line: ``<file>: line L, column C:
    <what>``."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StackFileError(f"{path} does not exist") from None
    except OSError as error:
        raise StackFileError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Union[str, Path]) -> Any:
    """:func:`read_yaml` of text already read (``path`` names it in errors)."""
    path = Path(path)
    try:
        node, anchors = _first_node(text)
        return None if node is None else _Decoder(anchors).decode(node)
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


# What the program is handed -------------------------------------------------------------------------------------


@dataclass
class StackConfig:
    """A stack file's config as the CLI hands it to a Python program."""

    values: dict[str, str] = field(default_factory=dict)
    """``namespace:key`` to the string the program reads (objects and arrays as JSON text)."""
    secure: list[str] = field(default_factory=list)
    """Keys holding a ``secure:`` value (or one nested inside), passed as a placeholder."""
    timestamps: list[str] = field(default_factory=list)
    """Paths (``ns:key.a[0]``) of unquoted timestamps: the CLI passes ``2024-06-01`` as ``2024-06-01 00:00:00
    +0000 UTC``, which is rarely what was meant (quoting keeps the text)."""


def _unsecure(value: Any, found: list[bool]) -> Any:
    """The value with every ``{secure: <text>}`` replaced by the placeholder."""
    if isinstance(value, dict):
        if len(value) == 1 and type(value.get("secure")) is str:  # config/object.go isSecureValue
            found.append(True)
            return SECURE_PLACEHOLDER
        return {k: _unsecure(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecure(v, found) for v in value]
    return value


def _shortest(number: float) -> tuple[str, str, int]:
    """Sign, shortest round-tripping digits and decimal exponent: ``number == ±0.<digits> * 10**point``."""
    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return ("-" if sign else ""), text, len(digits) + int(exponent)


def _fixed(sign: str, digits: str, point: int) -> str:
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _scientific(sign: str, digits: str, point: int) -> str:
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'-' if point - 1 < 0 else '+'}{abs(point - 1):02d}"


def _go_g(number: float) -> str:
    """Go's ``strconv.FormatFloat(number, 'g', -1, 64)``: how yaml.v3 writes a float, and ``%v`` prints one."""
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else ("+Inf" if number > 0 else "-Inf")
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    sign, digits, point = _shortest(number)
    return _scientific(sign, digits, point) if not -4 <= point - 1 < 6 else _fixed(sign, digits, point)


def _go_json_float(number: float) -> str:
    """Go's ``encoding/json`` for a float64 (like ECMAScript's Number#toString)."""
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    sign, digits, point = _shortest(number)
    if 1e-6 <= abs(number) < 1e21:
        return _fixed(sign, digits, point)
    return re.sub(r"e-0(\d)$", r"e-\1", _scientific(sign, digits, point))


def _reread(number: float) -> Any:
    """A float after the CLI writes the file back out (``%g``) and reads it again: 100.0 comes back as 100."""
    return _resolve(_go_g(number)) if math.isfinite(number) else number


def _go_v(key: Any) -> str:
    """A key that is not text, as config/object.go turns it into one: ``fmt.Sprintf("%v", key)`` of the value the
    CLI reads back after writing the file out again."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "<nil>"
    key = _reread(key) if isinstance(key, float) else key
    return _go_g(key) if isinstance(key, float) else str(key)


def _go_json_text(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        escaped = escaped.replace(char, escape)
    return escaped


class _Unpassable(Exception):
    def __init__(self, path: str, value: float) -> None:
        super().__init__(path)
        self.path, self.value = path, value


def _number(value: Union[int, float], path: str) -> str:
    if isinstance(value, float):
        value = _reread(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Unpassable(path, value)
            return _go_json_float(value)
    return str(value)


def _go_json(value: Any, path: str) -> str:
    """``encoding/json``'s text for a decoded value: HTML characters escaped, Go's number format.

    One difference remains: encoding/json sorts an object's keys (a Go map has no order), so the CLI hands the
    program ``{"admin":...,"api":...}`` whatever the file's order; here keys keep the order of the file. Sorting
    changes which of two clashing workloads a refusal names (tests/test_refusals.py pins the file's order), so it
    is a change of its own."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_json_text(k)}:{_go_json(v, f'{path}.{k}')}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v, f"{path}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, str):
        return _go_json_text(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return _number(value, path)


def _cli_text(value: Any, path: str) -> str:
    """What the CLI passes the program for a config value (config/object.go ``MarshalString``)."""
    if isinstance(value, (dict, list)):
        return _go_json(value, path)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""  # the CLI warns "No value for configuration key" and passes an empty string
    if isinstance(value, str):
        return str(value)
    return _number(value, path)


def _timestamps(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, GoTimestamp):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _timestamps(item, f"{path}[{index}]")


def read_stack_config(stack_file: Union[str, Path], project: str) -> StackConfig:
    """The config of a stack file: keys gain the project namespace when they have none; objects and arrays become
    JSON text; every other value becomes a string, as the CLI passes it."""
    stack_file = Path(stack_file)
    data = read_yaml(stack_file)
    if data is None:
        return StackConfig()
    if not isinstance(data, dict):
        raise StackFileError(f"{stack_file.name}: expected a mapping with a `config:` key; got {type(data).__name__}")
    odd = [k for k in data if isinstance(k, GoKey)]
    if odd:  # workspace/project.go SimplifyMarshalledValue: "expected only string keys"
        raise StackFileError(f"{stack_file.name}: the top-level key {str(odd[0])!r} is not text; a stack file's "
                             f"keys are words such as config")
    config = data.get("config")
    if config is None:
        return StackConfig()
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file.name}: `config:` must be a mapping of keys to values; got "
                             f"{type(config).__name__}")
    result = StackConfig()
    for key, value in config.items():
        if isinstance(key, GoKey) or not key:
            raise StackFileError(f"{stack_file.name}: config keys are strings such as {project}:network; got "
                                 f"{str(key)!r}")
        full_key = key if ":" in key else f"{project}:{key}"
        found: list[bool] = []
        value = _unsecure(value, found)
        if found:
            result.secure.append(full_key)
        result.timestamps.extend(_timestamps(value, full_key))
        try:
            result.values[full_key] = _cli_text(value, full_key)
        except _Unpassable as error:
            spelling = ".nan" if math.isnan(error.value) else (".inf" if error.value > 0 else "-.inf")
            raise StackFileError(
                f"{stack_file.name}: {error.path} is {spelling}, a number the Pulumi CLI cannot pass to a program "
                f"(json: unsupported value); quote it if you mean the text") from None
    return result
