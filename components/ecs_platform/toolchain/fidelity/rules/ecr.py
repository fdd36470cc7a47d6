"""ECR repositories, lifecycle policies and registry scanning: what the API models do not say.

Sources are the Amazon ECR User Guide, "Lifecycle policy properties in Amazon ECR" (lifecycle_policy_parameters)
and "Automate the cleanup of images by using lifecycle policies" (its "Lifecycle policy evaluation rules"), and
the Amazon ECR API reference (EncryptionConfiguration, CreateRepository, RegistryScanningRule). A lifecycle
policy is checked when its text is known; ECR evaluates the text as a whole when the policy is put, so any of
these refuses the PutLifecyclePolicy call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..requests import ApiRequest
from .base import Finding, Stack, dig, indexed, known, rule, show

REPOSITORY = "ecr:CreateRepository"
LIFECYCLE = "ecr:PutLifecyclePolicy"
REGISTRY_SCANNING = "ecr:PutRegistryScanningConfiguration"
_TEXT = "lifecyclePolicyText"

TAG_STATUSES = ("tagged", "untagged", "any")
"""selection.tagStatus: "Acceptable options are tagged, untagged, or any"."""
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
"""selection.countType: a count of images, or an age in days since the image was pushed, last pulled, or
archived."""
AGE_COUNT_TYPES = COUNT_TYPES[1:]
ACTIONS = ("expire", "transition")
"""action.type: expire, or transition to the archive storage class."""
MAX_WILDCARDS = 4
"""tagPatternList: "There is a maximum limit of four wildcards (*) per string"."""


def _whole(value: Any) -> bool:
    """A whole number, as JSON carries one (1 or 1.0), not a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


def _document(request: ApiRequest) -> Any:
    """The known policy text, parsed; None when unknown or absent."""
    text = request.params.get(_TEXT)
    if not isinstance(text, str) or not known(text):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return error


def _rules(stack: Stack) -> Iterator[tuple[ApiRequest, list[tuple[int, dict[str, Any]]]]]:
    """Each lifecycle policy whose text is a JSON object with a list of rules, with its rules by index."""
    for request in stack.of(LIFECYCLE):
        document = _document(request)
        if isinstance(document, dict) and isinstance(document.get("rules"), list):
            yield request, indexed(document["rules"])


@rule
def lifecycle_policy_document(stack: Stack) -> Iterator[Finding]:
    """Lifecycle policy template: a JSON object whose `rules` list holds one or more rules."""
    for request in stack.of(LIFECYCLE):
        document = _document(request)
        if isinstance(document, json.JSONDecodeError):
            yield request, _TEXT, f"is not JSON ({document.msg} at character {document.pos})"
        elif document is not None and not (isinstance(document, dict) and isinstance(document.get("rules"), list)
                                           and document["rules"]):
            yield request, _TEXT, "must be a JSON object with a non-empty list of rules"


@rule
def lifecycle_rule_priorities(stack: Stack) -> Iterator[Finding]:
    """rulePriority: "Type: integer. Required: yes"; "you must give them each a unique value for rulePriority";
    "A rule with a tagStatus value of any must have the highest value for rulePriority and be evaluated last"."""
    for request, rules in _rules(stack):
        seen: dict[float, int] = {}
        for index, item in rules:
            priority = item.get("rulePriority")
            field = f"{_TEXT}.rules[{index}].rulePriority"
            if not _whole(priority) or priority < 1:
                yield request, field, f"a rule priority is a whole number of at least 1; got {show(priority)}"
            elif priority in seen:
                yield (request, field, f"rule priorities must be unique; {show(priority)} is also the priority of "
                                       f"rules[{seen[priority]}]")
            else:
                seen[priority] = index
        priorities = [item.get("rulePriority") for _, item in rules if _whole(item.get("rulePriority"))]
        for index, item in rules:
            priority = item.get("rulePriority")
            if dig(item, "selection", "tagStatus") == "any" and _whole(priority) and priority < max(priorities):
                yield (request, f"{_TEXT}.rules[{index}].rulePriority",
                       f"the rule with tagStatus any must have the highest priority (be evaluated last); "
                       f"{show(priority)} is below {show(max(priorities))}")


@rule
def lifecycle_rule_selections(stack: Stack) -> Iterator[Finding]:
    """selection: tagStatus tagged, untagged or any; "If you specify tagged, then you must also specify a
    tagPrefixList value or a tagPatternList value. If you specify untagged, then you must omit both"; at most four
    wildcards in each tagPatternList string; "Only one rule is allowed to select untagged images"."""
    for request, rules in _rules(stack):
        untagged: list[int] = []
        for index, item in rules:
            selection = item.get("selection")
            field = f"{_TEXT}.rules[{index}].selection"
            if not isinstance(selection, dict):
                yield request, field, "every rule needs a selection"
                continue
            status = selection.get("tagStatus")
            lists = [key for key in ("tagPrefixList", "tagPatternList") if selection.get(key)]
            if status not in TAG_STATUSES:
                yield request, f"{field}.tagStatus", f"must be tagged, untagged or any; got {show(status)}"
            elif status == "tagged" and not lists:
                yield (request, f"{field}.tagStatus",
                       "a rule selecting tagged images needs a tagPrefixList or a tagPatternList")
            elif status != "tagged" and lists:
                yield (request, f"{field}.{lists[0]}",
                       f"a rule with tagStatus {status} selects images by tag status only; remove {lists[0]}")
            if status == "untagged":
                untagged.append(index)
            for pattern in selection.get("tagPatternList") or []:
                if isinstance(pattern, str) and pattern.count("*") > MAX_WILDCARDS:
                    yield (request, f"{field}.tagPatternList",
                           f"a tag pattern may hold at most {MAX_WILDCARDS} wildcards; {pattern!r} has "
                           f"{pattern.count('*')}")
        for index in untagged[1:]:
            yield (request, f"{_TEXT}.rules[{index}].selection.tagStatus",
                   f"only one rule may select untagged images; rules[{untagged[0]}] already does")


