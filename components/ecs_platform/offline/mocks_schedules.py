"""AWS mock answers for the schedules resources (registered into :data:`ecs_platform.offline.mocks.COMPUTERS`)."""

from __future__ import annotations

from typing import Any, Callable

COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset()
"""Remote component types whose computer returns outputs only."""
