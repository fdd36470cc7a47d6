"""Documented AWS rules for ecr requests the service models do not carry."""

from __future__ import annotations

from .base import Finding, Stack, rule  # noqa: F401 - used by the rules added here
