"""The scaling rehearsal: its replay semantics on small hand-checked cases, a raw pulumi_aws program, and the
prod worker's goals (docs/benchmarks.md)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ecs_platform.offline import run_stack
from ecs_platform.toolchain.cli import main
from ecs_platform.toolchain.rehearsal import Assumptions, ScenarioError, Traffic, read_worker, rehearse
from ecs_platform.toolchain.rehearsal.metric_math import Expression
from ecs_platform.toolchain.rehearsal.model import Alarm, Metric, Query, Step, StepPolicy, Worker

from .conftest import ROOT

RAW = ROOT / "tests" / "fixtures" / "raw_worker"
VISIBLE = Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", "q"),), "Maximum", 60)
TASKS = Metric("ECS/ContainerInsights", "RunningTaskCount", (("ServiceName", "svc"),), "Maximum", 60)


def worker(*alarms: Alarm, policies: tuple[StepPolicy, ...] = (), min_tasks: int = 0, max_tasks: int = 10,
           visibility: int = 300, desired: int = 0) -> Worker:
    return Worker(service="svc", cluster="c", queue="q", visibility_timeout=visibility, max_receive_count=None,
                  desired=max(desired, min_tasks), min_tasks=min_tasks, max_tasks=max_tasks, strategy=[("FARGATE", 1, 0)],
                  stop_timeout=120, alarms=list(alarms), step_policies={p.name: p for p in policies})


def visible_alarm(threshold: float = 0, comparison: str = "GreaterThanThreshold", periods: int = 1,
                  policy: str = "up") -> Alarm:
    return Alarm(name=f"{policy}-alarm", queries=[Query("m", metric=VISIBLE, returns=True)], threshold=threshold,
                 comparison=comparison, evaluation_periods=periods, datapoints_to_alarm=periods,
                 treat_missing="notBreaching", period=60, policies=[policy])


def add(tasks: int = 1, cooldown: int = 0, name: str = "up") -> StepPolicy:
    return StepPolicy(name, "ChangeInCapacity", [Step(0, None, tasks)], cooldown)


def scale_ups(result) -> list[tuple[float, int]]:
    return [(e.second, e.after) for e in result.events if e.after > e.before]


# Hand-checked replay semantics ----------------------------------------------------------------------------------


def test_an_alarm_acts_when_its_minute_ends_and_the_task_runs_after_its_start_time() -> None:
    result = rehearse(worker(visible_alarm(), policies=(add(),)), [Traffic.parse("burst:10@0")], minutes=10)
    assert scale_ups(result)[0] == (60.0, 1)
    assert result.summary["wakeMinutes"] == 2.0


def test_an_alarm_in_alarm_invokes_its_policy_every_minute_within_the_cooldown() -> None:
    result = rehearse(worker(visible_alarm(), policies=(add(cooldown=180),)), [Traffic.parse("burst:2000@0")],
                      minutes=8)
    assert [t for t, _ in scale_ups(result)][:2] == [60.0, 240.0]


def test_m_of_n_waits_for_enough_breaching_datapoints() -> None:
    result = rehearse(worker(visible_alarm(periods=3), policies=(add(),)), [Traffic.parse("burst:2000@0")], minutes=6)
    assert scale_ups(result)[0][0] == 180.0


def test_a_metric_delay_postpones_the_alarm_by_as_much() -> None:
    result = rehearse(worker(visible_alarm(), policies=(add(),)), [Traffic.parse("burst:10@0")],
                      Assumptions(metric_delay_seconds=60), minutes=10)
    assert scale_ups(result)[0][0] == 120.0


def test_a_step_follows_its_alarms_side_of_the_threshold_not_the_sign_of_the_value() -> None:
    # Above the threshold [0, +inf) holds the threshold itself; below it (-inf, 0] does (tests/test_conformance.py).
    assert Step(0, None, 1).contains(0, above=True) and not Step(0, None, 1).contains(0, above=False)
    assert Step(None, 0, -1).contains(0, above=False) and not Step(None, 0, -1).contains(0, above=True)


def test_stopping_a_busy_task_interrupts_its_message_which_returns_after_the_visibility_timeout() -> None:
    # Scale to zero every minute the queue is below 1000: the one task stops mid-message.
    down = StepPolicy("down", "ExactCapacity", [Step(None, 0, 0)], 0)
    result = rehearse(worker(visible_alarm(1000, "LessThanOrEqualToThreshold", policy="down"), policies=(down,),
                             desired=1, visibility=120),
                      [Traffic.parse("burst:30@0")], Assumptions(seconds_per_message=100), minutes=6)
    assert result.summary["interruptedMessages"] == 1
    back = [p for p in result.series if p["minute"] in (1, 3)]
    assert back[0]["inFlight"] == 1 and back[1]["visible"] == 30 and back[1]["inFlight"] == 0


def test_fill_repeat_takes_the_latest_earlier_datapoint() -> None:
    expression = Expression("FILL(tasks, REPEAT)")
    assert expression({"tasks": None}, lambda _: 3.0) == 3.0
    assert Expression("IF(FILL(tasks, 0) < 1 AND visible > 0, visible, 0)")({"tasks": None, "visible": 7.0}) == 7.0
    assert Expression("visible / tasks")({"visible": 5.0, "tasks": 0.0}) is None


@pytest.mark.parametrize("spec", ["burst:20", "rate:3@10-5", "trickle:3@0-10", "burst:x@1"])
def test_a_scenario_that_is_not_burst_or_rate_is_refused(spec: str) -> None:
    with pytest.raises(ScenarioError, match="burst:N@M"):
        Traffic.parse(spec)


def test_a_rate_spreads_its_messages_over_each_minute() -> None:
    assert Traffic.parse("rate:3@0-1").arrivals() == [10.0, 30.0, 50.0]


# Programs -------------------------------------------------------------------------------------------------------


def test_the_common_guides_alarm_pair_never_wakes_for_20_messages() -> None:
    raw = read_worker(run_stack(RAW, "test"), "jobs")
    result = rehearse(raw, [Traffic.parse("burst:20@0")])
    assert result.summary["wakeMinutes"] is None and result.summary["processed"] == 0


@pytest.fixture(scope="module")
def orders():
    return read_worker(run_stack(ROOT, "prod"), "orders")


@pytest.fixture(scope="module")
def orders_backlog(tmp_path_factory):
    directory = tmp_path_factory.mktemp("backlog")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    steps = "      scaling: {mode: steps, minTasks: 0, maxTasks: 20}"
    assert steps in text
    backlog = ("      scaling: {mode: backlog, minTasks: 0, maxTasks: 20, secondsPerMessage: 10, "
               "acceptableLatencySeconds: 300}")
    (directory / "Pulumi.prod.yaml").write_text(text.replace(steps, backlog))
    return read_worker(run_stack(directory, "prod"), "orders")


GOAL_LIMIT = 2000 * 10 / 20 / 60 + 1
"""Minutes 20 tasks need for 2,000 messages of 10 s each, plus one task start."""


@pytest.mark.parametrize("mode", ["steps", "backlog"])
def test_the_worker_wakes_within_two_minutes_for_a_handful_of_messages(request, mode: str) -> None:
    subject = request.getfixturevalue("orders" if mode == "steps" else "orders_backlog")
    assert rehearse(subject, [Traffic.parse("burst:20@0")]).summary["wakeMinutes"] <= 2.0


@pytest.mark.parametrize("mode", ["steps", "backlog"])
def test_a_burst_drains_near_the_limit_and_costs_near_its_work(request, mode: str) -> None:
    subject = request.getfixturevalue("orders" if mode == "steps" else "orders_backlog")
    summary = rehearse(subject, [Traffic.parse("burst:50@0"), Traffic.parse("burst:2000@30")]).summary
    assert summary["drainMinutes"] <= 1.15 * GOAL_LIMIT
    assert summary["taskMinutes"] <= 1.3 * summary["workMinutes"]
    assert summary["interruptedMessages"] == 0


@pytest.mark.parametrize("mode", ["steps", "backlog"])
def test_a_steady_trickle_does_not_flap(request, mode: str) -> None:
    subject = request.getfixturevalue("orders" if mode == "steps" else "orders_backlog")
    summary = rehearse(subject, [Traffic.parse("rate:3@0-120")]).summary
    assert summary["flaps"] <= 2 and summary["interruptedMessages"] == 0


def test_a_late_container_insights_datapoint_does_not_wake_a_running_worker(orders) -> None:
    late = Assumptions(insights_delay_seconds=90)
    summary = rehearse(orders, [Traffic.parse("burst:50@0"), Traffic.parse("burst:2000@30")], late).summary
    assert summary["wakeActionsWhileRunning"] == 0


def test_the_former_one_period_fill_wake_alarm_adds_tasks_while_they_run_on_a_late_datapoint() -> None:
    """Why the wake-up alarm also asks SQS: FILL(tasks, 0) alone reads a late datapoint as no task."""
    queries = [Query("visible", metric=VISIBLE), Query("tasks", metric=TASKS),
               Query("wake", expression=Expression("IF(FILL(tasks, 0) < 1 AND visible > 0, 1, 0)"), returns=True)]
    wake = Alarm("svc-wake", queries, 0, "GreaterThanThreshold", 1, 1, "notBreaching", 60, ["wake"])
    subject = worker(wake, policies=(add(name="wake"),))
    summary = rehearse(subject, [Traffic.parse("rate:30@0-20")], Assumptions(insights_delay_seconds=90),
                       minutes=20).summary
    assert summary["wakeActionsWhileRunning"] > 0


# The command ---------------------------------------------------------------------------------------------------


def test_rehearse_writes_the_summary_the_series_and_a_plot(tmp_path: Path, capsys) -> None:
    out, picture = tmp_path / "orders.json", tmp_path / "orders.png"
    assert main(["rehearse", "--stack", "prod", "--dir", str(ROOT), "--worker", "orders", "--scenario",
                 "burst:20@0", "--minutes", "30", "--json", str(out), "--plot", str(picture)]) == 0
    report = json.loads(out.read_text())
    assert {"wakeMinutes", "drainMinutes", "peakTasks", "taskMinutes", "interruptedMessages", "flaps"} <= set(
        report["summary"])
    assert len(report["series"]) == 30 and {"visible", "inFlight", "desired", "running", "alarms"} <= set(
        report["series"][0])
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    assert "wakeMinutes" in capsys.readouterr().out

    def keys(value: object, inside_alarms: bool = False) -> set[str]:
        """Every key of the report, but the alarm names the series is keyed by."""
        if isinstance(value, dict):
            own = set() if inside_alarms else set(value)
            return own | {k for key, v in value.items() for k in keys(v, key == "alarms")}
        if isinstance(value, list):
            return {k for item in value for k in keys(item)}
        return set()

    assert [k for k in keys(report) if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", k)] == []  # camelCase throughout


def test_rehearse_works_on_a_raw_program_from_the_command_line(capsys) -> None:
    assert main(["rehearse", "--stack", "test", "--dir", str(RAW), "--worker", "jobs", "--scenario",
                 "burst:20@0"]) == 0
    assert "wakeMinutes              never" in capsys.readouterr().out


@pytest.mark.parametrize("args, mentions", [
    (["--worker", "nobody", "--scenario", "burst:1@0"], "--worker nobody"),
    (["--worker", "orders", "--scenario", "flood:1@0"], "--scenario flood:1@0"),
    (["--worker", "orders", "--scenario", "burst:1@0", "--seconds-per-message", "0"], "--seconds-per-message"),
])
def test_rehearse_refuses_a_mistake_in_one_line(args: list[str], mentions: str, capsys) -> None:
    assert main(["rehearse", "--stack", "prod", "--dir", str(ROOT), *args]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and mentions in error


RAW_WAKE = ROOT / "tests" / "fixtures" / "raw_wake_worker"


def test_a_raw_program_whose_wake_alarm_sits_exactly_at_its_threshold_wakes_for_20_messages() -> None:
    # IF(...) is 1 and the threshold 1 (GreaterThanOrEqualToThreshold): the step [0, +inf) contains it.
    result = rehearse(read_worker(run_stack(RAW_WAKE, "test"), "jobs"), [Traffic.parse("burst:20@0")], minutes=30)
    assert result.summary["wakeMinutes"] is not None and result.summary["wakeMinutes"] <= 3
    assert result.summary["processed"] == 20


def test_the_scale_in_alarm_is_known_as_the_one_in_alarm_while_the_worker_idles(orders) -> None:
    # The plot draws it as the worker's resting state, not as trouble.
    result = rehearse(orders, [Traffic.parse("burst:5@0")], minutes=20)
    assert [name.rsplit("-", 1)[0] for name in result.scale_in_alarms] == ["orders-scale-in"]
