"""CloudWatch metric math, evaluated one period at a time, as alarms read it.

Supports numbers, query ids, ``+ - * /``, comparisons, ``AND``/``OR``, ``IF(condition, a, b)`` and
``FILL(series, value | REPEAT)`` (CloudWatch User Guide, "Metric math syntax and functions"). A missing datapoint is
``None``: arithmetic and comparisons on it are missing too, ``FILL`` replaces it (with the value, or for ``REPEAT``
with the series' latest earlier datapoint), and ``IF`` on a missing condition is missing. Division by zero is missing,
as CloudWatch drops such points.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from typing import Optional

Value = Optional[float]
History = Callable[[str], Value]
"""The latest earlier datapoint of a query id, for ``FILL(x, REPEAT)``."""


class MetricMathError(ValueError):
    """An expression this evaluator does not support."""


class Expression:
    def __init__(self, text: str) -> None:
        self.text = text
        python = re.sub(r"\bAND\b", " and ", text)
        python = re.sub(r"\bOR\b", " or ", python)
        try:
            self.tree = ast.parse(python, mode="eval").body
        except SyntaxError as error:
            raise MetricMathError(f"cannot read the metric math {text!r}: {error.msg}") from None

    def ids(self) -> set[str]:
        """The query ids the expression reads."""
        return {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id not in ("REPEAT",)}

    def __call__(self, values: Mapping[str, Value], history: Optional[History] = None) -> Value:
        return self._eval(self.tree, values, history)

    def _eval(self, node: ast.AST, values: Mapping[str, Value], history: Optional[History]) -> Value:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._eval(node.operand, values, history)
            return None if inner is None else -inner
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise MetricMathError(f"{self.text!r} reads {node.id!r}, which is no query of the alarm")
            return values[node.id]
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values, history), self._eval(node.right, values, history)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Div):
                return None if right == 0 else left / right
            operations = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                          ast.Mult: lambda: left * right}
            if type(node.op) not in operations:
                raise MetricMathError(f"unsupported operator in {self.text!r}")
            return operations[type(node.op)]()
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left = self._eval(node.left, values, history)
            right = self._eval(node.comparators[0], values, history)
            if left is None or right is None:
                return None
            result = {ast.Lt: left < right, ast.Gt: left > right, ast.LtE: left <= right, ast.GtE: left >= right,
                      ast.Eq: left == right, ast.NotEq: left != right}.get(type(node.ops[0]))
            if result is None:
                raise MetricMathError(f"unsupported comparison in {self.text!r}")
            return 1.0 if result else 0.0
        if isinstance(node, ast.BoolOp):
            parts = [self._eval(v, values, history) for v in node.values]
            if any(p is None for p in parts):
                return None
            truth = all(parts) if isinstance(node.op, ast.And) else any(parts)
            return 1.0 if truth else 0.0
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call(node, values, history)
        raise MetricMathError(f"unsupported metric math: {self.text!r}")

    def _call(self, node: ast.Call, values: Mapping[str, Value], history: Optional[History]) -> Value:
        name, args = node.func.id, node.args  # type: ignore[attr-defined]
        if name == "FILL" and len(args) == 2:
            value = self._eval(args[0], values, history)
            if value is not None:
                return value
            if isinstance(args[1], ast.Name) and args[1].id == "REPEAT":
                if not isinstance(args[0], ast.Name) or history is None:
                    raise MetricMathError(f"FILL(..., REPEAT) needs a query id in {self.text!r}")
                return history(args[0].id)
            return self._eval(args[1], values, history)
        if name == "IF" and len(args) in (2, 3):
            condition = self._eval(args[0], values, history)
            if condition is None:
                return None
            if condition:
                return self._eval(args[1], values, history)
            return self._eval(args[2], values, history) if len(args) == 3 else None
        if name in ("MAX", "MIN") and len(args) == 1:
            return self._eval(args[0], values, history)
        raise MetricMathError(f"unsupported function {name} in {self.text!r}")
