"""Programs run on the engine's own thread: the SDK captures the whole Python stack at each registration, so the
program's stack starts with the program whoever calls it, and what the program raises reaches the caller as raised."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import pulumi_aws as aws

from ecs_platform.testing import run


def _run(program: Any) -> Any:
    return run(program, project="test", stack="test", config={"aws:region": "us-east-1"})


def _queues(result: Any) -> list[str]:
    return [r.name for r in result.resources if r.type == "aws:sqs/queue:Queue"]


def _from_deep(depth: int, call: Any) -> Any:
    return call() if depth == 0 else _from_deep(depth - 1, call)


def test_a_programs_stack_starts_with_the_program_however_deep_its_caller() -> None:
    seen: list[list[str]] = []

    def program() -> None:
        seen.append([frame.name for frame in traceback.extract_stack()])
        aws.sqs.Queue("q")

    result = _from_deep(100, lambda: _run(program))
    assert _queues(result) == ["q"]
    (frames,) = seen
    assert "_from_deep" not in frames
    assert len(frames) < 30, frames


def test_what_a_program_raises_reaches_the_caller_as_raised() -> None:
    raised = ValueError("the program's own error")

    def program() -> None:
        aws.sqs.Queue("q")
        raise raised

    with pytest.raises(ValueError) as caught:
        _run(program)
    assert caught.value is raised


def test_a_run_started_by_a_program_does_not_wait_for_itself() -> None:
    # The program thread runs it at once instead of queueing it behind the run that started it.
    inner: list[Any] = []

    def program() -> None:
        inner.append(_run(lambda: aws.sqs.Queue("inner")))

    _run(program)
    assert _queues(inner[0]) == ["inner"]
