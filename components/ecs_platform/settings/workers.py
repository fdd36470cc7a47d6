"""Settings of an SQS queue worker (``ecs-platform:workers``): its queue, its scaling (steps or backlog), its alarm
thresholds, and the capacity it runs on by default."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .. import defaults, validation
from ..enums import WorkerScalingMode
from .base import Bool, KeyProblem, _Settings
from .cluster import CapacityProviderSettings
from .services import AlarmSettings, ServiceConnectSettings
from .tasks import TaskSettings
from .topics import SubscriptionSettings


class WorkerAlarmSettings(AlarmSettings):
    """A queue worker's alarm thresholds: its queue too."""

    oldest_message_age_seconds: Optional[float] = Field(
        None, gt=0, description="Age of the oldest waiting message. Default: acceptableLatencySeconds in backlog "
                                "mode, else 300.")


class QueueSettings(_Settings):
    visibility_timeout_seconds: int = Field(defaults.QUEUE_VISIBILITY_TIMEOUT_SECONDS, ge=0, le=43200)
    # The dead-letter queue keeps messages 14 days, the SQS maximum; its retention must exceed the source's, since
    # a message keeps its original enqueue time when it moves (SQS Developer Guide, dead-letter queues).
    message_retention_seconds: int = Field(defaults.QUEUE_RETENTION_SECONDS, ge=60)
    max_receive_count: int = Field(defaults.MAX_RECEIVE_COUNT, ge=1, le=1000)
    kms_key_arn: Optional[str] = None
    fifo: Bool = Field(False, description="FIFO queues, for FIFO topics. Changing it replaces both queues and loses "
                                          "their messages.")

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "kms", "key/")

    @field_validator("message_retention_seconds")
    @classmethod
    def _shorter_than_dead_letters(cls, value: int) -> int:
        limit = defaults.DEAD_LETTER_RETENTION_SECONDS
        if value >= limit:
            raise ValueError(f"must be shorter than the dead-letter queue's {limit} s (14 days, the SQS maximum), or "
                             f"messages would expire there before anyone could look; got {value}")
        return value


class ScalingStepSettings(_Settings):
    messages: int = Field(ge=1)
    add: int = Field(ge=1, le=1000)


_WAKE_SECONDS = 120
"""What the scaling rehearsal measures for a worker at zero tasks to run its first task (docs/benchmarks.md)."""


