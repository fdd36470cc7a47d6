"""The prod queue worker in the scaling rehearsal, before and after its tuning, against the goals of docs/rehearsal.md.

    venv/bin/python benchmarks/rehearsal_benchmark.py [--before REF] [--write docs/benchmarks.md]

"Before" is the program and components at REF (default: the commit before the worker was tuned), run in its own
process from a `git archive` of that commit; "after" is the working tree. Both are replayed by the current
rehearsal under the same assumptions: 20 tasks at most, 10 s per message, tasks start in 60 s.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from sections import replace_section  # benchmarks/, first on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "components"))

BEFORE = "7f31e3a"
"""The last commit with the worker's original scaling (and the rehearsal that measured it)."""
SCENARIOS = {
    "a handful at zero tasks": ["burst:20@0"],
    "50, then a 2,000 burst at minute 30": ["burst:50@0", "burst:2000@30"],
    "a trickle of 3 a minute for 2 hours": ["rate:3@0-120"],
    "the burst, Container Insights 90 s late": ["burst:50@0", "burst:2000@30"],
}
LIMIT = 2000 * 10 / 20 / 60 + 1
DUMP = """
import dataclasses, json, sys
sys.path.insert(0, sys.argv[1] + "/components")
from ecs_platform.offline import run_stack
run = run_stack(sys.argv[1], "prod")
print(json.dumps({"project": run.project, "stack": run.stack, "outputs": run.outputs,
                  "resources": [dataclasses.asdict(r) for r in run.resources]}))
"""


def registrations_at(ref: str) -> object:
    """The prod program's registrations at commit ``ref``, recorded by that commit's own components."""
    from ecs_platform.offline import ProgramRun, Registration

    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as work:
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(work)  # noqa: S202 - our own repository
        dumped = subprocess.run([sys.executable, "-c", DUMP, work], capture_output=True, text=True, check=True)
    data = json.loads(dumped.stdout.strip().splitlines()[-1])
    return ProgramRun(project=data["project"], stack=data["stack"], outputs=data["outputs"],
                      resources=[Registration(**r) for r in data["resources"]])


def measure(run: object) -> dict[str, dict]:
    from ecs_platform.toolchain.rehearsal import Assumptions, Traffic, read_worker, rehearse

    worker = read_worker(run, "orders")
    results = {}
    for name, specs in SCENARIOS.items():
        late = Assumptions(insights_delay_seconds=90) if "late" in name else Assumptions()
        results[name] = rehearse(worker, [Traffic.parse(s) for s in specs], late).summary
    return results


def table(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    rows = [
        ("wake, 20 messages at zero tasks (min)", "a handful at zero tasks", "wakeMinutes", "at most 2"),
        ("drain of the 2,000 burst (min)", "50, then a 2,000 burst at minute 30", "drainMinutes",
         f"at most {1.15 * LIMIT:.1f} (1.15 x {LIMIT:.1f})"),
        ("task-minutes / work-minutes", "50, then a 2,000 burst at minute 30", "costToWork", "at most 1.3"),
        ("task-minutes for the burst", "50, then a 2,000 burst at minute 30", "taskMinutes", ""),
        ("flaps, trickle of 3 a minute, 2 h", "a trickle of 3 a minute for 2 hours", "flaps", "at most 2"),
        ("longest wait, trickle (min)", "a trickle of 3 a minute for 2 hours", "maxWaitMinutes", ""),
        ("messages interrupted by a scale-in", "50, then a 2,000 burst at minute 30", "interruptedMessages", "0"),
        ("wake-ups while tasks run, CI 90 s late", "the burst, Container Insights 90 s late",
         "wakeActionsWhileRunning", "0"),
    ]
    lines = ["| measure | before | after | goal |", "|---|---:|---:|---|"]
    for label, scenario, key, goal in rows:
        lines.append(f"| {label} | {before[scenario][key]} | {after[scenario][key]} | {goal} |")
    return lines


def section(before_ref: str, before: dict, after: dict) -> str:
    return "\n".join([
        "## Scaling rehearsal",
        "",
        f"The prod worker `orders` replayed by `ecs-platform rehearse` (20 tasks at most, 10 s per message, tasks start "
        f"in 60 s; docs/rehearsal.md), before its tuning (commit {before_ref}) and after. Reproduce with "
        "`venv/bin/python benchmarks/rehearsal_benchmark.py --write docs/benchmarks.md`.",
        "",
        *table(before, after),
        "",
        "Before: the wake-up alarm added one task, scale-in removed one task every two minutes after three empty "
        "samples, so a drained burst kept paying for its tasks and a trickle whose samples caught an empty queue went "
        "0 -> 1 -> 0 again and again. After: the wake-up starts tasks for the backlog it finds and is confirmed by "
        "SQS, scale-in waits until nothing is visible, in flight or sent for `idleMinutes` and goes straight to the "
        "minimum, and a step adds 10 tasks from 1,000 messages.",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help=f"commit of the 'before' program (default {BEFORE})")
    parser.add_argument("--write", type=Path, help="replace the '## Scaling rehearsal' section of this file")
    args = parser.parse_args()
    from ecs_platform.offline import run_stack

    before = measure(registrations_at(args.before))
    after = measure(run_stack(ROOT, "prod"))
    text = section(args.before, before, after)
    print(text)
    if args.write:
        replace_section(args.write, "## Scaling rehearsal", text)


if __name__ == "__main__":
    main()
