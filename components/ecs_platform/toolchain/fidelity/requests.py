"""What the AWS provider would send: registered resources turned into AWS API requests.

Each mapper takes a resource's inputs (camelCase, as registered) and returns the requests the provider would make
to create it, in the API's own names and types. Inputs with no API counterpart (Pulumi-only switches such as
`forceNewDeployment` or `waitForSteadyState`) are skipped rather than invented. Tags are left out: the provider
sends them in separate tagging calls and merges the stack's default tags itself.

At a first preview some inputs are the engine's unknown marker. A mapper keeps the marker where the value would be
(a whole unknown list or object stays the marker, it is never read as empty), so the documented rules can tell "not
known yet" from "not set".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ecs_platform.offline.engine import Registration
from ecs_platform.offline.mocks import UNKNOWN


@dataclass
class ApiRequest:
    """One API call: service (botocore name), operation, parameters, and the input each parameter came from."""

    service: str
    operation: str
    params: dict[str, Any]
    resource: Registration

    @property
    def label(self) -> str:
        return f"{self.service}:{self.operation}"


Mapper = Callable[[Registration], Iterator[ApiRequest]]
MAPPERS: dict[str, Mapper] = {}


def maps(*types: str) -> Callable[[Mapper], Mapper]:
    def register(mapper: Mapper) -> Mapper:
        for type_ in types:
            MAPPERS[type_] = mapper
        return mapper
    return register


def compact(value: Any) -> Any:
    """Drop None and empty containers, as the provider omits unset fields."""
    if isinstance(value, dict):
        kept = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def _name(resource: Registration, key: str = "name") -> Any:
    return resource.outputs.get(key) or resource.inputs.get(key)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value != UNKNOWN else value


def _float(value: Any) -> Any:
    if value == UNKNOWN:
        return value
    return None if value in (None, "") else float(value)


def _each(items: Any, mapper: Callable[[Any], Any]) -> Any:
    """``mapper`` applied to every item of a list input; an unknown list or item stays unknown."""
    if items == UNKNOWN:
        return UNKNOWN
    return [item if item == UNKNOWN else mapper(item) for item in items or []]


def _block(value: Any, mapper: Callable[[Any], Any]) -> Any:
    """``mapper`` applied to a nested object input when it is set; an unknown object stays unknown."""
    if value == UNKNOWN:
        return UNKNOWN
    return mapper(value) if value else None


def text(value: Any) -> str:
    """An attribute value as the APIs that take strings expect it: booleans lowercase, whole numbers plain."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def request(service: str, operation: str, params: dict[str, Any], resource: Registration) -> ApiRequest:
    return ApiRequest(service, operation, compact(params), resource)


# ECS ---------------------------------------------------------------------------------------------------------


def _efs(efs: dict[str, Any]) -> dict[str, Any]:
    return {
        "fileSystemId": efs.get("fileSystemId"), "rootDirectory": efs.get("rootDirectory"),
        "transitEncryption": efs.get("transitEncryption"), "transitEncryptionPort": efs.get("transitEncryptionPort"),
        "authorizationConfig": _block(efs.get("authorizationConfig"), lambda a: {
            "accessPointId": a.get("accessPointId"), "iam": a.get("iam")}),
    }


def _docker_volume(docker: dict[str, Any]) -> dict[str, Any]:
    return {"scope": docker.get("scope"), "autoprovision": docker.get("autoprovision"), "driver": docker.get("driver"),
            "driverOpts": docker.get("driverOpts"), "labels": docker.get("labels")}


def _volume(volume: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": volume.get("name"),
        "host": {"sourcePath": volume["hostPath"]} if volume.get("hostPath") else None,
        "configuredAtLaunch": volume.get("configureAtLaunch"),
        "dockerVolumeConfiguration": _block(volume.get("dockerVolumeConfiguration"), _docker_volume),
        "efsVolumeConfiguration": _block(volume.get("efsVolumeConfiguration"), _efs),
    }


def _placement_constraint(constraint: dict[str, Any]) -> dict[str, Any]:
    return {"type": constraint.get("type"), "expression": constraint.get("expression")}


def _proxy(proxy: dict[str, Any]) -> dict[str, Any]:
    # The provider takes the properties as a map; the API as name/value pairs.
    properties = proxy.get("properties") or {}
    pairs = UNKNOWN if properties == UNKNOWN else [{"name": k, "value": v} for k, v in properties.items()]
    return {"type": proxy.get("type"), "containerName": proxy.get("containerName"), "properties": pairs}


@maps("aws:ecs/taskDefinition:TaskDefinition")
def task_definition(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ecs", "RegisterTaskDefinition", {
        "family": i.get("family"),
        "taskRoleArn": i.get("taskRoleArn"),
        "executionRoleArn": i.get("executionRoleArn"),
        "networkMode": i.get("networkMode"),
        "containerDefinitions": _json(i.get("containerDefinitions")),
        "volumes": _each(i.get("volumes"), _volume),
        "placementConstraints": _each(i.get("placementConstraints"), _placement_constraint),
        "requiresCompatibilities": i.get("requiresCompatibilities"),
        "cpu": i.get("cpu"),
        "memory": i.get("memory"),
        "pidMode": i.get("pidMode"),
        "ipcMode": i.get("ipcMode"),
        "proxyConfiguration": _block(i.get("proxyConfiguration"), _proxy),
        "runtimePlatform": _block(i.get("runtimePlatform"), lambda p: {
            "operatingSystemFamily": p.get("operatingSystemFamily"), "cpuArchitecture": p.get("cpuArchitecture")}),
        # The provider's sizeInGib is the API's sizeInGiB.
        "ephemeralStorage": _block(i.get("ephemeralStorage"), lambda s: {"sizeInGiB": s.get("sizeInGib")}),
    }, r)


