"""`ecs-platform import copilot`: a Copilot workspace's environment as one stack file.

Every workload of ``copilot/`` becomes an entry of the stack file (:mod:`.kinds`), the environment manifest becomes
its network, load balancers and cluster (:func:`_environment`), and every field the migration approximated, dropped
or cannot carry is a :class:`~.manifests.Finding`: one line naming the manifest and the field. Defaults that differ
from Copilot's are written with a comment, so the migrated app behaves as it did until someone chooses otherwise.
The result is checked with the same settings the program reads, so a stack file that is written is one the program
accepts (repository builds are checked from the stack file's folder)."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .kinds import SECTIONS, convert
from .manifests import Finding, Manifest, WorkspaceError, application, environment, name_uniquely, workloads
from .workloads import Context, Workload


@dataclass
class Options:
    env: str
    region: str
    out: Path
    account: Optional[str] = None
    owner: str = "copilot-migration"
    project: str = "ecs-platform"
    secret_arns: dict[str, str] = field(default_factory=dict)
    only: Optional[list[str]] = None
    """Migrate only these workloads (by name)."""


@dataclass
class Migration:
    config: dict[str, Any]
    """The stack file's config: keys without the project namespace (except aws:region)."""
    comments: dict[tuple[str, ...], str]
    findings: list[Finding]

    @property
    def refusals(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]


def _topics(manifests: list[Manifest]) -> dict[tuple[str, str], str]:
    """(publisher, topic) -> the stack's topic name: Copilot's own name when no two publishers share it, else
    ``<publisher>-<topic>``."""
    published = [(m.name, str(t["name"]), t) for m in manifests
                 for t in (m.body.get("publish") or {}).get("topics") or [] if isinstance(t, dict) and t.get("name")]
    names = [name for _, name, _ in published]
    return {(owner, name): name if names.count(name) == 1 else f"{owner}-{name}" for owner, name, _ in published}


