"""Cost in review: a stack's budget, and the difference between two plans (the base branch's and the change's).

:func:`check_budget` holds the estimate to the stack file's ``<project>:budget``; :func:`compare` diffs a plan
against another plan's ``--json`` (resources added, removed and changed, the monthly cost per line item and in
total at the minimum, desired and maximum task counts, policy violations new and gone); :func:`markdown` renders
both for a pull-request comment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import ValidationError

COUNTS = ("min", "desired", "max")
MARKER = "<!-- ecs-platform plan comparison -->"
"""Identifies the plan's own pull-request comment, so the workflow updates it instead of adding another."""


class BudgetError(ValueError):
    """A budget the stack file gives that the settings refuse (one line naming the key)."""


@dataclass
class BudgetCheck:
    key: str
    monthly_usd: float
    enforcement: str
    count: str
    estimate: float
    biggest: list[tuple[str, float]]
    stack_file: Any = None
    """Where the budget is in the stack file (a StackFileRef), when known."""

    @property
    def over(self) -> bool:
        return self.estimate > self.monthly_usd

    def line(self) -> str:
        items = ", ".join(f"{name} ${amount:,.2f}" for name, amount in self.biggest)
        verdict = "over" if self.over else "within"
        where = f" ({self.stack_file.path}:{self.stack_file.line})" if self.stack_file is not None else ""
        return (f"the {self.count} monthly estimate ${self.estimate:,.2f} is {verdict} the {self.enforcement} budget "
                f"{self.key}{where} of ${self.monthly_usd:,.2f}" + (f"; biggest: {items}" if self.over else ""))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "monthlyUsd": self.monthly_usd, "enforcement": self.enforcement,
                "count": self.count, "estimate": round(self.estimate, 2), "over": self.over,
                "biggest": [{"item": name, "monthly": round(amount, 2)} for name, amount in self.biggest],
                "stackFile": self.stack_file.to_dict() if self.stack_file is not None else None}


def check_budget(config: dict[str, str], project: str, cost: Any) -> Optional[BudgetCheck]:
    """The stack file's budget, checked against the cost estimate; None without a budget or an estimate."""
    from ecs_platform.settings import BudgetSettings

    key = f"{project}:budget"
    if key not in config:
        return None
    try:
        raw = json.loads(config[key])
        budget = BudgetSettings.model_validate(raw)
    except (json.JSONDecodeError, ValidationError) as error:
        problem = error.errors(include_url=False)[0] if isinstance(error, ValidationError) else None
        where = ".".join(str(p) for p in problem["loc"]) if problem and problem["loc"] else ""
        detail = problem["msg"] if problem else "expected a mapping with monthlyUsd"
        raise BudgetError(f"{key}{'.' + where if where else ''}: {detail}") from None
    if cost is None:
        return None
    items = sorted(((i.item, getattr(i, budget.count)) for i in cost.items), key=lambda x: -x[1])
    return BudgetCheck(key, budget.monthly_usd, budget.enforcement, budget.count, cost.total[budget.count],
                       [(name, amount) for name, amount in items[:3] if amount > 0])


# Comparing two plans ---------------------------------------------------------------------------------------------


