"""The package as a Pulumi component provider, so projects in other languages can use the components.

``pulumi package add <path-to>/components`` runs ``components/__main__.py`` as a plugin; the schema is inferred from
the components' type annotations (``args`` TypedDicts, annotated outputs) by the Pulumi SDK.
"""

import json
from typing import Any

import pulumi

from . import __version__
from .cluster import Cluster
from .file_system import FileSystem
from .image_repository import ImageRepository
from .load_balancer import LoadBalancer
from .network import Network
from .queue_worker import QueueWorker
from .registry_scanning import RegistryScanning
from .scheduled_task import ScheduledTask
from .topics import Topic
from .web_service import WebService

PACKAGE = "ecs-platform"
VERSION = __version__
COMPONENTS: list[type[pulumi.ComponentResource]] = [
    Network, LoadBalancer, Cluster, WebService, QueueWorker, ScheduledTask, ImageRepository,
    RegistryScanning, Topic, FileSystem,
]


def schema() -> dict[str, Any]:
    """The package schema, generated in-process exactly as the plugin would serve it."""
    from pulumi.provider.experimental.component import ComponentProvider

    return json.loads(ComponentProvider(COMPONENTS, PACKAGE, version=VERSION).schema or "{}")


def main() -> None:
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(COMPONENTS, PACKAGE, version=VERSION)
