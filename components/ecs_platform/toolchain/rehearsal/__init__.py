"""Scaling rehearsal: replay a queue worker's alarms and scaling policies against traffic, before deploying.

:func:`read_worker` reads the worker from what a program registered (any program: the platform's QueueWorker or a
raw pulumi_aws service, queue, alarms and policies); :func:`rehearse` replays them against :class:`Traffic`
second by second under stated :class:`Assumptions` (docs/rehearsal.md); :mod:`.plot` draws the result.
"""

from .model import RehearsalError, Worker, read_worker
from .simulate import Assumptions, Result, ScenarioError, Traffic, rehearse

__all__ = ["Assumptions", "RehearsalError", "Result", "ScenarioError", "Traffic", "Worker", "read_worker", "rehearse"]
