"""Monthly cost of a stack, from what its program registered and a price file for its region.

Every autoscaled service is priced at its minimum, desired and maximum task counts, split between FARGATE and
FARGATE_SPOT the way ECS places tasks (each provider's base first, then the rest by weight). Fixed costs (load
balancers, NAT gateways, interface endpoints, public IPv4 addresses, alarms) are the same in all three columns.
Usage-based charges that depend on traffic are named in `not_included`, never guessed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any, Optional

from ecs_platform.offline.engine import ProgramRun, Registration
from ecs_platform.offline.mocks import UNKNOWN

from . import cost_instances

NOT_INCLUDED = [
    "data transfer out and between AZs",
    "NAT gateway and interface endpoint data processing (per GB)",
    "CloudWatch Logs ingestion and storage, Container Insights enhanced (task and container level) metrics",
    "load balancer capacity units beyond the stated assumption",
    "SQS requests, SNS publishes beyond the stated assumption, S3 storage and requests, ECR storage beyond the stated assumption",
    "EFS storage beyond the stated assumption, Infrequent Access storage, reads and writes (elastic throughput), "
    "backups",
    "free tiers, Savings Plans and other discounts",
]


class PriceError(ValueError):
    """No price file for the stack's region."""


def load_prices(region: str) -> dict[str, Any]:
    try:
        text = resources.files("ecs_platform.toolchain.prices").joinpath(f"{region}.json").read_text()
    except FileNotFoundError:
        known = sorted(p.name.removesuffix(".json") for p in resources.files("ecs_platform.toolchain.prices").iterdir()
                       if p.name.endswith(".json"))
        raise PriceError(f"no price file for {region} (have: {', '.join(known)}); add ecs_platform/toolchain/prices/{region}.json")
    return json.loads(text)


@dataclass
class LineItem:
    item: str
    detail: str
    min: float
    desired: float
    max: float


@dataclass
class CostEstimate:
    region: str
    currency: str
    hours_per_month: int
    price_date: str
    source: list[str]
    assumptions: list[str]
    not_included: list[str]
    items: list[LineItem] = field(default_factory=list)

    @property
    def total(self) -> dict[str, float]:
        return {k: round(sum(getattr(i, k) for i in self.items), 2) for k in ("min", "desired", "max")}

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region, "currency": self.currency, "hoursPerMonth": self.hours_per_month,
            "priceDate": self.price_date, "source": self.source, "assumptions": self.assumptions,
            "notIncluded": self.not_included,
            "lineItems": [{**asdict(i), **{k: round(getattr(i, k), 2) for k in ("min", "desired", "max")}}
                          for i in self.items],
            "total": self.total,
        }


# Task placement ------------------------------------------------------------------------------------------------


def place(tasks: int, strategy: list[tuple[str, int, int]]) -> dict[str, int]:
    """How ECS spreads `tasks` over a capacity provider strategy of (provider, weight, base).

    Bases are satisfied first (in strategy order), then the remaining tasks are shared in proportion to the
    weights; whole tasks go by largest remainder, ties to the provider listed first.
    """
    placed = {provider: 0 for provider, _, _ in strategy}
    left = tasks
    for provider, _, base in strategy:
        take = min(left, base)
        placed[provider] += take
        left -= take
    weights = [(provider, weight) for provider, weight, _ in strategy if weight > 0]
    total = sum(w for _, w in weights)
    if left and total:
        shares = [(provider, left * weight / total) for provider, weight in weights]
        whole = {provider: math.floor(share) for provider, share in shares}
        rest = left - sum(whole.values())
        order = sorted(range(len(shares)), key=lambda i: (-(shares[i][1] - whole[shares[i][0]]), i))
        for index in order[:rest]:
            whole[shares[index][0]] += 1
        for provider, count in whole.items():
            placed[provider] += count
    return placed


# Reading the program's resources -------------------------------------------------------------------------------


