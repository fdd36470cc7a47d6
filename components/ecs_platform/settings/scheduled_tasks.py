"""Settings of a task EventBridge Scheduler starts on a schedule (``ecs-platform:scheduledTasks``)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..scheduled_task import EBS_ON_SCHEDULE, retry_problem, schedule_problem, timezone_problem
from .base import Bool, KeyProblem, _blame, _component_check, _Settings
from .tasks import TaskSettings


class ScheduleRetrySettings(_Settings):
    maximum_retry_attempts: int = Field(defaults.SCHEDULE_RETRY_ATTEMPTS,
                                        description="Retries of a run that could not start, 0 to 185.")
    maximum_event_age_seconds: int = Field(defaults.SCHEDULE_MAX_EVENT_AGE_SECONDS,
                                           description="Seconds a run is retried, 60 to 86400.")

    @model_validator(mode="after")
    def _ranges(self) -> "ScheduleRetrySettings":
        problem = retry_problem(self.maximum_retry_attempts, self.maximum_event_age_seconds)
        if problem:
            blamed = _blame(problem)
            raise KeyProblem(blamed.key.removeprefix("retry."), str(blamed))
        return self


class ScheduledTaskSettings(TaskSettings):
    """A task EventBridge Scheduler starts on a schedule, on Spot unless onDemand."""

    schedule: str = Field(description="rate(1 day) or cron(0 3 * * ? *), as EventBridge Scheduler reads them. Required.")
    timezone: str = Field(defaults.SCHEDULE_TIMEZONE, description="IANA time zone of a cron expression.")
    retry: ScheduleRetrySettings = Field(default_factory=ScheduleRetrySettings)
    on_demand: Bool = Field(defaults.SCHEDULED_TASK_ON_DEMAND, description="Run on FARGATE instead of FARGATE_SPOT.")
    enabled: Bool = Field(defaults.SCHEDULE_ENABLED, description="false keeps everything but starts nothing.")

    _expression = field_validator("schedule")(_component_check(schedule_problem, "schedule"))
    _timezone = field_validator("timezone")(_component_check(timezone_problem, "timezone"))

    @model_validator(mode="after")
    def _capacity(self) -> "ScheduledTaskSettings":
        if self.enable_execute_command is not None:
            raise KeyProblem("enableExecuteCommand", "applies to services and workers; a scheduled task's runs cannot "
                                                     "be entered with ECS Exec here. Remove it")
        if self.ebs_volume is not None:
            raise KeyProblem("ebsVolume", EBS_ON_SCHEDULE.removeprefix("ebs_volume "))
        if self.managed_instances is not None and "on_demand" in self.model_fields_set:
            raise KeyProblem("onDemand", "chooses FARGATE or FARGATE_SPOT; with managedInstances the provider's "
                                         "capacity decides. Remove it")
        if self.capacity_provider_strategy is not None:
            raise KeyProblem("capacityProviderStrategy", "a scheduled task runs on FARGATE_SPOT, or FARGATE with "
                                                         "onDemand: true; remove it")
        return self
