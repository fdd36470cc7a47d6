"""Regenerate components/ecs_platform/toolchain/plan/replacements.json: which inputs force a replacement, for every
resource type the platform registers, from the AWS provider's own source.

pulumi-aws is terraform-provider-aws bridged: an input replaces its resource when the Terraform schema marks it
`ForceNew: true` (SDKv2 resources) or gives it a `RequiresReplace` plan modifier (Plugin Framework resources, which
pulumi-aws's schema does not mark `willReplaceOnChanges`). This script reads those schemas for the upstream version
the installed pulumi-aws is built on, translates each Terraform attribute path into the engine's camelCase property
path with the installed pulumi_aws SDK's own input types (a path that does not exist there is an error), and adds the
short overlay of replacements decided elsewhere (CustomizeDiff functions, remote components), each with its source.

The Terraform source is read from either

* ``--index REPO``: a clone of github.com/lonegunmanb/terraform-provider-aws-index, which keeps every function of
  each terraform-provider-aws release as its own file, one commit per release (``--upstream v6.39.0`` picks it); or
* ``--checkout DIR``: a checkout of github.com/hashicorp/terraform-provider-aws at the release tag.

    python scripts/replacement_facts.py --index ../terraform-provider-aws-index --upstream v6.39.0
    python scripts/replacement_facts.py --index ... --upstream v6.39.0 --check   # exit 1 when the file differs
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "components" / "ecs_platform" / "toolchain" / "plan" / "replacements.json"
OVERLAY = Path(__file__).with_name("replacement_overlay.json")

TERRAFORM_TYPES = {
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "aws_ecr_lifecycle_policy",
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": "aws_ecr_registry_scanning_configuration",
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:ecs/cluster:Cluster": "aws_ecs_cluster",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "aws_ecs_cluster_capacity_providers",
    "aws:ecs/service:Service": "aws_ecs_service",
    "aws:ecs/taskDefinition:TaskDefinition": "aws_ecs_task_definition",
    "aws:efs/accessPoint:AccessPoint": "aws_efs_access_point",
    "aws:efs/backupPolicy:BackupPolicy": "aws_efs_backup_policy",
    "aws:efs/fileSystem:FileSystem": "aws_efs_file_system",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "aws_efs_file_system_policy",
    "aws:efs/mountTarget:MountTarget": "aws_efs_mount_target",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/listenerCertificate:ListenerCertificate": "aws_lb_listener_certificate",
    "aws:lb/listenerRule:ListenerRule": "aws_lb_listener_rule",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:scheduler/schedule:Schedule": "aws_scheduler_schedule",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "aws_service_discovery_http_namespace",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "aws_sqs_queue_redrive_allow_policy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
}
"""Pulumi type token -> Terraform resource (pulumi-aws's bridge-metadata.json "renames")."""


RENAMED = {
    ("aws_cloudwatch_metric_alarm", "alarm_name"): "name",
    ("aws_sns_topic_subscription", "topic_arn"): "topic",
}
"""Terraform attributes pulumi-aws renames (provider/resources.go), by resource and attribute path."""


class FactsError(Exception):
    """Something the sources do not say, or say in a shape this script does not read."""


# Reading Go -------------------------------------------------------------------------------------------------------


def closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (``{``, ``(`` or ``[``), skipping strings, runes and
    comments."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        elif c == "/" and text.startswith("/*", i):
            i = text.find("*/", i) + 1
        elif c in "\"'`":
            end = c
            i += 1
            while i < len(text) and text[i] != end:
                i += 2 if text[i] == "\\" and end != "`" else 1
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if c != stack.pop():
                raise FactsError(f"unbalanced {c!r} at {i}")
            if not stack:
                return i
        i += 1
    raise FactsError("unclosed bracket")


def top_level(text: str, start: int, end: int) -> Iterator[int]:
    """Indexes in text[start:end] at nesting depth 0 (outside strings and comments)."""
    i = start
    while i < end:
        c = text[i]
        if c in "{([":
            i = closing(text, i) + 1
            continue
        if c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            continue
        if c in "\"`":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" and c != "`" else 1
            i = j + 1
            continue
        yield i
        i += 1


def field_at_depth0(text: str, start: int, end: int, name: str) -> Optional[int]:
    """Where ``name:`` starts at depth 0 of text[start:end], or None."""
    pattern = re.compile(rf"\b{re.escape(name)}\s*:")
    for i in top_level(text, start, end):
        if (i == start or not (text[i - 1].isalnum() or text[i - 1] == "_")) and pattern.match(text, i):
            return i
    return None


_ACRONYMS = ("ARN", "AZ", "CIDR", "DNS", "EBS", "ID", "IAM", "IP", "KMS", "VPC", "URL", "URI", "SSL", "TLS")
_WORD = re.compile(r"IPv[46]|[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]+s?(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def attr_name(constant: str) -> str:
    """``names.AttrKMSKeyID`` -> ``kms_key_id``, ``names.AttrVPCID`` -> ``vpc_id`` (terraform-provider-aws
    names/attr_consts_gen.go's convention: words in snake case, acronyms as one word)."""
    words: list[str] = []
    for word in _WORD.findall(constant.removeprefix("names.Attr")):
        # A run of capitals is one acronym, or several glued together (VPCID).
        while word.isupper() and len(word) > 3 and any(word.startswith(a) and word != a for a in _ACRONYMS):
            head = next(a for a in sorted(_ACRONYMS, key=len, reverse=True) if word.startswith(a) and word != a)
            words.append(head.lower())
            word = word[len(head):]
        words.append(word.lower())
    return "_".join(words)


@dataclass
class Fact:
    path: tuple[str, ...]
    """Terraform attribute path, blocks included (`encryption_configuration`, `kms_key`)."""
    how: str
    where: str


_ENTRY_KEY = re.compile(r'\s*("(?P<literal>[^"]+)"|(?P<constant>names\.Attr\w+)|(?P<ident>\w+))\s*:\s*')


def entries(text: str, start: int, end: int, constant: Any = None) -> Iterator[tuple[str, int, int]]:
    """(key, body start, body end) of each `KEY: ...{BODY}` entry of a Go map literal body; ``constant`` gives the
    value of a key written as a package constant."""
    i = start
    while i < end:
        m = _ENTRY_KEY.match(text, i)
        if not m or m.end() > end:
            break
        key = m.group("literal") or (attr_name(m.group("constant")) if m.group("constant") else
                                     constant(m.group("ident")) if constant else m.group("ident"))
        j = m.end()
        # The value: `{...}`, `schema.XAttribute{...}` or a call; it ends at the next top-level comma.
        k = j
        body: Optional[tuple[int, int]] = None
        while k < end and text[k] != ",":
            if text[k] in "{([":
                close = closing(text, k)
                if text[k] == "{" and body is None:
                    body = (k + 1, close)
                k = close + 1
            else:
                k += 1
        if body is not None:
            yield key, body[0], body[1]
        i = k + 1
        while i < end and text[i] in " \t\n,":
            i += 1
        while text.startswith("//", i):
            i = text.find("\n", i) + 1
            while i < end and text[i] in " \t\n":
                i += 1


class Source:
    """Go functions of one terraform-provider-aws release."""

    label: str

    def function(self, package: str, name: str) -> tuple[str, str]:
        """(text, where) of ``func name(...)`` in internal/service/<package>."""
        raise NotImplementedError

    def method(self, package: str, type_: str, name: str) -> tuple[str, str]:
        raise NotImplementedError

    def registrations(self, package: str) -> dict[str, tuple[str, str]]:
        """Terraform type -> ("sdk", factory function) or ("framework", schema-bearing struct type)."""
        raise NotImplementedError

    def declarations(self, package: str, name: str) -> tuple[str, str]:
        """(Go text declaring the constant, variable or type ``name`` of the package, where)."""
        raise NotImplementedError

    def constant(self, package: str, name: str) -> str:
        m = re.search(rf'\b{name}\s*(?:string\s*)?=\s*"([^"]+)"', self.declarations(package, name)[0])
        if not m:
            raise FactsError(f"cannot find the string constant {name} in internal/service/{package}")
        return m.group(1)


def _registrations(sdk: str, framework: str, structs: dict[str, str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for factory, name in re.findall(r'Factory:\s*(\w+),\s*TypeName:\s*"(\w+)"', sdk):
        found[name] = ("sdk", factory)
    for factory, name in re.findall(r'Factory:\s*(\w+),\s*TypeName:\s*"(\w+)"', framework):
        found[name] = ("framework", structs.get(name, factory))
    return found


class IndexSource(Source):
    """A commit of lonegunmanb/terraform-provider-aws-index: one file per function, under index/internal/service."""

    def __init__(self, repo: Path, upstream: str) -> None:
        self.repo = repo
        log = self._git("log", "--format=%H %s")
        commits = [line.split(" ", 1)[0] for line in log.splitlines() if line.endswith(f"terraform-provider-aws {upstream}")]
        if not commits:
            raise FactsError(f"{repo} has no commit for terraform-provider-aws {upstream}")
        self.commit = commits[0]
        self.label = f"terraform-provider-aws {upstream} (lonegunmanb/terraform-provider-aws-index@{self.commit[:12]})"

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True).stdout

    def _file(self, path: str) -> str:
        try:
            return self._git("show", f"{self.commit}:{path}")
        except subprocess.CalledProcessError:
            raise FactsError(f"{path} is not in the index at {self.commit[:12]}") from None

    def function(self, package: str, name: str) -> tuple[str, str]:
        path = f"index/internal/service/{package}/func.{name}.goindex"
        return self._file(path), path

    def method(self, package: str, type_: str, name: str) -> tuple[str, str]:
        path = f"index/internal/service/{package}/method.{type_}.{name}.goindex"
        return self._file(path), path

    def declarations(self, package: str, name: str) -> tuple[str, str]:
        for kind in ("var", "const", "type"):
            path = f"index/internal/service/{package}/{kind}.{name}.goindex"
            try:
                return self._file(path), path
            except FactsError:
                continue
        raise FactsError(f"no declaration of {name} in the index's internal/service/{package}")

    def registrations(self, package: str) -> dict[str, tuple[str, str]]:
        sdk = self.method(package, "servicePackage", "SDKResources")[0]
        framework = self.method(package, "servicePackage", "FrameworkResources")[0]
        structs = {}
        for factory, name in re.findall(r'Factory:\s*(\w+),\s*TypeName:\s*"(\w+)"', framework):
            data = json.loads(self._file(f"index/resources/{name}.json"))
            structs[name] = data["struct_type"] or factory
        return _registrations(sdk, framework, structs)


class CheckoutSource(Source):
    """A checkout of hashicorp/terraform-provider-aws."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = f"terraform-provider-aws checkout {root}"

    def _find(self, package: str, signature: re.Pattern[str]) -> tuple[str, str]:
        for path in sorted((self.root / "internal" / "service" / package).glob("*.go")):
            text = path.read_text()
            m = signature.search(text)
            if m:
                brace = text.index("{", m.end() - 1)
                # From the top of the file, so the lines of what is found in it are the file's.
                return text[:closing(text, brace) + 1], str(path.relative_to(self.root))
        raise FactsError(f"no {signature.pattern} in internal/service/{package}")

    def function(self, package: str, name: str) -> tuple[str, str]:
        return self._find(package, re.compile(rf"^func {name}\(.*\{{", re.M))

    def method(self, package: str, type_: str, name: str) -> tuple[str, str]:
        return self._find(package, re.compile(rf"^func \(\w+ \*?{type_}\) {name}\(.*\{{", re.M))

    def declarations(self, package: str, name: str) -> tuple[str, str]:
        for path in sorted((self.root / "internal" / "service" / package).glob("*.go")):
            text = path.read_text()
            if re.search(rf"\b(?:var|const|type)?\s*{name}\b\s*(?:string\s*|struct\s*)?[={{]", text):
                return text, str(path.relative_to(self.root))
        raise FactsError(f"no declaration of {name} in internal/service/{package}")

    def registrations(self, package: str) -> dict[str, tuple[str, str]]:
        gen = (self.root / "internal" / "service" / package / "service_package_gen.go").read_text()
        sdk = gen[gen.index("SDKResources("):] if "SDKResources(" in gen else ""
        framework = gen[gen.index("FrameworkResources("):gen.index("SDKDataSources(")] if "FrameworkResources(" in gen else ""
        structs = {}
        for factory, name in re.findall(r'Factory:\s*(\w+),\s*TypeName:\s*"(\w+)"', framework):
            body = self.function(package, factory)[0]
            m = re.search(r"&(\w+)\{", body)
            structs[name] = m.group(1) if m else factory
        return _registrations(sdk, framework, structs)


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def sdk_facts(source: Source, package: str, factory: str) -> list[Fact]:
    text, where = source.function(package, factory)
    # The schema of the resource returned last (a state upgrader's older schema may come first).
    start = text.rfind("return &schema.Resource{")
    start = text.index("{", start) if start >= 0 else text.index("&schema.Resource{")
    end = closing(text, start)
    return _schema_field(source, package, text, start + 1, end, (), where)


def _schema_field(source: Source, package: str, text: str, start: int, end: int, prefix: tuple[str, ...],
                  where: str) -> list[Fact]:
    at = field_at_depth0(text, start, end, "Schema")
    if at is None:
        at = field_at_depth0(text, start, end, "SchemaFunc")
    if at is None:
        return []
    value = text.index(":", at) + 1
    rest = text[value:value + 200].lstrip()
    if rest.startswith("map[string]*schema.Schema{") or rest.startswith("func()"):
        open_ = text.index("{", text.index("map[string]*schema.Schema{", value))
        return _schema_map(source, package, text, open_ + 1, closing(text, open_), prefix, where)
    # A helper: `fooSchema()`, `maps.Clone(fooSchema)` or a package variable `fooSchema`.
    m = re.match(r"(?:maps\.Clone\()?(\w+)", rest)
    return _schema_function(source, package, m.group(1), prefix) if m else []


def _schema_function(source: Source, package: str, name: str, prefix: tuple[str, ...]) -> list[Fact]:
    """A helper that returns a schema map or a resource (`func fooSchema() map[string]*schema.Schema`), or a
    package variable holding one."""
    try:
        text, where = source.function(package, name)
        head = text.index(f"func {name}")
    except FactsError:
        try:
            text, where = source.declarations(package, name)
            head = text.index(name)
        except (FactsError, ValueError):
            return []
    m = re.search(r"map\[string\]\*schema\.Schema\{", text[head:])
    if m:
        open_ = head + m.end() - 1
        return _schema_map(source, package, text, open_ + 1, closing(text, open_), prefix, where)
    m = re.search(r"&schema\.Resource\{", text)
    if m:
        open_ = m.end() - 1
        return _schema_field(source, package, text, open_ + 1, closing(text, open_), prefix, where)
    return []


def _schema_map(source: Source, package: str, text: str, start: int, end: int, prefix: tuple[str, ...],
                where: str) -> list[Fact]:
    facts: list[Fact] = []
    for key, body_start, body_end in entries(text, start, end, lambda n: source.constant(package, n)):
        path = prefix + (key,)
        forced = field_at_depth0(text, body_start, body_end, "ForceNew")
        if forced is not None and re.match(r"ForceNew\s*:\s*true", text[forced:]):
            facts.append(Fact(path, "ForceNew", f"{where}:{_line(text, forced)}"))
        elem = field_at_depth0(text, body_start, body_end, "Elem")
        if elem is None:
            continue
        value = text.index(":", elem) + 1
        m = re.compile(r"\s*&schema\.Resource\{").match(text, value)
        if m:
            open_ = m.end() - 1
            facts += _schema_field(source, package, text, open_ + 1, closing(text, open_), path, where)
            continue
        m = re.compile(r"\s*(\w+)\(\)").match(text, value)
        if m:
            facts += _schema_function(source, package, m.group(1), path)
    return facts


def framework_facts(source: Source, package: str, struct: str) -> list[Fact]:
    try:
        text, where = source.method(package, struct, "Schema")
    except FactsError:
        # The struct may only embed the type that has the Schema method (an egress rule embeds the shared rule).
        if struct.startswith("new"):
            factory = source.function(package, struct)[0]
            m = re.search(r"&(\w+)\{", factory[factory.index(f"func {struct}"):])
            if m:
                return framework_facts(source, package, m.group(1))
        declaration = source.declarations(package, struct)[0]
        m = re.search(rf"type {struct} struct \{{(.*?)\n\}}", declaration, re.S)
        for embedded in re.findall(r"^\s*\*?(\w+)\s*$", m.group(1) if m else "", re.M):
            try:
                return framework_facts(source, package, embedded)
            except FactsError:
                continue
        raise
    start = text.index("schema.Schema{")
    open_ = text.index("{", start)
    return _framework_object(text, open_ + 1, closing(text, open_), (), where, lambda n: source.constant(package, n))


def _framework_object(text: str, start: int, end: int, prefix: tuple[str, ...], where: str,
                      constant: Any) -> list[Fact]:
    facts: list[Fact] = []
    for field in ("Attributes", "Blocks"):
        at = field_at_depth0(text, start, end, field)
        if at is None:
            continue
        open_ = text.index("{", at)
        for key, body_start, body_end in entries(text, open_ + 1, closing(text, open_), constant):
            path = prefix + (key,)
            modifiers = field_at_depth0(text, body_start, body_end, "PlanModifiers")
            if modifiers is not None:
                m_open = text.index("{", modifiers)
                m_close = closing(text, m_open)
                m = re.search(r"RequiresReplace\w*\(", text[m_open:m_close])
                if m:
                    facts.append(Fact(path, m.group()[:-1], f"{where}:{_line(text, m_open + m.start())}"))
            nested = field_at_depth0(text, body_start, body_end, "NestedObject")
            if nested is not None:
                n_open = text.index("{", nested)
                facts += _framework_object(text, n_open + 1, closing(text, n_open), path, where, constant)
            elif field_at_depth0(text, body_start, body_end, "Attributes") is not None:
                facts += _framework_object(text, body_start, body_end, path, where, constant)
    return facts


# Pulumi names -----------------------------------------------------------------------------------------------------


def _args_class(token: str) -> type:
    """The resource's own args class (its module's, not a nested input type of the same name)."""
    package, module_path, name = token.split(":")
    module = importlib.import_module(f"pulumi_{package}.{module_path.split('/')[0].replace('-', '_')}")
    resource = getattr(module, name)
    own = sys.modules[resource.__module__]
    # Codegen calls it <Name>InitArgs when a nested input type already has the name <Name>Args.
    return getattr(own, f"{name}InitArgs", None) or getattr(own, f"{name}Args")


def _plural(name: str) -> list[str]:
    found = [name, name + "s", name + "es"]
    if name.endswith("y"):
        found.append(name[:-1] + "ies")
    return found


def _nested(cls: type, annotation: Any) -> tuple[Optional[type], bool]:
    """The input type an annotation refers to, and whether it is a list of them."""
    text = repr(annotation)
    sequence = "Sequence" in text
    names = re.findall(r"ForwardRef\('(\w+Args)'\)", text)
    if not names:
        return None, sequence
    module = sys.modules[cls.__module__]
    package = module.__name__.rsplit(".", 1)[0]
    inputs = importlib.import_module(f"{package}._inputs")
    return getattr(inputs, names[0], None), sequence


def pulumi_path(token: str, path: tuple[str, ...]) -> str:
    """The engine's property path of a Terraform attribute path, from the SDK's own input types."""
    cls: Optional[type] = _args_class(token)
    parts: list[str] = []
    for segment in path:
        if cls is None:
            raise FactsError(f"{token}: {'.'.join(path)} goes below a value that has no properties")
        prop = next((cls.__dict__[n] for n in _plural(segment) if isinstance(cls.__dict__.get(n), property)), None)
        if prop is None:
            raise FactsError(f"{token}: the SDK has no input {segment!r} (Terraform path {'.'.join(path)})")
        parts.append(prop.fget._pulumi_name)  # type: ignore[union-attr]
        cls, sequence = _nested(cls, prop.fget.__annotations__.get("return"))  # type: ignore[union-attr]
        if sequence and cls is not None:
            parts[-1] += "[*]"
    return ".".join(parts)


# Putting it together ----------------------------------------------------------------------------------------------


def facts_of(source: Source, token: str, terraform: str) -> tuple[list[dict[str, str]], str]:
    package = _package_of(source, terraform)
    registered = source.registrations(package)
    if terraform not in registered:
        raise FactsError(f"{terraform} is not registered in internal/service/{package}")
    kind, name = registered[terraform]
    if not name:
        raise FactsError(f"{terraform}: the source names no schema for it")
    found = sdk_facts(source, package, name) if kind == "sdk" else framework_facts(source, package, name)
    paths: dict[str, dict[str, str]] = {}
    for fact in found:
        path = pulumi_path(token, tuple(RENAMED.get((terraform, ".".join(fact.path[:i + 1])), part)
                                        for i, part in enumerate(fact.path)))
        paths.setdefault(path, {"path": path, "terraform": ".".join(fact.path), "how": fact.how, "source": fact.where})
    return sorted(paths.values(), key=lambda p: p["path"]), kind


_PACKAGES = {"aws_lb": "elbv2", "aws_default_security_group": "ec2", "aws_flow_log": "ec2", "aws_instance": "ec2",
             "aws_route": "ec2", "aws_security_group": "ec2", "aws_vpc_endpoint": "ec2", "aws_cloudwatch_log_group": "logs",
             "aws_service_discovery_http_namespace": "servicediscovery", "aws_vpc_security_group_egress_rule": "ec2",
             "aws_vpc_security_group_ingress_rule": "ec2", "aws_sqs_queue_redrive_allow_policy": "sqs",
             "aws_sqs_queue_policy": "sqs"}


def _package_of(source: Source, terraform: str) -> str:
    if terraform in _PACKAGES:
        return _PACKAGES[terraform]
    if terraform.startswith("aws_lb_"):
        return "elbv2"
    return terraform.split("_")[1]


def generate(source: Source, overlay: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    problems = []
    for token, terraform in sorted(TERRAFORM_TYPES.items()):
        try:
            paths, kind = facts_of(source, token, terraform)
        except FactsError as error:
            problems.append(str(error))
            continue
        resources[token] = {"terraform": terraform, "framework": "plugin-framework" if kind == "framework" else "sdkv2",
                            "facts": paths}
    if problems:
        raise FactsError("; ".join(problems))
    for token, entries_ in overlay["resources"].items():
        entry = resources.setdefault(token, {"terraform": None, "framework": None, "facts": []})
        for item in entries_:
            entry["facts"].append({k: item[k] for k in ("path", "when", "how", "source") if k in item})
    for entry in resources.values():
        entry["replaceOnChanges"] = sorted({f["path"] for f in entry["facts"] if "when" not in f})
        conditional = [{"path": f["path"], "when": f["when"]} for f in entry["facts"] if "when" in f]
        if conditional:
            entry["replaceOnChangesWhen"] = conditional
    return {
        "provider": {"package": "pulumi-aws", "version": version("pulumi-aws")},
        "upstream": source.label,
        "generatedBy": "scripts/replacement_facts.py",
        "resources": resources,
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", type=Path, help="clone of lonegunmanb/terraform-provider-aws-index")
    where.add_argument("--checkout", type=Path, help="checkout of hashicorp/terraform-provider-aws at the release")
    parser.add_argument("--upstream", help="terraform-provider-aws release pulumi-aws is built on (with --index)")
    parser.add_argument("--overlay", type=Path, default=OVERLAY)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    if args.index is not None and not args.upstream:
        parser.error("--index needs --upstream (for example v6.39.0)")
    try:
        source: Source = IndexSource(args.index, args.upstream) if args.index else CheckoutSource(args.checkout)
        data = generate(source, json.loads(args.overlay.read_text()))
    except FactsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if args.check:
        same = args.out.is_file() and args.out.read_text() == text
        print(f"{args.out}: {'up to date' if same else 'differs from what the sources say'}")
        return 0 if same else 1
    args.out.write_text(text)
    print(f"wrote {args.out}: {len(data['resources'])} resource types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
