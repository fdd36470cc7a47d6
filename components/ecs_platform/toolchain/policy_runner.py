"""Run a CrossGuard policy pack against a program run, speaking the analyzer protocol as the Pulumi engine does.

The pack is started the way the Pulumi CLI's Python language host starts it: ``python -u -m pulumi.policy <engine
address> .`` with the pack's folder as working directory (its own ``venv`` when there is one), an engine gRPC service
listening for its log messages, and the stack's organization, project, name, dry-run flag and config in the
environment. :class:`Analysis` then makes the engine's calls in the engine's order (Handshake, ConfigureStack,
GetPluginInfo, GetAnalyzerInfo, Configure; Remediate and Analyze for every registration; AnalyzeStack; Cancel).

The result is a :class:`PolicyReport` of violations with their level and Security Hub control, and of the
evaluations the pack could not make because a value was unknown at preview.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures
import contextlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from ecs_platform.offline.engine import ProgramRun, Registration

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_VALUES = {name: value for value, name in _LEVELS.items()}
_SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}
_CANT_RUN = "can't run policy "
"""How the policy SDK words an evaluation it could not make because a value was unknown (always advisory)."""


class PolicyPackError(RuntimeError):
    """The pack did not start, or failed a call; the engine stops the preview with such a message."""


class PolicyConfigError(ValueError):
    """The pack-config file does not fit the pack: unknown policy, bad level, or a value its schema refuses."""


@dataclass
class PolicyInfo:
    name: str
    description: str
    level: str
    severity: str
    control: str
    kind: str
    config_schema: dict[str, Any]


@dataclass
class Violation:
    policy: str
    level: str
    control: str
    severity: str
    message: str
    urn: str
    resource_type: str
    resource_name: str
    stack_file: Optional[Any] = None
    """Where in the stack file it comes from (a plan's StackFileRef), when known."""

    def to_dict(self) -> dict[str, Any]:
        shown = {k: v for k, v in asdict(self).items() if k != "stack_file"}
        shown["stackFile"] = self.stack_file.to_dict() if self.stack_file is not None else None
        return shown


def _order(v: "Violation") -> tuple[str, str, str, str]:
    return v.policy, v.resource_type, v.resource_name, v.message


@dataclass
class PolicyReport:
    pack: str
    version: str
    policies: list[PolicyInfo] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    unjudged: list[Violation] = field(default_factory=list)
    """Evaluations the pack could not make because a value was unknown (a preview), with the level the policy
    would have been enforced at; the SDK reports each as an advisory "can't run policy ... during preview"."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level in ("mandatory", "remediate")]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "advisory"]

    @property
    def unjudged_mandatory(self) -> list[Violation]:
        """Mandatory policies that could not be judged: a gate with a hole in it."""
        return [v for v in self.unjudged if v.level in ("mandatory", "remediate")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "version": self.version,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            # Sorted: the pack answers in no fixed order across resources.
            "violations": [v.to_dict() for v in sorted(self.violations, key=_order)],
            "unjudged": [v.to_dict() for v in sorted(self.unjudged, key=_order)],
        }

    def lines(self) -> Iterator[str]:
        for v in sorted(self.violations, key=lambda v: (v.level != "mandatory", v.control, v.resource_name, v.message)):
            where = f"{v.resource_type}::{v.resource_name}" if v.resource_name else "stack"
            yield f"{v.level.upper():9} {v.control:28} {v.policy:40} {where}: {v.message}{_change(v)}"
        for v in sorted(self.unjudged, key=lambda v: (v.policy, v.resource_name)):
            where = f"{v.resource_type}::{v.resource_name}" if v.resource_name else "stack"
            yield f"{'UNJUDGED':9} {v.control:28} {v.policy:40} {where}: {v.message} ({v.level} policy){_change(v)}"


def _change(v: Violation) -> str:
    return f" (change {v.stack_file.where()})" if v.stack_file is not None else ""


# The engine side ---------------------------------------------------------------------------------------------


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The engine service a pack may log to."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 - gRPC method name
        self.messages.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.SetRootResourceResponse()


@contextmanager
def _engine() -> Iterator[tuple[str, _EngineLog]]:
    service = _EngineLog()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", service
    finally:
        server.stop(0)


def _python_for(pack_dir: Path) -> str:
    """The pack's own virtualenv when it has one (as the engine would use), else this interpreter."""
    for candidate in (pack_dir / "venv" / "bin" / "python", pack_dir / "venv" / "Scripts" / "python.exe"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def locate_pack(directory: Path, stack: str, pack: Optional[Path], pack_config: Optional[Path],
                pack_given: bool) -> tuple[Optional[Path], Optional[Path], list[str]]:
    """The pack a plan of ``stack`` uses (``pack``, or ``<directory>/policies`` when it holds one and no pack was
    given), its config file (``pack_config``, or ``<pack>/config/<stack>.json`` when present), and notes saying
    what is missing."""
    notes: list[str] = []
    if pack is None and not pack_given and (directory / "policies" / "PulumiPolicy.yaml").is_file():
        pack = directory / "policies"
    if pack is None:
        notes.append(f"no policy pack at {directory / 'policies'}: policy checks skipped")
    elif pack_config is None:
        if (pack / "config" / f"{stack}.json").is_file():
            pack_config = pack / "config" / f"{stack}.json"
        else:
            notes.append(f"the policy pack has no config for stack {stack} ({pack / 'config' / f'{stack}.json'}): "
                         "judged at the pack's default enforcement levels")
    return pack, pack_config, notes


class PolicyPack:
    """A pack process started the way the engine starts it. The process is spawned on entry, or with ``lazy`` when
    :meth:`start` is first called (an :class:`Analysis` calls it when the program registers its first resource, so
    a program refused before it creates anything never starts the pack); :attr:`stub` waits for it to listen, so a
    caller can start the pack and run the program at the same time."""

    def __init__(self, pack_dir: Path, *, project: str, stack: str, config: Mapping[str, str],
                 timeout: float = 60.0, dry_run: bool = True, organization: str = "organization",
                 lazy: bool = False) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.project, self.stack, self.config, self.timeout = project, stack, dict(config), timeout
        self.dry_run, self.organization, self.lazy = dry_run, organization, lazy
        self._stub: Optional[analyzer_pb2_grpc.AnalyzerStub] = None
        self.process: Optional[subprocess.Popen] = None
        self._port: Optional[int] = None
        self._lock = threading.Lock()
        self._key: Optional[str] = None
        """What the process is shared by (:meth:`_share_key`), worked out once, from the pack as it was started."""

    @property
    def declared_version(self) -> Optional[str]:
        """The version in PulumiPolicy.yaml, which the engine reports instead of the pack's own."""
        import yaml

        manifest = self.pack_dir / "PulumiPolicy.yaml"
        data = yaml.safe_load(manifest.read_text()) if manifest.exists() else None
        return str(data["version"]) if isinstance(data, dict) and data.get("version") else None

    def __enter__(self) -> "PolicyPack":
        if not self.lazy:
            self.start()
        return self

    def start(self) -> None:
        """Start the engine service and the pack process, once."""
        with self._lock:
            if self.process is not None:
                return
            if _sharing:
                self._key = self._share_key()
            if self._key is not None and (idle := _take_idle(self._key)) is not None:
                self.process, self._engine, self.engine_address, self.engine_log, self._port = idle
                self.engine_log.messages.clear()
                return
            self._engine = _engine()
            self.engine_address, self.engine_log = self._engine.__enter__()
            # What the language host sets from ConfigureStack before it starts the pack.
            env = {
                **os.environ,
                "PULUMI_ORGANIZATION": self.organization,
                "PULUMI_PROJECT": self.project,
                "PULUMI_STACK": self.stack,
                "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
                "PULUMI_CONFIG": json.dumps(self.config),
            }
            self.process = subprocess.Popen(
                [_python_for(self.pack_dir), "-u", "-m", "pulumi.policy", self.engine_address, "."],
                cwd=self.pack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            self.start()
            assert self.process is not None
            if self._port is None:
                self._port = _read_port(self.process, self.timeout)
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self._port}")
            grpc.channel_ready_future(self._channel).result(timeout=self.timeout)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def __exit__(self, *exc: Any) -> None:
        if self.process is None:
            return
        if self._stub is not None:
            self._channel.close()
        if (_sharing and self._key is not None and exc[0] is None and self._port is not None
                and self.process.poll() is None):
            # A session that ended cleanly: its process answers the next plan of the same pack and config.
            _keep_idle(self._key, (self.process, self._engine, self.engine_address, self.engine_log, self._port))
            return
        _stop(self.process, self._engine)

    def _share_key(self) -> str:
        """The process's identity: the interpreter, the pack's files and what the environment tells the pack."""
        digest = hashlib.sha256(_python_for(self.pack_dir).encode())
        for path in sorted(self.pack_dir.rglob("*")):
            relative = path.relative_to(self.pack_dir)
            if path.is_file() and not {"venv", "__pycache__"} & set(relative.parts):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
        if not _across_stacks:
            digest.update(json.dumps([self.project, self.stack, self.config, self.dry_run, self.organization],
                                     sort_keys=True).encode())
        return digest.hexdigest()


def _stop(process: subprocess.Popen, engine: Any) -> None:
    process.kill()
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe:
            pipe.close()
    engine.__exit__(None, None, None)


_Idle = tuple[subprocess.Popen, Any, str, "_EngineLog", int]
_idle: "OrderedDict[str, list[_Idle]]" = OrderedDict()
_idle_lock = threading.Lock()
_sharing = False
_across_stacks = False
_MAX_IDLE = 6


def share_packs(enabled: bool = True, *, across_stacks: bool = False) -> None:
    """Keep the pack process of each plan that ended cleanly and give it to a later plan in this process whose pack
    (the same files), interpreter and stack (project, name, config, dry run) are the same, instead of starting
    another. The process was started as the engine starts one; every plan still makes the engine's whole sequence
    of calls, ConfigureStack and Configure first, which set everything a Python pack keeps between calls. Meant for
    test sessions, which plan the same stacks many times; the CLI plans once per process and gains nothing. At most
    ``_MAX_IDLE`` processes wait; the rest are stopped, and so are all of them at exit.

    The stack reaches a Python pack only through the environment its process starts with (the project, stack,
    dry run and stack config the language host sets; the policy SDK reads them on every call), so a process is
    shared only within one stack. With ``across_stacks``, the caller vouches that the pack's rules read none of
    that (they judge the resources and the policy config alone), and a process serves any stack's plan."""
    global _sharing, _across_stacks
    _sharing, _across_stacks = enabled, across_stacks
    if not enabled:
        _stop_idle()


def _take_idle(key: str) -> Optional[_Idle]:
    with _idle_lock:
        while _idle.get(key):
            idle = _idle[key].pop()
            if idle[0].poll() is None:
                return idle
            _stop(idle[0], idle[1])
        return None


def _keep_idle(key: str, idle: _Idle) -> None:
    with _idle_lock:
        _idle.setdefault(key, []).append(idle)
        _idle.move_to_end(key)
        while sum(len(each) for each in _idle.values()) > _MAX_IDLE:
            oldest = next(iter(_idle))
            _stop(*_idle[oldest].pop(0)[:2])
            if not _idle[oldest]:
                del _idle[oldest]


@atexit.register
def _stop_idle() -> None:
    with _idle_lock:
        for each in _idle.values():
            for process, engine, *_ in each:
                _stop(process, engine)
        _idle.clear()


@contextmanager
def start_pack(pack_dir: Path, *, project: str, stack: str, config: Mapping[str, str],
               timeout: float = 60.0) -> Iterator[tuple[analyzer_pb2_grpc.AnalyzerStub, _EngineLog]]:
    """Start the pack as the engine does and yield a connected analyzer stub."""
    with PolicyPack(pack_dir, project=project, stack=stack, config=config, timeout=timeout) as pack:
        yield pack.stub, pack.engine_log


def _read_port(process: subprocess.Popen, timeout: float) -> int:
    """The pack prints the port its gRPC server listens on as its first line."""
    result: dict[str, bytes] = {}

    def read() -> None:
        assert process.stdout is not None
        try:
            result["line"] = process.stdout.readline()
        except (ValueError, OSError):  # the pipe was closed: the plan ended (a refused stack) before the pack spoke
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    line = result.get("line", b"").strip()
    if not line.isdigit():
        started = reader.is_alive()
        process.kill()
        process.wait()
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        last = next((text for text in reversed(stderr.splitlines()) if text.strip()), "")
        if started:
            raise PolicyPackError(f"it did not start within {timeout:g} s (no port printed)")
        raise PolicyPackError(f"it did not start: {last.strip() or line.decode(errors='replace') or 'no output'}")
    return int(line)


# Config ------------------------------------------------------------------------------------------------------


def reconcile_config(policies: list[PolicyInfo], file_config: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Each policy's level and properties: schema defaults, then ``all``, then the policy's own entry."""
    file_config = dict(file_config or {})
    names = {p.name for p in policies}
    unknown = sorted(set(file_config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)}")
    result: dict[str, Any] = {}
    for policy in policies:
        level = policy.level
        properties = {k: v["default"] for k, v in policy.config_schema.get("properties", {}).items() if "default" in v}
        for entry in (file_config.get("all"), file_config.get(policy.name)):
            if isinstance(entry, str):
                level = entry
            elif isinstance(entry, Mapping):
                level = entry.get("enforcementLevel", level)
                properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
            elif entry is not None:
                raise PolicyConfigError(f"{policy.name}: expected an enforcement level or an object; got {entry!r}")
        if level not in _LEVEL_VALUES:
            raise PolicyConfigError(f"{policy.name}: enforcement level must be one of {', '.join(_LEVEL_VALUES)}; got {level!r}")
        given = any(isinstance(e, Mapping) and set(e) - {"enforcementLevel"}
                    for e in (file_config.get("all"), file_config.get(policy.name)))
        if policy.config_schema.get("properties"):
            if given:  # the schema's own defaults fit it: only what a file sets needs checking
                import jsonschema

                schema = {"type": "object", "additionalProperties": False, **policy.config_schema}
                try:
                    jsonschema.validate(properties, schema)
                except jsonschema.ValidationError as error:
                    where = ".".join(str(p) for p in error.absolute_path) or "config"
                    raise PolicyConfigError(f"{policy.name}.{where}: {error.message}") from None
        elif properties:
            raise PolicyConfigError(f"{policy.name} takes no config; got {', '.join(properties)}")
        result[policy.name] = {"level": level, "properties": properties}
    return result


# Requests ----------------------------------------------------------------------------------------------------


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    try:
        message.update(values)
    except (TypeError, ValueError):
        # Values that are not JSON types (tuples, enums) go through JSON first, as the engine would carry them.
        message.update(json.loads(json.dumps(values, default=str)))
    return message


def _options(resource: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=resource.delete_before_replace,
        parent=resource.parent,
    )


def _accept_unimplemented(call: Any, request: Any) -> Any:
    """Send a call the engine tolerates a pack not implementing (the Python SDK has no Handshake and no Cancel)."""
    try:
        return call(request)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise
        return None


def _info(response: analyzer_pb2.AnalyzerInfo) -> tuple[str, str, list[PolicyInfo]]:
    from google.protobuf import json_format

    policies = []
    for p in response.policies:
        schema = json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else {}
        control = p.framework.reference if p.HasField("framework") else ""
        policies.append(PolicyInfo(
            name=p.name, description=p.description, level=_LEVELS.get(p.enforcementLevel, "advisory"),
            severity=_SEVERITIES.get(p.severity, ""), control=control,
            kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
            config_schema=schema,
        ))
    return response.name, response.version, policies


def run_policies(run: ProgramRun, pack_dir: Path, config_file: Optional[Path] = None,
                 config: Optional[Mapping[str, str]] = None) -> PolicyReport:
    """Analyze a finished program run with the pack in ``pack_dir`` and the pack-config file ``config_file``."""
    with PolicyPack(pack_dir, project=run.project, stack=run.stack, config=config or {}) as pack:
        return analyze(pack, run, config_file)


def analyze(pack: PolicyPack, run: ProgramRun, config_file: Optional[Path] = None) -> PolicyReport:
    """Drive a started pack through the engine's sequence of calls for a finished ``run``."""
    session = Analysis(pack, config_file, project=run.project, stack=run.stack)
    for resource in ([run.root] if run.root else []) + run.resources:
        session.on_register(resource)
    return session.finish(run).result()


class Analysis:
    """One analysis session, with the calls the Pulumi engine makes and in its order (pulumi/pulumi
    `pkg/resource/plugin/analyzer_plugin.go`, `pkg/engine/update.go`, `pkg/resource/deploy/step_generator.go`):

    1. ``Handshake`` (a Python pack answers UNIMPLEMENTED, which the engine accepts), ``ConfigureStack`` (stack,
       project, organization, dry run, config, tags), ``GetPluginInfo``, ``GetAnalyzerInfo``, ``Configure`` (each
       policy's level and properties: schema defaults, then the pack-config file with its ``all`` entry);
    2. for every registration, in registration order (the stack, providers, components, resources): ``Remediate``,
       then ``Analyze`` on the inputs the remediations return;
    3. once the program is done, ``AnalyzeStack`` with every resource's outputs, parent and dependencies;
    4. ``Cancel`` when the engine releases the plugin.

    The calls of 1 and 2 are made on a worker thread, one after another, so the pack works in its own process
    while the program is still registering resources; a failing call stops the session as the engine stops a
    preview ("failed to run remediation", "failed to run policy"). :attr:`sequence` records every call made.
    """

    def __init__(self, pack: PolicyPack, config_file: Optional[Path], *, project: str, stack: str,
                 providers: Optional[dict[str, Registration]] = None) -> None:
        self.pack, self.project, self.stack = pack, project, stack
        self.file_config = json.loads(Path(config_file).read_text()) if config_file else None
        self.sequence: list[tuple[str, str]] = []
        self.analyzed: list[tuple[int, str, analyzer_pb2.AnalyzeResponse]] = []
        """(registration index, URN, answer) of every Analyze."""
        self.remediations: list[tuple[int, str, Any]] = []
        self.providers: dict[str, Registration] = {} if providers is None else providers
        self._registered = 0
        self._lock = threading.Lock()
        self.error: Optional[BaseException] = None
        self.configured = threading.Event()
        """Set once the pack is configured and ready for the first Remediate."""
        self._cancelled = False
        self._resources = threading.Event()
        """Set when the program registers its first resource (or finishes): a lazy pack starts then."""
        self._pending: "queue.Queue[Optional[tuple[int, Registration]]]" = queue.Queue()
        self._worker = threading.Thread(target=self._work, daemon=True)
        self._worker.start()

    def _call(self, rpc: str, request: Any, urn: str = "", *, optional: bool = False) -> Any:
        self.sequence.append((rpc, urn))
        method = functools.partial(getattr(self.pack.stub, rpc), timeout=self.pack.timeout)
        return _accept_unimplemented(method, request) if optional else method(request)

    def _work(self) -> None:
        try:
            if self.pack.lazy:
                self._resources.wait()
                if self._cancelled:
                    return
            self.pack.start()
            self._configure()
            self.configured.set()
            while (item := self._pending.get()) is not None:
                self._analyze(*item)
        except grpc.RpcError as error:
            rpc = self.sequence[-1][0] if self.sequence else "the first call"
            self.error = PolicyPackError(f"{rpc} failed: {error.details()}")
        except BaseException as error:  # noqa: BLE001 - re-raised by finish() on the caller's thread
            self.error = error

    def _configure(self) -> None:
        directory = str(self.pack.pack_dir)
        self._call("Handshake", analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self.pack.engine_address, root_directory=directory, program_directory=directory,
        ), optional=True)
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization=self.pack.organization,
            dry_run=self.pack.dry_run, config=self.pack.config,
            tags={"pulumi:project": self.project, "pulumi:runtime": "python"},
        ), optional=True)
        self._call("GetPluginInfo", empty_pb2.Empty())
        self.name, self.version, self.policies = _info(self._call("GetAnalyzerInfo", empty_pb2.Empty()))
        # PulumiPolicy.yaml's version wins over the one the pack reports, as in the engine.
        self.version = self.pack.declared_version or self.version
        reconciled = reconcile_config(self.policies, self.file_config)
        self.levels = {policy: c["level"] for policy, c in reconciled.items()}
        levels = {policy: analyzer_pb2.PolicyConfig(
            enforcementLevel=_LEVEL_VALUES[c["level"]], properties=to_struct(c["properties"]))
            for policy, c in reconciled.items()}
        everything = (self.file_config or {}).get("all")
        if isinstance(everything, str) and everything in _LEVEL_VALUES:
            # The engine passes the file's `all` entry on to Configure as well.
            levels["all"] = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_VALUES[everything])
        self._call("Configure", analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=levels))

    def on_register(self, resource: Registration, index: Optional[int] = None) -> None:
        """Queue a registration for Remediate and Analyze, as the engine does when the program registers it;
        ``index`` is its place among all the program's registrations (default: the order this session saw)."""
        with self._lock:  # the program's registrations arrive on the SDK's worker threads
            if resource.type.startswith("pulumi:providers:"):
                self.providers[resource.urn] = resource
            if resource.type != "pulumi:pulumi:Stack":
                self._resources.set()
            self._pending.put((self._registered if index is None else index, resource))
            self._registered += 1

    def _analyze(self, index: int, resource: Registration) -> None:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type, properties=to_struct(resource.inputs), urn=resource.urn, name=resource.name,
            options=_options(resource), provider=self._provider(resource),
        )
        try:
            remediated = self._call("Remediate", request, resource.urn)
        except grpc.RpcError as error:
            raise PolicyPackError(f"failed to run remediation on {resource.urn}: {error.details()}") from None
        for remediation in remediated.remediations if remediated is not None else []:
            self.remediations.append((index, resource.urn, remediation))
            if remediation.HasField("properties"):
                # Analyze (and the deployment) see what the remediation made of the inputs.
                request.properties.CopyFrom(remediation.properties)
        try:
            self.analyzed.append((index, resource.urn, self._call("Analyze", request, resource.urn)))
        except grpc.RpcError as error:
            raise PolicyPackError(f"failed to run policy on {resource.urn}: {error.details()}") from None

    def _provider(self, resource: Registration) -> Optional[analyzer_pb2.AnalyzerProviderResource]:
        provider = self.providers.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
        if provider is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type, properties=to_struct(provider.inputs), urn=provider.urn, name=provider.name
        )

    def cancel(self) -> None:
        """End the session without analyzing: the program failed. A pack not started yet is never started."""
        self._cancelled = not self._resources.is_set()
        self._resources.set()
        self._pending.put(None)
        self._worker.join()

    @property
    def backlog(self) -> int:
        """Registrations queued and not yet analyzed."""
        return self._pending.qsize()

    def drain(self) -> None:
        """Wait for the last Remediate and Analyze; raise what stopped the session, if anything did."""
        self._resources.set()
        self._pending.put(None)
        self._worker.join()
        if self.error is not None:
            raise self.error

    def finish(self, run: ProgramRun, others: Sequence["Analysis"] = ()) -> "PendingAnalysis":
        """Wait for the last Analyze (here and in ``others``, the sessions of the same run's other pack processes),
        then send AnalyzeStack for the whole run; the answer is collected by the returned handle."""
        for session in (self, *others):
            session.drain()
        resources = ([run.root] if run.root else []) + run.resources
        self.sequence.append(("AnalyzeStack", ""))
        stack_call = self.pack.stub.AnalyzeStack.future(analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, properties=to_struct(r.outputs), urn=r.urn, name=r.name, options=_options(r),
                provider=self._provider(r), parent=r.parent, dependencies=r.dependencies,
                propertyDependencies={
                    k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
                    if v
                },
            )
            for r in resources
        ]))
        return PendingAnalysis(self, resources, stack_call, others)


