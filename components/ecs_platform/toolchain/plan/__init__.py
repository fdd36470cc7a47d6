"""The offline plan: what a stack creates, what it costs and whether it passes policy, with no cloud account.

:func:`build_plan` runs a Pulumi Python program with one of its stack files under the package's AWS mocks (config
passed as the CLI passes it), starts the policy pack at the same time, then assembles the resource tree, the stack
outputs, the policy report, the deploy-fidelity report and the monthly cost estimate. :meth:`Plan.to_dict` is the
stable JSON structure documented in docs/plan.md.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from ecs_platform.offline.engine import ProgramRun, Registration, project_name, run_stack
from .cost import CostEstimate, PriceError, estimate
from .provenance import Provenance
from .review import BudgetCheck, BudgetError, check_budget, compare
from .graph import mermaid

if TYPE_CHECKING:
    from ..fidelity import FidelityReport

SCHEMA_VERSION = 1
REMOTE_NOTE = ("a remote component: what its provider creates inside it (for awsx's Vpc: the VPC, subnets, route "
               "tables, internet and NAT gateways, Elastic IPs, gateway endpoints) is not registered offline and "
               "not shown; the cost counts its NAT gateways and their addresses")


class PlanError(Exception):
    """The plan could not be made: `status` says why (settings-error, program-error, config-error)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Plan:
    project: str
    stack: str
    run: ProgramRun
    policy: Any = None
    fidelity: Optional[FidelityReport] = None
    cost: Optional[CostEstimate] = None
    notes: list[str] = field(default_factory=list)
    budget: Optional[BudgetCheck] = None
    comparison: Optional[dict[str, Any]] = None
    config: dict[str, Any] = field(default_factory=dict)
    """The stack file's config (structured values decoded), so a later plan can say which key changed."""
    provenance: Optional[Provenance] = None
    """Where in the stack file each finding comes from."""

    def compare_with(self, base: dict[str, Any]) -> None:
        """Set the comparison with another plan's report, each hazard placed in this plan's stack file."""
        self.comparison = compare(base, self.to_dict())
        for hazard in self.comparison["hazards"]:
            ref = self.provenance.at(hazard["key"]) if self.provenance and hazard.get("key") else None
            hazard["stackFile"] = ref.to_dict() if ref else None

    @property
    def status(self) -> str:
        if self.policy is not None and self.policy.mandatory:
            return "policy-violations"
        if self.policy is not None and self.policy.unjudged_mandatory:
            return "policy-unjudged"
        if self.fidelity is not None and self.fidelity.violations:
            return "fidelity-violations"
        if self.budget is not None and self.budget.over and self.budget.enforcement == "mandatory":
            return "over-budget"
        if self.comparison is not None and any(h["severity"] == "mandatory" for h in self.comparison["hazards"]):
            return "hazards"
        return "ok"

    def verdict(self) -> Optional[str]:
        """One line saying why the plan fails, with counts and the first place of each; None when it passes."""
        reasons = []

        def first(items: list[Any]) -> str:
            ordered = sorted(items, key=lambda i: str(getattr(i, "stack_file", None) and i.stack_file.where()))
            ref = getattr(ordered[0], "stack_file", None) if ordered else None
            return f" (first: {ref.where()})" if ref is not None else ""

        if self.policy is not None and self.policy.mandatory:
            reasons.append(f"{_count(len(self.policy.mandatory), 'mandatory policy violation')}"
                           f"{first(self.policy.mandatory)}")
        if self.policy is not None and self.policy.unjudged_mandatory:
            reasons.append(f"{_count(len(self.policy.unjudged_mandatory), 'mandatory policy')} not judged at preview")
        if self.fidelity is not None and self.fidelity.violations:
            reasons.append(f"{_count(len(self.fidelity.violations), 'deploy-fidelity violation')}"
                           f"{first(self.fidelity.violations)}")
        if self.budget is not None and self.budget.over and self.budget.enforcement == "mandatory":
            reasons.append(f"over budget: {self.budget.line()}")
        hazards = [h for h in (self.comparison or {}).get("hazards", []) if h["severity"] == "mandatory"]
        if hazards:
            ref = hazards[0].get("stackFile")
            where = f"{ref['path']}:{ref['line']} " if ref else ""
            reasons.append(f"{_count(len(hazards), 'mandatory hazard')} for the live stack "
                           f"(first: {where}{hazards[0]['key'] or hazards[0]['resource']}: {hazards[0]['message']})")
        return f"the plan of stack {self.stack} fails: {'; '.join(reasons)}" if reasons else None

    def annotations(self, stack_file: str) -> list[str]:
        """GitHub workflow commands that put each finding on its stack-file line in a pull request: errors for what
        fails the plan, warnings for advisories."""
        found = []

        def command(level: str, ref: Any, title: str, message: str) -> None:
            line = getattr(ref, "line", None) if not isinstance(ref, dict) else ref.get("line")
            where = f" file={stack_file},line={line}," if line else " "
            text = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            found.append(f"::{level}{where}title={title.replace(',', '%2C').replace('::', '%3A%3A')}::{text}")

        if self.policy is not None:
            for v in self.policy.violations:
                level = "error" if v.level in ("mandatory", "remediate") else "warning"
                key = v.stack_file.key if v.stack_file is not None else f"{v.resource_type}::{v.resource_name}"
                command(level, v.stack_file, f"{v.control} {v.policy}", f"{key}: {v.message}")
        if self.fidelity is not None:
            for f in self.fidelity.violations:
                key = f.stack_file.key if f.stack_file is not None else f"{f.resource_type}::{f.resource}"
                command("error", f.stack_file, f"deploy fidelity {f.operation}", f"{key}: {f.message}")
        if self.budget is not None and self.budget.over:
            command("error" if self.budget.enforcement == "mandatory" else "warning", self.budget.stack_file,
                    "budget", self.budget.line())
        for h in (self.comparison or {}).get("hazards", []):
            command("error" if h["severity"] == "mandatory" else "warning", h.get("stackFile"), f"hazard {h['kind']}",
                    f"{h['key'] or h['resource']}: {h['message']}")
        return found

    def tree(self) -> list[dict[str, Any]]:
        children: dict[str, list[Registration]] = {}
        # Sorted, so the same program always gives the same tree whatever order its registrations finished in.
        for resource in sorted(self.run.resources, key=lambda r: (r.type, r.name)):
            children.setdefault(resource.parent, []).append(resource)

        def node(resource: Registration) -> dict[str, Any]:
            shown: dict[str, Any] = {"type": resource.type, "name": resource.name, "urn": resource.urn,
                                     "children": [node(c) for c in children.get(resource.urn, [])]}
            if resource.remote:
                shown["note"] = REMOTE_NOTE
            return shown

        urns = {r.urn for r in self.run.resources}
        return [node(r) for r in sorted(self.run.resources, key=lambda r: (r.type, r.name)) if r.parent not in urns]

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r.type for r in self.run.resources if r.custom or r.remote).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "project": self.project,
            "stack": self.stack,
            "preview": self.run.preview,
            "status": self.status,
            "error": None,
            "resources": {"count": sum(self.counts().values()), "byType": self.counts(), "tree": self.tree(),
                          "items": self.items()},
            "outputs": self.run.outputs,
            "policy": self.policy.to_dict() if self.policy is not None else None,
            "fidelity": self.fidelity.to_dict() if self.fidelity is not None else None,
            "cost": self.cost.to_dict() if self.cost is not None else None,
            "notes": self.notes,
            "budget": self.budget.to_dict() if self.budget is not None else None,
            "comparison": self.comparison,
            "config": self.config,
        }

    def items(self) -> list[dict[str, Any]]:
        """Every resource with what a later plan needs to say what a `pulumi up` would do to it: its inputs (and a
        digest of them), the options that decide how it is replaced or deleted, the inputs that come from other
        resources, its id and ARN, and the top-level component it belongs to."""
        urns = {r.urn: r for r in self.run.resources}

        def owner(resource: Registration) -> Optional[str]:
            top = None
            parent = urns.get(resource.parent)
            while parent is not None:
                if not parent.custom and not parent.remote:
                    top = f"{parent.type}::{parent.name}"
                parent = urns.get(parent.parent)
            return top

        return [{"type": r.type, "name": r.name, "digest": _digest(r.inputs), "urn": r.urn,
                 "id": r.id, "arn": r.outputs.get("arn") if isinstance(r.outputs.get("arn"), str) else "",
                 "owner": owner(r), "inputs": r.inputs, "autoNamed": r.auto_named, "aliases": r.aliases,
                 "protect": r.protect, "retainOnDelete": r.retain_on_delete,
                 "deleteBeforeReplace": r.delete_before_replace, "ignoreChanges": r.ignore_changes,
                 # Sorted: the SDK gathers dependencies in a set, so their order varies from run to run.
                 "propertyDependencies": {k: sorted(v) for k, v in sorted(r.property_dependencies.items()) if v}}
                for r in sorted(self.run.resources, key=lambda r: (r.type, r.name)) if r.custom or r.remote]

    def graph(self) -> str:
        return mermaid(self.run)


