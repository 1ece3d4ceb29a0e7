"""The event codec: a msgspec mapper and transcoder for the eventsourcing library.

``MsgspecMapper`` turns domain events into stored events and back. It encodes an event's attributes as
msgspec JSON and decodes them *typed per event class*: for each topic it builds (once, then caches) a
decoder for a ``TypedDict`` made from the event class's annotations, so UUIDs, dates, datetimes, Decimals,
enums, tuples and nested Structs come back as those types, not as strings and lists.

Select it the library's way, e.g. in the application's ``env`` or the environment::

    MAPPER_TOPIC=adapters.codec:MsgspecMapper
    TRANSCODER_TOPIC=adapters.codec:MsgspecTranscoder

Upcasting: the mapper stores ``class_version`` when an event class's version is above 1 (as the library's
mapper does). When a stored event is older than its class, it is decoded untyped, passed through the
class's ``upcast_vN_vN+1`` static methods (which therefore see JSON values: strings for UUIDs, dates and
Decimals, lists for tuples, dicts for Structs), and then converted to the typed attributes.

A field added with a default (the event class's ``stored_defaults``: the defaults of its ``@event``
method) needs no upcaster: a stored event without it is read with the default.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any, NotRequired, TypedDict
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    find_id_convertor,
)
from eventsourcing.utils import get_topic, resolve_topic

_ENVELOPE_FIELDS = ("originator_id", "originator_version")


class MsgspecTranscoder(Transcoder):
    """Untyped msgspec JSON. ``MsgspecMapper`` decodes typed itself and uses this only to upcast."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return self._decoder.decode(data)


class _EventCodec(msgspec.Struct, frozen=True):
    event_class: type
    class_version: int
    state_type: Any
    decoder: msgspec.json.Decoder
    # Attributes added after events were stored, with the value an older stored event is read with.
    defaults: dict[str, Any]


@cache
def _codec_for(topic: str) -> _EventCodec:
    event_class = resolve_topic(topic)
    hints = typing.get_type_hints(event_class)
    defaults = dict(getattr(event_class, "stored_defaults", dict)())
    fields: dict[str, Any] = {
        f.name: NotRequired[hints[f.name]] if f.name in defaults else hints[f.name]
        for f in dataclasses.fields(event_class)
        if f.name not in _ENVELOPE_FIELDS
    }
    fields["class_version"] = NotRequired[int]
    state_type = TypedDict(f"{event_class.__qualname__}State", fields)  # type: ignore[operator]
    return _EventCodec(
        event_class=event_class,
        class_version=getattr(event_class, "class_version", 1),
        state_type=state_type,
        decoder=msgspec.json.Decoder(state_type),
        defaults=defaults,
    )


class MsgspecMapper(Mapper[UUID]):
    """Maps domain events to stored events with msgspec JSON, decoding typed per event class."""

    def __init__(
        self,
        transcoder: Transcoder | None = None,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(
            transcoder=transcoder
            if isinstance(transcoder, MsgspecTranscoder)
            else MsgspecTranscoder(),
            compressor=compressor,
            cipher=cipher,
        )
        self._encoder = msgspec.json.Encoder()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        event_class = type(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(event_class, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = self._encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(event_class),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        codec = _codec_for(stored_event.topic)
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state = self._decode_state(codec, data)
            for name, default in codec.defaults.items():
                state.setdefault(name, default)
        except (msgspec.DecodeError, msgspec.ValidationError, AttributeError) as exc:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{stored_event.topic}', "
                f"originator_id '{stored_event.originator_id}' and originator_version "
                f"{stored_event.originator_version}: {exc}"
            ) from exc
        id_convertor = find_id_convertor(codec.event_class, type(stored_event.originator_id))
        state["originator_id"] = id_convertor(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(codec.event_class)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def _decode_state(self, codec: _EventCodec, data: bytes) -> dict[str, Any]:
        try:
            state: dict[str, Any] = codec.decoder.decode(data)
        except msgspec.ValidationError:
            # An older shape may not fit the current class; the upcast path below will say if not.
            state = {"class_version": 0}
        if state.pop("class_version", 1) >= codec.class_version:
            return state
        raw: dict[str, Any] = self.transcoder.decode(data)
        version = raw.pop("class_version", 1)
        while version < codec.class_version:
            getattr(codec.event_class, f"upcast_v{version}_v{version + 1}")(raw)
            version += 1
        upcast: dict[str, Any] = msgspec.convert(raw, codec.state_type)
        upcast.pop("class_version", None)
        return upcast
