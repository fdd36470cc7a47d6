"""Run a Pulumi Python program in-process under mocks and record everything the engine would have seen.

The SDK's mock monitor keeps only ids and state. This one also keeps, per registration, the parent, the provider,
the dependencies, the resource options (``protect``, ``ignoreChanges``...) and the inputs exactly as they crossed
the wire (camelCase), and it resolves the stack outputs. That is what the tests, the policy-pack runner, the
deploy-fidelity checker and the offline plan all read.

Config reaches the program the way the Pulumi CLI passes it to a Python program: a ``PULUMI_CONFIG`` JSON object
of ``namespace:key`` to string, with structured values as JSON text (see :func:`stack_config`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import os
import queue
import runpy
import sys
import threading
from concurrent.futures import Future
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .mocks import AUTO_NAMED, REMOTE_COMPONENTS, UNKNOWN, AwsMocks
from .stack_file import StackFileError, project_name, read_stack_config


@dataclass
class Registration:
    """One RegisterResource call, as the engine received it, with the state the mocks answered."""

    urn: str
    type: str
    name: str
    custom: bool
    remote: bool
    parent: str
    provider: str
    providers: dict[str, str]
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    aliases: list[str] = field(default_factory=list)
    """URNs this resource was known by before (its ``aliases`` option, and those it inherits from its parent's)."""
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    """The `customTimeouts` option (`create`, `update`, `delete`: "45m"), where the program set one."""
    auto_named: Optional[str] = None
    """The input the provider filled with an auto-name (``name``, ``bucket``), when the program left it out: on a
    later ``pulumi up`` the provider keeps the name it chose first, whatever the logical name is now."""

    @property
    def is_component(self) -> bool:
        return not self.custom


@dataclass
class ProgramRun:
    """What a program registered, in order, and the stack outputs it exported."""

    project: str
    stack: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    preview: bool = False
    """Whether the run was a first preview: values AWS assigns are the engine's unknown marker."""
    root: Optional[Registration] = None
    """The ``pulumi:pulumi:Stack`` resource every top-level resource is a child of; its outputs are the exports."""
    warnings: list[str] = field(default_factory=list)
    """What the program logged at warning level (``pulumi.log.warn``), in order, as the CLI would show it."""

    def of_type(self, *types: str) -> list[Registration]:
        return [r for r in self.resources if r.type in types]

    def one(self, type_: str, name: Optional[str] = None) -> Registration:
        """The single resource of ``type_`` (whose logical name is ``name``, when given)."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(f"expected one {type_} named {name!r}; registered: {names}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(urn)

    def children(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]


ROOT_STACK = "pulumi:pulumi:Stack"


class RecordingMonitor(sdk_mocks.MockMonitor):
    """A mock monitor that remembers every registration in full, and tells ``on_register`` about each one as it
    arrives (the way the engine hands each resource to its analyzers while the program is still running).

    Two things the engine does and the SDK's mock monitor does not are done here, so that what is recorded (and
    sent to a policy pack) is what the engine would see: URNs of top-level resources carry no ``pulumi:pulumi:Stack$``
    type prefix, and a resource that names no provider gets the engine's default provider for its package
    (``pulumi:providers:aws::default_7_51_1``), registered just before it, with the package's stack config as inputs.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks,
                 on_register: Optional[Callable[[Registration], None]] = None,
                 config: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.root: Optional[Registration] = None
        self.on_register = on_register
        self.config = dict(config or {})
        self.default_providers: dict[tuple[str, str], str] = {}
        self.aliases: dict[str, list[str]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's, except under the root stack.
        if parent and parent.split("::")[2].split("$")[-1] == ROOT_STACK:
            parent = ""
        return super().make_urn(parent, type_, name)

    def _record(self, registration: Registration) -> None:
        self.registrations.append(registration)
        if self.on_register is not None:
            self.on_register(registration)

    def _default_provider(self, type_: str, version: str) -> str:
        """The reference (``urn::id``) of the engine's default provider for the package of ``type_``."""
        package = type_.split(":", 1)[0]
        key = (package, version)
        if key not in self.default_providers:
            name = f"default_{version.replace('.', '_').replace('-', '_')}" if version else "default"
            urn = self.make_urn("", f"pulumi:providers:{package}", name)
            inputs = {k.split(":", 1)[1]: v for k, v in self.config.items() if k.startswith(f"{package}:")}
            if version:
                inputs["version"] = version
            provider_id = f"{_default_id(urn)}"
            self._record(Registration(
                urn=urn, type=f"pulumi:providers:{package}", name=name, custom=True, remote=False, parent="",
                provider="", providers={}, id=provider_id, inputs=inputs, outputs=dict(inputs), dependencies=[],
                property_dependencies={}, protect=False, ignore_changes=[], delete_before_replace=False,
                retain_on_delete=False,
            ))
            self.default_providers[key] = f"{urn}::{provider_id}"
        return self.default_providers[key]

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        # The SDK's MockMonitor.RegisterResource, with the inputs deserialized once and kept.
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK:
            self.root = Registration(
                urn=urn, type=request.type, name=request.name, custom=False, remote=False, parent="", provider="",
                providers={}, id="", inputs={}, outputs={}, dependencies=[], property_dependencies={},
                protect=False, ignore_changes=[], delete_before_replace=False, retain_on_delete=False,
            )
            self._record(self.root)
            return resource_pb2.RegisterResourceResponse(urn=urn)
        remote = bool(request.remote) or request.type in REMOTE_COMPONENTS
        provider = request.provider
        if not provider and (request.custom or remote) and not request.type.startswith("pulumi:providers:"):
            provider = self._default_provider(request.type, request.version)
        sdk_mocks._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        resource_args = pulumi.runtime.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            resource_id=request.importId, custom=request.custom or False,
            transforms=sdk_mocks._resolve_callbacks(request.transforms),
        )
        id_, state = self.mocks.new_resource(resource_args)
        # The engine analyzes the inputs the provider's Check returns, which carry the auto-name it chose.
        auto_named = AUTO_NAMED.get(request.type)
        if auto_named and auto_named not in inputs and isinstance(state, dict) and auto_named in state:
            inputs = {**inputs, auto_named: state[auto_named]}
        else:
            auto_named = None
        aliases = self._alias_urns(request, urn)
        obj_proto = sdk_mocks._sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = sdk_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        self._record(Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            remote=remote,
            parent=request.parent,
            provider=provider,
            providers=dict(request.providers),
            id=id_ or "",
            inputs=_plain(inputs),
            outputs=_plain(state),
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            aliases=aliases,
            auto_named=auto_named,
            custom_timeouts={k: v for k in ("create", "update", "delete")
                             if (v := getattr(request.customTimeouts, k, ""))},
        ))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)

    def _alias_urns(self, request: Any, urn: str) -> list[str]:
        """The URNs the engine would look for in the old state besides ``urn``: each alias the program gave (a URN,
        or a spec whose unset parts are the resource's own), each under the parent's own URN and under every alias
        of the parent (a child of a renamed component is found under the component's old URN)."""
        names: list[tuple[str, str, Optional[str]]] = [(request.name, request.type, None)]
        found: list[str] = []
        for alias in request.aliases:
            if alias.urn:
                found.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or None)
            names.append((spec.name or request.name, spec.type or request.type, parent))
        for name, type_, parent in names:
            if parent is not None:
                found.append(self.make_urn(parent, type_, name))
                continue
            found.append(self.make_urn(request.parent, type_, name))
            # Under each old URN of the parent, with the parent's old name in place of its new one where the child's
            # name starts with it (the SDK's and the engine's inherited child alias).
            parent_name = request.parent.rsplit("::", 1)[-1] if request.parent else ""
            for old_parent in self.aliases.get(request.parent, []):
                old_name = old_parent.rsplit("::", 1)[-1]
                inherited = old_name + name[len(parent_name):] if parent_name and name.startswith(parent_name) else name
                found.append(self.make_urn(old_parent, type_, inherited))
        unique = [u for u in dict.fromkeys(found) if u != urn]
        self.aliases[urn] = unique
        return unique


