"""API requests of the images resources (registered into :data:`.requests.MAPPERS` with `@maps`).

As terraform-provider-aws sends them (internal/service/ecr/repository.go, lifecycle_policy.go,
registry_scanning_configuration.go): CreateRepository with the repository's settings in one call (the schema's
default tag mutability, MUTABLE, sent when the program sets none), PutLifecyclePolicy with the policy text as
written, PutRegistryScanningConfiguration with its rules. The awsx ``Image`` component builds and pushes through
Docker's registry protocol inside the awsx provider, not through an API request the models describe: it has no
mapper.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ecs_platform.offline.engine import Registration
from ecs_platform.offline.mocks import UNKNOWN
from .requests import ApiRequest, _block, _each, _name, maps, request


def _encryption(configurations: Any) -> Any:
    """The provider's list of encryption blocks is the API's single EncryptionConfiguration: the first block, its
    type defaulting to AES256 (the schema's default), its key sent only when not empty."""
    if configurations == UNKNOWN:
        return UNKNOWN
    first = (configurations or [None])[0]
    return _block(first, lambda e: {"encryptionType": e.get("encryptionType") or "AES256",
                                    "kmsKey": e.get("kmsKey") or None})


@maps("aws:ecr/repository:Repository")
def repository(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ecr", "CreateRepository", {
        "repositoryName": _name(r),
        "imageTagMutability": i.get("imageTagMutability") or "MUTABLE",
        "imageTagMutabilityExclusionFilters": _each(i.get("imageTagMutabilityExclusionFilters"), lambda f: {
            "filter": f.get("filter"), "filterType": f.get("filterType")}),
        "imageScanningConfiguration": _block(i.get("imageScanningConfiguration"),
                                             lambda s: {"scanOnPush": s.get("scanOnPush")}),
        "encryptionConfiguration": _encryption(i.get("encryptionConfigurations")),
    }, r)


def _policy_text(policy: Any) -> Any:
    """The policy as the provider sends it: JSON text (a typed document given as an object is serialized)."""
    if policy == UNKNOWN or isinstance(policy, str) or policy is None:
        return policy
    return json.dumps(policy)


@maps("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def lifecycle_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("ecr", "PutLifecyclePolicy", {
        "repositoryName": r.inputs.get("repository"),
        "lifecyclePolicyText": _policy_text(r.inputs.get("policy")),
    }, r)


@maps("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
def registry_scanning(r: Registration) -> Iterator[ApiRequest]:
    yield request("ecr", "PutRegistryScanningConfiguration", {
        "scanType": r.inputs.get("scanType"),
        "rules": _each(r.inputs.get("rules"), lambda rule: {
            "scanFrequency": rule.get("scanFrequency"),
            "repositoryFilters": _each(rule.get("repositoryFilters"), lambda f: {
                "filter": f.get("filter"), "filterType": f.get("filterType")}),
        }),
    }, r)
