"""What a `pulumi up` of a live stack would do, judged before it runs: every changed resource is updated in place or
replaced (delete-first or create-first), and the changes AWS or the engine would punish are named as hazards.

:func:`analyse` reads two plan reports (``--json``): the base, standing for the live stack, and the head, the
change. It matches resources by URN and by the aliases the head declares, diffs their inputs leaf by leaf (leaving
out what ``ignoreChanges`` keeps and the names the provider chose itself), decides update or replace from the
provider's replacement facts (:mod:`.replacements`), and follows replacements down the dependencies: a resource
whose input comes from a replaced one sees that input change too.

Hazards, each with a severity, a message that says how to make the change safely and the stack-file key behind it:

- data lost: a stateful resource (queue, repository, log group, bucket, namespace, the VPC) replaced or deleted;
- an update that would fail: a protected resource deleted or replaced; a repository or bucket that still holds
  data deleted; a create or replacement that claims a unique value another resource still holds (a listener rule's
  priority, a Service Connect discovery name, a security group rule, an explicit name); a resource deleted while
  others still use it;
- a dangling reference: an input kept by ``ignoreChanges`` that still points at something replaced or deleted;
- traffic sent to an empty target group when a service leaves a progressive deployment strategy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from ecs_platform.offline.mocks import AUTO_NAMED

from .provenance import WORKLOAD_SECTIONS, workload_key
from .replacements import Facts, Path_, covers, join, load, split

MANDATORY, ADVISORY = "mandatory", "advisory"

STATEFUL = {
    "aws:sqs/queue:Queue": "the messages waiting in it",
    "aws:ecr/repository:Repository": "the images in it",
    "aws:cloudwatch/logGroup:LogGroup": "the logs in it",
    "aws:s3/bucket:Bucket": "the objects in it",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "the Service Connect services registered in it",
    "awsx:ec2:Vpc": "its subnets and everything running in them",
    "aws:efs/fileSystem:FileSystem": "the files in it",
}
"""Resources whose replacement or deletion loses what AWS keeps in them."""

FORCE_DELETE = {"aws:ecr/repository:Repository": ("forceDelete", "RepositoryNotEmptyException"),
                "aws:s3/bucket:Bucket": ("forceDestroy", "BucketNotEmpty")}
"""Deletes AWS refuses while the resource holds data, unless the input named here is true (ECR DeleteRepository,
S3 DeleteBucket)."""

IN_USE = {
    "aws:servicediscovery/httpNamespace:HttpNamespace": "ResourceInUse",
    "aws:lb/targetGroup:TargetGroup": "ResourceInUse",
    "aws:ec2/securityGroup:SecurityGroup": "DependencyViolation",
    "aws:ecs/cluster:Cluster": "ClusterContainsServicesException",
    # A Managed Instances provider is deleted only once no cluster association and no service uses it (pulumi-aws
    # ClusterCapacityProviders docs: AWS disallows deleting an attached provider).
    "aws:ecs/capacityProvider:CapacityProvider": "ClientException (the capacity provider is in use)",
}
"""Deletes AWS refuses while another resource still uses the one deleted."""

SG_RULE_FIELDS = ("securityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4", "cidrIpv6",
                  "referencedSecurityGroupId", "prefixListId")
PROGRESSIVE = {"BLUE_GREEN", "CANARY", "LINEAR"}



@dataclass
class Item:
    """One resource of a plan report, as :meth:`Plan.items` writes it."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    id: str = ""
    arn: str = ""
    auto_named: Optional[str] = None
    aliases: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    owner: Optional[str] = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> "Item":
        return cls(urn=data.get("urn") or f"{data['type']}::{data['name']}", type=data["type"], name=data["name"],
                   inputs=data.get("inputs") or {}, id=data.get("id") or "", arn=data.get("arn") or "",
                   auto_named=data.get("autoNamed"), aliases=list(data.get("aliases") or []),
                   protect=bool(data.get("protect")), retain_on_delete=bool(data.get("retainOnDelete")),
                   delete_before_replace=bool(data.get("deleteBeforeReplace")),
                   ignore_changes=list(data.get("ignoreChanges") or []),
                   dependencies=dict(data.get("propertyDependencies") or {}), owner=data.get("owner"))

    @property
    def label(self) -> str:
        return f"{self.type}::{self.name}"

    @property
    def explicit_name(self) -> Optional[str]:
        """The name the program gave a resource the provider would otherwise auto-name, or None."""
        prop = AUTO_NAMED.get(self.type)
        if prop and self.auto_named != prop and isinstance(self.inputs.get(prop), str):
            return self.inputs[prop]
        return None


