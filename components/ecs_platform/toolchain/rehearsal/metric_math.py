"""CloudWatch metric math, evaluated one period at a time, as alarms read it.

Supports numbers, query ids, ``+ - * /``, comparisons, ``AND``/``OR``, ``IF(condition, a, b)`` and
``FILL(series, value | REPEAT)``, as the CloudWatch User Guide ("Using math expressions with CloudWatch metrics")
documents them. A missing datapoint is ``None``; where the guide's words and tables say what becomes of it:

- arithmetic: "Missing values in a time series are treated as 0. If the value of a data point causes a function to
  attempt to divide by zero, the data point is dropped." A time series has a datapoint at a timestamp when one of the
  series combined has one there: a series missing where the other series has a value counts as 0; a series missing
  against a number (``visible > 0``) leaves no datapoint;
- comparisons and AND/OR: "When comparison operators are used between two time series, and only one of the time
  series has a value for a particular time stamp, the function treats the missing value in the other time series as
  0" (``metric1 > 15 AND metric2 > 15`` is 0 where metric2 is missing);
- ``IF(metric1, metric2, metric3)``: metric2 where the condition is true, 0 if metric2 is missing there; metric3 where
  it is false, dropped if metric3 is missing there or left out; dropped where the condition is missing;
- ``FILL(m, value)`` replaces a missing datapoint with the value; ``FILL(m, REPEAT)`` with the series' latest earlier
  datapoint ("to use the most recent values, then use the FILL(m1,REPEAT) function", Application Auto Scaling User
  Guide, "How target tracking scaling ... works").
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
        return self._eval_kind(node, values, history)[0]

    def _eval_kind(self, node: ast.AST, values: Mapping[str, Value],
                   history: Optional[History]) -> tuple[Value, bool]:
        """(value, whether it is a time series rather than a number)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value), False
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner, series = self._eval_kind(node.operand, values, history)
            return (None if inner is None else -inner), series
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise MetricMathError(f"{self.text!r} reads {node.id!r}, which is no query of the alarm")
            return values[node.id], True
        if isinstance(node, ast.BinOp):
            left, right, series = self._operands(node.left, node.right, values, history)
            if left is None or right is None:
                return None, series
            if isinstance(node.op, ast.Div):
                return (None if right == 0 else left / right), series
            operations = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                          ast.Mult: lambda: left * right}
            if type(node.op) not in operations:
                raise MetricMathError(f"unsupported operator in {self.text!r}")
            return operations[type(node.op)](), series
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right, series = self._operands(node.left, node.comparators[0], values, history)
            if left is None or right is None:
                return None, series
            result = {ast.Lt: left < right, ast.Gt: left > right, ast.LtE: left <= right, ast.GtE: left >= right,
                      ast.Eq: left == right, ast.NotEq: left != right}.get(type(node.ops[0]))
            if result is None:
                raise MetricMathError(f"unsupported comparison in {self.text!r}")
            return (1.0 if result else 0.0), series
        if isinstance(node, ast.BoolOp):
            parts = [self._eval_kind(v, values, history) for v in node.values]
            series = any(s for _, s in parts)
            present = [v for v, _ in parts if v is not None]
            if not present or (len(present) < len(parts) and not series):
                return None, series
            truths = [bool(v) if v is not None else False for v, _ in parts]  # a missing series value counts as 0
            return (1.0 if (all(truths) if isinstance(node.op, ast.And) else any(truths)) else 0.0), series
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call(node, values, history), True
        raise MetricMathError(f"unsupported metric math: {self.text!r}")

    def _operands(self, left_node: ast.AST, right_node: ast.AST, values: Mapping[str, Value],
                  history: Optional[History]) -> tuple[Value, Value, bool]:
        """Both operands, a missing series value as 0 where the other operand is a series with a value there."""
        left, left_series = self._eval_kind(left_node, values, history)
        right, right_series = self._eval_kind(right_node, values, history)
        if left_series and right_series:
            if left is None and right is not None:
                left = 0.0
            elif right is None and left is not None:
                right = 0.0
        return left, right, left_series or right_series

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
                chosen = self._eval(args[1], values, history)
                return 0.0 if chosen is None else chosen  # "has the value of 0 ... does not exist in metric2"
            return self._eval(args[2], values, history) if len(args) == 3 else None
        if name in ("MAX", "MIN") and len(args) == 1:
            return self._eval(args[0], values, history)
        raise MetricMathError(f"unsupported function {name} in {self.text!r}")
