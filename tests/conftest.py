"""Shared fixtures: the real program run once per stack file under the package's AWS mocks.

The SDKs are imported where tests run (a pytest-xdist worker, or pytest without workers), not at import: the xdist
controller loads this file too, and importing pulumi_aws there only took a core from the starting workers."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ecs_platform.testing import ProgramRun

ROOT = Path(__file__).resolve().parent.parent


def _end_worker_without_teardown() -> None:
    """A pytest-xdist worker's last step: the exit handlers registered after this one (the idle pack processes'
    among them) have run, every result has reached the controller; tearing down an interpreter that holds all of
    pulumi_aws and the session's program runs took the controller two seconds of waiting, and achieves nothing.
    The console script ends the same way (ecs_platform.toolchain.cli.entry)."""
    from ecs_platform.toolchain.policy_runner import share_packs

    share_packs(False)  # no pack process outlives the session, whatever the order of exit handlers
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    # Exit handlers run last-registered first: those the session registers from here on run before this one.
    atexit.register(_end_worker_without_teardown)


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller: it runs no test
    from ecs_platform.offline.engine import share_runs
    from ecs_platform.toolchain.cli import GC_THRESHOLDS
    from ecs_platform.toolchain.policy_runner import share_packs

    # Many tests read the same stack's run (through the CLI, a fixture, a copy of the program): run it once per
    # test process and hand each caller its own copy.
    share_runs()
    # Many plans judge a stack with the same pack: a pack process a plan is done with answers the next one (it gets
    # the engine's whole sequence again, configuration first). The project's pack reads nothing of the stack's
    # environment, so one process serves every stack (tests/test_pack_sharing.py checks the verdicts are the same).
    share_packs(across_stacks=True)
    # The console script's garbage collection: rare, for a heap that holds the whole AWS SDK (ecs_platform.toolchain
    # .cli.GC_THRESHOLDS).
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (the SDKs, every test module) lives as long as the session: no collection needs to
    # walk it again.
    gc.freeze()


@pytest.fixture(scope="session")
def dev() -> ProgramRun:
    from ecs_platform.testing import run_stack

    return run_stack(ROOT, "dev")


@pytest.fixture(scope="session")
def prod() -> ProgramRun:
    from ecs_platform.testing import run_stack

    return run_stack(ROOT, "prod")


@pytest.fixture
def run_component() -> Callable[[Callable[[], Any]], ProgramRun]:
    """Run a small program (usually one component) under mocks in a throwaway stack."""

    from ecs_platform.testing import run

    def _run(program: Callable[[], Any], region: str = "us-east-1") -> ProgramRun:
        return run(program, project="test", stack="test", config={"aws:region": region})

    return _run
