"""The AsyncAPI 3 document of the region feeds, generated from the event classes' msgspec schemas.

An event has one name on both ways a region system may follow its feed: its CloudEvents type
(``feed_event_name``), the ``ce-type`` header and the message name here, and the ``event:`` field of the
Server-Sent Events at ``GET /regions/{region}/feed`` (documented in the OpenAPI document from
``FEED_EVENT_NAMES`` and ``structured_cloudevent_schema``, ``api.openapi``).

The committed copy is `api/asyncapi.yaml` (a test keeps it equal to what this module generates); the API
serves it. Regenerate after changing an event: `.venv/bin/python -m api.asyncapi > api/asyncapi.yaml`.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict
from uuid import UUID

import msgspec
import yaml

from adapters.cloudevents import EVENT_SOURCE, SPEC_VERSION, TYPE_PREFIX
from adapters.nats.feeds import FeedLayout
from domain.events import EVENT_CLASSES

DOCUMENT_PATH = Path(__file__).with_name("asyncapi.yaml")
_REF = "#/components/schemas/{name}"

_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in binary mode (NATS protocol binding), plus NATS's own.",
    "required": [
        "ce-specversion",
        "ce-id",
        "ce-source",
        "ce-type",
        "ce-subject",
        "ce-recordedtime",
        "ce-sequence",
        "Content-Type",
        "Nats-Msg-Id",
    ],
    "properties": {
        "ce-specversion": {"type": "string", "const": SPEC_VERSION},
        "ce-id": {
            "type": "string",
            "description": "`<aggregate id>:<version>`: the event's identity, the same in every feed and "
            "on every delivery. Region systems deduplicate on it (delivery is at least once).",
            "examples": ["0b8f5c1e-6a0e-5a8e-9d57-2f1a4c3b9e01:3"],
        },
        "ce-source": {"type": "string", "const": EVENT_SOURCE},
        "ce-type": {
            "type": "string",
            "description": f"`{TYPE_PREFIX}<Aggregate>.<Event>`",
            "examples": [f"{TYPE_PREFIX}AccountHoldership.HolderTransferred"],
        },
        "ce-subject": {
            "type": "string",
            "description": "`<kind>/<slug>` of the aggregate the event belongs to.",
            "examples": ["account-holdership/nmz-limburg:xonar"],
        },
        "ce-time": {
            "type": "string",
            "format": "date-time",
            "description": "Valid time: the day the fact starts to hold, when known (its precision is "
            "in the payload's `valid_from`). Absent when the start is unknown.",
        },
        "ce-recordedtime": {
            "type": "string",
            "format": "date-time",
            "description": "Record time: when the event was recorded.",
        },
        "ce-sequence": {
            "type": "string",
            "description": "The event's position in the event log (increasing in the order of the log).",
        },
        "Content-Type": {"type": "string", "const": "application/json"},
        "Nats-Msg-Id": {"type": "string", "description": "`<ce-id>:<region>`"},
    },
}


def feed_event_name(event_class: type) -> str:
    """``nl.regiekaart.<Aggregate>.<Event>``: the CloudEvents type of the event class's events
    (``adapters.cloudevents``); event names alone repeat across aggregates (``Registered``)."""
    return TYPE_PREFIX + event_class.__qualname__


FEED_EVENT_NAMES = tuple(feed_event_name(cls) for cls in EVENT_CLASSES)


def structured_cloudevent_schema() -> dict[str, Any]:
    """The JSON schema of a feed's event as a CloudEvent in structured mode, as the SSE feed sends it
    (``adapters.nats.feeds.FeedMessage.structured``): the ``ce-`` headers of the NATS message as its
    attributes, its content type as ``datacontenttype`` and its body as ``data``."""
    headers = _HEADERS["properties"]
    attributes = {
        name.removeprefix("ce-"): dict(schema)
        for name, schema in headers.items()
        if name.startswith("ce-")
    }
    attributes["type"]["enum"] = list(FEED_EVENT_NAMES)
    return {
        "type": "object",
        "description": "A CloudEvent 1.0 in structured mode (JSON): the attributes of the NATS message's "
        "`ce-` headers, and the event as `data`.",
        "required": [
            *(name.removeprefix("ce-") for name in _HEADERS["required"] if name.startswith("ce-")),
            "datacontenttype",
            "data",
        ],
        "properties": {
            **attributes,
            "datacontenttype": headers["Content-Type"],
            "data": {
                "type": "object",
                "description": "The event with its envelope: the body of the NATS message, whose "
                "schema for each `type` is in the AsyncAPI document (`/asyncapi.yaml`).",
            },
        },
    }


# The library types the envelope generically; in this domain aggregate ids are UUIDs.
_ENVELOPE = {"originator_id": UUID, "originator_version": int, "timestamp": datetime}


def _payload_type(event_class: type) -> Any:
    """The body of a feed message: every attribute of the event, envelope included."""
    hints = {**typing.get_type_hints(event_class), **_ENVELOPE}
    fields = {f.name: hints[f.name] for f in dataclasses.fields(event_class)}
    return TypedDict(event_class.__qualname__.replace(".", ""), fields)  # type: ignore[operator]


def asyncapi_document(layout: FeedLayout = FeedLayout()) -> dict[str, Any]:
    names = [cls.__qualname__ for cls in EVENT_CLASSES]
    payloads, schemas = msgspec.json.schema_components(
        [_payload_type(cls) for cls in EVENT_CLASSES], ref_template=_REF
    )
    messages = {
        name: {
            "name": event_name,
            "title": name,
            "summary": f"`ce-type` {event_name}; the `event:` of the Server-Sent Events feed",
            "contentType": "application/json",
            "headers": {"$ref": _REF.format(name="CloudEventHeaders")},
            "payload": payload,
        }
        for name, event_name, payload in zip(names, FEED_EVENT_NAMES, payloads, strict=True)
    }
    message_refs = {name: {"$ref": f"#/components/messages/{name}"} for name in names}
    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Regiekaart region feeds",
            "version": "1.0.0",
            "description": (
                "Every decision that concerns a region, as it is recorded, as CloudEvents 1.0 in binary "
                "mode. Each region's feed is the JetStream stream "
                f"`{layout.stream_prefix}_<region>`; its system reads it with durable consumers from any "
                "position (the start, a stream sequence, a time) and acknowledges. Delivery is at least "
                "once: deduplicate on `ce-id`. Connect with the region's credentials and inbox "
                "prefix (`_INBOX.<region>.<token>`, from `regiekaart feeds credentials`) into the "
                "region's own NATS account, which imports its feed's JetStream API under the prefix "
                "`regiekaart.api` and has limits of its own; everything outside the region's own "
                "feed is refused."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The service's embedded nats-server (user and password per region system).",
            }
        },
        "channels": {
            "regionFeed": {
                "address": f"{layout.subject_prefix}.{{region}}.{{aggregate}}.{{event}}",
                "title": "The feed of one region",
                "parameters": {
                    "region": {"description": "The region's slug, e.g. `zuid-limburg`."},
                    "aggregate": {
                        "description": "What the event belongs to.",
                        "enum": sorted({n.split(".")[0] for n in names}),
                    },
                    "event": {
                        "description": "What happened.",
                        "enum": sorted({n.split(".")[1] for n in names}),
                    },
                },
                "messages": message_refs,
            }
        },
        "operations": {
            "receiveRegionFeed": {
                "action": "receive",
                "title": "A region system follows its feed",
                "channel": {"$ref": "#/channels/regionFeed"},
                "messages": [{"$ref": f"#/channels/regionFeed/messages/{n}"} for n in names],
            }
        },
        "components": {
            "messages": messages,
            "schemas": {"CloudEventHeaders": _HEADERS, **dict(sorted(schemas.items()))},
        },
    }
    # Plain JSON values (lists, not tuples), as a reader of the YAML or JSON form sees them.
    result: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(document))
    return result


def asyncapi_yaml() -> str:
    return yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    print(asyncapi_yaml(), end="")
