"""A Mermaid flowchart of a program run: one subgraph per component, its resources inside, and an arrow from each
resource to the resources that depend on it. Renders on GitHub."""

from __future__ import annotations

from ecs_platform.offline.engine import ProgramRun, Registration


def _label(resource: Registration) -> str:
    kind = resource.type.rsplit(":", 1)[-1]
    return f'"{kind}<br/>{resource.name}"'.replace("#", "")


def mermaid(run: ProgramRun) -> str:
    # Sorted by URN, so the same program always draws the same graph whatever order its registrations finished in.
    shown = sorted((r for r in run.resources if not r.type.startswith(("pulumi:providers:", "pulumi:pulumi:"))),
                   key=lambda r: r.urn)
    ids = {r.urn: f"n{index}" for index, r in enumerate(shown)}
    children: dict[str, list[Registration]] = {}
    for resource in shown:
        children.setdefault(resource.parent, []).append(resource)
    lines = ["flowchart LR"]

    def emit(resource: Registration, depth: int) -> None:
        pad = "  " * depth
        kids = children.get(resource.urn, [])
        if not resource.custom and not resource.remote and kids:
            lines.append(f'{pad}subgraph {ids[resource.urn]}["{resource.type.rsplit(":", 1)[-1]}: {resource.name}"]')
            for kid in kids:
                emit(kid, depth + 1)
            lines.append(f"{pad}end")
        else:
            lines.append(f"{pad}{ids[resource.urn]}[{_label(resource)}]")

    urns = set(ids)
    for resource in shown:
        if resource.parent not in urns:
            emit(resource, 1)
    by_urn = {r.urn: r for r in shown}
    edges: set[tuple[int, int]] = set()
    for resource in shown:
        if not (resource.custom or resource.remote):
            continue
        for dependency in resource.dependencies:
            source = by_urn.get(dependency)
            if source is not None and (source.custom or source.remote) and dependency != resource.urn:
                edges.add((int(ids[dependency][1:]), int(ids[resource.urn][1:])))
    return "\n".join(lines + [f"  n{a} --> n{b}" for a, b in sorted(edges)]) + "\n"