@dataclass
class Change:
    """What `pulumi up` does to one resource that exists before and after."""

    base: Item
    head: Item
    properties: list[str]
    replace_because: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    """Top-level inputs that change only because a resource they come from is replaced (unknown until then)."""
    cascade_from: Optional[str] = None

    @property
    def replace(self) -> bool:
        return bool(self.replace_because)

    @property
    def delete_first(self) -> bool:
        """Whether the old resource goes before its replacement exists: the program asks for it, or (Pulumi's
        Terraform bridge) the resource has a name the program set, which two resources cannot share."""
        return self.head.delete_before_replace or self.head.explicit_name is not None

    def to_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"type": self.head.type, "name": self.head.name,
                                 "action": "replace" if self.replace else "update", "properties": self.properties}
        if self.replace:
            shown["deleteFirst"] = self.delete_first
            shown["replaceBecause"] = self.replace_because
        if self.head.urn != self.base.urn:
            shown["renamedFrom"] = self.base.name
        return shown


@dataclass
class Hazard:
    resource: str
    severity: str
    kind: str
    message: str
    key: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "severity": self.severity, "kind": self.kind, "message": self.message,
                "key": self.key}


# Diffing inputs ---------------------------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _leaves(value: Any, path: Path_) -> Iterator[Path_]:
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(value[key], path + (key,))
    elif isinstance(value, list) and value:
        for index, element in enumerate(value):
            yield from _leaves(element, path + (f"[{index}]",))
    else:
        yield path


