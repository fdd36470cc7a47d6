"""A PNG of a rehearsal: messages, tasks and alarm states over time (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .simulate import Result


def plot(result: Result, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = result.series
    minutes = [p["minute"] for p in series]
    figure, (messages, tasks, alarms) = plt.subplots(
        3, 1, sharex=True, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 2, 1.4]})
    figure.suptitle(title, fontsize=11)

    messages.plot(minutes, [p["visible"] for p in series], label="visible", color="tab:blue")
    messages.plot(minutes, [p["inFlight"] for p in series], label="in flight", color="tab:orange")
    messages.set_ylabel("messages")
    # A small burst before a large one stays visible: linear up to 10, logarithmic above.
    messages.set_yscale("symlog", linthresh=10)
    messages.legend(loc="upper right", fontsize=8)
    messages.grid(alpha=0.3)

    tasks.step(minutes, [p["desired"] for p in series], where="post", label="desired", color="tab:gray",
               linestyle="--")
    tasks.step(minutes, [p["running"] for p in series], where="post", label="running", color="tab:green")
    tasks.set_ylabel("tasks")
    tasks.legend(loc="upper right", fontsize=8)
    tasks.grid(alpha=0.3)

    names = result.alarms
    idle = set(getattr(result, "scale_in_alarms", []))
    for row, name in enumerate(names):
        spans = _alarm_spans(series, name)
        # A scale-in alarm is in ALARM whenever the worker is idle, as designed: drawn as the resting state it is.
        alarms.broken_barh(spans, (row - 0.35, 0.7), color="tab:gray" if name in idle else "tab:red",
                           alpha=0.35 if name in idle else 1.0)
    alarms.set_yticks(range(len(names)), [_short(n) for n in names], fontsize=7)
    alarms.set_ylim(-0.6, max(len(names) - 0.4, 0.6))
    alarms.set_xlabel("minute")
    alarms.set_title("alarms in ALARM (red: acting; gray: a scale-in alarm at rest while the worker is idle)",
                     fontsize=8, loc="left")

    summary = result.summary
    text = (f"wake {summary['wakeMinutes']} min · drain {summary['drainMinutes']} min · peak {summary['peakTasks']} "
            f"tasks · {summary['taskMinutes']} task-min for {summary['workMinutes']} min of work · "
            f"{summary['flaps']} flaps · {summary['interruptedMessages']} interrupted")
    figure.text(0.01, 0.005, text, fontsize=8)
    figure.tight_layout(rect=(0, 0.02, 1, 0.97))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _alarm_spans(series: list[dict[str, Any]], name: str) -> list[tuple[float, float]]:
    spans = []
    for point in series:
        if point["alarms"].get(name) == "ALARM":
            spans.append((point["minute"] - 1, 1.0))
    return spans


def _short(name: str) -> str:
    """An alarm name without Pulumi's random suffix."""
    head, _, tail = name.rpartition("-")
    return head if head and len(tail) == 7 else name


def plot_rollout(result: Any, path: Path, title: str) -> None:
    """A deployment: old and new tasks, the new revision's share of the traffic, and the minute `pulumi up` stops
    waiting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = result.series
    minutes = [p["minute"] for p in series]
    figure, (tasks, traffic) = plt.subplots(2, 1, sharex=True, figsize=(11, 6), gridspec_kw={"height_ratios": [3, 2]})
    figure.suptitle(title, fontsize=11)
    tasks.step(minutes, [p["oldTasks"] for p in series], where="post", label="old revision", color="tab:gray",
               linewidth=4, alpha=0.5)
    tasks.step(minutes, [p["newTasks"] for p in series], where="post", label="new revision running",
               color="tab:blue")
    tasks.step(minutes, [p["newHealthy"] for p in series], where="post", label="new revision healthy",
               color="tab:green", linestyle="--")
    tasks.set_ylabel("tasks")
    tasks.legend(loc="upper right", fontsize=8)
    tasks.grid(alpha=0.3)
    traffic.step(minutes, [p["newTrafficPercent"] for p in series], where="post", color="tab:purple")
    traffic.set_ylabel("% traffic to new")
    traffic.set_ylim(-5, 105)
    traffic.set_xlabel("minute")
    traffic.grid(alpha=0.3)
    timeout = result.summary["timeoutMinutes"]
    if timeout is not None:
        for axis in (tasks, traffic):
            axis.axvline(timeout, color="tab:red", linestyle=":")
        traffic.text(timeout, 50, " pulumi up gives up", color="tab:red", fontsize=8)
    summary = result.summary
    figure.text(0.01, 0.005, f"{summary['strategy'].lower()} · {summary['tasks']} tasks · "
                             f"{summary['deployMinutes']} min · fits: {summary['fits']}", fontsize=8)
    figure.tight_layout(rect=(0, 0.02, 1, 0.97))
    figure.savefig(path, dpi=110)
    plt.close(figure)
