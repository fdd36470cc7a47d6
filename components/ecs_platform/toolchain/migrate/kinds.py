"""What each Copilot workload type becomes: Load Balanced Web and Backend Services are `services` (behind the
public load balancer, the internal one, or none and reached through Service Connect), Worker Services are `workers`,
Scheduled Jobs are `scheduledTasks`. Request-Driven Web Services (App Runner) and Static Sites are refused."""

from __future__ import annotations

import re
from typing import Any, Optional

from .manifests import seconds
from .workloads import COPILOT_DEFAULTS, Workload, count_bounds

SECTIONS = {"Load Balanced Web Service": "services", "Backend Service": "services", "Worker Service": "workers",
            "Scheduled Job": "scheduledTasks"}

_REFUSED_TYPES = {
    "Request-Driven Web Service": "an App Runner service; the platform runs ECS services, not App Runner. Change "
                                  "the type to Load Balanced Web Service in a copy of the manifest to move it behind "
                                  "the load balancer, or keep it on App Runner",
    "Static Site": "S3 and CloudFront, no containers; keep it where it is or serve it with the CDK's "
                   "aws-s3-deployment and CloudFront constructs",
}


def convert(w: Workload) -> Optional[dict[str, Any]]:
    """Fill ``w.settings`` from its manifest; the routing facts of a service behind a load balancer, for priorities."""
    kind = w.m.kind
    if kind not in SECTIONS:
        w.m.refuse("type", _REFUSED_TYPES.get(kind, f"{kind!r} is not a Copilot workload type the platform knows "
                                                    f"({', '.join(SECTIONS)})"))
        return None
    w.task()
    if kind == "Worker Service":
        _worker(w)
        return None
    if kind == "Scheduled Job":
        _job(w)
        return None
    return _service(w)


# Services ----------------------------------------------------------------------------------------------------------

def _service(w: Workload) -> Optional[dict[str, Any]]:
    body, public = w.body, w.m.kind == "Load Balanced Web Service"
    if body.get("nlb"):
        w.m.refuse("nlb", "a Network Load Balancer; the platform has none. Serve this traffic through the Application "
                          "Load Balancer (http) or keep the workload on Copilot")
    port = (body.get("image") or {}).get("port")
    if port is None:
        w.m.refuse("image.port", "is not set: a service without a port cannot be reached; give the port it listens "
                                 "on, or make it a Worker Service")
    else:
        w.set("containerPort", int(str(port).split("/")[0]))
    _service_count(w)
    http = body.get("http")
    if not isinstance(http, dict) or not ("path" in http or http.get("alias")):
        if public and http is not False:
            w.m.refuse("http.path", "is required for a Load Balanced Web Service")
        w.set("loadBalancer", "none", "Copilot reached this service through service discovery: here it answers "
                                      "on Service Connect only")
        w.connect = True
        w.m.note("http", "no load balancer path: callers reach it at http://<name>:<port> through Service Connect "
                         "(Copilot's <name>.<env>.<app>.local DNS name is not registered)")
        return None
    if not public:
        w.set("loadBalancer", "internal", "a Backend Service's http: the stack's internal load balancer")
    return _http(w, http)


def _http(w: Workload, http: dict[str, Any]) -> dict[str, Any]:
    path = str(http.get("path") or "/").strip("/")
    aliases = http.get("alias") or []
    aliases = [aliases] if isinstance(aliases, str) else aliases
    hosts = [str(a["name"] if isinstance(a, dict) else a) for a in aliases]
    if path:
        w.set("pathPatterns", [f"/{path}", f"/{path}/*"])
    elif not hosts:
        w.set("pathPatterns", ["/*"])
    if hosts:
        w.set("hostHeaders", hosts)
    if http.get("hosted_zone") or any(isinstance(a, dict) and a.get("hosted_zone") for a in aliases):
        w.m.note("http.hosted_zone", "Copilot made the DNS records; point the names at the load balancer's DNS name "
                                     "(stack output) yourself")
    _target_health(w, http)
    delay = seconds(http.get("deregistration_delay"))
    w.set("deregistrationDelaySeconds", int(delay if delay is not None else COPILOT_DEFAULTS["deregistration_delay"]),
          None if delay is not None else "Copilot's default (the platform's is 30)")
    if http.get("stickiness"):
        w.set("stickiness", {"enabled": True}, "load-balancer cookie, one day, as Copilot's")
    container = http.get("target_container")
    if container and container != w.m.name:
        w.m.refuse("http.target_container", f"routes to sidecar {container!r}; the platform routes to the main "
                                            "container: make that container the workload's image")
    port = http.get("target_port")
    if port and int(port) != w.settings.get("containerPort"):
        w.m.refuse("http.target_port", f"{port} differs from image.port; the platform routes to image.port")
    for key, why in (("allowed_source_ips", "per-service source IP rules; restrict the whole load balancer with "
                                            "loadBalancer.ingressCidrs (or internalLoadBalancer.allowedCidrs) instead"),
                     ("version", "gRPC/HTTP2 target groups are not offered; serve HTTP/1.1 or keep it on Copilot"),
                     ("additional_rules", "more listener rules to other ports or containers; add another service "
                                          "entry for each")):
        if http.get(key):
            w.m.refuse(f"http.{key}", why)
    if http.get("redirect_to_https") is False:
        w.m.note("http.redirect_to_https", "the platform's HTTPS listener always redirects HTTP")
    return {"hosts": bool(hosts), "depth": len([p for p in path.split("/") if p])}