def leaf_diffs(old: Any, new: Any, path: Path_ = ()) -> Iterator[Path_]:
    """The paths of every leaf that differs between ``old`` and ``new`` (absent, null and empty are the same)."""
    if _empty(old) and _empty(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from leaf_diffs(old.get(key), new.get(key), path + (key,))
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            yield from leaf_diffs(old[index] if index < len(old) else None,
                                  new[index] if index < len(new) else None, path + (f"[{index}]",))
    elif _empty(old):
        yield from _leaves(new, path)
    elif _empty(new):
        yield from _leaves(old, path)
    elif old != new:
        yield path


def _at(value: Any, pattern: Path_) -> Iterator[Any]:
    """Every value at ``pattern`` (``[*]`` fans out)."""
    if not pattern:
        yield value
        return
    part, rest = pattern[0], pattern[1:]
    if part.startswith("["):
        if isinstance(value, list):
            items = value if part == "[*]" else value[int(part[1:-1]):int(part[1:-1]) + 1]
            for element in items:
                yield from _at(element, rest)
    elif isinstance(value, dict) and part in value:
        yield from _at(value[part], rest)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def changed_properties(base: Item, head: Item) -> list[Path_]:
    """The input paths a `pulumi up` would change: not what ``ignoreChanges`` keeps, not an auto-name (the provider
    keeps the name it chose at creation)."""
    ignored = [split(p) for p in head.ignore_changes]
    found = []
    for path in leaf_diffs(base.inputs, head.inputs):
        if head.auto_named and path[:1] == (head.auto_named,):
            continue
        if any(covers(pattern, path) for pattern in ignored):
            continue
        found.append(path)
    return found


# The analysis -----------------------------------------------------------------------------------------------------


@dataclass
class Analysis:
    changes: list[Change]
    added: list[Item]
    removed: list[Item]
    hazards: list[Hazard]
    legacy: bool = False
    """The base report predates inputs in plan reports: only digests were compared."""

    def changed_dicts(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in sorted(self.changes, key=lambda c: (c.head.type, c.head.name))]


def _items(report: dict[str, Any]) -> list[Item]:
    return [Item.of(i) for i in ((report.get("resources") or {}).get("items") or [])]


def analyse(base: dict[str, Any], head: dict[str, Any], facts: Optional[Facts] = None) -> Analysis:
    facts = facts or load()
    old, new = _items(base), _items(head)
    by_urn = {i.urn: i for i in old}
    matched: dict[str, Item] = {}
    for item in new:
        for urn in (item.urn, *item.aliases):
            if urn in by_urn and urn not in matched:
                matched[urn] = item
                break
    pairs = [(by_urn[urn], item) for urn, item in matched.items()]
    _keep_identities(pairs)
    used = {id(item) for item in matched.values()}
    added = [i for i in new if id(i) not in used]
    removed = [i for urn, i in by_urn.items() if urn not in matched]

    changes: dict[str, Change] = {}
    for before, after in pairs:
        paths = changed_properties(before, after)
        if paths:
            change = Change(before, after, [join(p) for p in paths])
            change.replace_because = sorted({join(r) for p in paths if (r := facts.replaces(after.type, p, after.inputs))})
            changes[after.urn] = change
    _cascade(changes, pairs, facts)
    context = _Context(base, head, old, new, pairs, changes, added, removed)
    hazards = list(_hazards(context))
    return Analysis(list(changes.values()), added, removed, hazards)


def _keep_identities(pairs: list[tuple[Item, Item]]) -> None:
    """A resource that is updated, even under a new name (an alias), keeps its id, its ARN and the name the provider
    chose at creation; offline, the head run made them up again from the new logical name. Put the old ones back
    wherever the head's inputs carry them (a scaling target's resource id holds its service's name, a rule its
    security group's id), so only what the change really changes is compared."""
    swaps: dict[str, str] = {}
    for before, after in pairs:
        for old, new in ((before.id, after.id), (before.arn, after.arn),
                         (before.inputs.get(before.auto_named or ""), after.inputs.get(after.auto_named or ""))):
            if isinstance(old, str) and isinstance(new, str) and old and new and old != new:
                swaps[new] = old
    if not swaps:
        return
    pattern = re.compile("|".join(re.escape(k) for k in sorted(swaps, key=len, reverse=True)))

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: swaps[m.group()], value)
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    for _, after in pairs:
        after.inputs = swap(after.inputs)


def _cascade(changes: dict[str, Change], pairs: list[tuple[Item, Item]], facts: Facts) -> None:
    """A replaced resource gets a new id and ARN: every input that comes from it changes too, which may replace the
    resource that reads it (a security group's rules when the group is replaced), and so on down."""
    while True:
        replaced = {urn: c for urn, c in changes.items() if c.replace}
        grew = False
        for before, after in pairs:
            change = changes.get(after.urn)
            if change is not None and change.replace:
                continue
            for prop, sources in after.dependencies.items():
                source = next((replaced[s] for s in sources if s in replaced), None)
                if source is None or (change is not None and prop in change.unknown):
                    continue
                if any(split(p) == (prop,) for p in after.ignore_changes):
                    continue
                if change is None:
                    change = changes[after.urn] = Change(before, after, [])
                change.unknown.add(prop)
                change.cascade_from = change.cascade_from or source.head.label
                if prop not in change.properties:
                    change.properties.append(prop)
                pattern = facts.replaces_property(after.type, prop)
                if pattern is not None:
                    change.replace_because.append(f"{join(pattern)} (from the replacement of {source.head.label})")
                grew = True
        if not grew:
            return