@rule
def lifecycle_rule_counts(stack: Stack) -> Iterator[Finding]:
    """selection.countType: imageCountMoreThan, sinceImagePushed, sinceImagePulled or sinceImageTransitioned;
    countUnit "days" is required with an age and "an error will occur if you specify a count unit when countType is
    any other value"; countNumber: "Acceptable values are positive integers (0 is not an accepted value)"; action
    type expire or transition."""
    for request, rules in _rules(stack):
        for index, item in rules:
            selection = item.get("selection") if isinstance(item.get("selection"), dict) else {}
            field = f"{_TEXT}.rules[{index}].selection"
            count_type, unit, count = (selection.get(k) for k in ("countType", "countUnit", "countNumber"))
            if selection and count_type not in COUNT_TYPES:
                yield request, f"{field}.countType", f"must be one of {', '.join(COUNT_TYPES)}; got {show(count_type)}"
            elif count_type in AGE_COUNT_TYPES and unit != "days":
                yield request, f"{field}.countUnit", f"an age ({count_type}) is counted in days; got {show(unit)}"
            elif count_type == "imageCountMoreThan" and unit is not None:
                yield (request, f"{field}.countUnit",
                       f"countUnit applies to ages only, not to imageCountMoreThan; got {show(unit)}")
            if selection and (not _whole(count) or count < 1):
                yield (request, f"{field}.countNumber",
                       f"must be a whole number of at least 1 (0 is not accepted); got {show(count)}")
            action = dig(item, "action", "type")
            if action not in ACTIONS:
                yield (request, f"{_TEXT}.rules[{index}].action.type",
                       f"must be expire or transition; got {show(action)}")


def _region(repository: ApiRequest) -> Any:
    """The repository's region: its own `region` input, else the region in its ARN (known once created)."""
    region = repository.resource.inputs.get("region")
    arn = repository.resource.outputs.get("arn")
    if not region and isinstance(arn, str) and known(arn) and arn.count(":") >= 5:
        region = arn.split(":")[3]
    return region if isinstance(region, str) and known(region) else None


@rule
def repository_encryption_key_region(stack: Stack) -> Iterator[Finding]:
    """EncryptionConfiguration kmsKey: "The alias, key ID, or full ARN of the KMS key can be specified. The key must
    exist in the same Region as the repository"."""
    for repository in stack.of(REPOSITORY):
        key = dig(repository.params, "encryptionConfiguration", "kmsKey")
        region = _region(repository)
        if isinstance(key, str) and known(key) and key.startswith("arn:") and key.count(":") >= 5 and region:
            if key.split(":")[3] != region:
                yield (repository, "encryptionConfiguration.kmsKey",
                       f"the KMS key must be in the repository's region {region}; {key} is in {key.split(':')[3]}")


@rule
def repository_mutability_exclusions(stack: Stack) -> Iterator[Finding]:
    """CreateRepository imageTagMutabilityExclusionFilters: they apply only when imageTagMutability is
    IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION."""
    for repository in stack.of(REPOSITORY):
        mutability = repository.params.get("imageTagMutability")
        if repository.params.get("imageTagMutabilityExclusionFilters") and known(mutability) \
                and mutability not in ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"):
            yield (repository, "imageTagMutabilityExclusionFilters",
                   f"exclusion filters apply with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION; got "
                   f"{show(mutability)}")


@rule
def registry_scan_frequencies(stack: Stack) -> Iterator[Finding]:
    """RegistryScanningRule scanFrequency: "When the ENHANCED scan type is specified, the supported scan frequencies
    are CONTINUOUS_SCAN and SCAN_ON_PUSH. When the BASIC scan type is specified, the SCAN_ON_PUSH scan frequency is
    supported"."""
    allowed = {"ENHANCED": ("CONTINUOUS_SCAN", "SCAN_ON_PUSH"), "BASIC": ("SCAN_ON_PUSH",)}
    for request in stack.of(REGISTRY_SCANNING):
        scan_type = request.params.get("scanType")
        for index, scanning_rule in indexed(request.params.get("rules")):
            frequency = scanning_rule.get("scanFrequency")
            if scan_type in allowed and known(frequency) and frequency not in allowed[scan_type]:
                yield (request, f"rules[{index}].scanFrequency",
                       f"{scan_type} scanning supports {' or '.join(allowed[scan_type])}; got {show(frequency)}")
