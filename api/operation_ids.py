"""Operation ids: the route's name (its function's name unless the route says ``name=``), so they are
short and stable (``list_cases``, ``dispatch_case``) and an integrator's generated client keeps its
method names across releases. Open311 operations carry the prefix ``open311_``: their names mirror the
GeoReport v2 spec's and would otherwise read like the staff API's.

Renaming a view function renames its operation: name routes as the verb and the resource.
"""

from __future__ import annotations

from fastapi.routing import APIRoute

OPEN311_PATH = "/open311/"
OPEN311_PREFIX = "open311_"


def operation_id(route: APIRoute) -> str:
    name = route.name
    if route.path.startswith(OPEN311_PATH) and not name.startswith(OPEN311_PREFIX):
        return OPEN311_PREFIX + name
    return name