class _Services:
    """What pricing a service needs from the rest of the run, indexed once: its task definition, its scalable
    target and its cluster's default strategy."""

    def __init__(self, run: ProgramRun) -> None:
        self.all_definitions = run.of_type("aws:ecs/taskDefinition:TaskDefinition")
        self.definitions = {d.outputs.get("arn"): d for d in self.all_definitions if d.outputs.get("arn") != UNKNOWN}
        self.bounds = {
            str(t.inputs.get("resourceId", "")).rsplit("/", 1)[-1]: (int(t.inputs["minCapacity"]),
                                                                    int(t.inputs["maxCapacity"]))
            for t in run.of_type("aws:appautoscaling/target:Target")
            if t.inputs.get("scalableDimension") == "ecs:service:DesiredCount"
        }
        self.cluster_defaults = {
            str(p.inputs.get("clusterName")): _tuples(p.inputs.get("defaultCapacityProviderStrategies"))
            for p in run.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
        }

    def strategy(self, service: Registration) -> list[tuple[str, int, int]]:
        own = service.inputs.get("capacityProviderStrategies") or []
        if own:
            return _tuples(own)
        if service.inputs.get("launchType"):
            return [(str(service.inputs["launchType"]), 1, 0)]
        cluster = str(service.inputs.get("cluster", "")).rsplit("/", 1)[-1]
        return self.cluster_defaults.get(cluster) or [("FARGATE", 1, 0)]

    def task_counts(self, service: Registration) -> tuple[int, int, int]:
        desired = int(service.inputs.get("desiredCount") or 0)
        low, high = self.bounds.get(str(service.outputs.get("name") or service.name), (desired, desired))
        return low, desired, high

    def task_definition(self, service: Registration) -> Optional[Registration]:
        """The service's task definition: by ARN, or at a first preview (ARNs unknown) through the dependency the
        service's taskDefinition input has on it."""
        wanted = service.inputs.get("taskDefinition")
        if wanted != UNKNOWN and wanted in self.definitions:
            return self.definitions[wanted]
        linked = set(service.property_dependencies.get("taskDefinition", []))
        return next((d for d in self.all_definitions if d.urn in linked), None)


def _tuples(strategy: Any) -> list[tuple[str, int, int]]:
    return [(s["capacityProvider"], int(s.get("weight") or 0), int(s.get("base") or 0)) for s in strategy or []]


def _zones(vpc: Registration) -> int:
    names = vpc.inputs.get("availabilityZoneNames")
    return len(names) if names else int(vpc.inputs.get("numberOfAvailabilityZones") or 3)


def _nat_gateways(run: ProgramRun) -> int:
    count = len(run.of_type("aws:ec2/natGateway:NatGateway"))
    for vpc in run.of_type("awsx:ec2:Vpc"):
        strategy = (vpc.inputs.get("natGateways") or {}).get("strategy", "OnePerAz")
        count += {"None": 0, "Single": 1}.get(strategy, _zones(vpc))
    return count


def _alarm_metrics(alarm: Registration) -> int:
    """Standard alarms cost per metric: a metric-math alarm pays for each metric it reads."""
    queries = alarm.inputs.get("metricQueries") or []
    return sum(1 for q in queries if q.get("metric")) or 1


# The estimate --------------------------------------------------------------------------------------------------


