"""`ecs-platform`: offline checks of a Pulumi program, with no cloud account and no Pulumi CLI.

    ecs-platform plan --stack prod [--dir PATH] [--json FILE] [--graph FILE] [--pack DIR] [--config FILE]
    ecs-platform policy --stack prod [--dir PATH] [--pack DIR] [--config FILE] [--json FILE]

Both run the program in ``--dir`` (default: the current directory) with its ``Pulumi.<stack>.yaml`` under the
package's AWS mocks. ``plan`` prints the resource tree, the outputs, the policy report, the deploy-fidelity report
and the monthly cost; ``policy`` only the policy report. The pack is ``--pack`` (default: ``<dir>/policies``) with
the pack config ``--config`` (default: ``<pack>/config/<stack>.json`` when present).

Exit codes: 0 clean (advisories allowed), 1 a mandatory policy violation, a deploy-fidelity violation or (with
``--preview``) a mandatory policy the pack could not judge, 2 a settings or config error (one line), 3 the program
or the policy pack failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

EXIT_OK, EXIT_VIOLATIONS, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-platform", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="what a stack creates, costs and whether it passes policy, offline")
    _common(plan)
    plan.add_argument("--graph", type=Path, help="write a Mermaid flowchart of the stack to this file")
    plan.add_argument("--pack", type=Path, help="policy pack folder (default: <dir>/policies)")
    plan.add_argument("--config", type=Path, help="policy pack config (default: <pack>/config/<stack>.json)")
    plan.add_argument("--preview", action="store_true",
                      help="run as a new stack's first pulumi preview: values AWS assigns are unknown")
    plan.add_argument("--spot-discount", type=float, help="Fargate Spot discount, 0 to 1 (default: the price file's)")
    policy = commands.add_parser("policy", help="run the policy pack against a stack, offline")
    _common(policy)
    policy.add_argument("--pack", type=Path, help="policy pack folder (default: <dir>/policies)")
    policy.add_argument("--config", type=Path, help="policy pack config (default: <pack>/config/<stack>.json)")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--dir", type=Path, default=Path("."), help="Pulumi program folder (default: .)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run_program(directory: Path, stack: str) -> Any:
    """Run the program; a settings error or a failing program becomes SystemExit with one line."""
    from pulumi import RunError

    from .testing import run_stack

    if not (directory / f"Pulumi.{stack}.yaml").exists():
        raise SystemExit(_fail(EXIT_CONFIG, f"{directory / f'Pulumi.{stack}.yaml'} does not exist"))
    try:
        return run_stack(directory, stack)
    except RunError as error:  # what the Pulumi CLI prints as one line, without a traceback
        raise SystemExit(_fail(EXIT_CONFIG, str(error))) from None
    except Exception as error:  # noqa: BLE001 - a program failure is reported, not raised
        frames = traceback.extract_tb(error.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                      if Path(f.filename).resolve().is_relative_to(directory.resolve())), "")
        raise SystemExit(_fail(EXIT_PROGRAM, f"the program failed{' at ' + where if where else ''}: "
                                             f"{type(error).__name__}: {error}")) from None


def policy_report(run: Any, directory: Path, stack: str, pack: Optional[Path], config: Optional[Path]) -> Any:
    from .policy_runner import PolicyConfigError, PolicyPackError, run_policies
    from .testing import stack_config
    from .testing.engine import project_name

    pack = pack or directory / "policies"
    if config is None and (pack / "config" / f"{stack}.json").exists():
        config = pack / "config" / f"{stack}.json"
    try:
        return run_policies(run, pack, config, stack_config(directory / f"Pulumi.{stack}.yaml", project_name(directory)))
    except PolicyConfigError as error:
        raise SystemExit(_fail(EXIT_CONFIG, f"{config}: {error}")) from None
    except PolicyPackError as error:
        raise SystemExit(_fail(EXIT_PROGRAM, f"the policy pack {pack} failed: {error}")) from None


def _policy(args: argparse.Namespace) -> int:
    run = run_program(args.dir, args.stack)
    report = policy_report(run, args.dir, args.stack, args.pack, args.config)
    print(f"Policy pack {report.pack} ({len(report.policies)} policies) on stack {args.stack}:")
    for line in report.lines():
        print(f"  {line}")
    print(f"  {len(report.mandatory)} mandatory, {len(report.advisory)} advisory violation(s)")
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return EXIT_VIOLATIONS if report.mandatory else EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    from .plan import PlanError, build_plan, failed, render
    from .testing.engine import project_name

    try:
        plan = build_plan(args.dir, args.stack, pack=args.pack, pack_config=args.config,
                          spot_discount=args.spot_discount, preview=args.preview)
    except PlanError as error:
        if args.json:
            project = project_name(args.dir) if (args.dir / "Pulumi.yaml").exists() else ""
            args.json.write_text(json.dumps(failed(project, args.stack, error), indent=2) + "\n")
        code = EXIT_PROGRAM if error.status in ("program-error", "policy-error") else EXIT_CONFIG
        return _fail(code, str(error))
    print(render(plan))
    if args.json:
        args.json.write_text(json.dumps(plan.to_dict(), indent=2, default=str) + "\n")
    if args.graph:
        args.graph.write_text(plan.graph())
    return EXIT_OK if plan.status == "ok" else EXIT_VIOLATIONS


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"plan": _plan, "policy": _policy}[args.command](args)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def entry() -> None:
    """The console script. Once the report is printed and written, the process ends without finalizing the
    interpreter: tearing down pulumi_aws's thousands of modules and classes takes about half a second and achieves
    nothing here (files are closed, the policy pack has been stopped)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