def _strategy_item(item: dict[str, Any]) -> dict[str, Any]:
    return {"capacityProvider": item.get("capacityProvider"), "weight": item.get("weight"), "base": item.get("base")}


def _service_load_balancer(lb: dict[str, Any]) -> dict[str, Any]:
    return {"targetGroupArn": lb.get("targetGroupArn"), "loadBalancerName": lb.get("elbName"),
            "containerName": lb.get("containerName"), "containerPort": lb.get("containerPort"),
            "advancedConfiguration": _block(lb.get("advancedConfiguration"), lambda a: {
                "alternateTargetGroupArn": a.get("alternateTargetGroupArn"),
                "productionListenerRule": a.get("productionListenerRule"),
                "testListenerRule": a.get("testListenerRule"), "roleArn": a.get("roleArn")})}


def _minutes(value: Any) -> Any:
    """A bake time: the provider takes it as a string (its Terraform schema) and sends the API an integer."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _lifecycle_hook(hook: dict[str, Any]) -> dict[str, Any]:
    return {"hookTargetArn": hook.get("hookTargetArn"), "roleArn": hook.get("roleArn"),
            "lifecycleStages": hook.get("lifecycleStages"), "hookDetails": _json(hook.get("hookDetails")),
            "targetType": hook.get("targetType"),
            "timeoutConfiguration": _block(hook.get("timeoutConfiguration"), lambda t: {
                "timeoutInMinutes": _minutes(t.get("timeoutInMinutes")), "action": t.get("action")})}


def _deployment_configuration(i: dict[str, Any]) -> dict[str, Any]:
    """The provider's top-level rolling settings and alarms, and its `deploymentConfiguration` block (strategy and
    bake times), as the one DeploymentConfiguration the API takes."""
    config = i.get("deploymentConfiguration")
    if config == UNKNOWN:
        config = dict.fromkeys(("strategy", "bakeTimeInMinutes", "canaryConfiguration", "linearConfiguration"),
                               UNKNOWN)
    config = config or {}
    return {
        "deploymentCircuitBreaker": i.get("deploymentCircuitBreaker"),
        "maximumPercent": i.get("deploymentMaximumPercent"),
        "minimumHealthyPercent": i.get("deploymentMinimumHealthyPercent"),
        "alarms": i.get("alarms"),
        "strategy": config.get("strategy"),
        "bakeTimeInMinutes": _minutes(config.get("bakeTimeInMinutes")),
        "canaryConfiguration": _block(config.get("canaryConfiguration"), lambda c: {
            "canaryPercent": _float(c.get("canaryPercent")),
            "canaryBakeTimeInMinutes": _minutes(c.get("canaryBakeTimeInMinutes"))}),
        "linearConfiguration": _block(config.get("linearConfiguration"), lambda c: {
            "stepPercent": _float(c.get("stepPercent")),
            "stepBakeTimeInMinutes": _minutes(c.get("stepBakeTimeInMinutes"))}),
        "lifecycleHooks": _each(config.get("lifecycleHooks"), _lifecycle_hook),
    }


def _log_configuration(log: dict[str, Any]) -> dict[str, Any]:
    return {"logDriver": log.get("logDriver"), "options": log.get("options"),
            "secretOptions": _each(log.get("secretOptions"),
                                   lambda o: {"name": o.get("name"), "valueFrom": o.get("valueFrom")})}


def _client_alias(alias: dict[str, Any]) -> dict[str, Any]:
    return {"port": alias.get("port"), "dnsName": alias.get("dnsName"),
            "testTrafficRules": _each(alias.get("testTrafficRules"), lambda r: {"header": _block(
                r.get("header"), lambda h: {"name": h.get("name"),
                                            "value": _block(h.get("value"), lambda v: {"exact": v.get("exact")})})})}


def _service_connect_service(service: dict[str, Any]) -> dict[str, Any]:
    # The provider's `clientAlias` list is the API's clientAliases; its issuerCertAuthority the
    # issuerCertificateAuthority.
    return {
        "portName": service.get("portName"),
        "discoveryName": service.get("discoveryName"),
        "clientAliases": _each(service.get("clientAlias"), _client_alias),
        "ingressPortOverride": service.get("ingressPortOverride"),
        "timeout": _block(service.get("timeout"), lambda t: {
            "idleTimeoutSeconds": t.get("idleTimeoutSeconds"),
            "perRequestTimeoutSeconds": t.get("perRequestTimeoutSeconds")}),
        "tls": _block(service.get("tls"), lambda t: {
            "issuerCertificateAuthority": _block(t.get("issuerCertAuthority"), lambda a: {
                "awsPcaAuthorityArn": a.get("awsPcaAuthorityArn")}),
            "kmsKey": t.get("kmsKey"), "roleArn": t.get("roleArn")}),
    }


def _service_connect(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "enabled": config.get("enabled"),
        "namespace": config.get("namespace"),
        "services": _each(config.get("services"), _service_connect_service),
        "logConfiguration": _block(config.get("logConfiguration"), _log_configuration),
        "accessLogConfiguration": _block(config.get("accessLogConfiguration"), lambda a: {
            "format": a.get("format"), "includeQueryParameters": a.get("includeQueryParameters")}),
    }


def _managed_ebs_volume(volume: dict[str, Any]) -> dict[str, Any]:
    # The provider's sizeInGb is the API's sizeInGiB, its fileSystemType the filesystemType.
    return {
        "roleArn": volume.get("roleArn"), "encrypted": volume.get("encrypted"), "kmsKeyId": volume.get("kmsKeyId"),
        "volumeType": volume.get("volumeType"), "sizeInGiB": volume.get("sizeInGb"),
        "snapshotId": volume.get("snapshotId"), "volumeInitializationRate": volume.get("volumeInitializationRate"),
        "iops": volume.get("iops"), "throughput": volume.get("throughput"),
        "filesystemType": volume.get("fileSystemType"),
        "tagSpecifications": _each(volume.get("tagSpecifications"), lambda t: {
            "resourceType": t.get("resourceType"), "propagateTags": t.get("propagateTags"),
            "tags": _tags(t.get("tags"))}),
    }


def _tags(tags: Any) -> Any:
    if not isinstance(tags, dict):
        return tags
    return [{"key": k, "value": v} for k, v in tags.items()]


def _volume_configurations(volume: Any) -> Any:
    """The provider's one `volumeConfiguration` block as the API's `volumeConfigurations` list."""
    if volume is None or volume == UNKNOWN:
        return volume
    return [{"name": volume.get("name"),
             "managedEBSVolume": _block(volume.get("managedEbsVolume"), _managed_ebs_volume)}]


def _awsvpc(network: dict[str, Any]) -> dict[str, Any]:
    public_ip = network.get("assignPublicIp")
    if public_ip not in (None, UNKNOWN):
        public_ip = "ENABLED" if public_ip else "DISABLED"
    return {"awsvpcConfiguration": {"subnets": network.get("subnets"), "securityGroups": network.get("securityGroups"),
                                    "assignPublicIp": public_ip}}


@maps("aws:ecs/service:Service")
def service(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ecs", "CreateService", {
        "cluster": i.get("cluster"),
        "serviceName": _name(r),
        "taskDefinition": i.get("taskDefinition"),
        "loadBalancers": _each(i.get("loadBalancers"), _service_load_balancer),
        "desiredCount": i.get("desiredCount"),
        "launchType": i.get("launchType"),
        "capacityProviderStrategy": _each(i.get("capacityProviderStrategies"), _strategy_item),
        "platformVersion": i.get("platformVersion"),
        "deploymentConfiguration": _deployment_configuration(i),
        "deploymentController": _block(i.get("deploymentController"), lambda c: {"type": c.get("type")}),
        "schedulingStrategy": i.get("schedulingStrategy"),
        "placementConstraints": _each(i.get("placementConstraints"), _placement_constraint),
        "placementStrategy": _each(i.get("orderedPlacementStrategies"),
                                   lambda s: {"type": s.get("type"), "field": s.get("field")}),
        "networkConfiguration": _block(i.get("networkConfiguration"), _awsvpc),
        "healthCheckGracePeriodSeconds": i.get("healthCheckGracePeriodSeconds"),
        "enableECSManagedTags": i.get("enableEcsManagedTags"),
        "propagateTags": i.get("propagateTags"),
        "enableExecuteCommand": i.get("enableExecuteCommand"),
        "serviceConnectConfiguration": _block(i.get("serviceConnectConfiguration"), _service_connect),
        "availabilityZoneRebalancing": i.get("availabilityZoneRebalancing"),
        "volumeConfigurations": _volume_configurations(i.get("volumeConfiguration")),
    }, r)


def _execute_command(config: dict[str, Any]) -> dict[str, Any]:
    return {"executeCommandConfiguration": _block(config.get("executeCommandConfiguration"), lambda e: {
        "kmsKeyId": e.get("kmsKeyId"),
        "logging": e.get("logging"),
        "logConfiguration": _block(e.get("logConfiguration"), lambda log: {
            "cloudWatchLogGroupName": log.get("cloudWatchLogGroupName"),
            "cloudWatchEncryptionEnabled": log.get("cloudWatchEncryptionEnabled"),
            "s3BucketName": log.get("s3BucketName"),
            "s3EncryptionEnabled": log.get("s3BucketEncryptionEnabled"),
            "s3KeyPrefix": log.get("s3KeyPrefix"),
        }),
    })}


@maps("aws:ecs/cluster:Cluster")
def cluster(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ecs", "CreateCluster", {
        "clusterName": _name(r),
        "settings": i.get("settings"),
        "configuration": _block(i.get("configuration"), _execute_command),
    }, r)


@maps("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
def capacity_providers(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    # Both lists are required by the API, so an empty one is sent rather than dropped.
    yield ApiRequest("ecs", "PutClusterCapacityProviders", {
        "cluster": i.get("clusterName"),
        "capacityProviders": i.get("capacityProviders") or [],
        "defaultCapacityProviderStrategy": _each(i.get("defaultCapacityProviderStrategies"),
                                                 lambda s: compact(_strategy_item(s))),
    }, r)


# ELBv2 -------------------------------------------------------------------------------------------------------


def _attributes(pairs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": text(v)} for k, v in pairs.items() if v is not None]


@maps("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def load_balancer(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("elbv2", "CreateLoadBalancer", {
        "Name": _name(r),
        "Subnets": i.get("subnets"),
        "SecurityGroups": i.get("securityGroups"),
        "Scheme": "internal" if i.get("internal") else "internet-facing",
        "Type": i.get("loadBalancerType", "application"),
        "IpAddressType": i.get("ipAddressType"),
    }, r)
    logs = i.get("accessLogs") or {}
    if logs == UNKNOWN:
        logs = {"enabled": UNKNOWN, "bucket": UNKNOWN}
    attributes = _attributes({
        "deletion_protection.enabled": i.get("enableDeletionProtection"),
        "idle_timeout.timeout_seconds": i.get("idleTimeout"),
        "client_keep_alive.seconds": i.get("clientKeepAlive"),
        "routing.http.drop_invalid_header_fields.enabled": i.get("dropInvalidHeaderFields"),
        "routing.http.desync_mitigation_mode": i.get("desyncMitigationMode"),
        "routing.http.xff_header_processing.mode": i.get("xffHeaderProcessingMode"),
        "access_logs.s3.enabled": logs.get("enabled"),
        "access_logs.s3.bucket": logs.get("bucket"),
        "access_logs.s3.prefix": logs.get("prefix"),
    })
    if attributes:
        yield ApiRequest("elbv2", "ModifyLoadBalancerAttributes",
                         {"LoadBalancerArn": r.outputs.get("arn", r.id), "Attributes": attributes}, r)


def _health_check(check: dict[str, Any], protocol_version: Any) -> dict[str, Any]:
    # The provider sends the matcher as gRPC codes for a GRPC target group and as HTTP codes otherwise.
    matcher = check.get("matcher")
    return {
        "HealthCheckEnabled": check.get("enabled"),
        "HealthCheckProtocol": check.get("protocol"),
        "HealthCheckPort": check.get("port"),
        "HealthCheckPath": check.get("path"),
        "HealthCheckIntervalSeconds": check.get("interval"),
        "HealthCheckTimeoutSeconds": check.get("timeout"),
        "HealthyThresholdCount": check.get("healthyThreshold"),
        "UnhealthyThresholdCount": check.get("unhealthyThreshold"),
        "Matcher": {"GrpcCode" if protocol_version == "GRPC" else "HttpCode": matcher} if matcher else None,
    }


@maps("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
def target_group(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    check = i.get("healthCheck") or {}
    if check == UNKNOWN:
        check = dict.fromkeys(("enabled", "protocol", "port", "path", "interval", "timeout", "healthyThreshold",
                               "unhealthyThreshold", "matcher"), UNKNOWN)
    yield request("elbv2", "CreateTargetGroup", {
        "Name": _name(r),
        "Protocol": i.get("protocol"),
        "ProtocolVersion": i.get("protocolVersion"),
        "Port": i.get("port"),
        "VpcId": i.get("vpcId"),
        "TargetType": i.get("targetType"),
        "IpAddressType": i.get("ipAddressType"),
        **_health_check(check, i.get("protocolVersion")),
    }, r)
    attributes = _attributes({
        "deregistration_delay.timeout_seconds": i.get("deregistrationDelay"),
        "slow_start.duration_seconds": i.get("slowStart"),
        "load_balancing.algorithm.type": i.get("loadBalancingAlgorithmType"),
        **_stickiness_attributes(i.get("stickiness")),
    })
    if attributes:
        yield ApiRequest("elbv2", "ModifyTargetGroupAttributes",
                         {"TargetGroupArn": r.outputs.get("arn", r.id), "Attributes": attributes}, r)


def _stickiness_attributes(stickiness: Any) -> dict[str, Any]:
    """The stickiness attributes the provider sends (terraform-provider-aws, internal/service/elbv2/target_group.go,
    expandTargetGroupStickinessAttributes): enabled and type, and with an enabled lb_cookie or app_cookie its
    duration (cookie_duration) and, for app_cookie, the cookie's name."""
    if not isinstance(stickiness, dict) or stickiness == UNKNOWN:
        return {}
    kind, enabled = stickiness.get("type"), stickiness.get("enabled", True)
    found = {"stickiness.enabled": enabled, "stickiness.type": kind}
    if enabled is not False and kind in ("lb_cookie", "app_cookie"):
        found[f"stickiness.{kind}.duration_seconds"] = stickiness.get("cookieDuration", 86400)
    if enabled is not False and kind == "app_cookie":
        found["stickiness.app_cookie.cookie_name"] = stickiness.get("cookieName")
    return found


