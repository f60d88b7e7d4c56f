"""/api/openapi.json is a valid OpenAPI 3.1 document, and schemathesis finds no server error or schema break."""

from __future__ import annotations

import os
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from corpus.config import Settings
from corpus.web.openapi import spec


def walk_schemas(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every `schema` object and every component schema in the document, with where it sits."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}/{key}"
            if key == "schema" and isinstance(value, dict):
                found.append((here, value))
            found.extend(walk_schemas(value, here))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(walk_schemas(value, f"{path}/{i}"))
    return found


def test_the_served_document_is_valid_openapi_3_1(mini_client):
    doc = mini_client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(doc).validate()  # the OpenAPI 3.1 meta-schema; raises on any violation
    schemas = walk_schemas(doc) + [(f"/components/schemas/{k}", v) for k, v in doc["components"]["schemas"].items()]
    assert len(schemas) > 40
    for where, schema in schemas:
        assert jsonschema_rs.meta.is_valid(schema), where  # each one a valid JSON Schema 2020-12


def test_the_validator_is_not_a_rubber_stamp(mini_settings):
    """The same check rejects a broken document, so the test above can fail."""
    broken = spec(mini_settings)
    broken["paths"]["/api/search"]["get"]["parameters"][0]["in"] = "somewhere"
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


@pytest.fixture(scope="module")
def api_schema(mini_app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", mini_app)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# schemathesis's own pytest plugin (from_fixture) does not run under pytest 9, so each operation's
# strategy is driven by hypothesis directly: the same cases and the same checks.
# The schema's own URL is left out by schemathesis: it is the document under test, not an operation.
PATHS = sorted(p for p in spec(Settings())["paths"] if p != "/api/openapi.json")
EXAMPLES = int(os.environ.get("CORPUS_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", PATHS)
def test_schemathesis_finds_no_server_error_and_no_schema_break(api_schema, path, mode):
    [operation] = [r.ok() for r in api_schema.get_all_operations() if r.ok().path == path]
    examples = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def run(case: Any) -> None:
        nonlocal examples
        examples += 1
        case.call_and_validate(checks=CHECKS)

    if mode is GenerationMode.NEGATIVE and not operation.path_parameters and not operation.query:
        pytest.skip(f"{path} takes no parameters, so there is no invalid request to make")
    run()
    assert examples > 0
