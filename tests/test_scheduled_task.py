"""ScheduledTask component: the schedule, Spot placement, the scheduler's role, dead letters, refusals, fidelity and
policy."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import pulumi
import pulumi_aws as aws
import pytest

from ecs_platform import Cluster, naming
from ecs_platform.scheduled_task import ScheduledTask, retry_problem, schedule_problem, timezone_problem
from ecs_platform.offline import has_unknown
from ecs_platform.testing import ProgramRun
from ecs_platform.testing import run as run_program
from ecs_platform.toolchain import fidelity
from ecs_platform.toolchain.policy_runner import run_policies

from .conftest import ROOT
from .helpers import PLACEMENT, containers, policy, refusal_of

SCHEDULE = "aws:scheduler/schedule:Schedule"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"
TASK = {"image": "example/report:1.0", "user": "1000:1000"}


def args(**overrides: Any) -> dict[str, Any]:
    return {"placement": PLACEMENT, "task": dict(TASK), "schedule": "rate(1 hour)", **overrides}


def scheduled(run_component, **overrides: Any) -> ProgramRun:
    return run_component(lambda: ScheduledTask("report", args(**overrides)))


def target(run: ProgramRun) -> dict[str, Any]:
    return run.one(SCHEDULE).inputs["target"]


def statements(run: ProgramRun) -> list[dict[str, Any]]:
    return policy(run.one(ROLE_POLICY, "report-scheduler"))["Statement"]


def statement(run: ProgramRun, action: str) -> dict[str, Any]:
    (found,) = [s for s in statements(run) if s["Action"] == action]
    return found


# The schedule --------------------------------------------------------------------------------------------------


def test_rate_schedule_is_evaluated_in_utc_by_default(run_component) -> None:
    schedule = scheduled(run_component, schedule="rate(15 minutes)").one(SCHEDULE).inputs
    assert (schedule["scheduleExpression"], schedule["scheduleExpressionTimezone"]) == ("rate(15 minutes)", "UTC")


def test_cron_schedule_is_evaluated_in_the_given_timezone(run_component) -> None:
    run = scheduled(run_component, schedule="cron(0 5 ? * MON-FRI *)", timezone="Europe/Paris")
    schedule = run.one(SCHEDULE).inputs
    assert (schedule["scheduleExpression"], schedule["scheduleExpressionTimezone"]) == (
        "cron(0 5 ? * MON-FRI *)", "Europe/Paris")


def test_runs_start_at_the_minute_asked_for(run_component) -> None:
    assert scheduled(run_component).one(SCHEDULE).inputs["flexibleTimeWindow"] == {"mode": "OFF"}


def test_schedule_is_enabled_unless_asked(run_component) -> None:
    assert scheduled(run_component).one(SCHEDULE).inputs["state"] == "ENABLED"
    assert scheduled(run_component, enabled=False).one(SCHEDULE).inputs["state"] == "DISABLED"


def test_schedule_runs_one_task_of_this_task_definition_in_the_cluster(run_component) -> None:
    run = scheduled(run_component)
    ecs = target(run)["ecsParameters"]
    assert target(run)["arn"] == PLACEMENT["cluster_arn"]
    assert ecs["taskDefinitionArn"] == run.one("aws:ecs/taskDefinition:TaskDefinition").outputs["arn"]
    assert ecs["taskCount"] == 1
    assert (ecs["platformVersion"], ecs["propagateTags"], ecs["enableEcsManagedTags"]) == (
        "LATEST", "TASK_DEFINITION", True)


def test_schedule_assumes_its_own_scheduler_role(run_component) -> None:
    run = scheduled(run_component)
    assert target(run)["roleArn"] == run.one(ROLE, "report-scheduler").outputs["arn"]


def test_tasks_run_on_spot_by_default(run_component) -> None:
    ecs = target(scheduled(run_component))["ecsParameters"]
    assert ecs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert "launchType" not in ecs


def test_on_demand_tasks_run_on_fargate(run_component) -> None:
    ecs = target(scheduled(run_component, on_demand=True))["ecsParameters"]
    assert ecs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE", "weight": 1}]


def test_spot_tasks_get_the_full_two_minutes_to_stop(run_component) -> None:
    assert containers(scheduled(run_component), "report")[0]["stopTimeout"] == 120


def test_on_demand_tasks_get_the_web_stop_timeout(run_component) -> None:
    assert containers(scheduled(run_component, on_demand=True), "report")[0]["stopTimeout"] == 30


def test_tasks_run_in_the_private_subnets_with_their_group_and_no_public_ip(run_component) -> None:
    run = scheduled(run_component)
    network = target(run)["ecsParameters"]["networkConfiguration"]
    assert network == {"subnets": PLACEMENT["subnet_ids"],
                       "securityGroups": [run.one("aws:ec2/securityGroup:SecurityGroup", "report-tasks").id],
                       "assignPublicIp": False}


def test_task_security_group_admits_nothing_and_lets_only_https_out(run_component) -> None:
    run = scheduled(run_component)
    assert not run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    (egress,) = run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert (egress.inputs["fromPort"], egress.inputs["toPort"], egress.inputs["ipProtocol"]) == (443, 443, "tcp")


def test_retries_three_times_within_an_hour_by_default(run_component) -> None:
    assert target(scheduled(run_component))["retryPolicy"] == {"maximumRetryAttempts": 3,
                                                                "maximumEventAgeInSeconds": 3600}


def test_retry_policy_follows_args(run_component) -> None:
    run = scheduled(run_component, retry={"maximum_retry_attempts": 0, "maximum_event_age_seconds": 60})
    assert target(run)["retryPolicy"] == {"maximumRetryAttempts": 0, "maximumEventAgeInSeconds": 60}


def test_outputs_are_the_providers_own_values(run_component) -> None:
    def program() -> None:
        task = ScheduledTask("report", args())
        for key in ("schedule_arn", "task_definition_arn", "dead_letter_queue_url", "role_arn", "log_group_name",
                    "security_group_id"):
            pulumi.export(key, getattr(task, key))

    run = run_component(program)
    assert run.outputs == {
        "schedule_arn": run.one(SCHEDULE).outputs["arn"],
        "task_definition_arn": run.one("aws:ecs/taskDefinition:TaskDefinition").outputs["arn"],
        "dead_letter_queue_url": run.one(QUEUE, "report-dlq").outputs["url"],
        "role_arn": run.one(ROLE, "report-scheduler").outputs["arn"],
        "log_group_name": run.one("aws:cloudwatch/logGroup:LogGroup", "report-logs").outputs["name"],
        "security_group_id": run.one("aws:ec2/securityGroup:SecurityGroup", "report-tasks").id,
    }
    assert run.outputs["schedule_arn"].startswith("arn:aws:scheduler:us-east-1:123456789012:schedule/default/report-")


# The scheduler's role ------------------------------------------------------------------------------------------


def test_scheduler_role_trusts_only_the_scheduler_of_this_account(run_component) -> None:
    (trust,) = policy(scheduled(run_component).one(ROLE, "report-scheduler"), "assumeRolePolicy")["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                      "ArnLike": {"aws:SourceArn": "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default"}},
    }


def test_scheduler_role_runs_only_this_family_and_only_in_this_cluster(run_component) -> None:
    run = scheduled(run_component)
    family = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs["family"]
    assert statement(run, "ecs:RunTask") == {
        "Effect": "Allow", "Action": "ecs:RunTask",
        "Resource": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:*",
        "Condition": {"ArnEquals": {"ecs:cluster": PLACEMENT["cluster_arn"]}},
    }


def test_scheduler_role_passes_only_the_tasks_two_roles_and_only_to_ecs_tasks(run_component) -> None:
    run = scheduled(run_component)
    roles = [run.one(ROLE, f"report-{suffix}").outputs["arn"] for suffix in ("execution", "task")]
    assert statement(run, "iam:PassRole") == {
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles,
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    }


def test_scheduler_role_tags_only_the_tasks_it_starts_in_this_cluster(run_component) -> None:
    assert statement(scheduled(run_component), "ecs:TagResource") == {
        "Effect": "Allow", "Action": "ecs:TagResource",
        "Resource": "arn:aws:ecs:us-east-1:123456789012:task/main/*",
        "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
    }


def test_scheduler_role_sends_only_to_its_dead_letter_queue(run_component) -> None:
    run = scheduled(run_component)
    assert statement(run, "sqs:SendMessage") == {
        "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": run.one(QUEUE, "report-dlq").outputs["arn"]}


def test_scheduler_role_may_do_nothing_else(run_component) -> None:
    assert sorted(s["Action"] for s in statements(scheduled(run_component))) == [
        "ecs:RunTask", "ecs:TagResource", "iam:PassRole", "sqs:SendMessage"]


def test_scheduler_policy_is_known_at_a_first_preview_so_the_pack_can_judge_it() -> None:
    # The cluster's ARN is not known before it exists; the policy builds it from the cluster's name.
    run = run_program(platform_program(), project="f", stack="t", config={"aws:region": "us-east-1"}, preview=True)
    scheduler_policy = run.one(ROLE_POLICY, "report-scheduler").inputs["policy"]
    assert not has_unknown(scheduler_policy)
    (run_task,) = [s for s in json.loads(scheduler_policy)["Statement"] if s["Action"] == "ecs:RunTask"]
    cluster_name = run.one("aws:ecs/cluster:Cluster").inputs["name"]
    assert run_task["Condition"] == {
        "ArnEquals": {"ecs:cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/{cluster_name}"}}


def test_schedule_waits_for_its_permissions(run_component) -> None:
    run = scheduled(run_component)
    dependencies = run.one(SCHEDULE).dependencies
    assert run.one(ROLE_POLICY, "report-scheduler").urn in dependencies
    assert run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "report-execution").urn in dependencies


# Dead letters --------------------------------------------------------------------------------------------------


def test_dead_letter_queue_is_encrypted_and_keeps_messages_fourteen_days(run_component) -> None:
    queue = scheduled(run_component).one(QUEUE, "report-dlq").inputs
    assert queue["sqsManagedSseEnabled"] is True
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600


def test_runs_that_could_not_start_go_to_the_dead_letter_queue(run_component) -> None:
    run = scheduled(run_component)
    assert target(run)["deadLetterConfig"] == {"arn": run.one(QUEUE, "report-dlq").outputs["arn"]}


def test_dead_letter_alarm_tells_the_given_topics_on_the_first_message(run_component) -> None:
    run = scheduled(run_component, alarm_actions=[TOPIC])
    alarm = run.one(ALARM, "report-dlq-not-empty").inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["dimensions"] == {"QueueName": run.one(QUEUE, "report-dlq").outputs["name"]}
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["alarmActions"] == alarm["okActions"] == [TOPIC]


def test_dead_letter_alarm_exists_without_topics_and_tells_nobody(run_component) -> None:
    (alarm,) = scheduled(run_component).of_type(ALARM)
    assert not alarm.inputs.get("alarmActions")


# The task ------------------------------------------------------------------------------------------------------


def test_task_definition_comes_from_the_shared_builder(run_component) -> None:
    run = scheduled(run_component)
    (main,) = containers(run, "report")
    assert main["readonlyRootFilesystem"] is True
    assert main["user"] == "1000:1000"
    log = main["logConfiguration"]
    assert log["logDriver"] == "awslogs" and log["options"]["mode"] == "non-blocking"
    assert log["options"]["awslogs-group"] == run.one("aws:cloudwatch/logGroup:LogGroup", "report-logs").outputs["name"]
    definition = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert (definition["networkMode"], definition["requiresCompatibilities"]) == ("awsvpc", ["FARGATE"])


# Refusals ------------------------------------------------------------------------------------------------------


def refusal(run_component, name: str = "report", **overrides: Any) -> str:
    """The one-line refusal of a ScheduledTask, checked to come before the component or any child registers."""
    given = args(**{k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        given.pop(key)
    return refusal_of(run_component, lambda: ScheduledTask(name, given))


@pytest.mark.parametrize("overrides, expected", [
    ({"schedule": "rate(5 fortnights)"}, "a rate's unit is minute(s), hour(s) or day(s); got 'fortnights'"),
    ({"schedule": "rate(5 minute)"}, "rate(5 ...) takes the unit 'minutes', not 'minute'"),
    ({"schedule": "cron(0 5 * * ?)"}, "has 5 cron fields; cron takes 6"),
    ({"schedule": "cron(0 25 * * ? *)"}, "the hours field '25': values are 0 to 23; got 25"),
    ({"schedule": "at(2030-01-01T00:00:00)"}, "runs once; a scheduled task recurs"),
    ({"timezone": "Europe/Pariss"}, "'Europe/Pariss' is not an IANA time zone name; did you mean Europe/Paris?"),
    ({"retry": {"maximum_retry_attempts": 186}}, "retry.maximum_retry_attempts must be a whole number from 0 to 185"),
    ({"retry": {"maximum_event_age_seconds": 59}}, "retry.maximum_event_age_seconds must be a whole number from 60"),
    ({"on_demand": "yes"}, "on_demand must be true or false; got 'yes'"),
    ({"schedul": "rate(1 hour)"}, "ScheduledTask args: unknown key 'schedul'; did you mean schedule?"),
    ({"retry": {"maximum_retries": 2}}, "ScheduledTask args.retry: unknown key 'maximum_retries'; did you mean "
                                        "maximum_retry_attempts?"),
    ({"task": {"image": "x:1", "stop_timeout_seconds": 300}}, "stop_timeout_seconds must be 2 to 120"),
    ({"schedule": None}, "ScheduledTask args: 'schedule' is required"),
], ids=["rate unit", "rate plural", "cron with 5 fields", "cron hour", "one-time", "timezone", "retry attempts",
        "event age", "on_demand not a bool", "misspelt arg", "misspelt retry key", "task stop timeout",
        "no schedule"])
def test_a_mistake_is_refused_in_one_line_before_anything_is_registered(run_component, overrides, expected) -> None:
    assert expected in refusal(run_component, **overrides)


def test_a_name_too_long_for_its_roles_is_refused_before_registration(run_component) -> None:
    # `<name>-execution-` and `<name>-scheduler-` plus 7 characters must fit IAM's 64.
    longest = naming.max_name_length(naming.SCHEDULED_TASK_CHILDREN)
    assert longest == 46
    message = refusal(run_component, name="r" * (longest + 1))
    assert f"may be at most {longest}, because its Role" in message and "AWS allows 64" in message


def test_the_longest_name_fills_the_scheduler_role_name_exactly(run_component) -> None:
    name = "r" * naming.max_name_length(naming.SCHEDULED_TASK_CHILDREN)
    run = run_component(lambda: ScheduledTask(name, args()))
    assert len(run.one(ROLE, f"{name}-scheduler").outputs["name"]) == 64
    assert len(run.one(SCHEDULE).outputs["name"]) <= 64


def test_every_auto_named_child_is_in_the_naming_table(run_component) -> None:
    run = scheduled(run_component, alarm_actions=[TOPIC], task={**TASK, "secrets": {
        "DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}})
    table = naming.SCHEDULED_TASK_CHILDREN
    for resource in run.resources:
        if resource.custom and resource.type in {*naming.NAME_LIMITS, SCHEDULE} \
                and resource.type != "aws:ecs/taskDefinition:TaskDefinition":
            assert resource.name.removeprefix("report") in table.get(resource.type, ()), (resource.type, resource.name)


# The pure checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 5 * * ? *)", "cron(0/15 8-17 ? * MON-FRI *)", "cron(30 2 L * ? *)", "cron(0 9 ? * 2#1 *)",
    "cron(0 12 15W * ? 2030)", "cron(0 18 ? * 6L 2030-2035)", "cron(5,35 14 ? JAN,JUL WED *)",
])
def test_schedule_problem_accepts_what_scheduler_accepts(expression: str) -> None:
    assert schedule_problem(expression) is None


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(5 weeks)", "rate(1.5 hours)", "rate(5)",
    "cron(0 5 * * ?)", "cron(0 5 * * ? * *)", "cron(60 5 * * ? *)", "cron(0 24 * * ? *)", "cron(0 5 32 * ? *)",
    "cron(0 5 ? 13 MON *)", "cron(0 5 ? * 8 *)", "cron(0 5 ? * MON 1969)", "cron(0 5 * * * *)", "cron(0 5 ? * ? *)",
    "cron(*/60 * * * ? *)", "cron(0 5 ? * MON/2 *)", "cron(0 ? * * ? *)", "cron(0 5 ? * 3#1,6#3 *)",
    "at(2030-01-01T00:00:00)", "every day at 5", "",
])
def test_schedule_problem_refuses_what_scheduler_refuses(expression: str) -> None:
    assert schedule_problem(expression) is not None


@pytest.mark.parametrize("zone, accepted", [
    ("UTC", True), ("Europe/Paris", True), ("America/New_York", True), ("Asia/Kolkata", True),
    ("Europe/Pariss", False), ("CEST", False), ("localtime", False), ("", False), ("UTC+2", False),
])
def test_timezone_problem_knows_iana_names(zone: str, accepted: bool) -> None:
    assert (timezone_problem(zone) is None) is accepted


@pytest.mark.parametrize("attempts, age, accepted", [
    (0, 60, True), (185, 86400, True), (3, 3600, True), (-1, 3600, False), (186, 3600, False), (3, 59, False),
    (3, 86401, False), (1.5, 3600, False), (True, 3600, False),
])
def test_retry_problem_knows_the_scheduler_ranges(attempts: Any, age: Any, accepted: bool) -> None:
    assert (retry_problem(attempts, age) is None) is accepted


# Deploy fidelity -----------------------------------------------------------------------------------------------


def platform_program(**overrides: Any) -> Callable[[], None]:
    """A cluster of the platform and a scheduled task in it: the schedule's target is a cluster of the program."""
    def program() -> None:
        cluster = Cluster("main", {})
        placement = {**PLACEMENT, "cluster_arn": cluster.cluster_arn, "cluster_name": cluster.cluster_name}
        ScheduledTask("report", args(placement=placement, alarm_actions=[TOPIC], **overrides))
    return program