def _forward(forward: dict[str, Any]) -> dict[str, Any]:
    return {
        "TargetGroups": _each(forward.get("targetGroups"),
                              lambda g: {"TargetGroupArn": g.get("arn"), "Weight": g.get("weight")}),
        "TargetGroupStickinessConfig": _block(forward.get("stickiness"), lambda s: {
            "Enabled": s.get("enabled"), "DurationSeconds": s.get("duration")}),
    }


_AUTHENTICATE_COMMON = {"sessionCookieName": "SessionCookieName", "scope": "Scope", "sessionTimeout": "SessionTimeout",
                        "authenticationRequestExtraParams": "AuthenticationRequestExtraParams",
                        "onUnauthenticatedRequest": "OnUnauthenticatedRequest"}
_OIDC = {"issuer": "Issuer", "authorizationEndpoint": "AuthorizationEndpoint", "tokenEndpoint": "TokenEndpoint",
         "userInfoEndpoint": "UserInfoEndpoint", "clientId": "ClientId", "clientSecret": "ClientSecret",
         **_AUTHENTICATE_COMMON}
_COGNITO = {"userPoolArn": "UserPoolArn", "userPoolClientId": "UserPoolClientId", "userPoolDomain": "UserPoolDomain",
            **_AUTHENTICATE_COMMON}