def _digest(inputs: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _placed(warning: str, provenance: Provenance) -> str:
    """A program warning that names its key (`ecs-platform:services.api.image: ...`), with the key's line."""
    key = warning.split(": ", 1)[0]
    ref = provenance.at(key) if ":" in key and " " not in key else None
    return f"{ref.path}:{ref.line} {warning}" if ref else warning


def _decoded(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def failed(project: str, stack: str, error: PlanError) -> dict[str, Any]:
    """The JSON of a plan that stopped: same structure, no sections."""
    return {"schemaVersion": SCHEMA_VERSION, "project": project, "stack": stack, "status": error.status,
            "error": str(error), "resources": None, "outputs": None, "policy": None, "fidelity": None,
            "cost": None, "notes": [], "budget": None, "comparison": None, "config": None}


def build_plan(directory: Path, stack: str, *, pack: Optional[Path] = None, pack_config: Optional[Path] = None,
               spot_discount: Optional[float] = None, preview: bool = False, pack_given: bool = False,
               stack_references: Optional[dict[str, dict[str, Any]]] = None, eager_pack: bool = False,
               pack_processes: int = 1) -> Plan:
    """Plan ``stack`` of the program in ``directory``. The pack is ``pack`` (default: ``<directory>/policies``
    when it holds a pack) with ``pack_config`` (default: ``<pack>/config/<stack>.json`` when present).

    The pack process starts when the program registers its first resource, so a stack the program refuses never
    starts it; with ``eager_pack`` (the console script: one plan per process) it starts at once and is up before
    the program has loaded the SDK, analyzing each resource as it is registered. ``pack_processes`` processes of
    the pack at most share the registrations of a stack too big for one
    (:class:`~ecs_platform.toolchain.policy_runner.Shards`)."""
    from pulumi import RunError

    from ..policy_runner import PolicyConfigError, PolicyPack, PolicyPackError, Shards, locate_pack
    from ecs_platform.offline.mocks import MissingStackOutput, StackReferenceError
    from ecs_platform.offline.stack_file import StackFileError, read_stack_config

    directory = Path(directory)
    try:
        project = project_name(directory)
        config = read_stack_config(directory / f"Pulumi.{stack}.yaml", project)
    except StackFileError as error:
        raise PlanError("settings-error", str(error)) from None
    notes: list[str] = []
    for key in config.timestamps:
        notes.append(f"warning: {key}: holds an unquoted date or time, which Pulumi passes to the program as Go prints "
                     "it ('2024-06-01 00:00:00 +0000 UTC'); quote it to pass the text as written")
    if config.secure:
        notes.append(f"{', '.join(config.secure)}: secure values cannot be decrypted offline; the program got a "
                     "placeholder marked secret")
    pack, pack_config, missing = locate_pack(directory, stack, pack, pack_config, pack_given)
    notes += missing

    def start_pack(first: bool) -> PolicyPack:
        assert pack is not None
        return PolicyPack(pack, project=project, stack=stack, config=config.values, lazy=first and not eager_pack)

    session = (Shards(start_pack, pack_config, project=project, stack=stack, processes=pack_processes)
               if pack else None)

    def pack_failed(error: Exception) -> PlanError:
        return PlanError("policy-error", f"the policy pack {pack} failed: {error}")

    # The pack starts in its own process and analyzes each resource as the program registers it, as the engine
    # does; AnalyzeStack follows the program, and fidelity and cost are worked out while the pack answers.
    with session if session is not None else contextlib.nullcontext():
        try:
            try:
                run = run_stack(directory, stack, on_register=session.on_register if session else None,
                                preview=preview, stack_references=stack_references)
            except BaseException:
                if session is not None:
                    session.cancel()
                raise
        except (RunError, StackFileError) as error:
            raise PlanError("settings-error", str(error)) from None
        except MissingStackOutput as error:
            raise PlanError("settings-error", str(error)) from None
        except StackReferenceError as error:
            raise PlanError("settings-error", f"{error}; give them with --stack-outputs STACK=FILE") from None
        except Exception as error:  # noqa: BLE001 - reported as the program's failure
            raise PlanError("program-error", f"{type(error).__name__}: {error}") from None
        decoded = {key: _decoded(value) for key, value in config.values.items()}
        provenance = Provenance(directory / f"Pulumi.{stack}.yaml", project, run, decoded)
        plan = Plan(project=project, stack=stack, run=run, config=decoded, provenance=provenance,
                    notes=notes + [f"warning: {_placed(w, provenance)}" for w in run.warnings])
        # The pack finishes its analysis in its own processes while fidelity and cost are worked out here (their
        # modules, botocore's models among them, are loaded now rather than before the program runs).
        from ..fidelity import check as check_fidelity

        plan.fidelity = check_fidelity(run)
        for violation in plan.fidelity.violations:
            violation.stack_file = provenance.of_resource(violation.resource_type, violation.resource)
        region = config.values.get("aws:region", "us-east-1")
        try:
            plan.cost = estimate(run, region, spot_discount=spot_discount)
        except PriceError as error:
            plan.notes.append(str(error))
        try:
            plan.budget = check_budget(config.values, project, plan.cost)
        except BudgetError as error:
            raise PlanError("settings-error", str(error)) from None
        if plan.budget is not None:
            plan.budget.stack_file = provenance.at(plan.budget.key)
        if session is not None:
            try:
                plan.policy = session.finish(run).result()
            except PolicyConfigError as error:
                raise PlanError("config-error", f"{pack_config}: {error}") from None
            except PolicyPackError as error:
                raise pack_failed(error) from None
            for violation in plan.policy.violations + plan.policy.unjudged:
                violation.stack_file = provenance.of_resource(violation.resource_type, violation.resource_name,
                                                              violation.policy)
    return plan


# Printing ------------------------------------------------------------------------------------------------------


def _short(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def render(plan: Plan) -> str:
    kind = " as a first preview (values AWS assigns are unknown)" if plan.run.preview else ""
    lines = [f"Plan of stack {plan.stack} (project {plan.project}){kind}", "", "Resources"]

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            count = _descendants(node)
            suffix = f"  ({count} resources)" if node["children"] else ""
            lines.append(f"{'  ' * depth}- {_short(node['type'])} {node['name']}{suffix}")
            if node.get("note"):
                lines.append(f"{'  ' * (depth + 1)}({node['note']})")
            walk(node["children"], depth + 1)

    walk(plan.tree(), 1)
    lines += ["", "Resources by type"]
    lines += [f"  {count:4}  {type_}" for type_, count in plan.counts().items()]
    lines += ["", "Outputs"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in plan.run.outputs.items()]
    lines += ["", "Policy"]
    if plan.policy is None:
        lines.append("  skipped")
    else:
        lines.append(f"  {plan.policy.pack} ({len(plan.policy.policies)} policies): "
                     f"{len(plan.policy.mandatory)} mandatory, {len(plan.policy.advisory)} advisory"
                     + (f", {len(plan.policy.unjudged)} not judged at preview" if plan.run.preview else ""))
        lines += [f"  {line}" for line in plan.policy.lines()]
    lines += ["", "Deploy fidelity"]
    if plan.fidelity is not None:
        lines.append(f"  {plan.fidelity.requests} AWS API requests checked against botocore models and AWS limits: "
                     f"{len(plan.fidelity.violations)} violation(s)")
        if plan.fidelity.unknown:
            lines.append(f"  {len(plan.fidelity.unknown)} resource(s) not checked against the models: some of their "
                         "inputs are unknown at preview (the documented rules skip only those values)")
        lines += [f"  {line}" for line in plan.fidelity.lines()]
    if plan.cost is not None:
        lines += _cost_lines(plan.cost)
    if plan.budget is not None:
        lines += ["", "Budget", f"  {plan.budget.line()}"]
    if plan.comparison is not None:
        delta = plan.comparison["totalDelta"]
        resources = plan.comparison["resources"]
        lines += ["", f"Compared with the base plan of stack {plan.comparison['base']['stack']}",
                  f"  monthly cost change: min {delta['min']:+,.2f}, desired {delta['desired']:+,.2f}, "
                  f"max {delta['max']:+,.2f}",
                  f"  resources: {len(resources['added'])} added, {len(resources['removed'])} removed, "
                  f"{len(resources['changed'])} changed"]
        lines += [f"    {kind}: {r['type']}::{r['name']}" for kind in ("added", "removed") for r in resources[kind]]
        lines += [f"    {r.get('action') or 'changed'}{' (delete first)' if r.get('deleteFirst') else ''}: "
                  f"{r['type']}::{r['name']}" for r in resources["changed"]]
        hazards = plan.comparison.get("hazards") or []
        lines.append(f"  hazards: {sum(h['severity'] == 'mandatory' for h in hazards)} mandatory, "
                     f"{sum(h['severity'] != 'mandatory' for h in hazards)} advisory")
        lines += [f"    [{h['severity']}] {h['key'] or h['resource']}: {h['message']}" for h in hazards]
        policy = plan.comparison["policy"]
        lines.append(f"  policy violations: {len(policy['new'])} new, {len(policy['gone'])} gone")
    if plan.notes:
        lines += ["", "Notes"] + [f"  {note}" for note in plan.notes]
    return "\n".join(lines)


def _descendants(node: dict[str, Any]) -> int:
    return sum(1 + _descendants(child) for child in node["children"])


def _cost_lines(cost: CostEstimate) -> list[str]:
    lines = ["", f"Monthly cost ({cost.currency}, {cost.region}, prices of {cost.price_date})",
             f"  {'':40} {'min':>10} {'desired':>10} {'max':>10}"]
    for item in cost.items:
        lines.append(f"  {item.item[:40]:40} {item.min:10.2f} {item.desired:10.2f} {item.max:10.2f}")
        lines.append(f"      {item.detail}")
    total = cost.total
    lines.append(f"  {'Total':40} {total['min']:10.2f} {total['desired']:10.2f} {total['max']:10.2f}")
    lines.append("  Assumptions: " + "; ".join(cost.assumptions))
    lines.append("  Not included: " + "; ".join(cost.not_included))
    return lines


__all__ = ["Plan", "PlanError", "build_plan", "failed", "render"]
