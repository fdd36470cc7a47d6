"""IAM policy documents: the grammar IAM parses and the size quotas it enforces.

Sources are the IAM User Guide, "IAM JSON policy elements reference", and "IAM and AWS STS quotas" (role trust
policies 2,048 characters by default, inline role policies 10,240 in aggregate).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .base import Finding, Stack, known, rule

_DOCUMENTS = {"iam:CreateRole": ("AssumeRolePolicyDocument", True, 2048),
              "iam:PutRolePolicy": ("PolicyDocument", False, 10240)}


@rule
def policy_documents(stack: Stack) -> Iterator[Finding]:
    inline: dict[Any, int] = {}
    for label, (field, trust, limit) in _DOCUMENTS.items():
        for request in stack.of(label):
            text = request.params.get(field)
            if not isinstance(text, str) or not known(text):
                continue
            compact_length = len(json.dumps(json.loads(text), separators=(",", ":"))) if _is_json(text) else len(text)
            if trust and compact_length > limit:
                yield (request, field,
                       f"trust policy is {compact_length} characters without white space; IAM allows {limit}")
            role = request.params.get("RoleName")
            if not trust and known(role):
                # The inline policy quota counts all of a role's inline policies together.
                inline[role] = inline.get(role, 0) + compact_length
                if inline[role] > limit:
                    yield (request, field, f"the inline policies of role {role} reach {inline[role]} characters "
                                           f"without white space; IAM allows {limit} in all")
            for problem in policy_problems(text, trust=trust):
                yield request, field, problem


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except json.JSONDecodeError:
        return False


def policy_problems(text: str, *, trust: bool) -> Iterator[str]:
    """What IAM would refuse in a policy document."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield f"is not valid JSON ({error})"
        return
    if not isinstance(document, dict):
        yield "must be a JSON object"
        return
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        yield f"Version must be 2012-10-17; got {document.get('Version')!r}"
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not statements:
        yield "has no Statement"
        return
    for index, statement in enumerate(statements):
        yield from _statement_problems(f"Statement[{index}]", statement, trust)


def _statement_problems(where: str, statement: dict[str, Any], trust: bool) -> Iterator[str]:
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield f"{where}.Effect must be Allow or Deny"
    if ("Action" in statement) == ("NotAction" in statement):
        yield f"{where} needs exactly one of Action and NotAction"
    actions = statement.get("Action", statement.get("NotAction"))
    for action in actions if isinstance(actions, list) else [actions]:
        if not isinstance(action, str) or not (action == "*" or _ACTION.match(action)):
            yield f"{where}: {action!r} is not an action (service:Action)"
    if trust:
        if "Principal" not in statement and "NotPrincipal" not in statement:
            yield f"{where} of a trust policy needs a Principal"
        if "Resource" in statement or "NotResource" in statement:
            yield f"{where} of a trust policy may not name a Resource"
    else:
        if ("Resource" in statement) == ("NotResource" in statement):
            yield f"{where} needs exactly one of Resource and NotResource"
        if "Principal" in statement or "NotPrincipal" in statement:
            yield f"{where} of an identity policy may not name a Principal"


_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*?]+$")
