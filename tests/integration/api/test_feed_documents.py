"""A region system learns of the feed from the served documents, not the README: the OpenAPI document
describes the Server-Sent Events and how to resume them, the AsyncAPI document the NATS messages, and
both name every event as the feed sends it."""

from __future__ import annotations

import json

import yaml
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from adapters.cloudevents import event_attributes
from adapters.nats.feeds import FeedMessage, cloudevent_body, cloudevent_headers, event_type
from api.asyncapi import DOCUMENT_PATH
from domain.events import EVENT_CLASSES

FEED = "/regions/{region}/feed"


def feed_operation(client) -> dict:
    return client.get("/schema/openapi.json").json()["paths"][FEED]["get"]


def sse_event_schema(operation: dict) -> dict:
    return operation["responses"]["200"]["content"]["text/event-stream"]["schema"]


def test_the_feed_is_an_operation_of_the_served_openapi_document(client) -> None:
    operation = feed_operation(client)
    event = sse_event_schema(operation)
    assert set(event["required"]) == {"id", "event", "data"}
    assert event["properties"]["id"]["pattern"] == "^[0-9]+$"
    data = event["properties"]["data"]
    assert data["contentMediaType"] == "application/json"
    cloudevent = data["contentSchema"]
    assert {"specversion", "id", "source", "type", "subject", "time", "recordedtime"} <= set(
        cloudevent["properties"]
    )
    assert {"specversion", "id", "type", "datacontenttype", "data"} <= set(cloudevent["required"])
    [last_event_id] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert last_event_id["name"] == "Last-Event-ID"
    assert last_event_id["required"] is False
    assert "resume" in last_event_id["description"].lower()
    # resumption is by that header alone: the route takes no query parameter
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == []
    for status in ("401", "403", "404"):
        assert "application/problem+json" in operation["responses"][status]["content"], status


def test_the_documented_feed_operation_is_valid_openapi(client) -> None:
    document = client.get("/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert FEED in document["paths"]
    errors = [
        f"{list(error.instance_path)}: {error}"
        for error in OPENAPI_31_VALIDATOR.iter_errors(document)
        if list(error.instance_path)[:2] == ["paths", FEED]
    ]
    assert errors == []


def test_a_real_event_as_the_feed_sends_it_has_the_documented_attributes(client, context) -> None:
    cloudevent = sse_event_schema(feed_operation(client))["properties"]["data"]["contentSchema"]
    [notification] = context.app.recorder.select_notifications(start=1, limit=1)
    event = context.app.mapper.to_domain_event(notification)
    message = FeedMessage(
        sequence=1, headers=cloudevent_headers(event, notification.id), data=cloudevent_body(event)
    )
    sent = json.loads(message.structured())
    assert set(cloudevent["required"]) <= set(sent) <= set(cloudevent["properties"])
    assert sent["type"] in cloudevent["properties"]["type"]["enum"]


def sent_name(event_class: type) -> str:
    """The `event:` of the SSE feed and the `ce-type` on NATS for an event of `event_class`, by the
    code that sends them (adapters.nats.feeds.cloudevent_headers)."""
    bare = object.__new__(event_class)  # only its class is read
    return event_attributes(
        originator_id="x",
        version=1,
        event_type=event_type(bare),
        subject="x",
        recorded_at=None,
        valid_from=None,
    )["type"]


def test_openapi_asyncapi_and_the_feed_name_the_same_events(client, context) -> None:
    sent = {sent_name(cls) for cls in EVENT_CLASSES}
    documented = set(sse_event_schema(feed_operation(client))["properties"]["event"]["enum"])
    asyncapi = yaml.safe_load(DOCUMENT_PATH.read_text())
    on_nats = {message["name"] for message in asyncapi["components"]["messages"].values()}
    assert documented == sent
    assert on_nats == sent
    # and every event of the real facts goes out under one of them
    recorded = context.app.recorder.select_notifications(start=1, limit=1_000_000)
    types = {
        cloudevent_headers(context.app.mapper.to_domain_event(n), n.id)["ce-type"] for n in recorded
    }
    assert types and types <= sent