def _resources(report: dict[str, Any]) -> dict[tuple[str, str], Optional[str]]:
    """(type, name) to the digest of the resource's inputs (None when the report predates digests)."""
    section = report.get("resources") or {}
    if section.get("items") is not None:
        return {(r["type"], r["name"]): r.get("digest") for r in section["items"]}
    found: dict[tuple[str, str], Optional[str]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[(node["type"], node["name"])] = None
            walk(node.get("children") or [])

    walk(section.get("tree") or [])
    return found


def _costs(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    items: dict[str, dict[str, float]] = {}
    for line in (report.get("cost") or {}).get("lineItems") or []:
        bucket = items.setdefault(line["item"], dict.fromkeys(COUNTS, 0.0))
        for count in COUNTS:
            bucket[count] += float(line[count])
    return items


def _violations(report: dict[str, Any]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return {(v["policy"], v["resource_type"], v["resource_name"], v["message"]): v
            for v in ((report.get("policy") or {}).get("violations") or [])}


def _digest_changes(base: dict[str, Any], head: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Added, removed and changed by type, name and digest alone: what a base report without inputs allows."""
    before, after = _resources(base), _resources(head)
    changed = sorted(k for k in set(before) & set(after)
                     if before[k] is not None and after[k] is not None and before[k] != after[k])
    return {"added": [{"type": t, "name": n} for t, n in sorted(set(after) - set(before))],
            "removed": [{"type": t, "name": n} for t, n in sorted(set(before) - set(after))],
            "changed": [{"type": t, "name": n, "action": "unknown"} for t, n in changed]}


def compare(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """What changes from the ``base`` plan report (the live stack) to the ``head`` one (the change), both as
    ``--json`` writes them: resources added, removed, updated or replaced, the hazards of doing so, the cost and the
    policy violations."""
    from .changes import analyse, legacy

    if legacy(base):
        resources = _digest_changes(base, head)
        hazards: list[dict[str, Any]] = []
    else:
        analysis = analyse(base, head)
        key = lambda i: (i.type, i.name)  # noqa: E731
        resources = {"added": [{"type": i.type, "name": i.name} for i in sorted(analysis.added, key=key)],
                     "removed": [{"type": i.type, "name": i.name} for i in sorted(analysis.removed, key=key)],
                     "changed": analysis.changed_dicts()}
        hazards = [h.to_dict() for h in sorted(analysis.hazards, key=lambda h: h.severity != "mandatory")]
    base_costs, head_costs = _costs(base), _costs(head)
    lines = []
    for item in sorted(set(base_costs) | set(head_costs)):
        old = base_costs.get(item, dict.fromkeys(COUNTS, 0.0))
        new = head_costs.get(item, dict.fromkeys(COUNTS, 0.0))
        delta = {c: round(new[c] - old[c], 2) for c in COUNTS}
        if any(delta.values()):
            lines.append({"item": item, "base": {c: round(old[c], 2) for c in COUNTS},
                          "head": {c: round(new[c], 2) for c in COUNTS}, "delta": delta})
    base_total = (base.get("cost") or {}).get("total") or dict.fromkeys(COUNTS, 0.0)
    head_total = (head.get("cost") or {}).get("total") or dict.fromkeys(COUNTS, 0.0)
    old_violations, new_violations = _violations(base), _violations(head)
    return {
        "base": {"project": base.get("project"), "stack": base.get("stack"), "status": base.get("status")},
        "resources": resources,
        "hazards": hazards,
        "cost": {"lineItems": lines, "baseTotal": base_total, "headTotal": head_total},
        "totalDelta": {c: round(float(head_total[c]) - float(base_total[c]), 2) for c in COUNTS},
        "policy": {
            "new": [new_violations[k] for k in sorted(set(new_violations) - set(old_violations))],
            "gone": [old_violations[k] for k in sorted(set(old_violations) - set(new_violations))],
        },
    }


# Markdown for a pull request ----------------------------------------------------------------------------------


def _money(value: float, sign: bool = False) -> str:
    text = f"${abs(value):,.2f}"
    if sign:
        return ("+" if value > 0 else "-" if value < 0 else "±") + text
    return text


def _place(ref: Optional[dict[str, Any]]) -> str:
    """` (Pulumi.prod.yaml:42)`: where in the stack file, when known."""
    return f" ({ref['path']}:{ref['line']})" if ref else ""


def _short(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def markdown(report: dict[str, Any], comparison: Optional[dict[str, Any]]) -> str:
    """A pull-request comment: the monthly cost change, the budget, what is added, removed and changed, and the
    policy violations the change brings or clears."""
    stack = report.get("stack")
    lines = [MARKER, f"### Plan of `{stack}`: monthly cost and policy", ""]
    hazards = (comparison or {}).get("hazards") or []
    if hazards:
        mandatory = [h for h in hazards if h["severity"] == "mandatory"]
        lines += [f"**{len(mandatory)} change(s) this `pulumi up` would punish**" if mandatory
                  else "Changes to a live stack worth knowing:", ""]
        lines += [f"- {h['severity']}: `{h['key'] or h['resource']}`{_place(h.get('stackFile'))}: {h['message']}"
                  for h in hazards]
        lines.append("")
    cost = report.get("cost") or {}
    total = cost.get("total") or {}
    if comparison is not None:
        delta, base = comparison["totalDelta"], comparison["cost"]["baseTotal"]
        lines += ["| per month | base | this change | difference |", "|---|---:|---:|---:|"]
        for count, label in (("min", "at minimum tasks"), ("desired", "at desired tasks"), ("max", "at maximum tasks")):
            lines.append(f"| {label} | {_money(float(base[count]))} | {_money(float(total.get(count, 0)))} | "
                         f"**{_money(delta[count], sign=True)}** |")
        if comparison["cost"]["lineItems"]:
            lines += ["", "<details><summary>Cost by line item</summary>", "",
                      "| line item | base (desired) | this change (desired) | difference (min / desired / max) |",
                      "|---|---:|---:|---|"]
            for line in comparison["cost"]["lineItems"]:
                d = line["delta"]
                lines.append(f"| {line['item']} | {_money(line['base']['desired'])} | "
                             f"{_money(line['head']['desired'])} | {_money(d['min'], True)} / "
                             f"{_money(d['desired'], True)} / {_money(d['max'], True)} |")
            lines += ["", "</details>"]
    else:
        lines.append(f"Monthly estimate: {_money(float(total.get('desired', 0)))} at desired task counts "
                     f"({_money(float(total.get('min', 0)))} to {_money(float(total.get('max', 0)))}).")
    budget = report.get("budget")
    if budget:
        mark = "over" if budget["over"] else "within"
        lines += ["", f"Budget `{budget['key']}` ({budget['enforcement']}, {budget['count']} count): "
                      f"{_money(budget['estimate'])} is **{mark}** {_money(budget['monthlyUsd'])}."]
    if comparison is not None:
        resources = comparison["resources"]
        summary = ", ".join(f"{len(resources[k])} {k}" for k in ("added", "removed", "changed"))
        lines += ["", f"<details><summary>Resources: {summary}</summary>", ""]
        for kind in ("added", "removed", "changed"):
            for resource in resources[kind]:
                action = resource.get("action")
                shown = {"replace": "replaced" + (" (delete first)" if resource.get("deleteFirst") else ""),
                         "update": "updated in place"}.get(action or "", kind)
                lines.append(f"- {shown}: `{_short(resource['type'])}` {resource['name']}")
        lines += ["", "</details>"]
        policy = comparison["policy"]
        if policy["new"] or policy["gone"]:
            lines += ["", "Policy violations:"]
            lines += [f"- new {v['level']}: {v['control']} `{v['policy']}` on {v['resource_name'] or 'the stack'}: "
                      f"{v['message']}{_place(v.get('stackFile'))}" for v in policy["new"]]
            lines += [f"- gone: {v['control']} `{v['policy']}` on {v['resource_name'] or 'the stack'}"
                      for v in policy["gone"]]
    status = report.get("status")
    lines += ["", f"Plan status: `{status}`. Prices of {cost.get('priceDate', '?')} for {cost.get('region', '?')}; "
                  "usage-based charges are not included (see the plan's assumptions)."]
    return "\n".join(lines) + "\n"


__all__ = ["BudgetCheck", "BudgetError", "MARKER", "check_budget", "compare", "markdown"]
