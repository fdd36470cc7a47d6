"""How long `make test` takes: the README's test command, run several times in a row on this machine.

    venv/bin/python benchmarks/test_suite_benchmark.py [--runs 2] [--write docs/benchmarks.md]

Each run is `make test` itself (pytest-xdist, one worker per core, a test file's tests on one worker), one after
the other; the figures are wall seconds, the CPU seconds of the whole process tree and the pytest
summary line. Nothing here is a test: the suite's own speed is measured here and committed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import time
from datetime import date
from pathlib import Path

from sections import replace_section  # benchmarks/, first on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## The test suite"
TARGET_SECONDS = 60


def run_once() -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process tree, pytest's summary line) of one `make test`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "(no output)"
    if result.returncode != 0:
        raise SystemExit(f"the suite failed: {summary}")
    return wall, cpu, summary


def report(runs: list[tuple[float, float, str]]) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}: `make test` {len(runs)} times in a row with a warm venv. Reproduce with "
        "`venv/bin/python benchmarks/test_suite_benchmark.py --write docs/benchmarks.md`.",
        "",
        "| run | wall seconds | CPU seconds (all processes) | pytest |",
        "|---:|---:|---:|---|",
    ]
    lines += [f"| {i} | {wall:.1f} | {cpu:.1f} | {summary} |" for i, (wall, cpu, summary) in enumerate(runs, 1)]
    slowest = max(wall for wall, _, _ in runs)
    lines += [
        "",
        f"Slowest run {slowest:.1f} s against the target of {TARGET_SECONDS} s"
        f" ({'met' if slowest < TARGET_SECONDS else 'missed'}). The machine is a shared virtual machine: the same"
        " commit measured minutes apart varies by about 5%.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--write", type=Path, help=f"replace the '{SECTION}' section of this file")
    args = parser.parse_args()
    runs = [run_once() for _ in range(args.runs)]
    text = report(runs)
    print(text)
    if args.write:
        replace_section(args.write, SECTION, text)


if __name__ == "__main__":
    main()
