"""Benchmarks of the offline plan. Results go to docs/benchmarks.md; nothing here is a test.

    venv/bin/python benchmarks/plan_benchmark.py [--runs 5] [--write docs/benchmarks.md]

1. The plan of the prod stack, whole process, against a floor measured in the same run: a Python process that only
   imports pulumi and the pulumi_aws / pulumi_awsx modules the program uses.
2. Growth: plans of generated stacks with 1, 10 and 100 services and as many workers (time, time per additional
   resource, peak memory).
3. The policy runner over the 100-service stack (analysis time per 1,000 resources).
4. A profile of the 100-service plan, so that any optimisation starts from where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLAN = [str(BIN / "ecs-platform"), "plan"]

# Runs a command and prints its wall time and the peak RSS of the process tree's largest process.
MEASURE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


FINDINGS = """## Findings

- Where the prod plan's time went (a timeline of the process, cProfile and py-spy), and what was done about it:
  garbage collection walking the loaded SDK, five full collections and about a fifth of the plan (the console
  script raises the collector's thresholds); the whole of pulumi_aws loaded before anything else, because the
  package imported every component and the fidelity rules imported the scheduled task (components are now
  imported when first used, the schedule checks live in `ecs_platform.schedules`); the policy pack started only
  once the toolchain had loaded, and answered for a third of a second after the program (the console script starts
  it at once and works out fidelity and cost while it finishes; a second pack process takes registrations when the
  first falls 48 behind); botocore's client and documentation machinery (its loader alone now, after the program);
  stack files composed by PyYAML's pure-Python composer (libyaml, where the text defines no anchor).
- What the plan still adds to the SDK's own run of the program: the policy pack's analysis that outlasts the
  program, settings validation (pydantic), the toolchain's modules, fidelity, cost and the report. The prod ratio
  against the plain floor is in the first table; against a floor with the same garbage collector settings it is
  higher, because the floor gains from them too (both are shown: the target was set against the plain floor).
- Where the prod plan's last half second goes (a timeline of the console script, 2026-12-06): the first
  registration comes about 1.0 s in and the program is done about 1.4 s in, 173 registrations in 0.4 s; fidelity
  then takes 0.03 s (it read and decoded eleven botocore service models for 0.18 s before each operation's cut of
  them was cached per botocore version) and cost under 0.01 s; the pack processes still have 0.3 to 0.35 s of
  Remediate and Analyze to answer, and AnalyzeStack takes 0.1 s. The tail is CPU, not latency: during the
  registration burst the program takes one core while two pack processes and the runner's gRPC threads share the
  other (each resource costs the pack about 1 ms of the SDK's per-policy conversion and two round trips of about
  0.75 ms, as the engine makes them). Starting both pack processes at once delayed the program's imports by 0.1 s
  and ended no sooner; a shorter thread switch interval gained under 0.05 s. Reaching 1.3x would need the plan to
  end within about 0.3 s of the bare program's run, which the policy SDK's per-resource cost does not allow on two
  cores through its public API.
- Per added resource the plan's own work is a small fraction of the SDK's: the SDK's registration path (asyncio
  tasks, Output objects, property transfer, a stack trace per resource) is what a bigger stack costs.
- Policy analysis is bound by the policy SDK converting every resource once per policy (once per resource policy
  in each Analyze, once per stack policy in AnalyzeStack). The pack cannot avoid it through the SDK's public API
  without merging policies (which would lose one policy, level and config per control), and an earlier attempt to
  cache it inside the SDK's private analyzer module broke `Remediate`. What the plan can do through public APIs it
  does: up to two pack processes share a big stack's registrations (each resource entirely in one of them, so the
  verdicts are one process's), which keeps the analysis close behind the program on a two-core machine.
- Figures move by 10 to 20% between runs on this two-core virtual machine (the floor alone ranged from 1.3 to
  1.9 s on the day of these measurements); the floor and the plan are therefore measured in alternating runs.
