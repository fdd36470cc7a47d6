"""Deploy fidelity: would AWS accept what this stack sends it?

:func:`check` turns a program run's resources into the API requests the AWS provider would make
(:mod:`.requests`), validates each against AWS's service models as botocore ships them (:mod:`.models`), and
applies the constraints AWS enforces that the models do not express (:mod:`.constraints`). Each violation names
the resource, the API operation and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ecs_platform.offline.engine import ProgramRun, has_unknown
from . import constraints, models
from . import (requests_capacity, requests_efs, requests_images, requests_network, requests_schedules,  # noqa: F401
               requests_services, requests_topics)  # (register mappers)
from .requests import ApiRequest, requests_for


@dataclass
class FidelityViolation:
    resource: str
    resource_type: str
    operation: str
    field: str
    message: str
    stack_file: Any = None
    """Where in the stack file it comes from (a plan's StackFileRef), when known."""

    def line(self) -> str:
        where = f" (change {self.stack_file.where()})" if self.stack_file is not None else ""
        return f"{self.resource_type}::{self.resource} {self.operation} {self.field}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        shown = {k: v for k, v in asdict(self).items() if k != "stack_file"}
        shown["stackFile"] = self.stack_file.to_dict() if self.stack_file is not None else None
        return shown


@dataclass
class FidelityReport:
    requests: int = 0
    operations: dict[str, int] = field(default_factory=dict)
    violations: list[FidelityViolation] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Resources left unchecked because a preview does not know all their inputs yet (``type::name``)."""

    def to_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "operations": self.operations,
                "violations": [v.to_dict() for v in self.violations], "unknown": self.unknown}

    def lines(self) -> Iterator[str]:
        return (v.line() for v in self.violations)


def _violation(request: ApiRequest, field_: str, message: str) -> FidelityViolation:
    return FidelityViolation(request.resource.name, request.resource.type, request.label, field_, message)


def _field_of(message: str) -> str:
    """The parameter path botocore's messages name ("... for parameter X.Y: ...", "... in X.Y: ...")."""
    for marker in ("for parameter ", "in ", "parameter "):
        if marker in message:
            tail = message.split(marker, 1)[1]
            return tail.split(":", 1)[0].split(",", 1)[0].strip().strip('"')
    return ""


def check_requests(requests: list[ApiRequest]) -> list[FidelityViolation]:
    """Validate each request whose parameters are all known against its model, and all of them against the
    documented rules (which skip what they cannot know yet, and follow references through dependencies)."""
    found = [
        _violation(r, _field_of(message), message)
        for r in requests
        if not has_unknown(r.params)
        for message in models.validate(r.service, r.operation, r.params)
    ]
    found += [_violation(r, field_, message) for r, field_, message in constraints.run_checks(requests)]
    return found


def check(run: ProgramRun) -> FidelityReport:
    """Check every resource's requests. In a preview run, a resource whose inputs are not all known is left out
    of the model validation (and listed in ``unknown``); the documented rules still judge what is known of it."""
    requests = requests_for(run.resources)
    report = FidelityReport(requests=len(requests))
    report.unknown = sorted(f"{r.type}::{r.name}" for r in run.resources if has_unknown(r.inputs))
    for r in requests:
        report.operations[r.label] = report.operations.get(r.label, 0) + 1
    # Sorted: registrations finish in no fixed order, and the same program must give the same report.
    report.operations = dict(sorted(report.operations.items()))
    report.violations = sorted(check_requests(requests),
                               key=lambda v: (v.resource_type, v.resource, v.field, v.operation, v.message))
    return report


__all__ = ["ApiRequest", "FidelityReport", "FidelityViolation", "check", "check_requests", "requests_for"]
