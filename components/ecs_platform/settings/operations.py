"""Stack-wide operations settings: the tags every resource carries, how every service and worker is deployed
(``serviceDefaults``), the alarm thresholds every workload inherits, and the monthly budget."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .. import defaults
from .base import Bool, _Settings
from .services import WebAlarmSettings
from .workers import WorkerAlarmSettings


# AWS tag limits (Tagging Best Practices, "Tag naming limits and requirements").
_TAG_KEY = re.compile(r"^(?!aws:)[\w\s+=.:/@-]{1,128}$")
_MAX_TAGS = 50
_PLATFORM_TAGS = {"environment": "the stack name", "project": "the project name", "owner": "tags.owner"}


class TagSettings(_Settings):
    """Tags every taggable resource of the stack carries, besides `environment` (the stack) and `project`."""

    owner: str = Field(min_length=1, max_length=256, description="Team that owns the stack. Required.")
    extra: dict[str, Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="More tags, for example a cost centre."
    )

    @field_validator("extra")
    @classmethod
    def _tag_keys(cls, extra: dict[str, str]) -> dict[str, str]:
        for key in extra:
            if not _TAG_KEY.match(key):
                raise ValueError(
                    f"tag key {key!r} must be 1 to 128 letters, digits, spaces or + - = . _ : / @, not starting aws:"
                )
            if key in _PLATFORM_TAGS:
                raise ValueError(f"{key!r} is set by the platform ({_PLATFORM_TAGS[key]}); remove it from extra")
        if len(extra) + 3 > _MAX_TAGS:
            raise ValueError(f"AWS allows {_MAX_TAGS} tags per resource; 3 are the platform's, so at most {_MAX_TAGS - 3} here")
        return extra


class StackAlarmSettings(WebAlarmSettings, WorkerAlarmSettings):
    """Every threshold, for every workload it fits."""


class ServiceDefaultsSettings(_Settings):
    """How every service and worker of the stack is deployed."""

    minimum_healthy_percent: int = Field(defaults.MINIMUM_HEALTHY_PERCENT, ge=0, le=100)
    maximum_percent: int = Field(defaults.MAXIMUM_PERCENT, ge=100, le=200)
    enable_execute_command: Bool = defaults.ENABLE_EXECUTE_COMMAND
    protect_queues: Bool = Field(True, description="Protect work and dead-letter queues from deletion.")
    wait_for_steady_state: Bool = Field(
        defaults.WAIT_FOR_STEADY_STATE,
        description="pulumi up waits for each deployment to reach steady state, so a rollback fails the update.")
    availability_zone_rebalancing: Bool = Field(
        defaults.AVAILABILITY_ZONE_REBALANCING,
        description="ECS evens each service's and worker's tasks out across Availability Zones after an imbalance.")
    steady_state_timeout_minutes: int = Field(defaults.STEADY_STATE_TIMEOUT_MINUTES,
                                              ge=defaults.MIN_STEADY_STATE_TIMEOUT_MINUTES,
                                              le=defaults.MAX_STEADY_STATE_TIMEOUT_MINUTES)


class BudgetSettings(_Settings):
    """A monthly budget the offline plan holds the stack's cost estimate to."""

    monthly_usd: float = Field(gt=0, description="The budget in USD a month. Required.")
    enforcement: Literal["advisory", "mandatory"] = Field(
        "advisory", description="mandatory: a plan over the budget fails (exit 1); advisory: it warns.")
    count: Literal["desired", "max"] = Field(
        "desired", description="Which estimate is held to it: at the desired task counts, or at the maximum.")