"""


def alternating(commands: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median wall seconds and peak MiB of each command, run in turn ``runs`` times (floor, plan, floor, plan...),
    so that a machine slowing down or speeding up weighs on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # once unmeasured: bytecode written, files in the page cache
        subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    for _ in range(runs):
        for name, command in commands.items():
            out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
            seconds, kib = out.stdout.split()
            times[name].append(float(seconds))
            peaks[name].append(int(kib) / 1024)
    return {name: (statistics.median(times[name]), statistics.median(peaks[name])) for name in commands}


def program_floor_script(directory: Path, stack: str) -> str:
    """The floor, then the program run under the Pulumi SDK's own MockMonitor with the package's mocks, recording
    nothing, with the console script's garbage collector settings: the least a plan of this stack can take."""
    return textwrap.dedent(f"""\
        import gc, runpy
        from ecs_platform.toolchain.cli import GC_THRESHOLDS
        gc.set_threshold(*GC_THRESHOLDS)
        import pulumi
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await
        from ecs_platform.offline import AwsMocks, engine, stack_config
        directory = {str(directory)!r}
        config = stack_config(directory + "/Pulumi.{stack}.yaml", "ecs-platform")
        monitor = pulumi.runtime.mocks.MockMonitor(AwsMocks())
        with engine._engine_environment(config, engine.Path(directory)):
            pulumi.runtime.set_mocks(monitor.mocks, project="ecs-platform", stack={stack!r}, preview=False,
                                     monitor=monitor)
            _sync_await(run_pulumi_func(lambda: runpy.run_path(directory + "/__main__.py", run_name="__main__")))
        import os; os._exit(0)
        """)


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median peak MiB over `runs` runs."""
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
        seconds, kib = out.stdout.split()
        times.append(float(seconds))
        peaks.append(int(kib) / 1024)
    return statistics.median(times), statistics.median(peaks)


def _module(type_token: str) -> tuple[str, str]:
    """pulumi_aws / pulumi_awsx module and class of a Pulumi type token (aws:ecs/taskDefinition:TaskDefinition)."""
    package, module, name = type_token.split(":")
    root = {"aws": "pulumi_aws", "awsx": "pulumi_awsx"}[package]
    if package == "pulumi":
        raise ValueError(type_token)
    folder = module.split("/")[0]
    return f"{root}.{folder}" if folder != "index" else root, name


def floor_script(types: set[str]) -> str:
    """Import pulumi and every resource class and invoke the program uses, and nothing else."""
    lines = ["import pulumi", "import pulumi_aws", "import pulumi_awsx"]
    for type_token in sorted(types):
        if type_token.startswith(("aws:", "awsx:")):
            module, name = _module(type_token)
            lines.append(f"import {module}; {module}.{name}")
    lines.append("pulumi_aws.Provider")
    for invoke in ("get_availability_zones", "get_caller_identity", "get_region", "get_partition"):
        lines.append(f"pulumi_aws.{invoke}")
    lines.append("pulumi_aws.elb.get_service_account")
    return "\n".join(lines) + "\n"


def generated_program(directory: Path, count: int) -> Path:
    """The project's program with a stack file of `count` services and `count` workers."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "policies", directory / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    stack = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = stack["config"]
    config["ecs-platform:services"] = {
        f"svc{i:03d}": {"image": "example/app:1.0", "cpu": 256, "memory": 512, "pathPatterns": [f"/svc{i:03d}/*"],
                        "priority": i + 1, "desiredCount": 2, "autoscaling": {"minTasks": 2, "maxTasks": 4},
                        "user": "1000", "scratchPaths": ["/tmp"]}
        for i in range(count)
    }
    config["ecs-platform:workers"] = {
        f"wrk{i:03d}": {"image": "example/worker:1.0", "user": "1000", "scratchPaths": ["/tmp"]}
        for i in range(count)
    }
    (directory / "Pulumi.bench.yaml").write_text(yaml.safe_dump(stack))
    return directory


def resource_count(directory: Path, stack: str) -> int:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([*PLAN, "--stack", stack, "--dir", str(directory), "--json", out.name],
                       stdout=subprocess.DEVNULL, check=True)
        return int(json.loads(Path(out.name).read_text())["resources"]["count"])


def policy_timing(directory: Path) -> tuple[int, float, float]:
    """(registrations analyzed, seconds of analysis of a finished run, seconds the plan waits for policy after the
    program: the plan streams Remediate and Analyze calls while the program runs, so what is left is the tail of
    that stream and AnalyzeStack)."""
    from ecs_platform.toolchain.policy_runner import Analysis, PolicyPack, Shards
    from ecs_platform.offline import run_stack

    config = directory / "policies" / "config" / "prod.json"
    run = run_stack(directory, "bench")
    registrations = [run.root, *run.resources]
    with PolicyPack(directory / "policies", project=run.project, stack=run.stack, config={}) as pack:
        session = Analysis(pack, config, project=run.project, stack=run.stack)
        session.configured.wait()
        started = time.perf_counter()
        for resource in registrations:
            session.on_register(resource)
        report = session.finish(run).result()
        standalone = time.perf_counter() - started
    assert not report.mandatory, report.mandatory[:3]
    def start(first: bool) -> PolicyPack:
        return PolicyPack(directory / "policies", project=run.project, stack=run.stack, config={})

    # As the console script plans: up to two pack processes, the second when the first falls behind.
    with Shards(start, config, project=run.project, stack=run.stack, processes=min(2, os.cpu_count() or 1)) as shards:
        streamed = run_stack(directory, "bench", on_register=shards.on_register)
        started = time.perf_counter()
        shards.finish(streamed).result()
        after_program = time.perf_counter() - started
    return len(registrations), standalone, after_program


