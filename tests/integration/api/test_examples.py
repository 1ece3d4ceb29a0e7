"""The examples of the OpenAPI document (api/examples.py): every command route and every map route
has one, each request example sent as documented to the service on the real facts is answered as
its description says, each map example is rows of the real map, and the document is valid
OpenAPI 3.1 whose examples fit their schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import referencing
import schemathesis
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.serialization import encode_json

from adapters.settings import Settings
from api.app import create_app
from api.examples import COMMAND_EXAMPLES, MAP_EXAMPLES, TOKEN_EXAMPLES, RequestExample
from services.authorisation import Role
from tests.integration.api.conftest import bearer

WRITES = {"POST", "PUT", "PATCH"}
REQUESTS = [(cls.__name__, e) for cls, examples in COMMAND_EXAMPLES.items() for e in examples]
REQUESTS += [("TokensCreateToken", e) for e in TOKEN_EXAMPLES]
# Record times differ from one import of the facts to the next.
RECORD_TIMES = {"recorded_at", "known_at"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """The app as the service builds it (its document does not depend on the facts)."""
    return create_app(settings=Settings(data_dir=tmp_path_factory.mktemp("examples")))


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    return json.loads(encode_json(app.openapi_schema.to_schema()))


def documented_routes(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    return [
        (route.path_format, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.resolve_include_in_schema()
    ]


def media(operation: dict[str, Any], part: str) -> dict[str, Any]:
    if part == "request":
        return operation["requestBody"]["content"]["application/json"]
    return operation["responses"]["200"]["content"]["application/json"]


def test_every_command_and_map_route_has_an_example(app, document) -> None:
    commands, maps = [], []
    for path, handler in documented_routes(app):
        methods = handler.http_methods
        if methods & WRITES and "data" in handler.parsed_fn_signature.parameters:
            commands += [(path, method.lower()) for method in methods & WRITES]
        elif "GET" in methods and 304 in (handler.responses or {}):  # a map_route
            maps.append((path, "get"))
    # The routes are found (a command's, a token's, a map's), not listed here.
    assert {("/agreements/account-holderships/transfer", "post"), ("/tokens", "post")} <= set(
        commands
    )
    assert ("/regions/{region}/map", "get") in maps
    bare = [
        (path, method)
        for part, routes in (("request", commands), ("answer", maps))
        for path, method in routes
        if not media(document["paths"][path][method], part).get("examples")
    ]
    assert not bare, f"without an example: {bare}"
    assert set(MAP_EXAMPLES) == {path for path, _ in maps}


def test_the_document_is_valid_and_its_examples_fit_their_schemas(document) -> None:
    schemathesis.openapi.from_dict(document).validate()
    # No example Litestar made up (such as a Problem of status 2562).
    schemas = document["components"]["schemas"]
    assert not [name for name, schema in schemas.items() if "examples" in schema]
    resource = referencing.Resource.from_contents(
        document, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry = referencing.Registry().with_resource("urn:openapi", resource)
    checked = 0
    for item in document["paths"].values():
        for operation in item.values():
            for part in (operation.get("requestBody"), operation["responses"].get("200")):
                for content in ((part or {}).get("content") or {}).values():
                    examples = content.get("examples") or {}
                    if not examples:
                        continue
                    schema = {"$ref": "urn:openapi" + content["schema"]["$ref"]}
                    validator = jsonschema.Draft202012Validator(schema, registry=registry)
                    for name, example in examples.items():
                        errors = [e.message for e in validator.iter_errors(example["value"])]
                        assert not errors, f"{name}: {errors[:3]}"
                        checked += 1
    assert checked >= len(REQUESTS) + len(MAP_EXAMPLES)


def operation_of(document: dict[str, Any], operation_id: str) -> tuple[str, dict[str, Any]]:
    return next(
        (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
        if operation.get("operationId") == operation_id
    )


@pytest.mark.parametrize(
    ("operation_id", "example"), REQUESTS, ids=[f"{o}:{e.name}" for o, e in REQUESTS]
)
def test_each_request_example_is_answered_as_its_description_says(
    client, context, document, operation_id: str, example: RequestExample
) -> None:
    path, operation = operation_of(document, operation_id)
    documented = media(operation, "request")["examples"][example.name]
    assert f"it answers {example.answer}." in documented["description"]
    sender = example.sender
    token = bearer(context, sender.role, cooperations=sender.cooperations, regions=sender.regions)
    answer = client.post(path, json=documented["value"], headers=token)
    assert answer.status_code == example.status, answer.text
    if example.status == 201 and operation_id == "TokensCreateToken":
        assert answer.json()["token"]
    elif example.status == 201:
        assert answer.json()["command"] == operation_id
        assert answer.json()["event_ids"]
    else:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json().get("rule") == example.rule, answer.text


def without_record_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_record_times(v) for k, v in value.items() if k not in RECORD_TIMES}
    if isinstance(value, list):
        return [without_record_times(v) for v in value]
    return value


@pytest.mark.parametrize("route", sorted(MAP_EXAMPLES))
def test_each_map_example_is_the_real_map_cut_down(client, context, document, route) -> None:
    example = MAP_EXAMPLES[route]
    documented = media(document["paths"][route]["get"], "answer")["examples"]["imported-facts"]
    assert documented["value"] == example.document
    auditor = bearer(context, Role.AUDITOR)
    real = without_record_times(client.get(example.request, headers=auditor).json())
    shown = without_record_times(example.document)
    for key, value in shown.items():
        if isinstance(value, list):
            assert value and all(row in real[key] for row in value), key
        elif isinstance(value, dict) and key in ("authorities", "provenances"):
            assert value.items() <= real[key].items(), key
        else:
            assert value == real[key], key
