"""The readable API reference at /api/v1/docs: rendered on the server from the same OpenAPI
document as /api/v1/openapi.json, so it never drifts from the code (and needs no script)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    ref: str | None  # a schema name to link to
    required: bool
    description: str
    location: str = ""  # for parameters: path or query


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    schema: str | None


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    public: bool
    parameters: list[Field]
    body_schema: str | None
    body_fields: list[Field]
    responses: list[Response]
    result_fields: list[Field]

    @property
    def anchor(self) -> str:
        return "op-" + re.sub(r"[^a-z0-9]+", "-", f"{self.method} {self.path}".lower()).strip("-")


@dataclass
class Section:
    name: str
    title: str
    operations: list[Operation] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "section-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


@dataclass(frozen=True)
class Schema:
    name: str
    fields: list[Field]

    @property
    def anchor(self) -> str:
        return f"schema-{self.name}"


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    sections: list[Section]
    schemas: list[Schema]

    @property
    def paths(self) -> set[str]:
        return {op.path for section in self.sections for op in section.operations}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe(prop: dict[str, Any]) -> tuple[str, str | None]:
    """A property's type in words, and the schema it refers to (if any)."""
    if "$ref" in prop:
        return "object", _ref_name(prop["$ref"])
    if prop.get("allOf") and len(prop["allOf"]) == 1:
        text, ref = describe(prop["allOf"][0])
    elif prop.get("type") == "array":
        inner, ref = describe(prop.get("items", {}))
        text = f"array of {inner}"
    else:
        text, ref = prop.get("type", "any"), None
        if prop.get("format"):
            text += f" ({prop['format']})"
    extras = []
    if "enum" in prop:
        extras.append("one of " + ", ".join(str(v) for v in prop["enum"]))
    if "minimum" in prop or "maximum" in prop:
        extras.append(f"{prop.get('minimum', '')}–{prop.get('maximum', '')}")
    if "minLength" in prop or "maxLength" in prop:
        extras.append(f"length {prop.get('minLength', 0)}–{prop.get('maxLength', '')}")
    if "pattern" in prop:
        extras.append(f"pattern {prop['pattern']}")
    if "default" in prop:
        extras.append(f"default {prop['default']}")
    if extras:
        text += "; " + "; ".join(extras)
    if prop.get("nullable"):
        text += "; or null"
    return text, ref


def schema_fields(spec: dict[str, Any], name: str | None) -> list[Field]:
    schema = spec["components"]["schemas"].get(name or "", {})
    required = set(schema.get("required", []))
    fields = []
    for prop_name, prop in schema.get("properties", {}).items():
        text, ref = describe(prop)
        fields.append(
            Field(prop_name, text, ref, prop_name in required, prop.get("description", ""))
        )
    return fields


def _content_schema(spec: dict[str, Any], item: dict[str, Any]) -> tuple[dict, str | None]:
    """The item (a response or a request body, resolved if a reference) and its schema name."""
    if "$ref" in item:
        item = spec["components"]["responses"].get(_ref_name(item["$ref"]), {})
    schema = item.get("content", {}).get("application/json", {}).get("schema", {})
    return item, _ref_name(schema["$ref"]) if "$ref" in schema else None


def _operation(spec: dict, path: str, method: str, op: dict, common: list) -> Operation:
    parameters = []
    for param in [*common, *op.get("parameters", [])]:
        text, ref = describe(param.get("schema", {}))
        parameters.append(
            Field(
                param["name"],
                text,
                ref,
                bool(param.get("required")),
                param.get("description", ""),
                param.get("in", ""),
            )
        )
    body_schema = None
    if "requestBody" in op:
        _body, body_schema = _content_schema(spec, op["requestBody"])
    responses, result_schema = [], None
    for status, item in sorted(op.get("responses", {}).items(), key=lambda kv: kv[0]):
        resolved, schema = _content_schema(spec, item)
        responses.append(Response(status, resolved.get("description", ""), schema))
        if status.startswith("2") and result_schema is None:
            result_schema = schema
    return Operation(
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        public=op.get("security", spec.get("security")) == [],
        parameters=parameters,
        body_schema=body_schema,
        body_fields=schema_fields(spec, body_schema),
        responses=responses,
        result_fields=schema_fields(spec, result_schema),
    )


def reference(spec: dict[str, Any]) -> Reference:
    """The OpenAPI document as sections of operations, and the schemas."""
    sections = {
        t["name"]: Section(t["name"], t.get("description", t["name"])) for t in spec.get("tags", [])
    }
    for path, item in spec.get("paths", {}).items():
        common = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            tag = (op.get("tags") or ["other"])[0]
            section = sections.setdefault(tag, Section(tag, tag))
            section.operations.append(_operation(spec, path, method, op, common))
    schemas = [
        Schema(name, schema_fields(spec, name))
        for name in sorted(spec.get("components", {}).get("schemas", {}))
    ]
    info = spec.get("info", {})
    return Reference(
        title=info.get("title", ""),
        version=info.get("version", ""),
        description=info.get("description", ""),
        sections=[s for s in sections.values() if s.operations],
        schemas=schemas,
    )


@bp.route("/api/v1/docs")
def page():
    """The API reference for people: every endpoint, its parameters, bodies and answers."""
    from . import api

    return render_template("api/docs.html", doc=reference(api.spec.to_dict()))