def check(program: Callable[[], None], preview: bool = False) -> fidelity.FidelityReport:
    return fidelity.check(run_program(program, project="f", stack="t", config={"aws:region": "us-east-1"},
                                      preview=preview))


@pytest.mark.parametrize("preview", [False, True], ids=["deployed", "first preview"])
def test_fidelity_check_passes_on_a_program_with_a_scheduled_task(preview: bool) -> None:
    report = check(platform_program(schedule="cron(0 5 ? * MON-FRI *)", timezone="Europe/Paris"), preview)
    assert report.operations["scheduler:CreateSchedule"] == 1
    assert [v.line() for v in report.violations] == []


def test_schedule_is_sent_as_the_provider_sends_it(run_component) -> None:
    run = scheduled(run_component)
    (request,) = [r for r in fidelity.requests_for(run.resources) if r.label == "scheduler:CreateSchedule"]
    ecs = request.params["Target"]["EcsParameters"]
    assert ecs["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert ecs["CapacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    assert request.params["Name"] == run.one(SCHEDULE).outputs["name"]


def schedule_program(*, expression: str = "rate(1 hour)", timezone: Optional[str] = None,
                     ecs: Optional[dict[str, Any]] = None, fifo: bool = False, send: bool = True,
                     cluster: bool = False, target_arn: Optional[str] = None) -> Callable[[], None]:
    """A hand-written schedule with an ECS target, a dead-letter queue and an execution role, to break one thing."""
    def program() -> None:
        definition = aws.ecs.TaskDefinition(
            "job", family="job", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            container_definitions=json.dumps([{"name": "job", "image": "x:1", "essential": True}]))
        queue = aws.sqs.Queue("dlq", fifo_queue=True, name="dlq.fifo") if fifo else aws.sqs.Queue("dlq")
        role = aws.iam.Role("scheduler", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        allowed = [{"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}]
        if send:
            allowed.append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue.arn})
        aws.iam.RolePolicy("scheduler", role=role.name,
                           policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": allowed}))
        cluster_arn: Any = target_arn or "arn:aws:ecs:us-east-1:123456789012:cluster/jobs"
        if cluster:
            created = aws.ecs.Cluster("jobs")
            aws.ecs.ClusterCapacityProviders("jobs", cluster_name=created.name, capacity_providers=["FARGATE"])
            cluster_arn = created.arn
        parameters = {"task_definition_arn": definition.arn, "launch_type": "FARGATE",
                      "network_configuration": {"subnets": ["subnet-1"]}, **(ecs or {})}
        aws.scheduler.Schedule(
            "job", schedule_expression=expression, schedule_expression_timezone=timezone,
            flexible_time_window={"mode": "OFF"},
            target={"arn": cluster_arn, "role_arn": role.arn, "ecs_parameters": {
                k: v for k, v in parameters.items() if v is not None},
                "dead_letter_config": {"arn": queue.arn}})
    return program


@pytest.mark.parametrize("build, field, snippet", [
    (schedule_program(expression="rate(5 minute)"), "ScheduleExpression", "takes the unit 'minutes'"),
    (schedule_program(expression="cron(0 5 * * * *)"), "ScheduleExpression", "exactly one of day-of-month"),
    (schedule_program(timezone="Mars/Olympus_Mons"), "ScheduleExpressionTimezone", "not an IANA time zone"),
    (schedule_program(ecs={"task_count": 0}), "TaskCount", "valid min value: 1"),
    (schedule_program(fifo=True), "Target.DeadLetterConfig.Arn", "must be standard"),
    (schedule_program(send=False), "Target.RoleArn", "does not allow sqs:SendMessage"),
    (schedule_program(ecs={"capacity_provider_strategies": [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]}),
     "Target.EcsParameters.LaunchType", "mutually exclusive"),
    (schedule_program(ecs={"network_configuration": None}), "Target.EcsParameters.NetworkConfiguration",
     "needs an awsvpc NetworkConfiguration"),
    (schedule_program(ecs={"launch_type": None, "capacity_provider_strategies": [
        {"capacity_provider": "FARGATE", "weight": 1}], "network_configuration": {
        "subnets": ["subnet-1"], "assign_public_ip": True}}), "AssignPublicIp", "ENABLED needs LaunchType FARGATE"),
    (schedule_program(target_arn="arn:aws:sqs:us-east-1:123456789012:jobs"), "Target.Arn",
     "the ARN of a cluster"),
    (schedule_program(cluster=True, ecs={"launch_type": None, "capacity_provider_strategies": [
        {"capacity_provider": "FARGATE_SPOT", "weight": 1}]}), "capacityProvider", "no association with FARGATE_SPOT"),
], ids=["rate unit", "cron days", "timezone", "task count", "fifo dead letters", "role cannot send",
        "launch type and strategy", "no network configuration", "public ip without launch type", "target not a cluster",
        "provider not associated"])
def test_a_schedule_aws_refuses_is_caught(build, field: str, snippet: str) -> None:
    report = check(build)
    found = [v for v in report.violations if v.operation == "scheduler:CreateSchedule" and field in v.field]
    assert found and any(snippet in v.message for v in found), [v.line() for v in report.violations]


def test_ranges_the_model_carries_are_judged_at_a_first_preview_too() -> None:
    report = check(schedule_program(ecs={"task_count": 11}), preview=True)
    assert [v.message for v in report.violations if v.field == "Target.EcsParameters.TaskCount"] == [
        "must be a whole number from 1 to 10; got 11"]


def test_a_hand_written_schedule_with_everything_right_passes() -> None:
    assert [v.line() for v in check(schedule_program()).violations] == []


# Policy --------------------------------------------------------------------------------------------------------


def policy_report(preview: bool = False, **overrides):
    def program() -> None:
        ScheduledTask("report", args(task={**TASK, "log_retention_days": 365}, **{"alarm_actions": [TOPIC], **overrides}))

    run = run_program(program, project="policy", stack="prod", config={"aws:region": "us-east-1"}, preview=preview)
    return run_policies(run, ROOT / "policies", ROOT / "policies" / "config" / "prod.json")


@pytest.mark.parametrize("preview", [False, True], ids=["deployed", "first preview"])
def test_policy_pack_reports_no_mandatory_violation_on_a_scheduled_task(preview: bool) -> None:
    assert [f"{v.policy}: {v.message}" for v in policy_report(preview).mandatory] == []


def test_policy_pack_wants_the_dead_letter_alarm_to_tell_someone() -> None:
    mandatory = [(v.policy, v.resource_name) for v in policy_report(alarm_actions=[]).mandatory]
    assert mandatory == [("cloudwatch-alarm-actions", "report-dlq-not-empty")]
