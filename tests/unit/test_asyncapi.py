"""The AsyncAPI document of the region feeds: committed, current, and true to the messages sent."""

from __future__ import annotations

import yaml

from adapters.nats.feeds import cloudevent_body, cloudevent_headers, event_type
from api.asyncapi import DOCUMENT_PATH, asyncapi_document
from domain.events import EVENT_CLASSES
from services import commands as c
from tests.authorities import EXTERNAL


def committed() -> dict:
    return yaml.safe_load(DOCUMENT_PATH.read_text())


def resolve(document: dict, ref: str) -> dict:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_committed_document_is_the_generated_one():
    assert committed() == asyncapi_document(), (
        "api/asyncapi.yaml is stale: .venv/bin/python -m api.asyncapi > api/asyncapi.yaml"
    )


def test_it_names_the_feed_channel_every_event_and_the_cloudevents_headers():
    document = committed()
    assert document["asyncapi"].startswith("3.")
    channel = document["channels"]["regionFeed"]
    assert channel["address"] == "feed.{region}.{aggregate}.{event}"
    assert set(channel["messages"]) == {cls.__qualname__ for cls in EVENT_CLASSES}
    operation = document["operations"]["receiveRegionFeed"]
    assert operation["action"] == "receive"
    for ref in operation["messages"]:
        message = resolve(document, resolve(document, ref["$ref"])["$ref"])
        assert resolve(document, message["payload"]["$ref"])["type"] == "object"
        headers = resolve(document, message["headers"]["$ref"])
    assert {"ce-specversion", "ce-id", "ce-source", "ce-type", "ce-subject", "ce-time"} <= set(
        headers["properties"]
    )


def test_a_message_sent_matches_its_description(app):
    app.handle(
        c.RegisterRegion(
            region="zuid-limburg", name="Zuid-Limburg", principal="test", authority=EXTERNAL
        )
    )
    [notification] = app.recorder.select_notifications(start=1, limit=1)
    event = app.mapper.to_domain_event(notification)
    document = committed()
    header_schema = document["components"]["schemas"]["CloudEventHeaders"]
    headers = cloudevent_headers(event, notification.id)
    assert set(header_schema["required"]) - {"Nats-Msg-Id"} <= set(headers)
    assert set(headers) <= set(header_schema["properties"])
    payload_schema = document["components"]["schemas"][event_type(event).replace(".", "")]
    body = yaml.safe_load(cloudevent_body(event))
    assert set(payload_schema["required"]) <= set(body) <= set(payload_schema["properties"])
