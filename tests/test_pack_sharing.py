"""A test session shares pack processes between plans (``share_packs``, turned on in conftest): a process a plan ended
cleanly with answers the next plan of the same pack and stack, which still makes the engine's whole sequence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_platform.toolchain import policy_runner
from ecs_platform.toolchain.policy_runner import PolicyPack, analyze

from .conftest import ROOT

PACK = ROOT / "policies"


def pack(stack: str = "dev", config: dict[str, str] | None = None) -> PolicyPack:
    return PolicyPack(PACK, project="ecs-platform", stack=stack, config=config or {"aws:region": "us-east-1"})


def started(each: PolicyPack) -> int:
    each.stub  # noqa: B018 - connects, so the session is one the pack answered
    assert each.process is not None
    return each.process.pid


def test_a_process_a_session_ended_cleanly_answers_the_next_one_of_the_same_stack() -> None:
    with pack() as first:
        pid = started(first)
    with pack() as second:
        assert started(second) == pid


@pytest.fixture
def per_stack():
    """Sharing as it is for a pack that may read its stack's environment (conftest vouches for this project's)."""
    policy_runner.share_packs(across_stacks=False)
    yield
    policy_runner.share_packs(across_stacks=True)


def test_a_process_is_not_shared_with_another_stacks_config(per_stack) -> None:
    with pack() as first:
        pid = started(first)
    with pack(config={"aws:region": "eu-west-1"}) as other:
        assert started(other) != pid


def test_a_process_is_not_shared_with_another_stack(per_stack) -> None:
    with pack() as first:
        pid = started(first)
    with pack(stack="prod") as other:
        assert started(other) != pid


def test_a_pack_vouched_for_shares_its_process_across_stacks() -> None:
    with pack(stack="dev") as first:
        pid = started(first)
    with pack(stack="prod", config={"aws:region": "eu-west-1"}) as other:
        assert started(other) == pid


def test_a_process_started_for_one_stack_judges_another_as_its_own_process_does(dev) -> None:
    # What conftest vouches for: the pack's rules read nothing of the environment a process starts with (project,
    # stack, dry run, stack config), so a process started for another stack reaches dev's verdicts.
    config = PACK / "config" / "prod.json"  # stricter than dev's: dev has findings under it
    policy_runner.share_packs(False)
    try:
        with PolicyPack(PACK, project="another-project", stack="prod", config={"aws:region": "eu-west-1"},
                        dry_run=False) as for_prod:
            borrowed = analyze(for_prod, dev, config)
        with PolicyPack(PACK, project=dev.project, stack=dev.stack, config={"aws:region": "us-east-1"}) as own:
            expected = analyze(own, dev, config)
    finally:
        policy_runner.share_packs(across_stacks=True)
    assert expected.violations, "dev has findings under prod's config to compare"
    assert borrowed.to_dict() == expected.to_dict()


def test_a_process_whose_session_raised_is_stopped_not_kept() -> None:
    with pytest.raises(RuntimeError):
        with pack(stack="raised") as first:
            started(first)
            process = first.process
            raise RuntimeError("the plan failed")
    assert process is not None and process.poll() is not None
    with pack(stack="raised") as second:
        assert started(second) != process.pid


def _edit(pack_dir: Path) -> None:
    config = pack_dir / "config" / "dev.json"
    config.write_text(config.read_text() + "\n")


@pytest.mark.parametrize("during_session", [False, True], ids=["between sessions", "during its session"])
def test_a_process_is_not_shared_once_its_pack_changed(tmp_path: Path, during_session: bool) -> None:
    # During its session, the process still runs the files it started with: it must not be kept for the new ones.
    import shutil

    copy = tmp_path / "policies"
    shutil.copytree(PACK, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    with PolicyPack(copy, project="ecs-platform", stack="dev", config={}) as first:
        pid = started(first)
        if during_session:
            _edit(copy)
    if not during_session:
        _edit(copy)
    with PolicyPack(copy, project="ecs-platform", stack="dev", config={}) as second:
        assert started(second) != pid


def test_a_shared_process_reaches_the_verdicts_a_new_one_does(dev) -> None:
    config = PACK / "config" / "prod.json"  # stricter than dev's: its verdicts differ from the last session's
    with PolicyPack(PACK, project=dev.project, stack=dev.stack, config={}) as first:
        lenient = analyze(first, dev, PACK / "config" / "dev.json")
    with PolicyPack(PACK, project=dev.project, stack=dev.stack, config={}) as second:
        strict = analyze(second, dev, config)
    policy_runner.share_packs(False)
    try:
        with PolicyPack(PACK, project=dev.project, stack=dev.stack, config={}) as fresh:
            expected = analyze(fresh, dev, config)
    finally:
        policy_runner.share_packs(across_stacks=True)
    assert strict.to_dict() == expected.to_dict()
    assert strict.to_dict() != lenient.to_dict()
