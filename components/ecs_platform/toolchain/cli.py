"""`ecs-platform`: offline checks of a Pulumi program, with no cloud account and no Pulumi CLI.

    ecs-platform plan --stack prod [--dir PATH] [--json FILE] [--graph FILE] [--pack DIR] [--config FILE] [--preview]
    ecs-platform policy --stack prod [--dir PATH] [--pack DIR] [--config FILE] [--json FILE]
    ecs-platform import copilot COPILOT_DIR --env ENV --out STACK_FILE [--region R] [--account ID]

Both run the program in ``--dir`` (default: the current directory) with its ``Pulumi.<stack>.yaml`` under the
package's AWS mocks. ``plan`` prints the resource tree, the outputs, the policy report, the deploy-fidelity report
and the monthly cost; ``policy`` only the policy report. The pack is ``--pack`` (default: ``<dir>/policies``) with
the pack config ``--config`` (default: ``<pack>/config/<stack>.json`` when present).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional
from ecs_platform.defaults import INSTANCE_START_SECONDS

EXIT_OK, EXIT_VIOLATIONS, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3

EXIT_CODES = """exit codes:
  0  the stack passes (advisories allowed)
  1  a mandatory policy violation, a deploy-fidelity violation, a cost estimate over a mandatory budget,
     (plan --preview) a mandatory policy the pack could not judge, or (plan --compare) a mandatory hazard:
     a change the live stack would lose data or fail half-way on
  2  a settings, stack-file, pack or command-line error (one line, before anything runs)
  3  the program, or the policy pack, failed"""


POLICY_EXIT_CODES = """exit codes:
  0  no mandatory policy violation (advisories allowed)
  1  a mandatory policy violation
  2  a settings, stack-file, pack config or command-line error (one line each, before anything runs)
  3  the program, or the policy pack, failed"""


REHEARSE_EXIT_CODES = """exit codes:
  0  the replay ran (--deployment: and the rollout ends before `pulumi up` stops waiting for it)
  1  --deployment: `pulumi up` would give up before the rollout ends
  2  a settings, stack-file, scenario or command-line error (one line, before anything runs)
  3  the program failed"""


IMPORT_EXIT_CODES = """exit codes:
  0  the stack file was written (notes say what was approximated or dropped)
  2  nothing was written: a field the platform cannot carry (one line each, with what to do instead), or a
     command-line or workspace error"""


class UsageError(Exception):
    """A command-line or input-file mistake: one line, exit 2."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecs-platform")
    except PackageNotFoundError:
        return "unknown"


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as the one-line `error: ...` every other mistake gets, and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ecs-platform", description=__doc__.split("\n\n")[0], epilog=EXIT_CODES,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    plan = commands.add_parser(
        "plan", help="what a stack creates, costs and whether it passes policy, offline",
        description="Run a Pulumi Python program with one of its stack files under AWS mocks and report the "
                    "resource tree, the outputs, the policy pack's verdicts, the deploy-fidelity check and the "
                    "monthly cost. Nothing is deployed and no AWS account is used.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(plan)
    plan.add_argument("--graph", type=Path, metavar="FILE",
                      help="write a Mermaid flowchart of the stack to FILE (- for standard output)")
    plan.add_argument("--preview", action="store_true",
                      help="run as a new stack's first pulumi preview: values AWS assigns are unknown")
    plan.add_argument("--compare", type=Path, metavar="BASE.json",
                      help="compare with another plan's --json (for example the base branch's): resources, monthly "
                           "cost and policy violations that change")
    plan.add_argument("--markdown", type=Path, metavar="FILE",
                      help="write the cost (and, with --compare, the change) as a pull-request comment in Markdown")
    plan.add_argument("--annotations", action="store_true",
                      help="print each finding as a GitHub workflow command on its stack-file line (the default when "
                           "GITHUB_ACTIONS is set)")
    plan.add_argument("--spot-discount", type=_discount, metavar="FRACTION",
                      help="Fargate Spot discount, 0 to 1 (default: the price file's)")
    plan.add_argument("--pack-processes", type=_count, metavar="N", dest="pack_processes_given",
                      help="policy pack processes sharing the analysis (default: 2 on a machine with two cores or "
                           "more, else 1)")
    rehearse = commands.add_parser(
        "rehearse", help="replay a queue worker's scaling against traffic, or a service's deployment, offline",
        description="Run a Pulumi Python program under AWS mocks and replay, second by second, either a queue worker "
                    "(--worker: a QueueWorker component or an ECS service, with its queue, alarms and scaling "
                    "policies) against traffic scenarios, or a service's rollout (--deployment) as its program "
                    "configures it, against the time `pulumi up` waits for it. Assumptions and their AWS sources: "
                    "docs/rehearsal.md.",
        epilog=REHEARSE_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    rehearse.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    rehearse.add_argument("--dir", type=Path, default=Path("."), help="Pulumi program folder (default: .)")
    subject = rehearse.add_mutually_exclusive_group(required=True)
    subject.add_argument("--worker", help="QueueWorker component name, or ECS service name")
    subject.add_argument("--deployment", metavar="SERVICE",
                         help="WebService or QueueWorker component name, or ECS service name: replay its rollout")
    rehearse.add_argument("--scenario", action="append", metavar="SPEC",
                          help="burst:N@M (N messages at minute M) or rate:R@A-B (R messages a minute from minute "
                               "A to B); repeatable")
    rehearse.add_argument("--seconds-per-message", type=_positive, default=10.0, metavar="S",
                          help="seconds a task spends on one message (default: 10)")
    rehearse.add_argument("--task-start-seconds", type=_positive, default=60.0, metavar="S",
                          help="seconds from launch until a task takes messages or listens (default: 60)")
    rehearse.add_argument("--instance-start-seconds", type=_not_negative, default=float(INSTANCE_START_SECONDS),
                          metavar="S", help="--worker on ECS Managed Instances: seconds an instance takes to start "
                          f"before each new task starts (default {INSTANCE_START_SECONDS}, a third-party measurement; "
                          "AWS documents none)")
    rehearse.add_argument("--image-pull-seconds", type=_not_negative, default=30.0, metavar="S",
                          help="--deployment: seconds a new task spends pulling its image (default: 30)")
    rehearse.add_argument("--stop-seconds", type=_not_negative, metavar="S",
                          help="--deployment: seconds from SIGTERM until an old task has stopped (default: its "
                               "stop timeout, the worst case)")
    rehearse.add_argument("--alarm-bake-minutes", type=_not_negative, metavar="M",
                          help="--deployment: minutes ECS watches a rolling deployment's alarms after it (default: "
                               "the longest period x evaluation periods of those alarms)")
    rehearse.add_argument("--metric-delay-seconds", type=_not_negative, default=0.0, metavar="S",
                          help="seconds after its minute until an SQS datapoint is readable (default: 0)")
    rehearse.add_argument("--insights-delay-seconds", type=_not_negative, default=0.0, metavar="S",
                          help="the same for Container Insights task counts (default: 0)")
    rehearse.add_argument("--spot-interruptions-per-hour", type=_not_negative, default=0.0, metavar="RATE",
                          help="Spot interruptions per Spot task-hour (default: 0)")
    rehearse.add_argument("--minutes", type=int, metavar="N", help="how long to replay (default: 90 minutes after "
                          "the last traffic)")
    rehearse.add_argument("--json", type=Path, metavar="FILE", help="write summary and per-minute series as JSON "
                          "(- for standard output)")
    rehearse.add_argument("--plot", type=Path, metavar="FILE.png",
                          help="draw messages, tasks and alarms (--deployment: tasks and traffic) to a PNG")
    rehearse.add_argument("--stack-outputs", action="append", default=[], metavar="STACK=FILE",
                          help="outputs of a stack the program reads with StackReference (repeatable)")
    policy = commands.add_parser(
        "policy", help="run the policy pack against a stack, offline",
        description="Run a Pulumi Python program with one of its stack files under AWS mocks, start the policy "
                    "pack as the Pulumi engine does and make the engine's calls; print every violation.",
        epilog=POLICY_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(policy)
    imports = commands.add_parser(
        "import", help="write a stack file from another tool's configuration (copilot)",
        description="Write a stack file from another tool's configuration.")
    sources = imports.add_subparsers(dest="source", required=True, parser_class=_Parser)
    copilot = sources.add_parser(
        "copilot", help="an AWS Copilot workspace's environment as a stack file",
        description="Read an AWS Copilot workspace (its copilot/ folder: <workload>/manifest.yml and "
                    "environments/<env>/manifest.yml), apply the environment's overrides and write one stack file with "
                    "every workload. Prints one line per field approximated or dropped; refuses, one line per field, "
                    "what the platform cannot carry. docs/migrating-from-copilot.md.",
        epilog=IMPORT_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    copilot.add_argument("copilot_dir", type=Path, metavar="COPILOT_DIR", help="the workspace's copilot/ folder")
    copilot.add_argument("--env", required=True, help="the Copilot environment to migrate")
    copilot.add_argument("--out", required=True, type=Path, metavar="STACK_FILE",
                         help="the stack file to write, e.g. Pulumi.prod.yaml in the program's folder (build paths "
                              "are written relative to it)")
    copilot.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                         help="the stack's AWS region (default: AWS_REGION)")
    copilot.add_argument("--account", help="AWS account id: turns SSM parameter names into ARNs")
    copilot.add_argument("--owner", default="copilot-migration", help="the stack's owner tag")
    copilot.add_argument("--project", default="ecs-platform", help="the Pulumi project's name (config namespace)")
    copilot.add_argument("--secret-arn", action="append", default=[], metavar="NAME=ARN",
                         help="the ARN of a Secrets Manager secret the manifests name (repeatable)")
    copilot.add_argument("--workload", action="append", metavar="NAME", help="migrate only this workload (repeatable)")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--dir", type=Path, default=Path("."), help="Pulumi program folder (default: .)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON to FILE (- for "
                        "standard output, instead of the text report)")
    parser.add_argument("--pack", type=Path, help="policy pack folder (default: <dir>/policies)")
    parser.add_argument("--config", type=Path, help="policy pack config (default: <pack>/config/<stack>.json)")
    parser.add_argument("--stack-outputs", action="append", default=[], metavar="STACK=FILE",
                        help="outputs of a stack the program reads with StackReference: a JSON object of outputs, "
                             "or the --json of that stack's plan (repeatable)")


def _number(accepts: Callable[[float], bool], a_number: str, in_range: str) -> Callable[[str], float]:
    """An argparse type: a number that ``accepts`` takes; refused as not ``a_number``, or not ``in_range``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {a_number}; got {text!r}") from None
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {in_range}; got {text}")
        return value
    return parse


_discount = _number(lambda v: 0 <= v <= 1, "a number from 0 to 1", "from 0 to 1 (0.7 is a 70% discount)")
_positive = _number(lambda v: v > 0, "a number above 0", "above 0")
_not_negative = _number(lambda v: v >= 0, "a number, 0 or more", "0 or more")


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 16:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 16; got {text!r}")
    return int(text)


def _camel(name: str) -> str:
    """seconds_per_message -> secondsPerMessage: the JSON is camelCase throughout, as the summary is."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _fail(code: int, message: str) -> int:
    """Each problem on its own `error:` line (a stack file with three mistakes gets three lines)."""
    for line in message.splitlines() or [""]:
        print(f"error: {line}", file=sys.stderr)
    return code


# Inputs, checked before anything runs ---------------------------------------------------------------------------


def _writable(path: Optional[Path], flag: str) -> None:
    if path is None or str(path) == "-":
        return
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag} {path}: cannot be written")


def _inputs(args: argparse.Namespace, *, pack_required: bool) -> tuple[Optional[Path], Optional[Path]]:
    """The pack and its config, checked: a mistyped path is an error, not a silent skip."""
    from ecs_platform.offline.stack_file import project_name

    if not (args.dir / "Pulumi.yaml").is_file():
        raise UsageError(f"{args.dir}: no Pulumi.yaml; --dir is the folder of a Pulumi program")
    project_name(args.dir)
    if not (args.dir / f"Pulumi.{args.stack}.yaml").is_file():
        raise UsageError(f"{args.dir / f'Pulumi.{args.stack}.yaml'} does not exist")
    for flag in ("json", "graph"):
        _writable(getattr(args, flag, None), f"--{flag}")
    if str(getattr(args, "json", "")) == "-" and str(getattr(args, "graph", "")) == "-":
        raise UsageError("--json - and --graph - would both write to standard output; send one to a file")
    pack: Optional[Path] = args.pack
    if pack is not None and not (pack / "PulumiPolicy.yaml").is_file():
        raise UsageError(f"--pack {pack}: not a policy pack (no PulumiPolicy.yaml there)")
    if pack is None:
        default = args.dir / "policies"
        pack = default if (default / "PulumiPolicy.yaml").is_file() else None
        if pack is None and pack_required:
            raise UsageError(f"no policy pack at {default}; give one with --pack")
    config: Optional[Path] = args.config
    if config is not None:
        if pack is None:
            raise UsageError(f"--config {config}: there is no policy pack to configure")
        if not config.is_file():
            raise UsageError(f"--config {config}: does not exist")
        try:
            if not isinstance(json.loads(config.read_text()), dict):
                raise UsageError(f"--config {config}: must be a JSON object of policy names to levels or settings")
        except json.JSONDecodeError as error:
            raise UsageError(f"--config {config}: line {error.lineno}, column {error.colno}: {error.msg}") from None
    return pack, config


def stack_outputs(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``STACK=FILE`` pairs as the outputs of each referenced stack."""
    references: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        stack, sep, file = pair.partition("=")
        if not sep or not stack or not file:
            raise UsageError(f"--stack-outputs {pair}: expected STACK=FILE, e.g. acme/ecs-platform/dev=dev-plan.json")
        path = Path(file)
        if not path.is_file():
            raise UsageError(f"--stack-outputs {pair}: {file} does not exist")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise UsageError(f"--stack-outputs {pair}: line {error.lineno}, column {error.colno}: {error.msg}") from None
        if isinstance(data, dict) and "schemaVersion" in data and "outputs" in data:
            data = data["outputs"]  # a plan report: its stack outputs
        if not isinstance(data, dict):
            raise UsageError(f"--stack-outputs {pair}: expected a JSON object of outputs (or a plan report with them)")
        references[stack] = data
    return references


def _base_plan(path: Path) -> dict[str, Any]:
    """Another plan's --json, to compare with."""
    if not path.is_file():
        raise UsageError(f"--compare {path}: does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise UsageError(f"--compare {path}: line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(data, dict) or "schemaVersion" not in data or "cost" not in data:
        raise UsageError(f"--compare {path}: not a plan report (write one with ecs-platform plan --json)")
    if data.get("resources") is None:
        raise UsageError(f"--compare {path}: that plan stopped ({data.get('status')}: {data.get('error')}); "
                         "nothing to compare with")
    return data


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
    else:
        path.write_text(text)


# Commands -----------------------------------------------------------------------------------------------------


def run_program(directory: Path, stack: str, references: Optional[dict[str, dict[str, Any]]] = None) -> Any:
    """Run the program; a settings error or a failing program becomes SystemExit with one line."""
    from pulumi import RunError

    from ecs_platform.offline import run_stack
    from ecs_platform.offline.mocks import MissingStackOutput, StackReferenceError

    try:
        return run_stack(directory, stack, stack_references=references)
    except MissingStackOutput as error:
        raise SystemExit(_fail(EXIT_CONFIG, str(error))) from None
    except StackReferenceError as error:
        raise SystemExit(_fail(EXIT_CONFIG, f"{error}; give them with --stack-outputs STACK=FILE")) from None
    except RunError as error:  # what the Pulumi CLI prints as one line, without a traceback
        raise SystemExit(_fail(EXIT_CONFIG, str(error))) from None
    except Exception as error:  # noqa: BLE001 - a program failure is reported, not raised
        frames = traceback.extract_tb(error.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                      if Path(f.filename).resolve().is_relative_to(directory.resolve())), "")
        raise SystemExit(_fail(EXIT_PROGRAM, f"the program failed{' at ' + where if where else ''}: "
                                             f"{type(error).__name__}: {error}")) from None


def policy_report(run: Any, directory: Path, stack: str, pack: Path, config: Optional[Path]) -> Any:
    from .policy_runner import PolicyConfigError, PolicyPackError, run_policies
    from ecs_platform.offline import stack_config
    from ecs_platform.offline.engine import project_name

    if config is None and (pack / "config" / f"{stack}.json").exists():
        config = pack / "config" / f"{stack}.json"
    try:
        return run_policies(run, pack, config, stack_config(directory / f"Pulumi.{stack}.yaml", project_name(directory)))
    except PolicyConfigError as error:
        raise SystemExit(_fail(EXIT_CONFIG, f"{config}: {error}")) from None
    except PolicyPackError as error:
        raise SystemExit(_fail(EXIT_PROGRAM, f"the policy pack {pack} failed: {error}")) from None


def _policy(args: argparse.Namespace) -> int:
    pack, config = _inputs(args, pack_required=True)
    assert pack is not None
    run = run_program(args.dir, args.stack, stack_outputs(args.stack_outputs))
    report = policy_report(run, args.dir, args.stack, pack, config)
    if args.json is not None and str(args.json) == "-":
        _write_json(args.json, report.to_dict())
    else:
        print(f"Policy pack {report.pack} ({len(report.policies)} policies) on stack {args.stack}:")
        for line in report.lines():
            print(f"  {line}")
        print(f"  {len(report.mandatory)} mandatory, {len(report.advisory)} advisory violation(s)")
        if args.json:
            _write_json(args.json, report.to_dict())
    return EXIT_VIOLATIONS if report.mandatory else EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    from .plan import PlanError, build_plan, failed, render
    from .plan.review import markdown
    from ecs_platform.offline.engine import project_name

    pack, config = _inputs(args, pack_required=False)
    _writable(args.markdown, "--markdown")
    base = _base_plan(args.compare) if args.compare is not None else None
    try:
        plan = build_plan(args.dir, args.stack, pack=pack, pack_config=config, spot_discount=args.spot_discount,
                          preview=args.preview, pack_given=args.pack is not None,
                          stack_references=stack_outputs(args.stack_outputs), eager_pack=args.eager_pack,
                          pack_processes=args.pack_processes_given or args.pack_processes)
    except PlanError as error:
        if args.json:
            _write_json(args.json, failed(project_name(args.dir), args.stack, error))
        code = EXIT_PROGRAM if error.status in ("program-error", "policy-error") else EXIT_CONFIG
        return _fail(code, str(error))
    if base is not None:
        plan.compare_with(base)
    # `-` sends that one output to standard output instead of the text report.
    if args.graph is not None and str(args.graph) == "-":
        sys.stdout.write(plan.graph())
    elif args.json is not None and str(args.json) == "-":
        _write_json(args.json, plan.to_dict())
    else:
        print(render(plan))
    if args.json is not None and str(args.json) != "-":
        _write_json(args.json, plan.to_dict())
    if args.graph is not None and str(args.graph) != "-":
        args.graph.write_text(plan.graph())
    if args.markdown is not None:
        text = markdown(plan.to_dict(), plan.comparison)
        sys.stdout.write(text) if str(args.markdown) == "-" else args.markdown.write_text(text)
    if args.annotations or os.environ.get("GITHUB_ACTIONS") == "true":
        stack_file = os.path.relpath(args.dir / f"Pulumi.{args.stack}.yaml")
        out = sys.stderr if args.json is not None and str(args.json) == "-" else sys.stdout
        for line in plan.annotations(stack_file):
            print(line, file=out)
    if plan.budget is not None and plan.budget.over and plan.budget.enforcement != "mandatory":
        print(f"warning: over budget: {plan.budget.line()}", file=sys.stderr)
    verdict = plan.verdict()
    if verdict is not None:
        # Last, on its own: what a person reads first when a CI step fails.
        print(f"error: {verdict}", file=sys.stderr)
    return EXIT_OK if plan.status == "ok" else EXIT_VIOLATIONS


EXTRA_MODULES = ("botocore", "pulumi_policy", "jsonschema", "matplotlib")
"""What the `plan` extra installs; the components alone do not bring it."""


def _require_extra() -> None:
    import importlib.util

    missing = [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the offline toolchain needs {', '.join(missing)}: pip install 'ecs-platform[plan]'")


def _rehearse(args: argparse.Namespace) -> int:
    from .rehearsal import Assumptions, RehearsalError, ScenarioError, Traffic, read_worker, rehearse

    if not (args.dir / "Pulumi.yaml").is_file():
        raise UsageError(f"{args.dir}: no Pulumi.yaml; --dir is the folder of a Pulumi program")
    if not (args.dir / f"Pulumi.{args.stack}.yaml").is_file():
        raise UsageError(f"{args.dir / f'Pulumi.{args.stack}.yaml'} does not exist")
    _writable(args.json, "--json")
    _writable(args.plot, "--plot")
    if args.minutes is not None and args.minutes < 1:
        raise UsageError(f"--minutes must be 1 or more; got {args.minutes}")
    if args.deployment is not None:
        return _rehearse_deployment(args)
    if not args.scenario:
        raise UsageError("--worker needs at least one --scenario (burst:N@M or rate:R@A-B)")
    try:
        traffic = [Traffic.parse(spec) for spec in args.scenario]
    except ScenarioError as error:
        raise UsageError(str(error)) from None
    run = run_program(args.dir, args.stack, stack_outputs(args.stack_outputs))
    try:
        worker = read_worker(run, args.worker)
    except RehearsalError as error:
        raise UsageError(str(error)) from None
    assumptions = Assumptions(
        seconds_per_message=args.seconds_per_message, task_start_seconds=int(args.task_start_seconds),
        instance_start_seconds=int(args.instance_start_seconds),
        metric_delay_seconds=int(args.metric_delay_seconds), insights_delay_seconds=int(args.insights_delay_seconds),
        spot_interruptions_per_hour=args.spot_interruptions_per_hour,
    )
    result = rehearse(worker, traffic, assumptions, args.minutes)
    report = {"worker": args.worker, "service": worker.service, "queue": worker.queue,
              "scenarios": args.scenario, "assumptions": {_camel(k): v for k, v in vars(assumptions).items()}, "summary": result.summary,
              "series": result.series,
              "scaling": [{"minute": round(e.second / 60, 2), "policy": e.source, "from": e.before, "to": e.after}
                          for e in result.events]}
    if args.json is not None and str(args.json) == "-":
        _write_json(args.json, report)
    else:
        print(f"Rehearsal of {args.worker} (service {worker.service}, queue {worker.queue}) on stack {args.stack}: "
              f"{', '.join(args.scenario)}")
        width = max(len(k) for k in result.summary)
        for key, value in result.summary.items():
            print(f"  {key:{width}}  {'never' if value is None else value}")
        if args.json:
            _write_json(args.json, report)
    if args.plot:
        from .rehearsal.plot import plot

        plot(result, args.plot, f"{args.worker} on {args.stack}: {', '.join(args.scenario)}")
    return EXIT_OK


def _rehearse_deployment(args: argparse.Namespace) -> int:
    from .rehearsal import RehearsalError, RolloutAssumptions, read_rollout, replay
    from .rehearsal.deployment import describe

    if args.scenario:
        raise UsageError("--scenario is for --worker; a deployment replays the rollout the program configures")
    run = run_program(args.dir, args.stack, stack_outputs(args.stack_outputs))
    try:
        rollout = read_rollout(run, args.deployment)
    except RehearsalError as error:
        raise UsageError(str(error)) from None
    assumptions = RolloutAssumptions(
        image_pull_seconds=int(args.image_pull_seconds), task_start_seconds=int(args.task_start_seconds),
        stop_seconds=int(args.stop_seconds) if args.stop_seconds is not None else None,
        alarm_bake_minutes=args.alarm_bake_minutes)
    result = replay(rollout, assumptions)
    report = {"deployment": args.deployment, "rollout": describe(rollout),
              "assumptions": {_camel(k): v for k, v in vars(assumptions).items()}, "summary": result.summary,
              "timeline": [{"minute": round(s.second / 60, 2), "stage": s.what} for s in result.timeline],
              "series": result.series}
    if args.json is not None and str(args.json) == "-":
        _write_json(args.json, report)
    else:
        summary = result.summary
        wait = (f"`pulumi up` waits {summary['timeoutMinutes']:g} min" if summary["timeoutMinutes"] is not None
                else "`pulumi up` does not wait for it")
        print(f"Deployment of {args.deployment} (service {rollout.service}, {rollout.strategy.lower()}, "
              f"{rollout.tasks} task(s)) on stack {args.stack}: {summary['deployMinutes']:g} min; {wait}")
        for stage in result.timeline:
            print(f"  {stage.second / 60:6.1f} min  {stage.what}")
        if args.json:
            _write_json(args.json, report)
    if args.plot:
        from .rehearsal.plot import plot_rollout

        plot_rollout(result, args.plot, f"deployment of {args.deployment} on {args.stack}")
    if not result.summary["fits"]:
        print(f"error: the deployment of {args.deployment} takes {result.summary['deployMinutes']:g} min and "
              f"`pulumi up` waits {result.summary['timeoutMinutes']:g}: raise serviceDefaults."
              "steadyStateTimeoutMinutes, or shorten the bakes", file=sys.stderr)
        return EXIT_VIOLATIONS
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from .migrate.copilot import Options, migrate, write
    from .migrate.manifests import WorkspaceError

    if not args.region:
        raise UsageError("--region is required (or set AWS_REGION)")
    if args.account is not None and not (args.account.isdigit() and len(args.account) == 12):
        raise UsageError(f"--account must be a 12-digit AWS account id; got {args.account!r}")
    _writable(args.out, "--out")
    secrets = {}
    for pair in args.secret_arn:
        name, _, arn = pair.partition("=")
        if not name or not arn.startswith("arn:aws:secretsmanager:"):
            raise UsageError(f"--secret-arn {pair!r}: give NAME=arn:aws:secretsmanager:...")
        secrets[name] = arn
    options = Options(args.env, args.region, args.out, args.account, args.owner, args.project, secrets, args.workload)
    try:
        migration = migrate(args.copilot_dir, options)
    except WorkspaceError as error:
        raise UsageError(str(error)) from None
    for finding in migration.findings:
        if not finding.blocking:
            print(f"note: {finding}")
    if migration.refusals:
        return _fail(EXIT_CONFIG, "\n".join(str(f) for f in migration.refusals))
    problems = write(migration, args.out, args.project)
    if problems:
        return _fail(EXIT_CONFIG, "\n".join(f"{args.out.name}: {p}" for p in problems))
    print(f"wrote {args.out}")
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None, *, eager_pack: bool = False, pack_processes: int = 1) -> int:
    """Run one command; ``eager_pack`` starts a plan's policy pack at once, in ``pack_processes`` processes (see
    :func:`~ecs_platform.toolchain.plan.build_plan`)."""
    from ecs_platform.offline.stack_file import StackFileError

    try:
        args = _parser().parse_args(argv)
        args.eager_pack, args.pack_processes = eager_pack, pack_processes
        if args.command == "import":
            return _import(args)
        _require_extra()
        return {"plan": _plan, "policy": _policy, "rehearse": _rehearse}[args.command](args)
    except (UsageError, StackFileError) as error:
        return _fail(EXIT_CONFIG, str(error))
    except SystemExit as exit_:
        return int(exit_.code or 0)


GC_THRESHOLDS = (50_000, 20, 1_000)
"""The console script's garbage collector thresholds. With Python's defaults (700, 10, 10) a prod plan made about
650 young and 5 full collections, the full ones walking the whole of pulumi_aws's loaded modules each time: 0.45 s
of a 2.6 s plan (docs/benchmarks.md). A run is short and its cycles young; these keep collecting them, rarely."""


def entry() -> None:
    """The console script: one command per process, so a plan starts its policy pack at once, in two processes
    where there are two cores to share its analysis, and the garbage collector runs rarely (:data:`GC_THRESHOLDS`). Once the report is printed
    and written, the process ends without finalizing the interpreter: tearing down pulumi_aws's thousands of
    modules and classes takes about half a second and achieves nothing here (files are closed, the policy pack has
    been stopped)."""
    gc.set_threshold(*GC_THRESHOLDS)
    code = main(eager_pack=True, pack_processes=min(2, os.cpu_count() or 1))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
