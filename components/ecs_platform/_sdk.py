"""The parts of pulumi_aws and pulumi_awsx the components use, imported once with their import-time
DeprecationWarnings silenced.

pulumi_aws warns, as each of its modules is imported, about that module's own deprecated classes (s3.BucketV2,
s3.BucketVersioningV2...), whether or not anyone uses them: a consumer's first test run showed 25 such warnings and
none of its own. Loading the modules here, inside a catch_warnings block, keeps those out and leaves every warning
raised later (by a deprecated class a program really uses, by the program itself) as it is.
"""

import importlib
import warnings

SDK_MODULES = ("pulumi_aws.appautoscaling", "pulumi_aws.cloudwatch", "pulumi_aws.ec2", "pulumi_aws.ecr",
               "pulumi_aws.ecs", "pulumi_aws.elb", "pulumi_aws.iam", "pulumi_aws.lb", "pulumi_aws.s3",
               "pulumi_aws.scheduler", "pulumi_aws.servicediscovery", "pulumi_aws.sqs", "pulumi_aws.vpc",
               "pulumi_awsx.ec2", "pulumi_awsx.ecr")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in SDK_MODULES:
        # The SDKs load their submodules lazily: reading an attribute runs the module (and its warnings) here.
        getattr(importlib.import_module(_module), "__all__", None)
