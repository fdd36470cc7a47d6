"""Drive the pack's rules the way the engine does, in-process: the policy SDK's own analyzer servicer receives
protobuf requests whose properties go through the SDK's deserialization and unknown-checking proxy."""

from __future__ import annotations

import sys
from typing import Any, Optional

from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from ecs_platform.toolchain.policy_runner import to_struct
from ecs_platform.testing import ProgramRun, run

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "policies"))
import platform_policies  # noqa: E402

POLICIES = {p.name: p for p in platform_policies.POLICIES}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's marker for a value that is not known until the resource is created."""


def servicer(name: str, config: Optional[dict[str, Any]] = None) -> _PolicyAnalyzerServicer:
    analyzer = _PolicyAnalyzerServicer("test-pack", "0.0.1", [POLICIES[name]], EnforcementLevel.ADVISORY)
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        name: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=to_struct(config or {}))
    }), None)
    return analyzer


def program(build) -> ProgramRun:
    return run(build, project="policy-test", stack="test", config={"aws:region": "us-east-1"})


def analyze_props(name: str, type_: str, props: dict[str, Any], config: Optional[dict] = None,
                  provider: Optional[dict[str, Any]] = None) -> analyzer_pb2.AnalyzeResponse:
    request = analyzer_pb2.AnalyzeRequest(type=type_, properties=to_struct(props), urn=f"urn:test::{type_}::x",
                                          name="x")
    if provider is not None:
        request.provider.CopyFrom(analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:aws", properties=to_struct(provider), urn="urn:provider", name="aws"))
    return servicer(name, config).Analyze(request, None)


def violations(name: str, stack: ProgramRun, config: Optional[dict] = None) -> list[str]:
    """Messages the policy reports on a program's resources (Analyze per resource, or AnalyzeStack)."""
    analyzer = servicer(name, config)
    resources = [r for r in stack.resources if not r.type.startswith("pulumi:providers:")]
    providers = {r.urn: r for r in stack.resources if r.type.startswith("pulumi:providers:")}
    messages: list[str] = []
    for resource in resources:
        request = analyzer_pb2.AnalyzeRequest(type=resource.type, properties=to_struct(resource.inputs),
                                              urn=resource.urn, name=resource.name)
        provider = providers.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
        if provider is not None:
            request.provider.CopyFrom(analyzer_pb2.AnalyzerProviderResource(
                type=provider.type, properties=to_struct(provider.inputs), urn=provider.urn, name=provider.name))
        messages += [d.message for d in analyzer.Analyze(request, None).diagnostics]
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=r.type, properties=to_struct(r.outputs), urn=r.urn, name=r.name,
                                      parent=r.parent, dependencies=r.dependencies)
        for r in resources
    ])
    messages += [d.message for d in analyzer.AnalyzeStack(stack_request, None).diagnostics]
    return messages
