"""Unit tests of a Pulumi program built on ecs_platform, in a few lines, with no cloud account.

    from ecs_platform.testing import run_stack

    def test_the_api_runs_three_tasks():
        run = run_stack("path/to/program", "prod", stack_references={
            "acme/ecs-platform/prod": {"vpcId": "vpc-123", "clusterArn": "arn:aws:ecs:..."}})
        service = run.one("aws:ecs/service:Service", "api")
        assert service.inputs["desiredCount"] == 3

- :func:`run_stack` runs a program directory with its ``Pulumi.<stack>.yaml`` (config passed as the Pulumi CLI
  passes it); :func:`run` runs a function (a component or two) with a config of your own.
- :class:`AwsMocks` answers like AWS: ids, ARNs, auto-names, DNS names in the provider's shapes, the invokes the
  components make, and the outputs of ``StackReference`` s you give it.
- A :class:`ProgramRun` holds every registration in order (:class:`Registration`: type, name, inputs, outputs,
  parent, provider, dependencies, options) and the stack outputs; ``run.one(type, name)``, ``run.of_type(type)``
  and ``run.children(resource)`` find resources.

This needs no extra: only the components' own dependencies. Your test run shows the warnings of your code, not the
SDKs' own import-time deprecation warnings (see ``ecs_platform._sdk``).
"""

from .. import _sdk  # noqa: F401 - a consumer's program uses the SDKs: loaded here without their warnings
from ..offline.engine import ProgramRun, Registration, run, run_stack, stack_config
from ..offline.mocks import ACCOUNT_ID, AwsMocks

__all__ = ["ACCOUNT_ID", "AwsMocks", "ProgramRun", "Registration", "run", "run_stack", "stack_config"]
