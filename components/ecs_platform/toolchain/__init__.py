"""The offline toolchain: judges any Pulumi Python program with no cloud account and no Pulumi CLI.

- :mod:`.plan`: what a stack creates, what it costs and whether it passes policy (``ecs-platform plan``);
- :mod:`.fidelity`: the AWS API requests a program would send, checked against botocore's models and AWS's rules;
- :mod:`.policy_runner`: a CrossGuard pack driven through the Pulumi engine's analyzer protocol;
- :mod:`.cli`: the ``ecs-platform`` command.

It runs programs on the offline engine (:mod:`ecs_platform.offline`) and needs the ``plan`` extra
(``pip install 'ecs-platform[plan]'``). The components never import it.
"""
