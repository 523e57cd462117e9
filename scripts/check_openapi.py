#!/usr/bin/env python3
"""Validates Herald's OpenAPI 3.1 document (Sources/HeraldServer/Resources/openapi.json)."""
import json
import pathlib

from openapi_spec_validator import validate

source = pathlib.Path(__file__).resolve().parent.parent / "Sources/HeraldServer/Resources/openapi.json"
document = json.loads(source.read_text())
validate(document)
operations = sum(1 for item in document["paths"].values() for k in item if k in {"get", "put", "post", "delete", "patch"})
print(f"OpenAPI document is valid: {len(document['paths'])} paths, {operations} operations")