def _topic_settings(manifests: list[Manifest], topics: dict[tuple[str, str], str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for m in manifests:
        for topic in (m.body.get("publish") or {}).get("topics") or []:
            if not isinstance(topic, dict) or not topic.get("name"):
                continue
            fifo = topic.get("fifo")
            entry: dict[str, Any] = {}
            if fifo:
                entry["fifo"] = True
                if isinstance(fifo, dict) and fifo.get("content_based_deduplication"):
                    entry["contentBasedDeduplication"] = True
            settings[topics[(m.name, str(topic["name"]))]] = entry
    return settings


def migrate(copilot_dir: Path, options: Options) -> Migration:
    """The stack file for ``options.env``; raises :class:`~.manifests.WorkspaceError` when there is no such
    workspace or environment."""
    copilot_dir = copilot_dir.resolve()
    manifests = workloads(copilot_dir, options.env)
    env = environment(copilot_dir, options.env)
    topics = _topics(manifests)  # every publisher's, so a subscriber migrated alone finds its topics
    all_topics = _topic_settings(manifests, topics)
    if options.only:
        unknown = sorted(set(options.only) - {m.name for m in manifests} - {m.folder for m in manifests})
        if unknown:
            raise WorkspaceError(f"no workload {', '.join(unknown)} in {copilot_dir} (it has "
                                 f"{', '.join(m.name for m in manifests)})")
        folders = {m.folder for m in manifests}
        manifests = [m for m in manifests
                     if m.folder in options.only or m.name in options.only and m.name not in folders]
    name_uniquely(manifests)
    context = Context(options.region, options.account, options.secret_arns, copilot_dir.parent,
                      options.out.resolve().parent, topics)
    app = application(copilot_dir)
    config: dict[str, Any] = {"aws:region": options.region}
    comments: dict[tuple[str, ...], str] = {}
    config["tags"] = {"owner": options.owner, "extra": {"copilot-application": app}}
    config["logRetentionDays"] = 30
    comments[("logRetentionDays",)] = "Copilot kept application logs 30 days (the platform's default is 365)"
    converted: list[tuple[Workload, Optional[dict[str, Any]]]] = []
    for m in manifests:
        w = Workload(m, context)
        converted.append((w, convert(w)))
    _place(config, comments, converted)
    used = {t for w, _ in converted for t in w.settings.get("publishes", [])} | {
        s["topic"] for w, _ in converted for s in w.settings.get("subscriptions", [])}
    if used:
        config["topics"] = {name: spec for name, spec in all_topics.items() if name in used}
    file_systems = {name: spec for w, _ in converted for name, spec in w.file_systems.items()}
    if file_systems:
        config["fileSystems"] = file_systems
    findings = [f for m in manifests for f in m.findings]
    # Without an environment manifest Copilot's defaults apply: a new VPC, plain HTTP, no Container Insights.
    env = env or Manifest(f"copilot/environments/{options.env}/manifest.yml", options.env, {})
    _environment(env, config, comments, converted)
    findings = env.findings + findings
    return Migration(config, comments, findings)


def _place(config: dict[str, Any], comments: dict[tuple[str, ...], str],
           converted: list[tuple[Workload, Optional[dict[str, Any]]]]) -> None:
    """Each workload's settings under its section; listener priorities in Copilot's order (host rules first, then
    deeper paths, / last); Service Connect for the services only it reaches, and the callers Copilot allowed (every
    other workload of the environment)."""
    routed = sorted((w for w, route in converted if route), key=lambda w: _order(w, converted))
    for i, w in enumerate(routed):
        w.settings["priority"] = 10 * (i + 1)
    connected = [w for w, _ in converted if w.connect]
    clients = [w for w, _ in converted if SECTIONS.get(w.m.kind) in ("services", "workers")]
    for w in connected:
        connect = w.settings.setdefault("serviceConnect", {})
        if SECTIONS[w.m.kind] == "services" and "containerPort" in w.settings:
            callers = sorted(c.m.name for c in clients if c is not w)
            if callers:
                connect["callers"] = callers
    if connected:
        for c in clients:
            c.settings.setdefault("serviceConnect", {})
        config["cluster"] = {"serviceConnectNamespace": f"{config['tags']['extra']['copilot-application']}.local"}
    for w, _ in converted:
        if w.m.kind in SECTIONS and not any(f.blocking for f in w.m.findings):
            section = config.setdefault(SECTIONS[w.m.kind], {})
            section[w.m.name] = w.settings
            for path, text in w.comments.items():
                comments[(SECTIONS[w.m.kind], w.m.name, *path)] = text


def _order(w: Workload, converted: list[tuple[Workload, Optional[dict[str, Any]]]]) -> tuple[int, int, str]:
    route = next(r for v, r in converted if v is w) or {}
    return (0 if route.get("hosts") else 1, -int(route.get("depth", 0)), w.m.name)


def _environment(env: Manifest, config: dict[str, Any], comments: dict[tuple[str, ...], str],
                 converted: list[tuple[Workload, Optional[dict[str, Any]]]]) -> None:
    body = env.body
    vpc = (body.get("network") or {}).get("vpc") or {}
    subnets = vpc.get("subnets") or {}
    if vpc.get("id"):
        ids = {kind: [s.get("id") for s in subnets.get(kind) or [] if isinstance(s, dict)] for kind in ("public",
                                                                                                         "private")}
        config["network"] = {"existingVpc": {"vpcId": vpc["id"], "privateSubnetIds": ids["private"],
                                             "publicSubnetIds": ids["public"]}}
        comments[("network", "existingVpc")] = "the VPC Copilot's environment imported"
    else:
        network: dict[str, Any] = {"cidr": str(vpc.get("cidr") or "10.0.0.0/16"), "azCount":
                                   max(2, len(subnets.get("public") or []) or 2)}
        config["network"] = network
        comments[("network",)] = ("Copilot's layout: 10.0.0.0/16 over two AZs unless the manifest said otherwise; NAT "
                                  "gateways as the platform's default (Copilot added them only for private placement)")
    env.note("network", "Copilot's tasks could leave on any port; here they leave on TCP 443 only: give each "
                        "workload egress entries (cidr or securityGroupId, port) for the databases and caches it "
                        "reaches")
    http = body.get("http") or {}
    public = http.get("public") or {}
    certificates = public.get("certificates") or []
    lb: dict[str, Any] = {}
    if certificates:
        lb.update(protocol="HTTPS", certificateArn=certificates[0])
        if certificates[1:]:
            lb["additionalCertificateArns"] = certificates[1:]
    else:
        lb["protocol"] = "HTTP"
        comments[("loadBalancer", "protocol")] = "no certificate in the environment: plain HTTP as under Copilot"
    lb["accessLogs"] = bool(public.get("access_logs"))
    ingress = public.get("ingress") or {}
    if ingress.get("source_ips"):
        lb["ingressCidrs"] = ingress["source_ips"]
    if ingress.get("cdn") or (public.get("security_groups") or {}).get("ingress"):
        env.refuse("http.public.ingress.cdn", "CloudFront in front of the load balancer is not carried; put a "
                                              "CloudFront distribution in front of it yourself")
    config["loadBalancer"] = lb
    private = http.get("private") or {}
    if private:
        internal: dict[str, Any] = {}
        if private.get("certificates"):
            internal["certificateArn"] = private["certificates"][0]
        config["internalLoadBalancer"] = internal
    if body.get("cdn"):
        env.refuse("cdn", "a CloudFront distribution; the platform creates none: keep it outside the stack")
    insights = (body.get("observability") or {}).get("container_insights")
    backlog = [w.m.name for w, _ in converted if (w.settings.get("scaling") or {}).get("mode") == "backlog"]
    config.setdefault("cluster", {})["containerInsights"] = "enabled" if insights or backlog else "disabled"
    if not insights and backlog:
        env.note("observability.container_insights", f"enabled: {', '.join(backlog)} scales on its backlog per "
                                                     "running task, which the platform reads from Container Insights")
    elif not insights:
        comments[("cluster", "containerInsights")] = "Copilot's default (the platform's is enabled)"
    for key in ("network.vpc.flow_logs", "network.vpc.security_group"):
        section, _, leaf = key.rpartition(".")
        if (body.get("network") or {}).get("vpc", {}).get(leaf):
            env.note(key, "not carried: the platform's VPC settings decide it")


# Writing ---------------------------------------------------------------------------------------------------------

_HEADER = ("Written by `ecs-platform import copilot` from a Copilot workspace. Comments mark defaults carried over "
           "from Copilot on purpose; docs/migrating-from-copilot.md says what each field became.")


def render(migration: Migration, project: str) -> str:
    """The stack file as text: ``config:`` with the project's keys, comments above the keys they explain."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def build(value: Any, path: tuple[str, ...], indent: int) -> Any:
        if isinstance(value, dict):
            node = CommentedMap()
            for key, item in value.items():
                node[key] = build(item, (*path, str(key)), indent + 2)
                text = migration.comments.get((*path, str(key)))
                if text:
                    node.yaml_set_comment_before_after_key(key, before=text, indent=indent)
            return node
        if isinstance(value, list):
            seq = CommentedSeq(build(v, path, indent + 4) for v in value)
            if all(not isinstance(v, (dict, list)) for v in value):
                seq.fa.set_flow_style()
            return seq
        return value

    config = {(k if ":" in k else f"{project}:{k}"): v for k, v in migration.config.items()}
    migration.comments.update({(f"{project}:{k[0]}", *k[1:]): v for k, v in list(migration.comments.items())})
    document = CommentedMap(config=build(config, (), 2))
    document.yaml_set_start_comment(_HEADER)
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def check(stack_file: Path, project: str) -> list[str]:
    """What the program would say about the stack file: one line per problem, none when it accepts it."""
    from ecs_platform.offline.stack_file import StackFileError, read_stack_config
    from ecs_platform.settings import SettingsError
    from ecs_platform.settings.reading import parse

    try:
        config = read_stack_config(stack_file, project)
        with contextlib.chdir(stack_file.resolve().parent):
            parse(config.values, project)
    except (StackFileError, SettingsError) as error:
        return str(error).splitlines()
    return []


def write(migration: Migration, out: Path, project: str) -> list[str]:
    """Write the stack file; the program's problems with it (then the file is removed again)."""
    text = render(migration, project)
    out.write_text(text)
    problems = check(out, project)
    if problems:
        os.remove(out)
    return problems