def estimate(run: ProgramRun, region: str, *, spot_discount: Optional[float] = None,
             lcu_per_load_balancer: float = 1.0) -> CostEstimate:
    prices = load_prices(region)
    hours = int(prices["hoursPerMonth"])
    discount = prices["fargateSpotDiscount"] if spot_discount is None else spot_discount
    cost = CostEstimate(
        region=region, currency=prices["currency"], hours_per_month=hours, price_date=prices["date"],
        source=prices["source"], not_included=list(NOT_INCLUDED),
        assumptions=[
            f"{hours} hours a month",
            f"Fargate Spot at a {discount:.0%} discount on on-demand",
            f"{lcu_per_load_balancer:g} LCU per load balancer on average",
            "tasks placed by capacity provider strategy: bases first, then by weight",
            "each NAT gateway and each internet-facing load balancer AZ holds one public IPv4 address",
        ],
    )

    def fixed(item: str, detail: str, monthly: float) -> None:
        if monthly:
            cost.items.append(LineItem(item, detail, monthly, monthly, monthly))

    services = _Services(run)
    managed = cost_instances.providers(run)
    if managed and "managedInstances" in prices:
        cost.assumptions += cost_instances.assumptions(prices)
    # By name: registrations finish in no fixed order, and the same program must print the same estimate.
    for service in sorted(run.of_type("aws:ecs/service:Service"), key=lambda r: r.name):
        definition = services.task_definition(service)
        if definition is None:
            continue
        provider = cost_instances.provider_of(service.inputs.get("capacityProviderStrategies") or [], managed)
        if provider is not None:
            if "managedInstances" in prices:
                cost_instances.price_service(
                    run, prices, hours, service, provider, definition, services.task_counts(service),
                    lambda *line: cost.items.append(LineItem(*line)))
            continue
        task_hour = _task_hour(definition, prices)
        strategy = services.strategy(service)
        monthly, details = {}, []
        for column, count in zip(("min", "desired", "max"), services.task_counts(service)):
            placed = place(count, strategy)
            spot = placed.get("FARGATE_SPOT", 0)
            monthly[column] = hours * task_hour * ((count - spot) + spot * (1 - discount))
            details.append(f"{count} ({spot} Spot)" if spot else str(count))
        cost.items.append(LineItem(
            f"Fargate: {service.name}", f"{_size(definition)}; tasks min/desired/max {' / '.join(details)}",
            monthly["min"], monthly["desired"], monthly["max"],
        ))
        volume = _ebs_volume(service)
        if volume is not None:
            per_task, detail = _ebs_month(volume, prices)
            low, desired, high = services.task_counts(service)
            cost.items.append(LineItem(f"EBS volumes: {service.name}", f"{detail}, one per task",
                                       low * per_task, desired * per_task, high * per_task))

    load_balancers = sorted((lb for lb in run.of_type("aws:lb/loadBalancer:LoadBalancer",
                                                      "aws:alb/loadBalancer:LoadBalancer")
                             if lb.inputs.get("loadBalancerType", "application") == "application"),
                            key=lambda r: r.name)
    for lb in load_balancers:
        fixed(f"Load balancer: {lb.name}", "hours", hours * prices["albHour"])
        fixed(f"Load balancer: {lb.name}", f"{lcu_per_load_balancer:g} LCU (assumed)",
              hours * lcu_per_load_balancer * prices["lcuHour"])
    nat = _nat_gateways(run)
    if load_balancers and not run.of_type("awsx:ec2:Vpc", "aws:ec2/vpc:Vpc"):
        # network.existingVpc: the VPC, its NAT and its flow logs belong to someone else, and so do their bills.
        cost.not_included.append("the NAT gateways (hours, public addresses, data processing) and flow logs of the "
                                 "existing VPC the stack runs in, which its owner pays")
    fixed("NAT gateways", f"{nat} gateway(s), hours", hours * nat * prices["natGatewayHour"])
    public_ips = nat + sum(len(lb.inputs.get("subnets") or []) for lb in load_balancers if not lb.inputs.get("internal"))
    fixed("Public IPv4 addresses", f"{public_ips} address(es)", hours * public_ips * prices["publicIpv4Hour"])
    endpoints = [e for e in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs.get("vpcEndpointType") == "Interface"]
    endpoint_azs = sum(len(e.inputs.get("subnetIds") or []) for e in endpoints)
    fixed("Interface VPC endpoints", f"{len(endpoints)} endpoint(s) x AZs = {endpoint_azs} endpoint-AZs",
          hours * endpoint_azs * prices["interfaceEndpointHourPerAz"])
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    metrics = sum(_alarm_metrics(a) for a in alarms)
    fixed("CloudWatch alarms", f"{len(alarms)} alarm(s) reading {metrics} metric(s)", metrics * prices["alarmMetricMonth"])
    tracking_alarms, tracking_metrics = _target_tracking_alarms(run)
    fixed("CloudWatch alarms of target tracking",
          f"{tracking_alarms} alarm(s) Application Auto Scaling creates, reading {tracking_metrics} metric(s)",
          tracking_metrics * prices["alarmMetricMonth"])
    _instances(run, prices, hours, fixed, cost)
    _container_insights(run, prices, fixed, cost)
    _operations(run, prices, services, discount, cost, fixed)
    return cost