def _renamed(names: dict[str, str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda block: {api: block.get(key) for key, api in names.items()}


def _action(action: dict[str, Any], order: int) -> dict[str, Any]:
    return {
        "Type": action.get("type"),
        "TargetGroupArn": action.get("targetGroupArn"),
        "Order": action.get("order", order),
        "ForwardConfig": _block(action.get("forward"), _forward),
        "AuthenticateOidcConfig": _block(action.get("authenticateOidc"), _renamed(_OIDC)),
        "AuthenticateCognitoConfig": _block(action.get("authenticateCognito"), _renamed(_COGNITO)),
        "FixedResponseConfig": _block(action.get("fixedResponse"), _renamed(
            {"messageBody": "MessageBody", "statusCode": "StatusCode", "contentType": "ContentType"})),
        "RedirectConfig": _block(action.get("redirect"), _renamed(
            {"protocol": "Protocol", "port": "Port", "host": "Host", "path": "Path", "query": "Query",
             "statusCode": "StatusCode"})),
    }


def _actions(actions: Any) -> Any:
    # The provider numbers actions in the order given when the program leaves `order` out.
    if actions == UNKNOWN:
        return UNKNOWN
    return [a if a == UNKNOWN else _action(a, order) for order, a in enumerate(actions or [], start=1)]


@maps("aws:lb/listener:Listener", "aws:alb/listener:Listener")
def listener(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("elbv2", "CreateListener", {
        "LoadBalancerArn": i.get("loadBalancerArn"),
        "Protocol": i.get("protocol"),
        "Port": i.get("port"),
        "SslPolicy": i.get("sslPolicy"),
        "Certificates": [{"CertificateArn": i["certificateArn"]}] if i.get("certificateArn") else None,
        "DefaultActions": _actions(i.get("defaultActions")),
    }, r)


@maps("aws:lb/listenerCertificate:ListenerCertificate", "aws:alb/listenerCertificate:ListenerCertificate")
def listener_certificate(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("elbv2", "AddListenerCertificates", {
        "ListenerArn": i.get("listenerArn"),
        "Certificates": [{"CertificateArn": i.get("certificateArn")}],
    }, r)


# Pulumi's condition blocks, and the API's RuleCondition field and config for each.
CONDITIONS = {"pathPattern": ("path-pattern", "PathPatternConfig"), "hostHeader": ("host-header", "HostHeaderConfig"),
              "httpHeader": ("http-header", "HttpHeaderConfig"),
              "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
              "queryStrings": ("query-string", "QueryStringConfig"), "sourceIp": ("source-ip", "SourceIpConfig")}


def _condition_config(key: str, block: Any) -> Any:
    if key == "queryStrings":
        return {"Values": _each(block, lambda q: {"Key": q.get("key"), "Value": q.get("value")})}
    return _block(block, lambda b: {"HttpHeaderName": b.get("httpHeaderName"), "Values": b.get("values"),
                                    "RegexValues": b.get("regexValues"), "IpAddressType": b.get("ipAddressType")})


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    """One API condition per condition block. A block that sets several kinds (the provider refuses it) keeps them
    all, so the rules see it; its Field is the first kind's."""
    kinds = [key for key in CONDITIONS if condition.get(key)]
    mapped: dict[str, Any] = {"Field": CONDITIONS[kinds[0]][0]} if kinds else {}
    for key in kinds:
        mapped[CONDITIONS[key][1]] = _condition_config(key, condition[key])
    return mapped


@maps("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
def listener_rule(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("elbv2", "CreateRule", {
        "ListenerArn": i.get("listenerArn"),
        "Priority": i.get("priority"),
        "Conditions": _each(i.get("conditions"), _condition),
        "Actions": _actions(i.get("actions")),
    }, r)


# CloudWatch and Application Auto Scaling ---------------------------------------------------------------------


def _dimensions(dimensions: Any, name: str = "Name", value: str = "Value") -> Any:
    if not dimensions or dimensions == UNKNOWN:
        return dimensions or None
    if isinstance(dimensions, dict):
        return [{name: k, value: v} for k, v in dimensions.items()]
    return _each(dimensions, lambda d: {name: d.get("name"), value: d.get("value")})


def _metric(metric: dict[str, Any]) -> dict[str, Any]:
    return {"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName"),
            "Dimensions": _dimensions(metric.get("dimensions"))}


def _alarm_query(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": query.get("id"),
        "Expression": query.get("expression"),
        "Label": query.get("label"),
        "ReturnData": query.get("returnData"),
        "Period": query.get("period"),
        "AccountId": query.get("accountId"),
        "MetricStat": _block(query.get("metric"), lambda m: {
            "Metric": _metric(m), "Period": m.get("period"), "Stat": m.get("stat"), "Unit": m.get("unit")}),
    }


@maps("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("cloudwatch", "PutMetricAlarm", {
        "AlarmName": _name(r),
        "AlarmDescription": i.get("alarmDescription"),
        "ActionsEnabled": i.get("actionsEnabled"),
        "OKActions": i.get("okActions"),
        "AlarmActions": i.get("alarmActions"),
        "InsufficientDataActions": i.get("insufficientDataActions"),
        "MetricName": i.get("metricName"),
        "Namespace": i.get("namespace"),
        "Statistic": i.get("statistic"),
        "ExtendedStatistic": i.get("extendedStatistic"),
        "EvaluateLowSampleCountPercentile": i.get("evaluateLowSampleCountPercentiles"),
        "Dimensions": _dimensions(i.get("dimensions")),
        "Period": i.get("period"),
        "Unit": i.get("unit"),
        "EvaluationPeriods": i.get("evaluationPeriods"),
        "DatapointsToAlarm": i.get("datapointsToAlarm"),
        "Threshold": _float(i.get("threshold")),
        "ThresholdMetricId": i.get("thresholdMetricId"),
        "ComparisonOperator": i.get("comparisonOperator"),
        "TreatMissingData": i.get("treatMissingData"),
        "Metrics": _each(i.get("metricQueries"), _alarm_query),
    }, r)


@maps("aws:appautoscaling/target:Target")
def scalable_target(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("application-autoscaling", "RegisterScalableTarget", {
        "ServiceNamespace": i.get("serviceNamespace"),
        "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"),
        "MinCapacity": i.get("minCapacity"),
        "MaxCapacity": i.get("maxCapacity"),
        "RoleARN": i.get("roleArn"),
    }, r)


def _tracking_metric(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": m.get("id"),
        "Expression": m.get("expression"),
        "Label": m.get("label"),
        "ReturnData": m.get("returnData"),
        "MetricStat": _block(m.get("metricStat"), lambda stat: {
            "Metric": _block(stat.get("metric"), _metric), "Stat": stat.get("stat"), "Unit": stat.get("unit")}),
    }


def _step_scaling(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "AdjustmentType": step.get("adjustmentType"),
        "StepAdjustments": _each(step.get("stepAdjustments"), lambda a: {
            "MetricIntervalLowerBound": _float(a.get("metricIntervalLowerBound")),
            "MetricIntervalUpperBound": _float(a.get("metricIntervalUpperBound")),
            "ScalingAdjustment": a.get("scalingAdjustment")}),
        "MinAdjustmentMagnitude": step.get("minAdjustmentMagnitude"),
        "Cooldown": step.get("cooldown"),
        "MetricAggregationType": step.get("metricAggregationType"),
    }


def _customized_metric(customized: dict[str, Any]) -> dict[str, Any]:
    return {
        "MetricName": customized.get("metricName"), "Namespace": customized.get("namespace"),
        "Dimensions": _dimensions(customized.get("dimensions")), "Statistic": customized.get("statistic"),
        "Unit": customized.get("unit"), "Metrics": _each(customized.get("metrics"), _tracking_metric),
    }


def _target_tracking(tracking: dict[str, Any]) -> dict[str, Any]:
    return {
        "TargetValue": _float(tracking.get("targetValue")),
        "PredefinedMetricSpecification": _block(tracking.get("predefinedMetricSpecification"), lambda p: {
            "PredefinedMetricType": p.get("predefinedMetricType"), "ResourceLabel": p.get("resourceLabel")}),
        "CustomizedMetricSpecification": _block(tracking.get("customizedMetricSpecification"), _customized_metric),
        "ScaleOutCooldown": tracking.get("scaleOutCooldown"),
        "ScaleInCooldown": tracking.get("scaleInCooldown"),
        "DisableScaleIn": tracking.get("disableScaleIn"),
    }


@maps("aws:appautoscaling/policy:Policy")
def scaling_policy(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("application-autoscaling", "PutScalingPolicy", {
        "PolicyName": _name(r),
        "ServiceNamespace": i.get("serviceNamespace"),
        "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"),
        "PolicyType": i.get("policyType"),
        "StepScalingPolicyConfiguration": _block(i.get("stepScalingPolicyConfiguration"), _step_scaling),
        "TargetTrackingScalingPolicyConfiguration": _block(i.get("targetTrackingScalingPolicyConfiguration"),
                                                           _target_tracking),
    }, r)


# SQS, CloudWatch Logs, IAM -----------------------------------------------------------------------------------

_QUEUE_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds", "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod", "policy": "Policy",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds", "redrivePolicy": "RedrivePolicy",
    "visibilityTimeoutSeconds": "VisibilityTimeout", "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds", "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "fifoQueue": "FifoQueue", "contentBasedDeduplication": "ContentBasedDeduplication",
    "deduplicationScope": "DeduplicationScope", "fifoThroughputLimit": "FifoThroughputLimit",
    "redriveAllowPolicy": "RedriveAllowPolicy",
}


@maps("aws:sqs/queue:Queue")
def queue(r: Registration) -> Iterator[ApiRequest]:
    attributes = {
        api: text(value)
        for key, api in _QUEUE_ATTRIBUTES.items()
        if (value := r.inputs.get(key)) is not None
    }
    yield request("sqs", "CreateQueue", {"QueueName": _name(r), "Attributes": attributes}, r)


@maps("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
def redrive_allow(r: Registration) -> Iterator[ApiRequest]:
    yield request("sqs", "SetQueueAttributes", {
        "QueueUrl": r.inputs.get("queueUrl"),
        "Attributes": {"RedriveAllowPolicy": r.inputs.get("redriveAllowPolicy")},
    }, r)


@maps("aws:cloudwatch/logGroup:LogGroup")
def log_group(r: Registration) -> Iterator[ApiRequest]:
    name = _name(r)
    yield request("logs", "CreateLogGroup", {"logGroupName": name, "kmsKeyId": r.inputs.get("kmsKeyId"),
                                             "logGroupClass": r.inputs.get("logGroupClass")}, r)
    if r.inputs.get("retentionInDays"):
        yield request("logs", "PutRetentionPolicy", {"logGroupName": name,
                                                     "retentionInDays": r.inputs["retentionInDays"]}, r)


@maps("aws:iam/role:Role")
def role(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("iam", "CreateRole", {
        "RoleName": _name(r), "Path": i.get("path"), "AssumeRolePolicyDocument": i.get("assumeRolePolicy"),
        "Description": i.get("description"), "MaxSessionDuration": i.get("maxSessionDuration"),
        "PermissionsBoundary": i.get("permissionsBoundary"),
    }, r)


@maps("aws:iam/rolePolicy:RolePolicy")
def role_policy(r: Registration) -> Iterator[ApiRequest]:
    yield request("iam", "PutRolePolicy", {"RoleName": r.inputs.get("role"), "PolicyName": _name(r),
                                           "PolicyDocument": r.inputs.get("policy")}, r)


@maps("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def role_policy_attachment(r: Registration) -> Iterator[ApiRequest]:
    yield request("iam", "AttachRolePolicy", {"RoleName": r.inputs.get("role"),
                                              "PolicyArn": r.inputs.get("policyArn")}, r)


# EC2: instances and routes ------------------------------------------------------------------------------------
# As terraform-provider-aws sends them (internal/service/ec2/ec2_instance.go, vpc_route.go).


def _user_data(i: dict[str, Any]) -> Any:
    """UserData goes out base64-encoded: the provider encodes `userData` and passes `userDataBase64` as it is."""
    raw = i.get("userData")
    if raw == UNKNOWN:
        return UNKNOWN
    if raw:
        return base64.b64encode(str(raw).encode()).decode()
    return i.get("userDataBase64") or None


def _ebs(device: dict[str, Any]) -> dict[str, Any]:
    volume_type = device.get("volumeType")
    return {
        "DeleteOnTermination": device.get("deleteOnTermination", True),
        # Sent only when true: false means the account's default encryption decides.
        "Encrypted": True if device.get("encrypted") is True else None,
        "KmsKeyId": device.get("kmsKeyId"),
        "SnapshotId": device.get("snapshotId"),
        "VolumeSize": device.get("volumeSize"),
        "VolumeType": volume_type,
        "Iops": device.get("iops") if volume_type in ("io1", "io2", "gp3") else None,
        "Throughput": device.get("throughput") if volume_type == "gp3" else None,
    }


def _block_devices(i: dict[str, Any]) -> Any:
    # The root volume's DeviceName is the image's root device, which the provider reads with DescribeImages at
    # deployment: it is left out here rather than invented.
    devices = [{"DeviceName": d.get("deviceName"), "Ebs": _ebs(d)} for d in i.get("ebsBlockDevices") or []
               if d != UNKNOWN]
    root = i.get("rootBlockDevice")
    if root == UNKNOWN:
        return UNKNOWN
    if root:
        devices.append({"Ebs": _ebs(root)})
    return devices


def _metadata_options(options: dict[str, Any]) -> dict[str, Any]:
    # The other options are allowed only while the endpoint is enabled (the provider's default).
    endpoint = options.get("httpEndpoint") or "enabled"
    enabled = endpoint == "enabled"
    return {
        "HttpEndpoint": endpoint,
        "HttpTokens": options.get("httpTokens") if enabled else None,
        "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit") if enabled else None,
        "HttpProtocolIpv6": options.get("httpProtocolIpv6"),
        "InstanceMetadataTags": options.get("instanceMetadataTags") if enabled else None,
    }


def _network(i: dict[str, Any]) -> dict[str, Any]:
    """With a subnet, the provider launches through one network interface spec (an instance-level SubnetId or
    security groups alongside NetworkInterfaces are refused); explicit network interfaces are attached as given."""
    groups = [*(i.get("vpcSecurityGroupIds") or []), *(i.get("securityGroups") or [])]
    if i.get("subnetId"):
        return {"NetworkInterfaces": [{
            "DeviceIndex": 0,
            "SubnetId": i.get("subnetId"),
            "Groups": groups,
            "AssociatePublicIpAddress": i.get("associatePublicIpAddress"),
            "PrivateIpAddress": i.get("privateIp"),
            "Ipv6AddressCount": i.get("ipv6AddressCount"),
        }]}
    if i.get("networkInterfaces"):
        return {"NetworkInterfaces": _each(i.get("networkInterfaces"), lambda n: {
            "DeviceIndex": n.get("deviceIndex"), "NetworkCardIndex": n.get("networkCardIndex", 0),
            "NetworkInterfaceId": n.get("networkInterfaceId"),
            "DeleteOnTermination": n.get("deleteOnTermination", False)})}
    return {"SecurityGroups": i.get("securityGroups"), "SecurityGroupIds": i.get("vpcSecurityGroupIds"),
            "PrivateIpAddress": i.get("privateIp")}


@maps("aws:ec2/instance:Instance")
def instance(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ec2", "RunInstances", {
        "MinCount": 1,
        "MaxCount": 1,
        "ImageId": i.get("ami"),
        "InstanceType": i.get("instanceType"),
        "KeyName": i.get("keyName"),
        "UserData": _user_data(i),
        "IamInstanceProfile": {"Name": i["iamInstanceProfile"]} if i.get("iamInstanceProfile") else None,
        "Monitoring": {"Enabled": bool(i.get("monitoring"))},
        "DisableApiTermination": bool(i.get("disableApiTermination")),
        "DisableApiStop": i.get("disableApiStop"),
        "EbsOptimized": bool(i.get("ebsOptimized")),
        "InstanceInitiatedShutdownBehavior": i.get("instanceInitiatedShutdownBehavior"),
        "Placement": compact({"AvailabilityZone": i.get("availabilityZone"), "Tenancy": i.get("tenancy"),
                              "GroupName": i.get("placementGroup"), "HostId": i.get("hostId")}) or None,
        "MetadataOptions": _block(i.get("metadataOptions"), _metadata_options),
        "MaintenanceOptions": _block(i.get("maintenanceOptions"), lambda m: {"AutoRecovery": m.get("autoRecovery")}),
        "CreditSpecification": _block(i.get("creditSpecification"), lambda c: {"CpuCredits": c.get("cpuCredits")}),
        "CpuOptions": _block(i.get("cpuOptions"), lambda c: {"CoreCount": c.get("coreCount"),
                                                             "ThreadsPerCore": c.get("threadsPerCore")}),
        "EnclaveOptions": _block(i.get("enclaveOptions"), lambda e: {"Enabled": e.get("enabled")}),
        "HibernationOptions": {"Configured": bool(i.get("hibernation"))},
        "BlockDeviceMappings": _block_devices(i),
        **_network(i),
    }, r)
    # Source/destination checking is an attribute, set once the instance runs, and only when it is turned off.
    check = i.get("sourceDestCheck", True)
    if check is not True and not i.get("networkInterfaces"):
        yield request("ec2", "ModifyInstanceAttribute", {
            "InstanceId": r.outputs.get("id") or UNKNOWN, "SourceDestCheck": {"Value": check}}, r)


ROUTE_TARGETS = {
    "gatewayId": "GatewayId", "natGatewayId": "NatGatewayId", "networkInterfaceId": "NetworkInterfaceId",
    "transitGatewayId": "TransitGatewayId", "vpcPeeringConnectionId": "VpcPeeringConnectionId",
    "vpcEndpointId": "VpcEndpointId", "egressOnlyGatewayId": "EgressOnlyInternetGatewayId",
    "carrierGatewayId": "CarrierGatewayId", "localGatewayId": "LocalGatewayId", "coreNetworkArn": "CoreNetworkArn",
    "odbNetworkArn": "OdbNetworkArn",
}
"""The route inputs that name a target, and their CreateRoute parameters."""
ROUTE_DESTINATIONS = {"destinationCidrBlock": "DestinationCidrBlock",
                      "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock",
                      "destinationPrefixListId": "DestinationPrefixListId"}


@maps("aws:ec2/route:Route")
def route(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield request("ec2", "CreateRoute", {
        "RouteTableId": i.get("routeTableId"),
        **{api: i.get(key) for key, api in {**ROUTE_DESTINATIONS, **ROUTE_TARGETS}.items()},
    }, r)


def requests_for(resources: list[Registration]) -> list[ApiRequest]:
    return [req for r in resources if r.type in MAPPERS for req in MAPPERS[r.type](r)]
