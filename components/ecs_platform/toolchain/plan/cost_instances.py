"""Monthly cost of the workloads on ECS Managed Instances: the EC2 instances their tasks need, plus the Managed
Instances management fee, from the `managedInstances` table of the region's price file.

- The instance type priced is the provider's first allowedInstanceTypes entry that the price table knows, else the
  cheapest type of the table that meets the provider's requirements and holds one task (the detail says which).
  ECS itself may pick another type that meets the requirements; the estimate says so.
- Bin packing (assumed): one instance holds as many tasks as fit by vCPU and by memory, min of the two; a GPU task
  takes its GPUs, so an instance holds (its GPUs / the task's GPUs) of them. Instances = ceil(tasks / per instance).
- Fee: "The ECS Managed Instances prices below are in addition to the Amazon EC2 instance price", about 12% of the
  On-Demand price (aws.amazon.com/ecs/pricing as quoted by dev.classmethod.jp, Tokyo prices; research
  managed-instances.md §5): an estimate, charged on the On-Demand price for Spot instances too (not verified).
- Spot: the price file's stated discount on On-Demand, an assumption (Spot prices move by type and zone).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

from ecs_platform.offline.engine import ProgramRun, Registration

_MANUFACTURER_ARCH = {"amazon-web-services": "ARM64", "intel": "X86_64", "amd": "X86_64"}


def providers(run: ProgramRun) -> dict[str, Registration]:
    """Managed Instances capacity providers by name (as services name them in their strategies)."""
    found = {}
    for provider in run.of_type("aws:ecs/capacityProvider:CapacityProvider"):
        if provider.inputs.get("managedInstancesProvider"):
            found[str(provider.inputs.get("name") or provider.outputs.get("name") or provider.name)] = provider
    return found


def provider_of(strategy: list[dict[str, Any]], known: dict[str, Registration]) -> Optional[Registration]:
    return next((known[str(s.get("capacityProvider"))] for s in strategy if str(s.get("capacityProvider")) in known),
                None)


def _requirements(provider: Registration) -> dict[str, Any]:
    template = (provider.inputs.get("managedInstancesProvider") or {}).get("instanceLaunchTemplate") or {}
    return template.get("instanceRequirements") or {}


def _within(value: float, bounds: Optional[dict[str, Any]]) -> bool:
    if not bounds:
        return True
    return value >= float(bounds.get("min", 0)) and ("max" not in bounds or value <= float(bounds["max"]))


def _fits_requirements(spec: dict[str, Any], requirements: dict[str, Any]) -> bool:
    architectures = {_MANUFACTURER_ARCH.get(m) for m in requirements.get("cpuManufacturers") or []}
    wants_gpu = "gpu" in (requirements.get("acceleratorTypes") or [])
    return (_within(spec["vcpu"], requirements.get("vcpuCount")) and _within(spec["memoryMib"],
                                                                             requirements.get("memoryMib"))
            and (not architectures or spec["architecture"] in architectures)
            and (not wants_gpu or spec.get("gpus", 0) > 0)
            and _within(spec.get("gpus", 0), requirements.get("acceleratorCount") if wants_gpu else None))


def tasks_per_instance(spec: dict[str, Any], cpu: int, memory: int, gpus: int) -> int:
    """The bin-packing assumption: min(vCPU fit, memory fit), and for GPU tasks the GPU fit too."""
    fit = min(spec["vcpu"] * 1024 // max(cpu, 1), spec["memoryMib"] // max(memory, 1))
    if gpus:
        fit = min(fit, spec.get("gpus", 0) // gpus)
    return int(fit)


def choose_type(provider: Registration, table: dict[str, Any], cpu: int, memory: int,
                gpus: int) -> tuple[Optional[str], str]:
    """(instance type, how it was chosen), or (None, why not)."""
    requirements = _requirements(provider)
    for allowed in requirements.get("allowedInstanceTypes") or []:
        if allowed in table:
            return allowed, "first allowedInstanceTypes entry priced"
    if requirements.get("allowedInstanceTypes"):
        return None, "no allowedInstanceTypes entry in the price table"
    excluded = set(requirements.get("excludedInstanceTypes") or [])
    fitting = [(spec["onDemandHour"], name) for name, spec in table.items() if name not in excluded
               and _fits_requirements(spec, requirements) and tasks_per_instance(spec, cpu, memory, gpus) > 0]
    if not fitting:
        return None, "no type of the price table meets the requirements"
    return min(fitting)[1], "cheapest priced type meeting the requirements"


def price_service(run: ProgramRun, prices: dict[str, Any], hours: int, service: Registration, provider: Registration,
                  definition: Registration, counts: tuple[int, int, int],
                  add: Callable[[str, str, float, float, float], None]) -> None:
    """One line for the workload's instances (fee included), or a zero line saying why it is not priced."""
    table = (prices.get("managedInstances") or {}).get("instanceTypes") or {}
    inputs = definition.inputs
    cpu, memory = int(inputs.get("cpu") or 0), int(inputs.get("memory") or 0)
    gpus = _gpus(inputs)
    instance, how = choose_type(provider, table, cpu, memory, gpus)
    item = f"Managed Instances: {service.name}"
    if instance is None:
        add(item, f"not priced: {how}", 0.0, 0.0, 0.0)
        return
    spec = table[instance]
    per = tasks_per_instance(spec, cpu, memory, gpus)
    if per < 1:
        add(item, f"not priced: a {cpu}-unit, {memory} MiB task does not fit {instance}", 0.0, 0.0, 0.0)
        return
    template = (provider.inputs.get("managedInstancesProvider") or {}).get("instanceLaunchTemplate") or {}
    spot = template.get("capacityOptionType") == "SPOT"
    mi = prices["managedInstances"]
    hourly = spec["onDemandHour"] * ((1 - mi["spotDiscount"]) if spot else 1) + spec["onDemandHour"] * mi["feeRate"]
    instances = [math.ceil(n / per) for n in counts]
    monthly = [hours * hourly * n for n in instances]
    verified = "" if spec.get("verified") else ", price unverified"
    add(item, f"{instance} ({how}{verified}){', Spot' if spot else ''}, {per} task(s) per instance; instances "
              f"min/desired/max {' / '.join(map(str, instances))}; fee ~{mi['feeRate']:.0%} included", *monthly)


def _gpus(definition_inputs: dict[str, Any]) -> int:
    import json
    containers = definition_inputs.get("containerDefinitions")
    try:
        parsed = json.loads(containers) if isinstance(containers, str) else containers or []
    except ValueError:
        return 0
    return sum(int(r.get("value") or 0) for c in parsed for r in c.get("resourceRequirements") or []
               if r.get("type") == "GPU" and str(r.get("value")).isdigit())


def assumptions(prices: dict[str, Any]) -> list[str]:
    mi = prices["managedInstances"]
    return [
        f"Managed Instances: the management fee at ~{mi['feeRate']:.0%} of the On-Demand price (estimate: "
        f"{mi['feeSource']}); EC2 Spot at a {mi['spotDiscount']:.0%} discount (assumed); tasks per instance = min of "
        "the vCPU and memory fit (GPU tasks: the instance's GPUs / the task's); ECS may choose another type that "
        "meets the requirements",
    ]
