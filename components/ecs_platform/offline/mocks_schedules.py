"""AWS mock answers for the schedules resources (registered into :data:`ecs_platform.offline.mocks.COMPUTERS`).

An EventBridge Scheduler schedule answers as CreateSchedule and the provider leave it: the provider's auto-name
(`<logical name>-<7 hex>`, chosen at Check, so a first preview knows it) when the program gives none, the group it
joined (`default` unless named), the id the provider records (`<group>/<name>`) and the ARN
`arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>` (Service Authorization Reference, EventBridge
Scheduler resource types).
"""

from __future__ import annotations

from typing import Any, Callable

from .mock_context import _Ctx, physical_name

SCHEDULE = "aws:scheduler/schedule:Schedule"
DEFAULT_GROUP = "default"
"""The group CreateSchedule puts a schedule in when it names none."""


def _schedule(c: _Ctx) -> tuple[str, dict[str, Any]]:
    # As mocks.py's _Ctx does for the AUTO_NAMED types (this one is not listed there): the auto-name goes into the
    # inputs, where a preview keeps it.
    if not c.inputs.get("name"):
        prefix = c.inputs.get("namePrefix")
        c.inputs["name"] = f"{prefix}{c.hex(26)}" if prefix else physical_name(c.name, c.seed)
    name = c.inputs["name"]
    group = c.inputs.get("groupName") or DEFAULT_GROUP
    return f"{group}/{name}", {"arn": c.arn("scheduler", f"schedule/{group}/{name}"), "groupName": group}


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    SCHEDULE: _schedule,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
"""Remote component types whose computer returns outputs only."""
AUTO_NAMED: dict[str, str] = {}
"""Auto-named types of this module (none beyond mock_context's)."""
