"""The pull-request comment for one stack's `pulumi preview`, whether it passed, failed or never started.

`pulumi/actions` comments only after a command succeeds, so a preview stopped by a mandatory policy would leave the
pull request silent. The preview job keeps the preview's output in a file instead and this script turns it into the
comment: the mandatory violations and errors first, then the end of the output (where Pulumi prints the policy
report and the summary), trimmed from the front to fit in a comment. The first line is the marker the workflow
finds the stack's earlier comment by, to update it.

Usage: python3 .github/scripts/preview_comment.py STACK OUTCOME OUTPUT.txt RUN-URL
OUTCOME is the preview step's outcome: success, failure, or skipped (an earlier step failed).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# GitHub refuses a comment over 65,536 characters; the rest of the body is far below the difference.
OUTPUT_LIMIT = 60_000
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def marker(stack: str) -> str:
    return f"<!-- ecs-platform pulumi preview: {stack} -->"


def failures(lines: list[str]) -> list[str]:
    """Each mandatory violation with the message line under it, then Pulumi's own `error:` lines."""
    found = []
    for index, line in enumerate(lines):
        if "[mandatory]" in line:
            message = lines[index + 1].strip() if index + 1 < len(lines) else ""
            found.append(" ".join(filter(None, [line.strip().removeprefix("- "), message])))
    return found + [line.strip() for line in lines if line.strip().startswith("error:")]


def fenced(text: str) -> str:
    fence = "`" * max(4, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}text\n{text}\n{fence}"


def comment(stack: str, outcome: str, output: str | None, run_url: str) -> str:
    body = [marker(stack)]
    if outcome == "success":
        body += [f"### `pulumi preview` of `{stack}`: passed", ""]
    elif outcome == "failure":
        body += [f"### `pulumi preview` of `{stack}`: failed", ""]
        listed = failures((output or "").splitlines())
        if listed:
            body += ["What stopped it:", "", *("- `" + line.replace("`", "'") + "`" for line in listed), ""]
        else:
            body += [f"The preview failed without a policy violation; the end of its output is below and the whole "
                     f"log is in [the run]({run_url}).", ""]
    else:
        body += [f"### `pulumi preview` of `{stack}`: did not run", "",
                 f"An earlier step of the preview job failed (installing, AWS credentials or the backend login): see "
                 f"[the run]({run_url}).", ""]
    if output:
        text = ANSI.sub("", output).rstrip()
        if len(text) > OUTPUT_LIMIT:
            text = "... (the beginning is cut; the whole output is in the run's log)\n" + text[-OUTPUT_LIMIT:]
        body += ["<details><summary>The preview's output</summary>", "", fenced(text), "", "</details>", ""]
    body.append(f"[Workflow run]({run_url})")
    return "\n".join(body) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[-2])
    stack, outcome, output_file, run_url = sys.argv[1:]
    path = Path(output_file)
    print(comment(stack, outcome, path.read_text(errors="replace") if path.is_file() else None, run_url), end="")
