"""The offline engine: runs a Pulumi Python program in-process under AWS mocks, the way the Pulumi engine would run
it (config as the CLI passes it, the stack resource, default providers, a first preview's unknowns), and records
every registration. The plan, the deploy-fidelity check, the policy runner and the tests all stand on it.

It needs nothing beyond the components' own dependencies (pulumi, PyYAML), so consumers' unit tests can use it
through :mod:`ecs_platform.testing` without the toolchain extra.
"""

from .engine import ProgramRun, Registration, has_unknown, run, run_stack, stack_config
from .mocks import ACCOUNT_ID, UNKNOWN, AwsMocks
from .stack_file import StackFileError, project_name, read_stack_config

__all__ = [
    "ACCOUNT_ID", "UNKNOWN", "AwsMocks", "ProgramRun", "Registration", "StackFileError", "has_unknown",
    "project_name", "read_stack_config", "run", "run_stack", "stack_config",
]
