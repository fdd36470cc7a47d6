"""Scaling rehearsal: replay a queue worker's alarms and scaling policies against traffic, before deploying.

:func:`read_worker` reads the worker from what a program registered (any program: the platform's QueueWorker or a
raw pulumi_aws service, queue, alarms and policies); :func:`rehearse` replays them against :class:`Traffic`
second by second under stated :class:`Assumptions` (docs/rehearsal.md); :mod:`.plot` draws the result.
:func:`read_rollout` and :func:`replay` do the same for a service's deployment: how long it takes, and whether it
ends before `pulumi up` stops waiting.
"""

from .deployment import Rollout, RolloutAssumptions, RolloutResult, read_rollout, replay
from .model import RehearsalError, Worker, read_worker
from .simulate import Assumptions, Result, ScenarioError, Traffic, rehearse

__all__ = ["Assumptions", "RehearsalError", "Result", "Rollout", "RolloutAssumptions", "RolloutResult", "ScenarioError",
           "Traffic", "Worker", "read_rollout", "read_worker", "rehearse", "replay"]
