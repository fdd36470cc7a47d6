"""AWS mock answers for the images resources (registered into :data:`ecs_platform.offline.mocks.COMPUTERS`).

An ECR repository answers with its ARN, registry id and URL in the formats ECR documents; its lifecycle policy with
the registry it belongs to. The awsx ``Image`` component is remote: its build and push happen inside the awsx
provider, so it answers with its one output, ``imageUri``, the pushed image by digest
(``<repository url>@sha256:<64 hex>``, as awsx returns it), never with its inputs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from .mock_context import ACCOUNT_ID, _Ctx

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
AWSX_IMAGE = "awsx:ecr:Image"

# The provider auto-names a repository that is given no name (`<logical name>-<7 hex>`), at Check, so the name is
# known at a first preview like the other auto-named types.
AUTO_NAMED = {REPOSITORY: "name"}
"""Auto-named types of this module, read into mock_context.AUTO_NAMED by mocks.py."""


def _repository(c: _Ctx) -> tuple[str, dict[str, Any]]:
    name = c.inputs["name"]
    # The provider's Check fills the schema default, so a preview sees it too.
    c.inputs.setdefault("imageTagMutability", "MUTABLE")
    return name, {
        "arn": c.arn("ecr", f"repository/{name}"),
        "registryId": ACCOUNT_ID,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{c.region}.amazonaws.com/{name}",
    }


def _lifecycle_policy(c: _Ctx) -> tuple[str, dict[str, Any]]:
    return str(c.inputs.get("repository")), {"registryId": ACCOUNT_ID}


def _registry_scanning(c: _Ctx) -> tuple[str, dict[str, Any]]:
    return ACCOUNT_ID, {"registryId": ACCOUNT_ID}


def _awsx_image(c: _Ctx) -> tuple[str, dict[str, Any]]:
    """The pushed image by digest. The digest stands for the manifest docker-build pushes: it changes with what
    goes into the build (context, Dockerfile, platform, target, args, tag), as a rebuild's would."""
    repository_url = c.inputs.get("repositoryUrl")
    if not repository_url:
        raise ValueError(f"awsx:ecr:Image {c.name!r} needs a repositoryUrl to push to")
    build = {key: c.inputs.get(key) for key in ("context", "dockerfile", "platform", "target", "args", "imageTag")}
    digest = hashlib.sha256((c.seed + json.dumps(build, sort_keys=True, default=str)).encode()).hexdigest()
    return "", {"imageUri": f"{repository_url}@sha256:{digest}"}


COMPUTERS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    REPOSITORY: _repository,
    LIFECYCLE_POLICY: _lifecycle_policy,
    REGISTRY_SCANNING: _registry_scanning,
    AWSX_IMAGE: _awsx_image,
}
"""Pulumi type -> computer(ctx) returning (id, computed outputs), as in mocks.py."""
INVOKES: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {}
"""Invoke token -> answer(args, region)."""
REMOTE: frozenset[str] = frozenset({AWSX_IMAGE})
"""Remote component types whose computer returns outputs only."""