class WorkerScalingSettings(_Settings):
    mode: WorkerScalingMode = defaults.WORKER_SCALING_MODE
    min_tasks: int = Field(defaults.WORKER_MIN_TASKS, ge=0, le=1000)
    max_tasks: int = Field(defaults.WORKER_MAX_TASKS, ge=1, le=1000)
    scale_out_steps: list[ScalingStepSettings] = Field(
        default_factory=lambda: [
            ScalingStepSettings.model_validate({"messages": m, "add": a}) for m, a in defaults.SCALE_OUT_STEPS
        ],
        min_length=1,
    )
    idle_minutes: int = Field(defaults.IDLE_MINUTES, ge=defaults.MIN_IDLE_MINUTES, le=defaults.MAX_IDLE_MINUTES,
                              description="Minutes of an idle queue before scaling in, straight to minTasks.")
    acceptable_latency_seconds: float = Field(defaults.ACCEPTABLE_LATENCY_SECONDS, gt=0)
    seconds_per_message: float = Field(defaults.SECONDS_PER_MESSAGE, gt=0)
    scale_out_cooldown_seconds: int = Field(defaults.WORKER_SCALE_OUT_COOLDOWN_SECONDS, ge=0, le=3600)
    scale_in_cooldown_seconds: int = Field(defaults.WORKER_SCALE_IN_COOLDOWN_SECONDS, ge=0, le=3600)

    @model_validator(mode="after")
    def _keys_of_the_mode(self) -> "WorkerScalingSettings":
        ignored = {WorkerScalingMode.STEPS: ("acceptable_latency_seconds", "seconds_per_message"),
                   WorkerScalingMode.BACKLOG: ("scale_out_steps",)}[self.mode]
        for name in ignored:
            if name in self.model_fields_set:
                raise KeyProblem(to_camel(name), f"is not used in {self.mode.value} mode; remove it or set mode: "
                                                 f"{'backlog' if self.mode is WorkerScalingMode.STEPS else 'steps'}")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> "WorkerScalingSettings":
        for key, check in (
            ("minTasks", lambda: validation.scaling_bounds(self.min_tasks, self.max_tasks)),
            ("scaleOutSteps", lambda: validation.scale_out_steps([(s.messages, s.add) for s in self.scale_out_steps])),
        ):
            try:
                check()
            except ValueError as error:
                raise KeyProblem(key, str(error)) from None
        if self.mode is WorkerScalingMode.BACKLOG and self.acceptable_latency_seconds < self.seconds_per_message:
            raise KeyProblem("acceptableLatencySeconds", "is shorter than secondsPerMessage: no backlog can meet it")
        if self.mode is WorkerScalingMode.BACKLOG and self.min_tasks == 0 and \
                self.acceptable_latency_seconds < _WAKE_SECONDS:
            raise KeyProblem("acceptableLatencySeconds",
                             f"a worker at zero tasks needs about {_WAKE_SECONDS} s to wake (a minute for the alarm, a "
                             f"minute for the task to start), so {self.acceptable_latency_seconds:g} s cannot be met; "
                             "allow longer or keep minTasks at 1 or more")
        return self


class WorkerSettings(TaskSettings):
    """An SQS queue worker."""

    stop_timeout_seconds: int = Field(defaults.WORKER_STOP_TIMEOUT_SECONDS, ge=2, le=120)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    scaling: WorkerScalingSettings = Field(default_factory=WorkerScalingSettings)
    service_connect: Optional[ServiceConnectSettings] = Field(
        None, description="Join the cluster's Service Connect namespace to call services there. Default: no.")
    alarms: WorkerAlarmSettings = Field(default_factory=WorkerAlarmSettings,
                                        description="This worker's alarm thresholds.")
    subscriptions: list[SubscriptionSettings] = Field(
        default_factory=list, description="Topics of the stack whose messages arrive on the queue. Default: none.")

    @field_validator("subscriptions")
    @classmethod
    def _each_topic_once(cls, value: list[SubscriptionSettings]) -> list[SubscriptionSettings]:
        topics = [s.topic for s in value]
        twice = sorted({t for t in topics if topics.count(t) > 1})
        if twice:
            raise ValueError(f"subscribes to {', '.join(twice)} twice")
        return value

    @model_validator(mode="after")
    def _a_client_only(self) -> "WorkerSettings":
        if self.service_connect is not None and self.service_connect.callers:
            raise KeyProblem("serviceConnect.callers", "a queue worker exposes no port to call; only web services "
                                                       "take callers")
        return self

    @model_validator(mode="after")
    def _visibility(self) -> "WorkerSettings":
        # A task told to stop keeps working on its message for up to stopTimeout; if the message became visible
        # again meanwhile, a second task would take it too.
        if self.queue.visibility_timeout_seconds <= self.stop_timeout_seconds:
            raise KeyProblem("queue.visibilityTimeoutSeconds",
                             f"must be longer than stopTimeoutSeconds ({self.stop_timeout_seconds}), so a stopping task "
                             f"finishes its message before anyone else can receive it; got "
                             f"{self.queue.visibility_timeout_seconds}")
        return self


def _default_worker_strategy() -> list[CapacityProviderSettings]:
    return [
        CapacityProviderSettings.model_validate({"capacityProvider": p, "weight": w, "base": b})
        for p, w, b in defaults.WORKER_CAPACITY_PROVIDER_STRATEGY
    ]
