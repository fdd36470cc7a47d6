"""What CreateService's newer settings must satisfy beyond the model: managed EBS volumes (per volume type limits,
the task definition volume they fill) and Service Connect access logs.

Sources: the ECS API reference as botocore ships it (ServiceManagedEBSVolumeConfiguration: sizeInGiB, iops,
throughput, volumeType; ServiceVolumeConfiguration.name; TaskDefinition Volume.configuredAtLaunch;
ServiceConnectConfiguration.accessLogConfiguration) and the ECS Developer Guide, "Use Amazon EBS volumes with Amazon
ECS" (one volume per task).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .base import Finding, Stack, dig, indexed, known, number, rule, show
from .ecs_facts import SERVICE, TASK_DEFINITION, on_fargate, task_definition_of

# ServiceManagedEBSVolumeConfiguration: "The following are the supported volume size values for each volume type".
_SIZE_GIB = {"gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384), "io2": (4, 16384), "st1": (125, 16384),
             "sc1": (125, 16384), "standard": (1, 1024)}
# ... iops: "The following are the supported values for each volume type"; "required for io1 and io2"; "not
# supported for st1, sc1, or standard".
_IOPS = {"gp3": (3000, 16000), "io1": (100, 64000), "io2": (100, 256000)}
_NO_IOPS = ("st1", "sc1", "standard")
# ... throughput: "with a maximum of 1,000 MiB/s"; "only supported for the gp3 volume type".
_MAX_THROUGHPUT = 1000


@rule
def access_logs_need_a_log_configuration(stack: Stack) -> Iterator[Finding]:
    """ServiceConnectConfiguration.accessLogConfiguration: "To enable access logs, you must also specify a
    logConfiguration in the serviceConnectConfiguration"."""
    for service in stack.of(SERVICE):
        config = service.params.get("serviceConnectConfiguration")
        if not isinstance(config, dict) or not config.get("accessLogConfiguration"):
            continue
        if config.get("logConfiguration") is None:
            yield (service, "serviceConnectConfiguration.accessLogConfiguration",
                   "access logs need a logConfiguration in the serviceConnectConfiguration; there is none")


def _ebs_problems(volume: dict[str, Any], fargate: bool) -> Iterator[tuple[str, str]]:
    kind = volume.get("volumeType") or "gp2"
    if not known(kind):
        return
    if kind == "standard" and fargate:
        yield "volumeType", "the magnetic volume type (standard) is not supported on Fargate"
    size, iops, throughput = number(volume.get("sizeInGiB")), volume.get("iops"), volume.get("throughput")
    if kind in _SIZE_GIB and size is not None and not _SIZE_GIB[kind][0] <= size <= _SIZE_GIB[kind][1]:
        yield "sizeInGiB", f"a {kind} volume is {_SIZE_GIB[kind][0]} to {_SIZE_GIB[kind][1]} GiB; got {show(size)}"
    if size is None and volume.get("sizeInGiB") is None and not volume.get("snapshotId"):
        yield "sizeInGiB", "give a volume size or a snapshot ID"
    if iops is None and kind in ("io1", "io2"):
        yield "iops", f"is required for a {kind} volume"
    if number(iops) is not None:
        if kind in _NO_IOPS:
            yield "iops", f"a {kind} volume takes no iops; got {show(iops)}"
        elif kind in _IOPS and not _IOPS[kind][0] <= number(iops) <= _IOPS[kind][1]:  # type: ignore[operator]
            yield "iops", f"a {kind} volume takes {_IOPS[kind][0]} to {_IOPS[kind][1]} IOPS; got {show(iops)}"
    if number(throughput) is not None:
        if kind != "gp3":
            yield "throughput", f"only gp3 volumes take a throughput; got one on a {kind} volume"
        elif number(throughput) > _MAX_THROUGHPUT:  # type: ignore[operator]
            yield "throughput", f"is at most {_MAX_THROUGHPUT} MiB/s; got {show(throughput)}"


@rule
def managed_ebs_volumes(stack: Stack) -> Iterator[Finding]:
    """A service's managed EBS volume: within its volume type's limits, and named after a volume of the task
    definition that is configuredAtLaunch ("This value must match the volume name from the Volume object in the
    task definition")."""
    for service in stack.of(SERVICE):
        for index, config in indexed(service.params.get("volumeConfigurations")):
            at = f"volumeConfigurations[{index}]"
            volume = config.get("managedEBSVolume")
            if isinstance(volume, dict):
                fargate = on_fargate(stack, service)
                for field, message in _ebs_problems(volume, fargate):
                    yield service, f"{at}.managedEBSVolume.{field}", message
            definition = task_definition_of(stack, service)
            name = config.get("name")
            if definition is None or not known(name, definition.params.get("volumes")):
                continue
            launched = [v.get("name") for _, v in indexed(definition.params.get("volumes"))
                        if v.get("configuredAtLaunch") is True]
            if name not in launched:
                yield (service, f"{at}.name", f"the task definition has no volume {show(name)} configured at launch "
                                              f"(configuredAtLaunch); it has {', '.join(map(show, launched)) or 'none'}")


@rule
def one_volume_configured_at_launch(stack: Stack) -> Iterator[Finding]:
    """Volume.configuredAtLaunch: a task definition revision holds at most one volume configured at launch (ECS
    attaches one EBS volume per task)."""
    for definition in stack.of(TASK_DEFINITION):
        launched = [v.get("name") for _, v in indexed(definition.params.get("volumes"))
                    if dig(v, "configuredAtLaunch") is True]
        if len(launched) > 1:
            yield (definition, "volumes", "at most one volume per task definition is configured at launch; got "
                                          f"{', '.join(map(show, launched))}")