class Shards:
    """One run analyzed by up to ``processes`` processes of the same pack. The first starts as ``start_pack``
    says; another one starts when the first has more than ``backlog`` registrations waiting (a stack too big for
    one process to keep up with the program), and from then on each registration goes to the process with the
    fewest waiting (Remediate, then Analyze, there). The first one also answers AnalyzeStack. A resource policy
    judges one resource at a time, so the verdicts are the ones a single process reaches. Used like
    :class:`Analysis`, as a context manager that stops every process it started."""

    def __init__(self, start_pack: Callable[[bool], PolicyPack], config_file: Optional[Path], *, project: str,
                 stack: str, processes: int = 1, backlog: int = 48) -> None:
        self._start_pack, self.config_file, self.project, self.stack = start_pack, config_file, project, stack
        self.processes, self.backlog = max(1, processes), backlog
        self.providers: dict[str, Registration] = {}
        self.sessions: list[Analysis] = []
        self._registered = 0
        self._lock = threading.Lock()
        self._packs = contextlib.ExitStack()

    def __enter__(self) -> "Shards":
        self._add(first=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._packs.__exit__(*exc)

    def _add(self, first: bool = False) -> None:
        pack = self._packs.enter_context(self._start_pack(first))
        self.sessions.append(Analysis(pack, self.config_file, project=self.project, stack=self.stack,
                                      providers=self.providers))

    def on_register(self, resource: Registration) -> None:
        with self._lock:  # the program's registrations arrive on the SDK's worker threads
            if resource.type.startswith("pulumi:providers:"):
                self.providers[resource.urn] = resource
            if len(self.sessions) < self.processes and self.sessions[0].backlog > self.backlog:
                self._add()
            target = min(self.sessions, key=lambda session: session.backlog)
            target.on_register(resource, self._registered)
            self._registered += 1

    def cancel(self) -> None:
        for session in self.sessions:
            session.cancel()

    def finish(self, run: ProgramRun) -> "PendingAnalysis":
        return self.sessions[0].finish(run, self.sessions[1:])


class PendingAnalysis:
    """AnalyzeStack in flight; the pack serves it in its own process while the caller works."""

    def __init__(self, session: Analysis, resources: list[Registration], stack_call: Any,
                 others: Sequence[Analysis] = ()) -> None:
        self.session, self.resources, self.stack_call = session, resources, stack_call
        self.sessions = [session, *others]

    def result(self) -> PolicyReport:
        session = self.session
        try:
            stack_response = self.stack_call.result(timeout=10 * session.pack.timeout)
        except grpc.FutureTimeoutError:
            raise PolicyPackError(f"AnalyzeStack did not answer within {10 * session.pack.timeout:g} s") from None
        except grpc.RpcError as error:
            raise PolicyPackError(f"failed to analyze resources: {error.details()}") from None
        for each in self.sessions:
            each.sequence.append(("Cancel", ""))
            _accept_unimplemented(functools.partial(each.pack.stub.Cancel, timeout=each.pack.timeout),
                                  empty_pb2.Empty())
        analyzed = sorted((a for each in self.sessions for a in each.analyzed), key=lambda a: a[0])
        remediations = sorted((r for each in self.sessions for r in each.remediations), key=lambda r: r[0])
        diagnostics = [
            # A resource policy's diagnostic is about the resource analyzed, whether or not it names the URN.
            (d.urn or urn, d.policyName, d.description, d.message, d.enforcementLevel)
            for _, urn, response in analyzed
            for d in response.diagnostics
        ]
        diagnostics += [(d.urn, d.policyName, d.description, d.message, d.enforcementLevel)
                        for d in stack_response.diagnostics]
        # A remediation's diagnostic reaches the engine as an advisory violation.
        diagnostics += [(urn, r.policyName, r.description, r.diagnostic, analyzer_pb2.ADVISORY)
                        for _, urn, r in remediations if r.diagnostic]
        by_urn = {r.urn: r for r in self.resources}
        controls = {p.name: p for p in session.policies}
        report = PolicyReport(pack=session.name, version=session.version, policies=session.policies,
                              log=[m for each in self.sessions for m in each.pack.engine_log.messages])
        for urn, policy, description, text, level in diagnostics:
            resource = by_urn.get(urn)
            info = controls.get(policy)
            # The pack prefixes each message with the policy's description; keep what the rule said.
            message = text.removeprefix(description).strip() or text
            unjudged = message.startswith(_CANT_RUN)
            if info is not None and info.control:
                # The report gives the control its own column; the rule's "[ECS.4] " prefix would repeat it.
                message = message.removeprefix(f"[{info.control}] ")
            violation = Violation(
                policy=policy,
                level=session.levels.get(policy, "advisory") if unjudged else _LEVELS.get(level, "advisory"),
                control=info.control if info else "",
                severity=info.severity if info else "",
                message=message.split(" during preview: ", 1)[-1] if unjudged else message,
                urn=urn,
                resource_type=resource.type if resource else "",
                resource_name=resource.name if resource else "",
            )
            (report.unjudged if unjudged else report.violations).append(violation)
        return report
