"""What the OpenAPI document says beyond what Litestar derives from the routes.

- What the API refuses: a request body (or a value in one) that refuses unknown fields is documented
  with ``additionalProperties: false``, at every depth.
- What it takes and gives: no example is invented (Litestar makes up random values for the bodies of
  documented answers, a problem with ``status 2562``, which read as if the API could answer them); the
  only examples are the realistic ones of ``api.examples``, which a route attaches with ``with_examples``.
- What a region's feed sends: Litestar documents an answer by its return type, which for Server-Sent
  Events says nothing of the events. ``RegionFeedOperation`` documents the stream (``text/event-stream``),
  each event's ``id``, ``event`` and ``data`` (a CloudEvent, as ``api.asyncapi`` describes the NATS
  messages, with the same event names) and the ``Last-Event-ID`` header that resumes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.enums import ParamType
from litestar.openapi.spec import (
    Example,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.typing import FieldDefinition

from api.asyncapi import FEED_EVENT_NAMES, structured_cloudevent_schema
from api.feeds import KEEP_ALIVE_SECONDS

FEED_MEDIA_TYPE = "text/event-stream"


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's msgspec Struct schemas without invented examples, plus ``additionalProperties:
    false`` where the Struct forbids unknown fields."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: Any
    ) -> Schema | Reference:
        # The same registry (the document's components), never generating examples; the schema is
        # finished here (Litestar would finish it with the creator that called, which may invent
        # examples), and what is answered is the reference to it.
        inventing_nothing = SchemaCreator(
            generate_examples=False,
            plugins=schema_creator.plugins,
            prefer_alias=schema_creator.prefer_alias,
            schema_registry=schema_creator.schema_registry,
        )
        schema = super().to_openapi_schema(field_definition, inventing_nothing)
        for value in (schema.properties or {}).values():
            if isinstance(value, Schema):
                _one_item_type(value)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema.additional_properties = False
        return inventing_nothing.process_schema_result(field_definition, schema)


def _one_item_type(schema: Schema) -> None:
    """A bounded list (``tuple[X, ...]`` with a maximum length) as an array of X: Litestar gives its
    items as ``oneOf`` X and the empty schema (of the ``...``), which every X matches too, so that
    no non-empty list would be valid."""
    for branch in schema.one_of or [schema]:
        items = getattr(branch, "items", None)
        if isinstance(items, Schema) and items.one_of:
            kinds = [kind for kind in items.one_of if kind != Schema()]
            if len(kinds) == 1:
                branch.items = kinds[0]  # type: ignore[union-attr]


def with_examples(
    *,
    request: Mapping[str, Example] | None = None,
    answer: Mapping[str, Example] | None = None,
) -> type[Operation]:
    """The operation class of a route whose request body (``request``) or successful answer
    (``answer``) carries these named examples, in every media type it is documented in."""

    @dataclass
    class OperationWithExamples(Operation):
        def __post_init__(self) -> None:
            if request and self.request_body is not None:
                for media in (self.request_body.content or {}).values():  # type: ignore[union-attr]
                    media.examples = dict(request)
            if answer and self.responses:
                success = min(status for status in self.responses if status.startswith("2"))
                for media in (self.responses[success].content or {}).values():  # type: ignore[union-attr]
                    media.examples = dict(answer)

    return OperationWithExamples


_KEYWORDS = {"type", "const", "enum", "format", "description", "examples", "required", "properties"}


def _schema(spec: Mapping[str, Any]) -> Schema:
    """Litestar's form of a JSON schema of ``api.asyncapi`` (the keywords it uses there)."""
    if unknown := set(spec) - _KEYWORDS:
        raise ValueError(f"no OpenAPI form for the keywords {sorted(unknown)}")
    properties = spec.get("properties")
    return Schema(
        type=OpenAPIType(spec["type"]),
        const=spec.get("const"),
        enum=spec.get("enum"),
        format=OpenAPIFormat(spec["format"]) if "format" in spec else None,
        description=spec.get("description"),
        examples=spec.get("examples"),
        required=spec.get("required"),
        properties={name: _schema(p) for name, p in properties.items()} if properties else None,
    )


def _feed_event() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        description=(
            "One event of the stream, sent as its `id:`, `event:` and `data:` lines and an empty line "
            "(OpenAPI 3.1 has no schema for a stream of events: this is the schema of each). A line "
            f"that starts with `:` is a comment, no event: a keep-alive every {KEEP_ALIVE_SECONDS:.0f} "
            "s while nothing happens, and a last one when the token is revoked and the stream ends."
        ),
        required=["id", "event", "data"],
        properties={
            "id": Schema(
                type=OpenAPIType.STRING,
                pattern="^[0-9]+$",
                description="The event's sequence in the region's feed: send the last one received "
                "as `Last-Event-ID` to resume after it.",
                examples=["42"],
            ),
            "event": Schema(
                type=OpenAPIType.STRING,
                enum=list(FEED_EVENT_NAMES),
                description="The event's CloudEvents type (`type` in `data`): the `ce-type` and "
                "message name of the same event on NATS (the AsyncAPI document, `/asyncapi.yaml`).",
            ),
            "data": Schema(
                type=OpenAPIType.STRING,
                content_media_type="application/json",
                content_schema=_schema(structured_cloudevent_schema()),
                description="The event as a CloudEvent in structured mode (JSON, on one line).",
            ),
        },
    )


_LAST_EVENT_ID = Parameter(
    name="Last-Event-ID",
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(type=OpenAPIType.STRING, pattern="^[0-9]*$"),
    description="Resume the feed after this event (the `id` of the last event received), as a "
    "browser's EventSource sends it when it reconnects. Without it, or empty, the feed starts at its "
    "beginning. A value that is not a sequence number is refused with 400.",
)


@dataclass
class RegionFeedOperation(Operation):
    """The operation of ``GET /regions/{region}/feed``: the events of the stream and how to resume."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), _LAST_EVENT_ID]
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="The region's feed from the event after `Last-Event-ID` (or its "
                "first), then every event as it is published, until the client disconnects or its "
                "token is revoked.",
                content={FEED_MEDIA_TYPE: OpenAPIMediaType(schema=_feed_event())},
            ),
        }
