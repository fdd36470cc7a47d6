"""Test support for programs built on ecs_platform: realistic AWS mocks and an in-process engine."""

from .engine import ProgramRun, Registration, run, run_stack, stack_config
from .mocks import ACCOUNT_ID, AwsMocks

__all__ = ["ACCOUNT_ID", "AwsMocks", "ProgramRun", "Registration", "run", "run_stack", "stack_config"]
