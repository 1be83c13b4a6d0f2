"""The JSON Schema of lab.yaml, with each check type's parameters, for editors and CI."""
from __future__ import annotations

from typing import Any

from labctl.checks import registry
from labctl.core.schema import LabModel

SCHEMA_ID = "https://labctl.invalid/schema/lab.schema.json"


def lab_json_schema() -> dict[str, Any]:
    schema = LabModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "labctl lab.yaml"
    defs = schema.setdefault("$defs", {})
    branches = []
    for name, cls in registry.all_types().items():
        params = cls.model_json_schema(by_alias=True)
        for key, value in params.pop("$defs", {}).items():
            defs.setdefault(key, value)
        params["properties"] = {"type": {"const": name}, **params.get("properties", {})}
        params["required"] = ["type", *params.get("required", [])]
        params["additionalProperties"] = False
        params["title"] = name
        defs[f"check:{name}"] = params
        branches.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                         "then": {"$ref": f"#/$defs/check:{name}"}})
    defs["CheckEntry"] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": list(registry.all_types())}},
        "allOf": branches,
    }
    return schema