def _operations(run: ProgramRun, prices: dict[str, Any], services: "_Services", discount: float,
                cost: CostEstimate, fixed: Any) -> None:
    """Image repositories, Service Connect's Cloud Map registrations and scheduled tasks."""
    assumed = prices.get("assumptions", {})
    repositories = run.of_type("aws:ecr/repository:Repository")
    if repositories and "ecrGbMonth" in prices:
        size = assumed.get("ecrGbPerRepository", 2)
        fixed("ECR storage (assumed)", f"{len(repositories)} repositor{'y' if len(repositories) == 1 else 'ies'} x "
              f"{size} GB", len(repositories) * size * prices["ecrGbMonth"])
        cost.assumptions.append(f"{size} GB of images kept in each ECR repository")
    file_systems = run.of_type("aws:efs/fileSystem:FileSystem")
    if file_systems and "efsStandardGbMonth" in prices:
        # Usage-priced: what is stored is not in the stack file, so the size is the price file's assumption (0 GB
        # unless set): the line states the price per GB-month rather than guessing a size.
        size = assumed.get("efsGbPerFileSystem", 0)
        count = len(file_systems)
        monthly = count * size * prices["efsStandardGbMonth"]
        # Listed even at 0 GB (where `fixed` would drop it): the price per GB-month is the point of the line.
        cost.items.append(LineItem("EFS storage (assumed)", f"{count} file system(s) x {size:g} GB Standard at "
                                   f"${prices['efsStandardGbMonth']:g} per GB-month", monthly, monthly, monthly))
        cost.assumptions.append(f"{size:g} GB stored in each EFS file system (Standard storage is "
                                f"${prices['efsStandardGbMonth']:g} per GB-month)")
    topics = run.of_type("aws:sns/topic:Topic")
    if topics and "snsStandardPublishesPerMillion" in prices:
        # Usage-priced like EFS: the publishes a month are the price file's assumption (0 unless set), and the line
        # states the price. Deliveries to SQS queues are free (https://aws.amazon.com/sns/pricing/).
        millions = assumed.get("snsMillionPublishesPerTopic", 0)
        rate = prices["snsStandardPublishesPerMillion"]
        monthly = len(topics) * millions * rate
        cost.items.append(LineItem("SNS publishes (assumed)", f"{len(topics)} topic(s) x {millions:g} million "
                                   f"publishes at ${rate:g} per million (standard topics)", monthly, monthly, monthly))
        cost.assumptions.append(f"{millions:g} million publishes a month to each SNS topic")
    connected = [s for s in run.of_type("aws:ecs/service:Service")
                 if ((s.inputs.get("serviceConnectConfiguration") or {}).get("services"))]
    if connected and "cloudMapInstanceMonth" in prices:
        # Service Connect registers every task of a service it exposes as a Cloud Map instance.
        counts = [services.task_counts(s) for s in connected]
        monthly = {c: sum(n[i] for n in counts) * prices["cloudMapInstanceMonth"]
                   for i, c in enumerate(("min", "desired", "max"))}
        cost.items.append(LineItem("Cloud Map instances (Service Connect)",
                                   f"tasks of {len(connected)} exposed service(s)", monthly["min"],
                                   monthly["desired"], monthly["max"]))
    for schedule in sorted(run.of_type("aws:scheduler/schedule:Schedule"), key=lambda r: r.name):
        runs = _runs_a_month(str(schedule.inputs.get("scheduleExpression", "")))
        definition = _scheduled_definition(run, schedule)
        if runs is None or definition is None:
            continue
        minutes = assumed.get("scheduledTaskRunMinutes", 10)
        hour = _task_hour(definition, prices)
        strategy = ((schedule.inputs.get("target") or {}).get("ecsParameters") or {}).get(
            "capacityProviderStrategies") or []
        if cost_instances.provider_of(strategy, cost_instances.providers(run)) is not None:
            cost.items.append(LineItem(f"Scheduled task: {schedule.name}", "on Managed Instances: not priced (what "
                                       "instance a run shares is unknown)", 0.0, 0.0, 0.0))
            continue
        spot = any(str(s.get("capacityProvider")) == "FARGATE_SPOT" for s in strategy)
        monthly = runs * minutes / 60 * hour * ((1 - discount) if spot else 1)
        fixed(f"Scheduled task: {schedule.name}", f"{runs:g} runs a month x {minutes} min (assumed)"
              + (", Spot" if spot else ""), monthly)
        cost.assumptions.append(f"each scheduled task run takes {minutes} minutes")


