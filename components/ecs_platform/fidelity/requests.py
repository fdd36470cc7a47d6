"""What the AWS provider would send: registered resources turned into AWS API requests.

Each mapper takes a resource's inputs (camelCase, as registered) and returns the requests the provider would make
to create it, in the API's own names and types. Inputs with no API counterpart (Pulumi-only switches such as
`forceNewDeployment` or `waitForSteadyState`) are skipped rather than invented. Tags are left out: the provider
sends them in separate tagging calls and merges the stack's default tags itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Optional

from ..testing.engine import Registration


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
    return json.loads(value) if isinstance(value, str) else value


def _float(value: Any) -> Optional[float]:
    return None if value in (None, "") else float(value)


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


@maps("aws:ecs/taskDefinition:TaskDefinition")
def task_definition(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    volumes = []
    for volume in i.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration")
        volumes.append({
            "name": volume.get("name"),
            "host": {"sourcePath": volume["hostPath"]} if volume.get("hostPath") else None,
            "efsVolumeConfiguration": {
                "fileSystemId": efs.get("fileSystemId"), "rootDirectory": efs.get("rootDirectory"),
                "transitEncryption": efs.get("transitEncryption"),
                "transitEncryptionPort": efs.get("transitEncryptionPort"),
            } if efs else None,
        })
    platform = i.get("runtimePlatform") or {}
    yield request("ecs", "RegisterTaskDefinition", {
        "family": i.get("family"),
        "taskRoleArn": i.get("taskRoleArn"),
        "executionRoleArn": i.get("executionRoleArn"),
        "networkMode": i.get("networkMode"),
        "containerDefinitions": _json(i.get("containerDefinitions")),
        "volumes": volumes,
        "requiresCompatibilities": i.get("requiresCompatibilities"),
        "cpu": i.get("cpu"),
        "memory": i.get("memory"),
        "pidMode": i.get("pidMode"),
        "ipcMode": i.get("ipcMode"),
        "runtimePlatform": {"operatingSystemFamily": platform.get("operatingSystemFamily"),
                            "cpuArchitecture": platform.get("cpuArchitecture")} if platform else None,
        "ephemeralStorage": i.get("ephemeralStorage"),
    }, r)


@maps("aws:ecs/service:Service")
def service(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    network = i.get("networkConfiguration") or {}
    public_ip = network.get("assignPublicIp")
    yield request("ecs", "CreateService", {
        "cluster": i.get("cluster"),
        "serviceName": _name(r),
        "taskDefinition": i.get("taskDefinition"),
        "loadBalancers": [
            {"targetGroupArn": lb.get("targetGroupArn"), "containerName": lb.get("containerName"),
             "containerPort": lb.get("containerPort")}
            for lb in i.get("loadBalancers") or []
        ],
        "desiredCount": i.get("desiredCount"),
        "launchType": i.get("launchType"),
        "capacityProviderStrategy": [
            {"capacityProvider": s.get("capacityProvider"), "weight": s.get("weight"), "base": s.get("base")}
            for s in i.get("capacityProviderStrategies") or []
        ],
        "platformVersion": i.get("platformVersion"),
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": i.get("deploymentCircuitBreaker"),
            "maximumPercent": i.get("deploymentMaximumPercent"),
            "minimumHealthyPercent": i.get("deploymentMinimumHealthyPercent"),
        },
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": network.get("subnets"),
            "securityGroups": network.get("securityGroups"),
            "assignPublicIp": None if public_ip is None else ("ENABLED" if public_ip else "DISABLED"),
        }} if network else None,
        "healthCheckGracePeriodSeconds": i.get("healthCheckGracePeriodSeconds"),
        "enableECSManagedTags": i.get("enableEcsManagedTags"),
        "propagateTags": i.get("propagateTags"),
        "enableExecuteCommand": i.get("enableExecuteCommand"),
    }, r)


@maps("aws:ecs/cluster:Cluster")
def cluster(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    exec_config = ((i.get("configuration") or {}).get("executeCommandConfiguration")) or {}
    log = exec_config.get("logConfiguration") or {}
    yield request("ecs", "CreateCluster", {
        "clusterName": _name(r),
        "settings": i.get("settings"),
        "configuration": {"executeCommandConfiguration": {
            "kmsKeyId": exec_config.get("kmsKeyId"),
            "logging": exec_config.get("logging"),
            "logConfiguration": {
                "cloudWatchLogGroupName": log.get("cloudWatchLogGroupName"),
                "cloudWatchEncryptionEnabled": log.get("cloudWatchEncryptionEnabled"),
                "s3BucketName": log.get("s3BucketName"),
                "s3KeyPrefix": log.get("s3KeyPrefix"),
            },
        }} if exec_config else None,
    }, r)


@maps("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
def capacity_providers(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    yield ApiRequest("ecs", "PutClusterCapacityProviders", {
        "cluster": i.get("clusterName"),
        "capacityProviders": i.get("capacityProviders") or [],
        "defaultCapacityProviderStrategy": [
            compact({"capacityProvider": s.get("capacityProvider"), "weight": s.get("weight"), "base": s.get("base")})
            for s in i.get("defaultCapacityProviderStrategies") or []
        ],
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
    attributes = _attributes({
        "deletion_protection.enabled": i.get("enableDeletionProtection"),
        "idle_timeout.timeout_seconds": i.get("idleTimeout"),
        "routing.http.drop_invalid_header_fields.enabled": i.get("dropInvalidHeaderFields"),
        "routing.http.desync_mitigation_mode": i.get("desyncMitigationMode"),
        "access_logs.s3.enabled": logs.get("enabled"),
        "access_logs.s3.bucket": logs.get("bucket"),
        "access_logs.s3.prefix": logs.get("prefix"),
    })
    if attributes:
        yield ApiRequest("elbv2", "ModifyLoadBalancerAttributes",
                         {"LoadBalancerArn": r.outputs.get("arn", r.id), "Attributes": attributes}, r)


@maps("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
def target_group(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    check = i.get("healthCheck") or {}
    yield request("elbv2", "CreateTargetGroup", {
        "Name": _name(r),
        "Protocol": i.get("protocol"),
        "Port": i.get("port"),
        "VpcId": i.get("vpcId"),
        "TargetType": i.get("targetType"),
        "HealthCheckEnabled": check.get("enabled"),
        "HealthCheckProtocol": check.get("protocol"),
        "HealthCheckPort": check.get("port"),
        "HealthCheckPath": check.get("path"),
        "HealthCheckIntervalSeconds": check.get("interval"),
        "HealthCheckTimeoutSeconds": check.get("timeout"),
        "HealthyThresholdCount": check.get("healthyThreshold"),
        "UnhealthyThresholdCount": check.get("unhealthyThreshold"),
        "Matcher": {"HttpCode": check["matcher"]} if check.get("matcher") else None,
    }, r)
    attributes = _attributes({"deregistration_delay.timeout_seconds": i.get("deregistrationDelay")})
    if attributes:
        yield ApiRequest("elbv2", "ModifyTargetGroupAttributes",
                         {"TargetGroupArn": r.outputs.get("arn", r.id), "Attributes": attributes}, r)


def _actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    mapped = []
    for order, action in enumerate(actions or [], start=1):
        fixed, redirect = action.get("fixedResponse"), action.get("redirect")
        mapped.append({
            "Type": action.get("type"),
            "TargetGroupArn": action.get("targetGroupArn"),
            "Order": action.get("order", order),
            "FixedResponseConfig": {"MessageBody": fixed.get("messageBody"), "StatusCode": fixed.get("statusCode"),
                                    "ContentType": fixed.get("contentType")} if fixed else None,
            "RedirectConfig": {"Protocol": redirect.get("protocol"), "Port": redirect.get("port"),
                               "Host": redirect.get("host"), "Path": redirect.get("path"),
                               "Query": redirect.get("query"), "StatusCode": redirect.get("statusCode")}
            if redirect else None,
        })
    return mapped


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


_CONDITIONS = {"pathPattern": ("path-pattern", "PathPatternConfig"), "hostHeader": ("host-header", "HostHeaderConfig"),
               "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
               "sourceIp": ("source-ip", "SourceIpConfig")}


@maps("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
def listener_rule(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    conditions = []
    for condition in i.get("conditions") or []:
        for key, (field, config) in _CONDITIONS.items():
            if condition.get(key):
                conditions.append({"Field": field, config: {"Values": condition[key].get("values")}})
    yield request("elbv2", "CreateRule", {
        "ListenerArn": i.get("listenerArn"),
        "Priority": i.get("priority"),
        "Conditions": conditions,
        "Actions": _actions(i.get("actions")),
    }, r)


# CloudWatch and Application Auto Scaling ---------------------------------------------------------------------


def _dimensions(dimensions: Any, name: str = "Name", value: str = "Value") -> Optional[list[dict[str, Any]]]:
    if not dimensions:
        return None
    if isinstance(dimensions, dict):
        return [{name: k, value: v} for k, v in dimensions.items()]
    return [{name: d.get("name"), value: d.get("value")} for d in dimensions]


@maps("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    metrics = []
    for query in i.get("metricQueries") or []:
        metric = query.get("metric")
        metrics.append({
            "Id": query.get("id"),
            "Expression": query.get("expression"),
            "Label": query.get("label"),
            "ReturnData": query.get("returnData"),
            "Period": query.get("period"),
            "MetricStat": {
                "Metric": {"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName"),
                           "Dimensions": _dimensions(metric.get("dimensions"))},
                "Period": metric.get("period"),
                "Stat": metric.get("stat"),
                "Unit": metric.get("unit"),
            } if metric else None,
        })
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
        "Dimensions": _dimensions(i.get("dimensions")),
        "Period": i.get("period"),
        "Unit": i.get("unit"),
        "EvaluationPeriods": i.get("evaluationPeriods"),
        "DatapointsToAlarm": i.get("datapointsToAlarm"),
        "Threshold": _float(i.get("threshold")),
        "ComparisonOperator": i.get("comparisonOperator"),
        "TreatMissingData": i.get("treatMissingData"),
        "Metrics": metrics,
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


def _tracking_metrics(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    mapped = []
    for m in metrics or []:
        stat = m.get("metricStat") or {}
        metric = stat.get("metric") or {}
        mapped.append({
            "Id": m.get("id"),
            "Expression": m.get("expression"),
            "Label": m.get("label"),
            "ReturnData": m.get("returnData"),
            "MetricStat": {
                "Metric": {"Namespace": metric.get("namespace"), "MetricName": metric.get("metricName"),
                           "Dimensions": _dimensions(metric.get("dimensions"))},
                "Stat": stat.get("stat"),
                "Unit": stat.get("unit"),
            } if stat else None,
        })
    return mapped


@maps("aws:appautoscaling/policy:Policy")
def scaling_policy(r: Registration) -> Iterator[ApiRequest]:
    i = r.inputs
    step = i.get("stepScalingPolicyConfiguration") or {}
    tracking = i.get("targetTrackingScalingPolicyConfiguration") or {}
    predefined = tracking.get("predefinedMetricSpecification") or {}
    customized = tracking.get("customizedMetricSpecification") or {}
    yield request("application-autoscaling", "PutScalingPolicy", {
        "PolicyName": _name(r),
        "ServiceNamespace": i.get("serviceNamespace"),
        "ResourceId": i.get("resourceId"),
        "ScalableDimension": i.get("scalableDimension"),
        "PolicyType": i.get("policyType"),
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": step.get("adjustmentType"),
            "StepAdjustments": [
                {"MetricIntervalLowerBound": _float(a.get("metricIntervalLowerBound")),
                 "MetricIntervalUpperBound": _float(a.get("metricIntervalUpperBound")),
                 "ScalingAdjustment": a.get("scalingAdjustment")}
                for a in step.get("stepAdjustments") or []
            ],
            "MinAdjustmentMagnitude": step.get("minAdjustmentMagnitude"),
            "Cooldown": step.get("cooldown"),
            "MetricAggregationType": step.get("metricAggregationType"),
        } if step else None,
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": _float(tracking.get("targetValue")),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": predefined.get("predefinedMetricType"),
                "ResourceLabel": predefined.get("resourceLabel"),
            } if predefined else None,
            "CustomizedMetricSpecification": {
                "MetricName": customized.get("metricName"), "Namespace": customized.get("namespace"),
                "Dimensions": _dimensions(customized.get("dimensions")), "Statistic": customized.get("statistic"),
                "Unit": customized.get("unit"), "Metrics": _tracking_metrics(customized.get("metrics")),
            } if customized else None,
            "ScaleOutCooldown": tracking.get("scaleOutCooldown"),
            "ScaleInCooldown": tracking.get("scaleInCooldown"),
            "DisableScaleIn": tracking.get("disableScaleIn"),
        } if tracking else None,
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


def requests_for(resources: list[Registration]) -> list[ApiRequest]:
    return [req for r in resources if r.type in MAPPERS for req in MAPPERS[r.type](r)]
