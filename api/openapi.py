"""The OpenAPI document says what the API refuses, and shows what it takes and gives:

- a request body (or a value in one) that refuses unknown fields is documented with
  ``additionalProperties: false``, at every depth;
- no example is invented: Litestar makes up random values for the bodies of documented answers (a
  problem with ``status 2562``), which read as if the API could answer them; the only examples are
  the realistic ones of ``api.examples``, which a route attaches with ``with_examples``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.openapi.spec import Example, Operation, Reference, Schema
from litestar.typing import FieldDefinition


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