def _ebs_volume(service: Registration) -> Optional[dict[str, Any]]:
    volume = (service.inputs.get("volumeConfiguration") or {})
    managed = volume.get("managedEbsVolume") if isinstance(volume, dict) else None
    return managed if isinstance(managed, dict) else None


def _ebs_month(volume: dict[str, Any], prices: dict[str, Any]) -> tuple[float, str]:
    """What one task's managed EBS volume costs a month, and how it is described: GB-months of its type, plus a gp3
    volume's IOPS above 3,000 and MiB/s above 125, or an io1/io2 volume's provisioned IOPS
    (https://aws.amazon.com/ebs/pricing/). A volume lives as long as its task, so a task running all month pays a
    month."""
    kind = str(volume.get("volumeType") or "gp2")
    size = int(volume.get("sizeInGb") or 0)
    iops, throughput = int(volume.get("iops") or 0), int(volume.get("throughput") or 0)
    monthly = size * prices["ebsGbMonth"].get(kind, prices["ebsGbMonth"]["gp3"])
    detail = f"{size} GiB {kind}"
    if kind == "gp3":
        monthly += max(0, iops - 3000) * prices["ebsGp3IopsMonth"]
        monthly += max(0, throughput - 125) * prices["ebsGp3ThroughputMibsMonth"]
        detail += (f", {iops} IOPS" if iops > 3000 else "") + (f", {throughput} MiB/s" if throughput > 125 else "")
    elif kind in ("io1", "io2"):
        monthly += iops * prices["ebsProvisionedIopsMonth"]
        detail += f", {iops} IOPS"
    return monthly, detail