def sdk_baseline(directory: Path) -> tuple[int, float]:
    """(resources, seconds) of the same program under the Pulumi SDK's own MockMonitor with the package's mocks,
    recording nothing: what registering the resources costs before the plan does anything with them."""
    import runpy

    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from ecs_platform.offline import AwsMocks, engine, stack_config

    config = stack_config(directory / "Pulumi.bench.yaml", "ecs-platform")
    monitor = pulumi.runtime.mocks.MockMonitor(AwsMocks())
    with engine._engine_environment(config, directory):
        pulumi.runtime.set_mocks(monitor.mocks, project="ecs-platform", stack="bench", preview=False, monitor=monitor)
        started = time.perf_counter()
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(directory / "__main__.py"), run_name="__main__")))
        return len(monitor.resources), time.perf_counter() - started


def profile(directory: Path) -> str:
    from ecs_platform.offline import engine
    from ecs_platform.toolchain.plan import build_plan

    profiler = cProfile.Profile()

    def plan() -> None:
        profiler.enable()
        build_plan(directory, "bench")
        profiler.disable()

    # cProfile sees one thread; the program runs on the engine's program thread, and a plan started there runs
    # there whole (as on the main thread before), so the profile holds the program and the plan's own work.
    engine._on_program_thread(plan)
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(12)
    rows = [line for line in buffer.getvalue().splitlines() if re.match(r"\s+\d", line)]
    return "\n".join(re.sub(r"/\S*/site-packages/", "", re.sub(str(ROOT) + "/", "", row)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="write the results as Markdown to this file")
    args = parser.parse_args()
    # Every process measured reads compiled bytecode, as an installed package's do: where the environment forbids
    # writing it (PYTHONDONTWRITEBYTECODE), each plan would compile the package from source again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    sys.path.insert(0, str(ROOT / "components"))
    from ecs_platform.offline import run_stack

    types = {r.type for r in run_stack(ROOT, "prod").resources}
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        floor_file = work_dir / "floor.py"
        floor_file.write_text(floor_script(types))
        program_floor_file = work_dir / "program_floor.py"
        program_floor_file.write_text(program_floor_script(ROOT, "prod"))
        gc_floor_file = work_dir / "floor_gc.py"
        gc_floor_file.write_text("import gc\ngc.set_threshold(50_000, 20, 1_000)\n" + floor_script(types))
        pairs = alternating({
            "floor": [sys.executable, str(floor_file)],
            "floor_gc": [sys.executable, str(gc_floor_file)],
            "plan": [*PLAN, "--stack", "prod", "--dir", str(ROOT)],
            "program": [sys.executable, str(program_floor_file)],
        }, args.runs)
        (floor_seconds, floor_mib), (plan_seconds, plan_mib) = pairs["floor"], pairs["plan"]
        program_seconds, _ = pairs["program"]
        floor_gc_seconds, _ = pairs["floor_gc"]

        growth = []
        for count in (1, 10, 100):
            program = generated_program(Path(tempfile.mkdtemp(dir=work)), count)
            resources = resource_count(program, "bench")
            seconds, mib = measure([*PLAN, "--stack", "bench", "--dir", str(program)], max(1, args.runs // 2))
            growth.append((count, resources, seconds, mib, program))
        analyzed, standalone, after_program = policy_timing(growth[-1][4])
        sdk_baseline(growth[1][4])  # warm the imports
        sdk10, sdk10_seconds = sdk_baseline(growth[1][4])
        sdk100, sdk100_seconds = sdk_baseline(growth[-1][4])
        hot_spots = profile(growth[-1][4])

    (_, r10, t10, _, _), (_, r100, t100, _, _) = growth[1], growth[2]
    per_resource_ms = (t100 - t10) / (r100 - r10) * 1000
    sdk_per_resource_ms = (sdk100_seconds - sdk10_seconds) / (sdk100 - sdk10) * 1000
    ratio = plan_seconds / floor_seconds
    own_ms = per_resource_ms - sdk_per_resource_ms
    standalone_per_thousand = standalone / analyzed * 1000
    after_per_thousand = after_program / analyzed * 1000
    lines = [
        "# Benchmarks",
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, median of {args.runs} alternating runs (growth: {max(1, args.runs // 2)}). "
        "Reproduce with "
        "`make benchmark` (`venv/bin/python benchmarks/plan_benchmark.py --write docs/benchmarks.md`).",
        "",
        "## The prod plan against the floor",
        "",
        "The floor is a Python process that only imports pulumi and the pulumi_aws / pulumi_awsx modules (resource",
        "classes and invokes) the prod program uses; the plan is `ecs-platform plan --stack prod`, whole process:",
        "program under mocks, policy pack started and queried over gRPC, deploy-fidelity check, cost, report.",
        "",
        "| | seconds | peak MiB | of the floor |",
        "|---|---:|---:|---:|",
        f"| floor (imports only) | {floor_seconds:.2f} | {floor_mib:.0f} | 1.00x |",
        f"| floor, with the plan's garbage collector settings | {floor_gc_seconds:.2f} | | "
        f"{floor_gc_seconds / floor_seconds:.2f}x |",
        f"| that, and the program under the SDK's own mocks, nothing else | {program_seconds:.2f} | | "
        f"{program_seconds / floor_seconds:.2f}x |",
        f"| `plan --stack prod` | {plan_seconds:.2f} | {plan_mib:.0f} | {ratio:.2f}x (target 1.3x) |",
        "",
        "The console script sets the garbage collector's thresholds high (`GC_THRESHOLDS` in "
        "`ecs_platform/toolchain/cli.py`): with Python's defaults, collections walking the loaded SDK took a fifth of "
        "the plan. The second row is the floor with the same settings; the third adds the SDK registering the prod "
        "program's resources with no recording, policy, fidelity, cost or report: the least a plan can take on this "
        f"machine. The plan adds {plan_seconds - program_seconds:.2f} s to it, "
        f"{plan_seconds / floor_gc_seconds:.2f}x the floor with the same settings.",
        "",
        "## Growth with services and workers",
        "",
        "Generated stack files with N web services and N queue workers on top of the prod stack's base.",
        "",
        "| services + workers | resources | plan seconds | peak MiB |",
        "|---|---:|---:|---:|",
        *[f"| {n} + {n} | {r} | {t:.2f} | {m:.0f} |" for n, r, t, m, _ in growth],
        "",
        f"Each additional resource costs {per_resource_ms:.2f} ms of plan time (from 10 to 100 of each). Of that, "
        f"{sdk_per_resource_ms:.2f} ms is the Pulumi SDK registering the resource: the same program under the SDK's "
        "own MockMonitor, recording nothing, measured in this run. The plan's own work per additional resource "
        f"(recording, policy, fidelity, cost, report) is {own_ms:.2f} ms, {own_ms / sdk_per_resource_ms:.2f} of the "
        "SDK's (target: at most 0.5).",
        "",
        "## Policy analysis",
        "",
        f"The 100 + 100 stack sends {analyzed} registrations to the pack, in the engine's sequence: Remediate then "
        "Analyze for each, in registration order, then AnalyzeStack. In the plan, Remediate and Analyze run while the "
        "program registers resources (as the engine does); what is left once the program is done (the tail of that "
        f"stream and AnalyzeStack) takes {after_program:.2f} s, {after_per_thousand:.2f} s per 1,000 registrations "
        "(target under 1 s). The runner over a finished run, the whole sequence over gRPC, takes "
        f"{standalone:.2f} s, {standalone_per_thousand:.2f} s per 1,000 registrations.",
        "",
        FINDINGS,
        "## Where the time goes (profile of the 100 + 100 plan, top functions by own time)",
        "",
        "```",
        "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)",
        hot_spots,
        "```",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        # The scaling rehearsal's section is written by benchmarks/rehearsal_benchmark.py; keep it.
        previous = args.write.read_text() if args.write.exists() else ""
        kept = previous[previous.index("## Scaling rehearsal"):] if "## Scaling rehearsal" in previous else ""
        args.write.write_text(text.rstrip() + ("\n\n" + kept if kept else "\n"))


if __name__ == "__main__":
    main()
