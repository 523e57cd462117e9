#!/usr/bin/env python3
"""Validates the OpenAPI 3.1 document embedded in OpenAPIDocument.swift."""
import json
import pathlib
import sys

from openapi_spec_validator import validate

source = pathlib.Path(__file__).resolve().parent.parent / "Sources/HeraldServer/Controllers/OpenAPIDocument.swift"
text = source.read_text()
start, end = text.index('#"""') + 4, text.rindex('"""#')
document = json.loads(text[start:end])
validate(document)
operations = sum(1 for item in document["paths"].values() for k in item if k in {"get", "put", "post", "delete", "patch"})
print(f"OpenAPI document is valid: {len(document['paths'])} paths, {operations} operations")
