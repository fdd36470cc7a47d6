"""API requests of the images resources (registered into :data:`.requests.MAPPERS` with `@maps`)."""

from __future__ import annotations

from .requests import ApiRequest, maps, request  # noqa: F401 - used by the mappers added here