def _default_id(urn: str) -> str:
    import hashlib

    digest = hashlib.sha256(urn.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def has_unknown(value: Any) -> bool:
    """Whether a recorded value holds something not known until deployment (only in a preview run)."""
    # Loops rather than any() over generators: the fidelity rules ask this of every value they read.
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    for item in value:
        if has_unknown(item):
            return True
    return False


def _plain(value: Any) -> Any:
    """Values as JSON would carry them: secrets unwrapped, resource references as their URN, values not known
    until deployment as the engine's unknown marker."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return value.urn if isinstance(value.urn, str) else f"<resource {type(value).__name__}>"
    return value


def stack_config(stack_file: Union[str, Path], project: str) -> dict[str, str]:
    """The config of a stack file as the CLI hands it to a Python program (see :mod:`.stack_file`); ``secure:``
    values become a placeholder."""
    return read_stack_config(stack_file, project).values


@contextlib.contextmanager
def _engine_environment(config: Mapping[str, str], program_dir: Optional[Path],
                        secret_keys: Sequence[str] = ()) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")}
    saved_path = list(sys.path)
    saved_cwd = os.getcwd()
    os.environ["PULUMI_CONFIG"] = json.dumps(dict(config))
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(secret_keys))
    set_all_config({})
    if program_dir is not None:
        sys.path.insert(0, str(program_dir))
        os.chdir(program_dir)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sys.path[:] = saved_path
        os.chdir(saved_cwd)


def run(
    program: Union[Callable[[], Any], str, Path],
    *,
    project: str,
    stack: str,
    config: Optional[Mapping[str, str]] = None,
    mocks: Optional[pulumi.runtime.Mocks] = None,
    on_register: Optional[Callable[[Registration], None]] = None,
    preview: bool = False,
    secret_keys: Sequence[str] = (),
    stack_references: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> ProgramRun:
    """Run ``program`` (a callable, or a directory holding ``__main__.py``) as ``pulumi up`` would, under mocks;
    with ``preview``, as a new stack's first ``pulumi preview`` would (values AWS assigns are unknown).

    Exceptions the program raises propagate unchanged once every pending registration has settled.
    """
    config = dict(config or {})
    key = _share_key(program, project, stack, config, preview, secret_keys, stack_references) if mocks is None \
        else None
    if key is not None and key in _shared_runs:
        return _replay(_shared_runs[key], on_register)
    mocks = mocks or AwsMocks(region=config.get("aws:region", "us-east-1"), preview=preview,
                              stack_references=stack_references)
    monitor = RecordingMonitor(mocks, on_register, config)
    program_dir = None if callable(program) else Path(program).resolve()

    def body() -> None:
        if program_dir is None:
            program()  # type: ignore[operator]
        else:
            runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")

    result = _on_program_thread(lambda: _run(body, project, stack, config, mocks, monitor, program_dir, preview,
                                             secret_keys))
    if key is not None:
        _shared_runs[key] = copy.deepcopy(result)
    return result


def _run(body: Callable[[], None], project: str, stack: str, config: dict[str, str], mocks: pulumi.runtime.Mocks,
         monitor: "RecordingMonitor", program_dir: Optional[Path], preview: bool,
         secret_keys: Sequence[str]) -> ProgramRun:
    with _engine_environment(config, program_dir, secret_keys):
        # A fresh root stack for every run: without this, a second program in the same process would be parented
        # to (and export through) the first program's stack.
        pulumi.runtime.reset_options(project=project, stack=stack, preview=preview)
        warnings = _Warnings()
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                                 logger=warnings.logger)
        try:
            _sync_await(run_pulumi_func(body))
        except KeyError as error:
            # StackReference.require_output raises a bare KeyError for an output the stack does not have.
            missing = mocks.missing_output(str(error.args[0])) if isinstance(mocks, AwsMocks) and error.args else None
            if missing is None:
                raise
            raise missing from None
        root = get_root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        outputs = _sync_await(pulumi.Output.from_input(exported).future(with_unknowns=True)) if exported else {}
    if monitor.root is not None:
        monitor.root.outputs = _plain(outputs or {})
    resources = [r for r in monitor.registrations if r is not monitor.root]
    return ProgramRun(project=project, stack=stack, resources=resources, outputs=_plain(outputs or {}),
                      preview=preview, root=monitor.root, warnings=warnings.messages)


_program_jobs: "queue.SimpleQueue[tuple[Callable[[], Any], Future]]" = queue.SimpleQueue()
_program_thread: Optional[threading.Thread] = None
_program_thread_lock = threading.Lock()


def _on_program_thread(job: Callable[[], ProgramRun]) -> ProgramRun:
    """Run ``job`` on the thread every program of this process runs on, and return (or raise) what it does.

    The SDK captures the Python stack at each registration (``traceback.extract_stack``, for the resource's source
    position), so a registration costs in proportion to the frames under the program: under a test runner's 60-odd
    frames, prod's run took a quarter longer. This thread's stack starts with the program. One thread, always the
    same, so the SDK's event loop and its context variables live as they would on a program's main thread."""
    global _program_thread
    if threading.current_thread() is _program_thread:
        return job()
    with _program_thread_lock:
        if _program_thread is None:
            _program_thread = threading.Thread(target=_serve_programs, name="pulumi-program", daemon=True)
            _program_thread.start()
    done: Future = Future()
    _program_jobs.put((job, done))
    return done.result()


def _serve_programs() -> None:
    # The loop the SDK finds with asyncio.get_event_loop(), as the main thread of `python __main__.py` has one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    while True:
        job, done = _program_jobs.get()
        try:
            done.set_result(job())
        except BaseException as error:  # noqa: BLE001 - re-raised on the caller's thread
            done.set_exception(error)


_shared_runs: dict[str, ProgramRun] = {}
_sharing = False


def share_runs(enabled: bool = True) -> None:
    """Share identical runs of program directories in this process from now on: the first run of a program (its
    files, stack, config, preview and stack references all the same) is kept, and every later caller gets its own
    copy, with ``on_register`` told about each registration in order as the run would. Meant for test sessions,
    where many tests read the same stack's run; a process that runs each program once (the CLI) gains nothing.
    Runs with mocks of their own, of callables, and runs that raise are never shared."""
    global _sharing
    _sharing = enabled
    if not enabled:
        _shared_runs.clear()


def _share_key(program: Union[Callable[[], Any], str, Path], project: str, stack: str, config: Mapping[str, str],
               preview: bool, secret_keys: Sequence[str],
               stack_references: Optional[Mapping[str, Mapping[str, Any]]]) -> Optional[str]:
    if not _sharing or callable(program):
        return None
    directory = Path(program).resolve()
    digest = hashlib.sha256()
    # The program is the Python files beside its __main__.py and its project file, wherever the directory is.
    for source in sorted([*directory.glob("*.py"), directory / "Pulumi.yaml"]):
        if source.is_file():
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    digest.update(json.dumps([project, stack, config, preview, list(secret_keys), stack_references],
                             sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _replay(shared: ProgramRun, on_register: Optional[Callable[[Registration], None]]) -> ProgramRun:
    run = copy.deepcopy(shared)
    if on_register is not None:
        for registration in ([run.root] if run.root is not None else []) + run.resources:
            on_register(registration)
    return run


class _Warnings(logging.Handler):
    """The program's log at warning level and above, kept instead of printed (set_mocks takes the logger the
    mock engine writes ``pulumi.log`` messages to)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.logger = logging.Logger("ecs_platform.offline.program", logging.WARNING)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_stack(program_dir: Union[str, Path], stack: str, mocks: Optional[pulumi.runtime.Mocks] = None,
              on_register: Optional[Callable[[Registration], None]] = None, preview: bool = False,
              stack_references: Optional[Mapping[str, Mapping[str, Any]]] = None) -> ProgramRun:
    """Run the program in ``program_dir`` with the config of its ``Pulumi.<stack>.yaml``; ``stack_references``
    gives the outputs of the stacks it reads with ``pulumi.StackReference``, by stack name."""
    program_dir = Path(program_dir)
    project = project_name(program_dir)
    config = read_stack_config(program_dir / f"Pulumi.{stack}.yaml", project)
    return run(program_dir, project=project, stack=stack, config=config.values, mocks=mocks, on_register=on_register,
               preview=preview, secret_keys=config.secure, stack_references=stack_references)
