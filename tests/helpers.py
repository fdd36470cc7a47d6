"""Helpers the tests share: reading container definitions, watching program runs and evaluating CloudWatch metric
math."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any, Optional

from ecs_platform.offline import engine
from ecs_platform.testing import ProgramRun, Registration

NS = "ecs-platform"
Edit = Callable[[dict[str, Any]], None]
"""An edit of a stack file's `config:` mapping."""
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
PLACEMENT = {
    "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
    "cluster_name": "main",
    "vpc_id": "vpc-1",
    "subnet_ids": ["subnet-private-a", "subnet-private-b"],
}
"""Where the component tests place their services."""
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/fedcba9876543210"
ALB_SG = "sg-0a1b2c3d4e5f60718"
LB_ARN_SUFFIX = "app/web/0123456789abcdef"


def web_args(**overrides: Any) -> dict[str, Any]:
    """The args of a WebService `api` on /api/* behind the test load balancer, with ``overrides``."""
    return {
        "placement": PLACEMENT,
        "listener_arn": LISTENER,
        "load_balancer_security_group_id": ALB_SG,
        "load_balancer_arn_suffix": LB_ARN_SUFFIX,
        "task": {"image": "example/api:1.0"},
        "priority": 10,
        "path_patterns": ["/api/*"],
        **overrides,
    }


def refusal_of(run_component: Any, build: Any) -> str:
    """The one-line ValueError ``build`` refuses with, checked to come before the component or any child
    registers."""
    errors: list[str] = []

    def program() -> None:
        try:
            build()
        except ValueError as error:
            errors.append(str(error))

    run = run_component(program)
    assert not [r for r in run.resources if r.type.startswith(("ecs-platform:", "aws:"))]
    (message,) = errors
    assert "\n" not in message
    return message


def containers(run: ProgramRun, name: Optional[str] = None) -> list[dict[str, Any]]:
    """The container definitions of the task definition `<name>-task` (or the only one), as ECS receives them."""
    definition = run.one(TASK_DEFINITION, f"{name}-task" if name else None)
    return json.loads(definition.inputs["containerDefinitions"])


def watch_runs(monkeypatch: Any) -> list[engine.RecordingMonitor]:
    """The monitor of every program run started from now on (in order), to see what each one registered, even a
    run that ended in an exception."""
    monitors: list[engine.RecordingMonitor] = []
    original = engine.RecordingMonitor.__init__

    def spy(self: engine.RecordingMonitor, *a: Any, **k: Any) -> None:
        original(self, *a, **k)
        monitors.append(self)

    monkeypatch.setattr(engine.RecordingMonitor, "__init__", spy)
    return monitors


def policy(resource: Registration, key: str = "policy") -> dict[str, Any]:
    return json.loads(resource.inputs[key])


def statements_by_action(document: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            found[action] = statement["Resource"]
    return found


class MetricMath:
    """Evaluates the CloudWatch metric math the alarms use, one period at a time.

    Supports numbers, query ids, + - * /, comparisons, AND/OR, IF(condition, a, b) and FILL(series, value). A
    missing datapoint is None: arithmetic and comparisons on it are missing too (as in CloudWatch), FILL replaces
    it, and IF treats a missing condition as missing.
    """

    def __init__(self, expression: str) -> None:
        text = re.sub(r"\bAND\b", " and ", expression)
        text = re.sub(r"\bOR\b", " or ", text)
        self.tree = ast.parse(text, mode="eval").body

    def __call__(self, **values: Optional[float]) -> Optional[float]:
        return self._eval(self.tree, values)

    def _eval(self, node: ast.AST, values: dict[str, Optional[float]]) -> Optional[float]:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values), self._eval(node.right, values)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Div):
                return None if right == 0 else left / right
            return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[type(node.op)]
        if isinstance(node, ast.Compare):
            left, right = self._eval(node.left, values), self._eval(node.comparators[0], values)
            if left is None or right is None:
                return None
            op = type(node.ops[0])
            result = {ast.Lt: left < right, ast.Gt: left > right, ast.LtE: left <= right, ast.GtE: left >= right,
                      ast.Eq: left == right, ast.NotEq: left != right}[op]
            return 1.0 if result else 0.0
        if isinstance(node, ast.BoolOp):
            parts = [self._eval(v, values) for v in node.values]
            if any(p is None for p in parts):
                return None
            truth = all(parts) if isinstance(node.op, ast.And) else any(parts)
            return 1.0 if truth else 0.0
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = node.args
            if node.func.id == "FILL":
                value = self._eval(args[0], values)
                return self._eval(args[1], values) if value is None else value
            if node.func.id == "IF":
                condition = self._eval(args[0], values)
                if condition is None:
                    return None
                return self._eval(args[1] if condition else args[2], values)
        raise ValueError(f"unsupported metric math: {ast.dump(node)}")


def alarm_expression(alarm: Registration) -> MetricMath:
    (returned,) = [q for q in alarm.inputs["metricQueries"] if q.get("returnData")]
    return MetricMath(returned["expression"])


def breaches(alarm: Registration, value: Optional[float]) -> bool:
    """Whether one datapoint breaches the alarm's threshold (missing data: notBreaching)."""
    if value is None:
        return False
    threshold = alarm.inputs["threshold"]
    return {
        "GreaterThanThreshold": value > threshold,
        "GreaterThanOrEqualToThreshold": value >= threshold,
        "LessThanThreshold": value < threshold,
        "LessThanOrEqualToThreshold": value <= threshold,
    }[alarm.inputs["comparisonOperator"]]


# Editing a stack file's config ----------------------------------------------------------------------------------


def setting(path: str, value: Any) -> Edit:
    """Set ``ecs-platform:a.b.c`` (or ``aws:x``) to ``value`` in the config."""
    def edit(config: dict[str, Any]) -> None:
        if path.startswith(("aws:", "ecs-platfrom:", "ecsplatform:")):
            config[path] = value
            return
        top, *rest = path.split(".")
        node = config.setdefault(f"{NS}:{top}", {})
        for part in rest[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if rest:
            node[rest[-1]] = value
        else:
            config[f"{NS}:{top}"] = value
    return edit


def both(*edits: Edit) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        for each in edits:
            each(config)
    return edit


def delete(path: str) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        top, *rest = path.split(".")
        node = config[f"{NS}:{top}"]
        for part in rest[:-1]:
            node = node[part]
        del node[rest[-1]]
    return edit