@dataclass
class _Context:
    base: dict[str, Any]
    head: dict[str, Any]
    old: list[Item]
    new: list[Item]
    pairs: list[tuple[Item, Item]]
    changes: dict[str, Change]
    added: list[Item]
    removed: list[Item]

    def __post_init__(self) -> None:
        self.project = self.head.get("project") or self.base.get("project") or ""
        self.config_changes = sorted(_config_diffs(self.base.get("config") or {}, self.head.get("config") or {}))
        self.head_of = {b.urn: h for b, h in self.pairs}
        self.base_of = {h.urn: b for b, h in self.pairs}

    # Where in the stack file -------------------------------------------------------------------------------------

    def workload_key(self, item: Item) -> Optional[str]:
        if not item.owner:
            return None
        type_, _, name = item.owner.partition("::")
        return (workload_key(self.project, type_, name, self.head.get("config") or {})
                or workload_key(self.project, type_, name, self.base.get("config") or {}))

    def key(self, item: Item, *hints: str) -> Optional[str]:
        """The stack-file key behind a hazard on ``item``: the changed key under the item's workload that matches a
        hint, else the shortest changed key under it, else a changed key of no workload, else the workload."""
        prefix = self.workload_key(item)
        owned = [p for p in self.config_changes
                 if prefix and (p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "["))]
        if prefix and not owned and prefix.endswith(".repository"):
            workload = prefix.rsplit(".", 1)[0]
            owned = [p for p in self.config_changes if p == workload]
        for hint in hints:
            matching = [p for p in owned if p.rsplit(".", 1)[-1] == hint]
            if matching:
                return matching[0]
        if owned:
            return min(owned, key=len)
        sections = {f"{self.project}:{s}" for s in WORKLOAD_SECTIONS}
        loose = [p for p in self.config_changes if not any(p.startswith(s + ".") for s in sections)]
        return loose[0] if loose else prefix

    # What happens to what ------------------------------------------------------------------------------------------

    def replaced(self) -> list[Change]:
        return [c for c in self.changes.values() if c.replace]

    def gone(self) -> dict[str, Item]:
        """Base resources deleted or replaced, by base URN."""
        found = {i.urn: i for i in self.removed}
        found.update({c.base.urn: c.base for c in self.replaced()})
        return found


def _config_diffs(old: dict[str, Any], new: dict[str, Any]) -> Iterator[str]:
    """Stack-file keys whose value differs: the deepest mapping key where one side lacks the other's key, else the
    leaf."""
    def walk(a: Any, b: Any, path: str) -> Iterator[str]:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                child = f"{path}.{key}" if path else str(key)
                if key not in a or key not in b:
                    yield child
                else:
                    yield from walk(a[key], b[key], child)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b)):
                yield from walk(x, y, f"{path}[{index}]")
        elif a != b:
            yield path

    yield from walk(old, new, "")


# Hazards ------------------------------------------------------------------------------------------------------------


def _hazards(ctx: _Context) -> Iterator[Hazard]:
    yield from _protected(ctx)
    yield from _data(ctx)
    yield from _collisions(ctx)
    yield from _in_use(ctx)
    yield from _dangling(ctx)
    yield from _strategy_switch(ctx)
    yield from _network_switch(ctx)


def _verb(change: Optional[Change]) -> str:
    if change is None:
        return "deletes"
    return "replaces (delete-first)" if change.delete_first else "replaces"


def _protected(ctx: _Context) -> Iterator[Hazard]:
    for item, change in [(i, None) for i in ctx.removed] + [(c.base, c) for c in ctx.replaced()]:
        if not item.protect:
            continue
        action = "delete" if change is None else "replace"
        why = "" if change is None else f" ({', '.join(change.replace_because)} changed)"
        yield Hazard(item.label, MANDATORY, "update-fails",
                     f"this change would {action} {item.label}{why}, which is protected: `pulumi up` stops there, "
                     f"half-applied. {_protected_recipe(item, change)}", ctx.key(item))