def _target_health(w: Workload, http: dict[str, Any]) -> None:
    check = http.get("healthcheck")
    check = {"path": check} if isinstance(check, str) else dict(check or {})
    d = COPILOT_DEFAULTS
    path = str(check.get("path") or d["path"])
    w.set("healthCheck", {
        "path": path if path.startswith("/") else f"/{path}",
        "matcher": str(check.get("success_codes", d["success_codes"])),
        "intervalSeconds": int(seconds(check.get("interval")) or d["interval"]),
        "timeoutSeconds": int(seconds(check.get("timeout")) or d["timeout"]),
        "healthyThreshold": int(check.get("healthy_threshold", d["healthy_threshold"])),
        "unhealthyThreshold": int(check.get("unhealthy_threshold", d["unhealthy_threshold"])),
    }, "Copilot's defaults where the manifest gave none: path /, code 200, 30 s interval, 5 healthy checks (the "
       "platform's: /health, 200-299, 15 s, 3)")
    if check.get("port") and int(check["port"]) != w.settings.get("containerPort"):
        w.m.refuse("http.healthcheck.port", "differs from image.port; the platform checks the traffic port")
    grace = seconds(check.get("grace_period"))
    w.set("healthCheckGracePeriodSeconds", int(grace if grace is not None else d["grace_period"]))


def _service_count(w: Workload) -> None:
    value = w.body.get("count", 1)
    low, high, spot_from, rest = count_bounds(value)
    if low is None or high is None:
        w.m.refuse("count", f"{value!r} is not a count or a range (min-max) the migration reads")
        return
    if high < 1:
        w.m.refuse("count", "0 tasks: a service here runs at least one; remove the workload or keep it at 1")
        return
    low = max(low, 1)
    scaling: dict[str, Any] = {"minTasks": low, "maxTasks": high}
    for key, target in (("cpu_percentage", "cpuTargetPercent"), ("memory_percentage", "memoryTargetPercent"),
                        ("requests", "requestsPerTarget")):
        metric = rest.get(key)
        if isinstance(metric, dict):
            _cooldown(w, metric.get("cooldown"), scaling)
            metric = metric.get("value")
        if metric is not None:
            scaling[target] = int(metric)
    _cooldown(w, rest.get("cooldown"), scaling)
    if rest.get("response_time"):
        w.m.note("count.response_time", "dropped: the platform scales on CPU, memory or requests per target")
    if "requestsPerTarget" in scaling and w.m.kind == "Backend Service" and not (w.body.get("http") or {}).get("path"):
        w.m.refuse("count.requests", "needs a load balancer; this service has none")
    comment = "Copilot's count" if low == high else None
    w.set("autoscaling", scaling, comment)
    w.set("desiredCount", low)
    _spot(w, rest.get("spot"), spot_from)


def _cooldown(w: Workload, cooldown: Any, scaling: dict[str, Any]) -> None:
    for key, target in (("in", "scaleInCooldownSeconds"), ("out", "scaleOutCooldownSeconds")):
        value = seconds((cooldown or {}).get(key))
        if value is not None:
            scaling[target] = int(value)


def _spot(w: Workload, spot: Any, spot_from: Any) -> None:
    if spot:
        w.set("capacityProviderStrategy", [{"capacityProvider": "FARGATE_SPOT", "weight": 1}], "count.spot")
    elif spot_from:
        w.set("capacityProviderStrategy",
              [{"capacityProvider": "FARGATE", "weight": 0, "base": int(spot_from) - 1},
               {"capacityProvider": "FARGATE_SPOT", "weight": 1}],
              f"count.range.spot_from {spot_from}: the first {int(spot_from) - 1} tasks on demand, the rest on Spot")


# Workers -----------------------------------------------------------------------------------------------------------