def _size(definition: Registration) -> str:
    inputs = definition.inputs
    cpu, memory = int(inputs.get("cpu") or 0), int(inputs.get("memory") or 0)
    storage = int((inputs.get("ephemeralStorage") or {}).get("sizeInGib") or 20)
    architecture = (inputs.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")
    return f"{cpu / 1024:g} vCPU, {memory / 1024:g} GB, {architecture}" + (f", {storage} GiB storage"
                                                                           if storage > 20 else "")


def _task_hour(definition: Registration, prices: dict[str, Any]) -> float:
    """What one task of the definition costs an hour on demand: its vCPU and memory, and the ephemeral storage above
    Fargate's free 20 GiB (https://aws.amazon.com/fargate/pricing/)."""
    inputs = definition.inputs
    rate = prices["fargate"][(inputs.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")]
    storage = int((inputs.get("ephemeralStorage") or {}).get("sizeInGib") or 20)
    return (int(inputs.get("cpu") or 0) / 1024 * rate["vcpuHour"] + int(inputs.get("memory") or 0) / 1024 * rate["gbHour"]
            + max(0, storage - 20) * prices["fargateEphemeralStorageGbHour"])


def _runs_a_month(expression: str) -> Optional[float]:
    """Runs a month of a Scheduler expression: rate(N unit) exactly; cron(...) for the common shapes (a fixed
    minute and hour every day: about 30.4; every hour: 730)."""
    import re

    rate = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if rate:
        per_hour = {"minute": 60, "hour": 1, "day": 1 / 24}[rate[2].rstrip("s")]
        return round(730 * per_hour / int(rate[1]), 1)
    cron = re.fullmatch(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)", expression.strip())
    if cron:
        minute, hour, day, _, weekday, _ = cron.groups()
        if minute.isdigit() and hour.isdigit():
            if day in ("*", "?") and weekday in ("*", "?"):
                return 30.4
            if weekday not in ("*", "?"):
                return round(30.4 / 7 * len(weekday.split(",")), 1)
            return float(len(day.split(",")))
        if minute.isdigit() and hour == "*":
            return 730.0
    return None


def _scheduled_definition(run: ProgramRun, schedule: Registration) -> Optional[Registration]:
    definitions = run.of_type("aws:ecs/taskDefinition:TaskDefinition")
    wanted = ((schedule.inputs.get("target") or {}).get("ecsParameters") or {}).get("taskDefinitionArn")
    if wanted != UNKNOWN:
        for definition in definitions:
            if wanted in (definition.outputs.get("arn"), definition.outputs.get("arnWithoutRevision")):
                return definition
    linked = set(schedule.property_dependencies.get("target", []))
    return next((d for d in definitions if d.urn in linked), None)


def _instances(run: ProgramRun, prices: dict[str, Any], hours: int, fixed: Any, cost: CostEstimate) -> None:
    """EC2 instances (a NAT instance): their hours, root volume and public address."""
    rates = prices.get("ec2InstanceHour", {})
    for instance in sorted(run.of_type("aws:ec2/instance:Instance"), key=lambda r: r.name):
        kind = str(instance.inputs.get("instanceType"))
        if kind not in rates:
            cost.assumptions.append(f"no price for instance type {kind} ({instance.name}): not counted")
            continue
        root = instance.inputs.get("rootBlockDevice") or {}
        size = int(root.get("volumeSize") or 8)
        public = 1 if instance.inputs.get("associatePublicIpAddress") else 0
        monthly = hours * rates[kind] + size * prices.get("ebsGp3GbMonth", 0) + hours * public * prices["publicIpv4Hour"]
        fixed(f"EC2 instance: {instance.name}", f"{kind}, {size} GiB gp3" + (", public IPv4" if public else ""), monthly)


def _container_insights(run: ProgramRun, prices: dict[str, Any], fixed: Any, cost: CostEstimate) -> None:
    """Container Insights metrics are billed as custom metrics, per cluster, service and task family."""
    counts = prices.get("containerInsightsMetrics")
    if not counts:
        return
    clusters = []
    for cluster in run.of_type("aws:ecs/cluster:Cluster"):
        level = {s.get("name"): s.get("value") for s in cluster.inputs.get("settings") or []}.get("containerInsights")
        if level in ("enabled", "enhanced"):
            clusters.append((cluster, level))
    if not clusters:
        return
    services = len(run.of_type("aws:ecs/service:Service"))
    families = len({d.inputs.get("family") for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")})
    metrics = (counts["perCluster"] * len(clusters) + counts["perService"] * services
               + counts["perTaskFamily"] * families)
    enhanced = any(level == "enhanced" for _, level in clusters)
    fixed("Container Insights (estimate)", f"{metrics} metric(s): {len(clusters)} cluster(s), {services} service(s), "
          f"{families} task famil{'y' if families == 1 else 'ies'}" + ("; enhanced metrics not counted" if enhanced else ""),
          metrics * prices["customMetricMonth"])


def _target_tracking_alarms(run: ProgramRun) -> tuple[int, int]:
    """Target tracking creates a high alarm and, unless scale-in is disabled, a low one, on the tracked metric."""
    alarms = metrics = 0
    for policy in run.of_type("aws:appautoscaling/policy:Policy"):
        config = policy.inputs.get("targetTrackingScalingPolicyConfiguration")
        if policy.inputs.get("policyType") != "TargetTrackingScaling" or not config:
            continue
        count = 1 if config.get("disableScaleIn") else 2
        customized = (config.get("customizedMetricSpecification") or {}).get("metrics") or []
        read = sum(1 for m in customized if m.get("metricStat")) or 1
        alarms += count
        metrics += count * read
    return alarms, metrics