def _protected_recipe(item: Item, change: Optional[Change]) -> str:
    if change is not None:
        return ("Keep the current value, or create the new resource beside the old one under a new name and move "
                "to it before removing the old one.")
    return ("If it was renamed, say so with renamedFrom (its state moves to the new name, nothing is deleted); to "
            f"remove it for good, first run `pulumi state unprotect '{item.urn}'` once you have kept what it holds.")


def _data(ctx: _Context) -> Iterator[Hazard]:
    for change in ctx.replaced():
        item, what = change.base, STATEFUL.get(change.base.type)
        if what is None or item.protect:
            continue
        if item.type == "awsx:ec2:Vpc":
            inside = sum(1 for c in ctx.replaced() if c is not change)
            yield Hazard(item.label, MANDATORY, "data-lost",
                         f"this change replaces the VPC ({', '.join(change.replace_because)} changed), so {what}: "
                         f"{inside} more resource(s) are replaced with it and the load balancer cannot move between "
                         "VPCs, so the update fails half-way. Build the new network as a new stack and move the "
                         "workloads to it; keep this stack's network as it is.", ctx.key(item, "cidr"))
            continue
        yield Hazard(item.label, MANDATORY, "data-lost",
                     f"this change {_verb(change)} {item.label} ({', '.join(change.replace_because)} changed): the "
                     f"new one starts empty and {what} stay behind or are lost. "
                     f"{_replace_recipe(item)}", ctx.key(item))
    for item in ctx.removed:
        what = STATEFUL.get(item.type)
        if what is None or item.protect:
            continue
        if item.retain_on_delete:
            yield Hazard(item.label, ADVISORY, "retained",
                         f"{item.label} leaves the stack but stays in AWS (retainOnDelete) with {what}; delete it by "
                         "hand once it is no longer needed, or use renamedFrom if the workload was renamed.",
                         ctx.key(item))
            continue
        force = FORCE_DELETE.get(item.type)
        if force and not item.inputs.get(force[0]):
            yield Hazard(item.label, MANDATORY, "update-fails",
                         f"this change deletes {item.label}, which AWS refuses while it holds {what} ({force[1]}): "
                         "`pulumi up` stops half-way. If the workload was renamed, say so with renamedFrom; to "
                         f"remove it, empty it first or set {force[0]} in an earlier `pulumi up`.", ctx.key(item))
            continue
        yield Hazard(item.label, ADVISORY, "data-lost",
                     f"this change deletes {item.label} and {what}. If the workload was renamed, say so with "
                     "renamedFrom to keep it.", ctx.key(item))


def _replace_recipe(item: Item) -> str:
    if item.type == "aws:ecr/repository:Repository":
        return ("Keep the repository's encryption as it is; for a new key, create a new repository (a new workload "
                "key), push the images there, then move the workload to it.")
    if item.type == "aws:sqs/queue:Queue":
        return "Keep the queue's settings that replace it; for new ones, drain the queue first or create a new worker."
    if item.type == "aws:efs/fileSystem:FileSystem":
        return ("Keep its performanceMode and kmsKeyArn; for new ones, add a new fileSystems entry, copy the files "
                "(AWS DataSync or a task that mounts both), move the volumes to it, then remove the old entry.")
    if item.type == "aws:servicediscovery/httpNamespace:HttpNamespace":
        return ("Keep the namespace; to move to a new one, create it beside the old one (a second stack or cluster), "
                "move the services over, then remove the old one.")
    return "Keep the value that forces the replacement, or copy what it holds first."