def _worker(w: Workload) -> None:
    subscribe = w.body.get("subscribe") or {}
    queue = subscribe.get("queue") or {}
    d = COPILOT_DEFAULTS
    timeout = int(seconds(queue.get("timeout")) or d["queue_timeout"])
    settings: dict[str, Any] = {
        "visibilityTimeoutSeconds": timeout,
        "messageRetentionSeconds": int(seconds(queue.get("retention")) or d["queue_retention"]),
    }
    tries = (queue.get("dead_letter") or {}).get("tries")
    if tries:
        settings["maxReceiveCount"] = int(tries)
    else:
        w.m.note("subscribe.queue.dead_letter", "none in Copilot: the platform moves a message to a dead-letter "
                                                "queue after 5 receives (queue.maxReceiveCount)")
    if queue.get("fifo"):
        settings["fifo"] = True
    if queue.get("delay"):
        w.m.note("subscribe.queue.delay", "dropped: messages are delivered at once")
    w.set("queue", settings, "Copilot's queue: SQS's 30 s visibility timeout and 4 days' retention unless set")
    # A task told to stop must finish its message before it is visible again (settings/workers.py): Copilot left
    # ECS's 30 s stop timeout.
    w.set("stopTimeoutSeconds", min(30, timeout - 1) if timeout > 2 else 2,
          "ECS's default under Copilot, kept under the visibility timeout")
    subscriptions = []
    for i, topic in enumerate(subscribe.get("topics") or []):
        key = (str(topic.get("service")), str(topic.get("name")))
        if key not in w.c.topics:
            w.m.refuse(f"subscribe.topics[{i}]", f"topic {key[1]!r} of {key[0]!r} is not published by a workload of "
                                                 "this workspace; migrate its publisher with it")
            continue
        entry: dict[str, Any] = {"topic": w.c.topics[key]}
        if topic.get("filter_policy"):
            entry["filterPolicy"] = topic["filter_policy"]
        if topic.get("queue"):
            w.m.refuse(f"subscribe.topics[{i}].queue", "a queue of its own for this topic; the platform gives a worker "
                                                       "one queue: make a worker per topic that needs its own")
        subscriptions.append(entry)
    if subscriptions:
        w.set("subscriptions", subscriptions)
    w.m.note("subscribe.queue", "the queue's URL is in QUEUE_URL (Copilot: COPILOT_QUEUE_URI)")
    low, high, spot_from, rest = count_bounds(w.body.get("count", 1))
    if low is None or high is None:
        w.m.refuse("count", "is not a count or a range (min-max) the migration reads")
        return
    scaling: dict[str, Any] = {"minTasks": low, "maxTasks": max(high, 1)}
    delay = rest.get("queue_delay")
    if isinstance(delay, dict):
        scaling.update(mode="backlog",
                       acceptableLatencySeconds=seconds(delay.get("acceptable_latency")) or 600,
                       secondsPerMessage=seconds(delay.get("msg_processing_time")) or 1)
    for key in ("cpu_percentage", "memory_percentage"):
        if rest.get(key):
            w.m.note(f"count.{key}", "dropped: a worker scales on its queue")
    w.set("scaling", scaling)
    _spot(w, rest.get("spot"), spot_from)
    if "capacityProviderStrategy" not in w.settings:
        w.set("capacityProviderStrategy", [{"capacityProvider": "FARGATE", "weight": 1}],
              "on demand, as under Copilot (the platform's workers default to mostly Spot)")


# Scheduled jobs ----------------------------------------------------------------------------------------------------

_PRESETS = {"@hourly": "0 * * * ? *", "@daily": "0 0 * * ? *", "@midnight": "0 0 * * ? *",
            "@weekly": "0 0 ? * 1 *", "@monthly": "0 0 1 * ? *", "@yearly": "0 0 1 1 ? *",
            "@annually": "0 0 1 1 ? *"}


def schedule(expression: str) -> str:
    """A Copilot ``on.schedule`` as EventBridge Scheduler reads it (scheduled_job.go ``awsSchedule``); raises
    ValueError with what is wrong."""
    text = expression.strip()
    if re.fullmatch(r"(rate|cron)\(.*\)", text):
        return text
    if text.startswith("@every "):
        total = seconds(text[len("@every "):])
        if total is None or total < 60 or total % 60:
            raise ValueError("@every needs a whole number of minutes, at least 1")
        minutes = int(total // 60)
        return f"rate({minutes} minute{'s' if minutes > 1 else ''})"
    if text in _PRESETS:
        return f"cron({_PRESETS[text]})"
    fields = text.split()
    if len(fields) != 5:
        raise ValueError("is not a 5-field cron, a preset such as @daily, or @every <duration>")
    minute, hour, dom, month, dow = fields
    if any(c not in "*?" for c in dom) and any(c not in "*?" for c in dow):
        raise ValueError("sets both day of month and day of week, which EventBridge cannot combine")
    if all(c in "*?" for c in dow):
        dow, dom = "?", dom.replace("?", "*")
    else:
        dom = "?"
        # Standard cron counts days from Sunday = 0 (7 too); EventBridge from Sunday = 1.
        dow = re.sub(r"\d+", lambda m: str(int(m.group()) % 7 + 1), dow)
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _job(w: Workload) -> None:
    trigger = w.body.get("on") or {}
    expression = str(trigger.get("schedule") or "")
    if expression == "none":
        w.set("schedule", "rate(1 day)")
        w.set("enabled", False, "schedule: none under Copilot: the job runs only when started by hand")
    else:
        try:
            w.set("schedule", schedule(expression))
        except ValueError as error:
            w.m.refuse("on.schedule", f"{expression!r} {error}")
    w.set("onDemand", True, "Copilot ran jobs on on-demand Fargate (the platform's default is Spot)")
    if w.body.get("retries"):
        w.m.note("retries", "not carried: Copilot retried a failed run; the platform's retry covers runs that could "
                            "not start (retry.maximumRetryAttempts)")
    if w.body.get("timeout"):
        w.m.note("timeout", "not carried: nothing stops a run after a time limit; have the job exit by itself")
