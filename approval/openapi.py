"""The OpenAPI document as clients need it: every schema in components, problem+json for every
refusal, the API key declared where it is checked.

FastAPI writes the document from the routes; what it cannot know (a body an endpoint reads
itself, the request gate's refusals, the problem handler's media type) is added here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from approval.access.errors import BodyTooLarge, TooManyFailedAuthentications, UnsupportedMediaType
from approval.errors import Forbidden, Unauthenticated
from approval.problems import Problem, ValidationProblem

PROBLEM_JSON = "application/problem+json"
API_KEY = "ApiKey"
_REF = "#/components/schemas/{model}"

# the models of bodies that endpoints read and validate themselves (see json_body)
_BODY_MODELS: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for an endpoint that reads its JSON body itself, validated by ``model``."""
    _BODY_MODELS[model.__name__] = model
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def not_json(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """``responses`` for a 200 that is a page, an image or a file rather than JSON."""
    textual = media_type.startswith("text/") or media_type.endswith("+xml")
    schema = {"type": "string"} if textual else {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


@dataclass(frozen=True, slots=True)
class Operation:
    path: str
    method: str
    checks_key: bool


def _problem(description: str, model: type[Problem]) -> dict[str, Any]:
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


def _add_components(document: dict[str, Any], models: Iterable[type[BaseModel]]) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    for name, schema in top.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"two different schemas are both called {name}")
        schemas[name] = schema


def complete(document: dict[str, Any], operations: Iterable[Operation]) -> dict[str, Any]:
    """The document FastAPI wrote, completed in place (and returned)."""
    _add_components(document, [Problem, ValidationProblem, *_BODY_MODELS.values()])
    components = document["components"]
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    components["securitySchemes"] = {
        API_KEY: {
            "type": "http",
            "scheme": "bearer",
            "description": "API 密钥，放在 Authorization 请求头中：Bearer mpk_…",
        }
    }
    for operation in operations:
        spec = document["paths"][operation.path][operation.method]
        responses: dict[str, Any] = spec["responses"]
        if operation.checks_key:
            spec["security"] = [{API_KEY: []}]
            responses.setdefault("401", {"description": Unauthenticated.title})
            responses.setdefault("403", {"description": Forbidden.title})
            responses.setdefault("429", {"description": TooManyFailedAuthentications.title})
        if "requestBody" in spec:
            responses.setdefault("413", {"description": BodyTooLarge.title})
            responses.setdefault("415", {"description": UnsupportedMediaType.title})
            responses.setdefault("422", {"description": "请求内容不符合要求"})
        for status, response in responses.items():
            if int(status) >= 400:
                model = ValidationProblem if status == "422" else Problem
                responses[status] = _problem(response["description"], model)
        spec["responses"] = dict(sorted(responses.items()))
    return document