def _unique_keys(item: Item, unknown: set[str]) -> Iterator[tuple[str, tuple[Any, ...], str, str, str]]:
    """(kind, value, AWS error, the stack-file key to blame, the value as shown) of each value ``item`` holds that no other resource may hold at
    the same time; values that come from a replaced resource are unknown and claim nothing."""
    inputs = item.inputs
    if item.type == "aws:lb/listenerRule:ListenerRule" and "priority" not in unknown and "listenerArn" not in unknown:
        if inputs.get("priority") is not None:
            yield ("priority", (inputs.get("listenerArn"), inputs.get("priority")), "PriorityInUse", "priority",
                   f"{inputs.get('priority'):g}" if isinstance(inputs.get("priority"), float) else str(inputs["priority"]))
    if item.type in ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                     "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        if not unknown & set(SG_RULE_FIELDS):
            yield ("rule", (item.type, *(inputs.get(f) for f in SG_RULE_FIELDS)), "InvalidPermission.Duplicate",
                   "callers", f"{inputs.get('ipProtocol')} {inputs.get('fromPort')}-{inputs.get('toPort')}")
    if item.type == "aws:ecs/service:Service":
        connect = inputs.get("serviceConnectConfiguration") or {}
        if "serviceConnectConfiguration" not in unknown:
            for service in connect.get("services") or []:
                name = service.get("discoveryName") or service.get("portName")
                yield ("discovery name", (connect.get("namespace"), name), "a discovery name the namespace already has",
                       "discoveryName", str(name))
    name = item.explicit_name
    if name is not None and AUTO_NAMED.get(item.type) not in unknown:
        yield "name", (item.type, name), "a name already in use", "name", name


def _collisions(ctx: _Context) -> Iterator[Hazard]:
    """A value claimed while another resource still holds it. Pulumi creates and updates as the program registers
    and deletes what left the program last; a create-first replacement keeps the old resource until the new one
    exists."""
    holders: dict[tuple[str, tuple[Any, ...]], Item] = {}
    for item in ctx.old:
        for kind, value, *_ in _unique_keys(item, set()):
            holders[(kind, value)] = item
    released = {c.base.urn for c in ctx.replaced() if c.delete_first}
    claims: list[tuple[Item, Optional[Change]]] = [(i, None) for i in ctx.added]
    claims += [(c.head, c) for c in ctx.changes.values()]
    for item, change in claims:
        unknown = change.unknown if change is not None else set()
        for kind, value, error, hint, shown in _unique_keys(item, unknown):
            holder = holders.get((kind, value))
            if holder is None or holder.urn in released:
                continue
            own = change is not None and holder.urn == change.base.urn
            if own and not (change.replace and not change.delete_first):
                continue  # an update that keeps its own value
            if own:
                what = (f"its replacement is created while {holder.label} still holds {kind} {shown}")
                recipe = ("Keep the inputs that force the replacement, or free the value first in its own "
                          "`pulumi up`.")
            elif holder.urn in {i.urn for i in ctx.removed}:
                what = (f"{item.label} claims {kind} {shown} while {holder.label}, which this change removes, "
                        "still holds it (deletes come last)")
                recipe = ("If the workload was renamed, say so with renamedFrom; otherwise remove the old one in its "
                          "own `pulumi up` first.")
            else:
                what = f"{item.label} claims {kind} {shown} while {holder.label} still holds it"
                recipe = ("Move one of them to a free value in one `pulumi up`, then make the change."
                          if kind == "priority" else "Free the value in its own `pulumi up` first.")
            yield Hazard(item.label, MANDATORY, "update-fails", f"{what}: AWS answers {error} and `pulumi up` stops "
                         f"half-way. {recipe}", ctx.key(item, hint))


