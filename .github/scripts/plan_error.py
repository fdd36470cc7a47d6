"""Why a plan report cannot stand for its branch, in one line; nothing when it can.

The cost review compares the change's plan with the base branch's. A plan that stopped (a settings error, a program
error) still writes its report, with a `status`, the one-line `error` and no `resources`; a plan that did not run at
all (the base branch's toolchain failed to install, or has no such stack) writes none, and what it printed on
standard error is the only reason there is. A report with resources, whatever its status (policy violations, over
budget, hazards), is a plan to compare with.

Usage: python3 .github/scripts/plan_error.py REPORT.json [STDERR.txt]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def last_line(path: Path | None) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()] if path else []
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line), "")


def plan_error(report: Path, stderr: Path | None = None) -> str:
    try:
        plan = json.loads(report.read_text())
    except FileNotFoundError:
        said = last_line(stderr)
        return f"no plan report was written ({said})" if said else "no plan report was written"
    except (OSError, ValueError) as error:
        return f"the plan report {report.name} cannot be read ({error})"
    if not isinstance(plan, dict):
        return f"the plan report {report.name} is not a plan report"
    if plan.get("status") != "ok" and not plan.get("resources"):
        return f"{plan.get('status')}: {plan.get('error') or last_line(stderr) or 'no error given'}"
    return ""


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    print(plan_error(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None))
