"""Convert each resource's properties once per request instead of once per policy.

The policy SDK's analyzer converts a request's properties (protobuf Struct to dict, then Pulumi's deserialization,
then a proxy that guards unknown values) inside its loop over policies, so a pack of 44 policies converts every resource 44 times; AnalyzeStack converts
the whole stack once per stack policy. That conversion is most of the pack's time. This installs a cache that lives
for exactly one Analyze or AnalyzeStack call: within it, the same message content yields the same converted
dictionary (the rules only read it). Results are identical; `tests/test_policy_pack.py` checks that against the
SDK without the cache. If a future SDK renames what is wrapped here, nothing is installed and the pack works as
before, only slower.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

_calls = threading.local()


class _CachedJsonFormat:
    """Stands in for `google.protobuf.json_format` inside the SDK's analyzer module."""

    def __init__(self, original: Any) -> None:
        self._original = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - mirrors the SDK name
        cache = getattr(_calls, "cache", None)
        if cache is None or args or kwargs:
            return self._original.MessageToDict(message, *args, **kwargs)
        # Keyed by content: repeated-field elements come back as new wrapper objects on every access.
        key = ("dict", message.SerializeToString(deterministic=True))
        if key not in cache:
            cache[key] = self._original.MessageToDict(message)
        return cache[key]


def _cached_by_identity(kind: str, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Cache a one-argument conversion by the identity of its argument, which the cache keeps alive."""
    @functools.wraps(original)
    def convert(value: Any) -> Any:
        cache = getattr(_calls, "cache", None)
        if cache is None:
            return original(value)
        key = (kind, id(value))
        if key not in cache:
            cache[key] = (value, original(value))
        return cache[key][1]
    return convert


def _one_call(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, request: Any, context: Any) -> Any:
        _calls.cache = {}
        try:
            return method(self, request, context)
        finally:
            _calls.cache = None
    return call


def install() -> bool:
    """Wrap the SDK's analyzer; returns whether it could."""
    try:
        from pulumi_policy import policy as sdk

        servicer = sdk._PolicyAnalyzerServicer
        sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy  # noqa: B018 - all must exist
    except (ImportError, AttributeError):
        return False
    if getattr(servicer, "_converts_once", False):
        return True
    sdk.json_format = _CachedJsonFormat(sdk.json_format)
    sdk.deserialize_properties = _cached_by_identity("props", sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _cached_by_identity("proxy", sdk.unknown_checking_proxy)
    servicer.Analyze = _one_call(servicer.Analyze)
    servicer.AnalyzeStack = _one_call(servicer.AnalyzeStack)
    servicer._converts_once = True
    return True
