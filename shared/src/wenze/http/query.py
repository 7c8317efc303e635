"""Refuse query parameters a route does not declare.

FastAPI ignores them, so a misspelt or unsupported filter (``/v1/cases?state=decided`` on a
list that has no state filter) answered with an unfiltered list, which reads as if the filter
had worked. Every route now answers 422 naming the parameter and the ones it accepts.
"""

from __future__ import annotations

import inspect

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from wenze.problems import invalid


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            # A model of filters (Annotated[Filters, Query()]): each of its fields is a parameter.
            names.update(f.alias or name for name, f in annotation.model_fields.items())
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# Keyed by the route object itself (routes compare by value, so they are not hashable); routes
# live as long as their app, so the few entries never need evicting.
_DECLARED: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    known = _DECLARED.get(id(route))
    if known is None or known[0] is not route:
        known = _DECLARED[id(route)] = (route, frozenset(_query_names(route.dependant)))
    return known[1]


async def refuse_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = declared_query_parameters(route)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        accepted = ", ".join(sorted(declared)) or "none"
        # Bounded: the names come from the caller, and a problem must not echo a flood back.
        name = unknown[0][:64]
        raise invalid(
            f"query.{name}", f"not a parameter of this request; it accepts: {accepted}", code="unknown_query_parameter"
        )