def _in_use(ctx: _Context) -> Iterator[Hazard]:
    """A delete-first replacement of something kept resources still use."""
    for change in ctx.replaced():
        error = IN_USE.get(change.base.type)
        if error is None or not change.delete_first:
            continue
        users = [h for b, h in ctx.pairs
                 if any(change.head.urn in urns for urns in h.dependencies.values())
                 and not (ctx.changes.get(h.urn) and ctx.changes[h.urn].replace and ctx.changes[h.urn].delete_first)]
        if not users:
            continue
        names = ", ".join(u.label for u in users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
        yield Hazard(change.base.label, MANDATORY, "update-fails",
                     f"this change replaces {change.base.label} delete-first (its name is fixed) while {names} still "
                     f"use it: AWS answers {error} and `pulumi up` stops half-way. {_replace_recipe(change.base)}",
                     ctx.key(change.base))


def _dangling(ctx: _Context) -> Iterator[Hazard]:
    """An input ``ignoreChanges`` keeps that points at a resource this change replaces or deletes."""
    gone = ctx.gone()
    identities = {value: item for item in gone.values() for value in (item.id, item.arn) if value}
    for before, after in ctx.pairs:
        for pattern in after.ignore_changes:
            for value in _at(before.inputs, split(pattern)):
                for text in _strings(value):
                    target = identities.get(text)
                    if target is None or target.urn == before.urn:
                        continue
                    yield Hazard(after.label, MANDATORY, "dangling",
                                 f"{after.label} keeps {pattern} as it was (ignoreChanges), still pointing at "
                                 f"{target.label}, which this change replaces or deletes: the old one stays in use, "
                                 "its delete fails and `pulumi up` stops half-way. Make the change in two steps, or "
                                 "keep the input that replaces it.", ctx.key(after))
                    break


def _strategy_switch(ctx: _Context) -> Iterator[Hazard]:
    for before, after in ctx.pairs:
        if after.type != "aws:ecs/service:Service":
            continue
        old = ((before.inputs.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING")
        new = ((after.inputs.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING")
        if old in PROGRESSIVE and new not in PROGRESSIVE:
            yield Hazard(after.label, MANDATORY, "traffic",
                         f"{after.label} leaves the {old.lower()} strategy: the listener rule is rewritten to send "
                         "all traffic to the first target group, but ECS may have left production on the alternate "
                         "one, which would then serve nothing. Check the rule's weights first (aws elbv2 "
                         "describe-rules); if the alternate group has them, deploy once more with the current "
                         "strategy (aws ecs update-service --force-new-deployment) so the first group serves, then "
                         "switch.", ctx.key(after, "strategy"))


def _vpc_of(config: dict[str, Any], project: str) -> Optional[str]:
    """The existing VPC a stack file places the stack in, or None when the stack creates its own."""
    network = config.get(f"{project}:network")
    if isinstance(network, str):
        try:
            network = json.loads(network)
        except ValueError:
            return None
    existing = (network or {}).get("existingVpc") if isinstance(network, dict) else None
    return str(existing.get("vpcId")) if isinstance(existing, dict) else None


def _network_switch(ctx: _Context) -> Iterator[Hazard]:
    """Moving the stack between its own VPC and an existing one, or between two existing ones: every security group
    and target group is replaced in the other VPC, and the load balancer cannot follow (ELB moves no load balancer
    between VPCs), so `pulumi up` fails half-way with the services on groups of two networks."""
    before = _vpc_of(ctx.base.get("config") or {}, ctx.project)
    after = _vpc_of(ctx.head.get("config") or {}, ctx.project)
    if before == after or not (ctx.base.get("config") and ctx.head.get("config")):
        return
    def where(vpc: Optional[str]) -> str:
        return f"the existing VPC {vpc}" if vpc else "a VPC of its own"
    balancer = next((i for i in ctx.new if i.type == "aws:lb/loadBalancer:LoadBalancer"), None)
    key = f"{ctx.project}:network.existingVpc" + (".vpcId" if before and after else "")
    yield Hazard(balancer.label if balancer else "network", MANDATORY, "update-fails",
                 f"this change moves the stack from {where(before)} to {where(after)}: every security group and target "
                 "group is replaced there and the load balancer cannot change VPC, so `pulumi up` fails half-way. "
                 "Deploy the new network as a new stack, move traffic (DNS) to its load balancer, then destroy this "
                 "one; keep this stack's network key as it is.", key)


def legacy(base: dict[str, Any]) -> bool:
    """Whether ``base`` predates inputs in plan reports (then only digests can be compared)."""
    items: Iterable[dict[str, Any]] = (base.get("resources") or {}).get("items") or []
    return any("inputs" not in i for i in items)


__all__ = ["ADVISORY", "MANDATORY", "Analysis", "Change", "Hazard", "Item", "analyse", "leaf_diffs", "legacy"]
