"""The CloudEvents 1.0 form of a recorded event: the one home of its attributes, shared by the region
feeds (binary mode, ``adapters.nats.feeds``) and the audit export (structured mode, ``adapters.audit``),
so that a region system and an auditor name an event the same way.

- ``specversion`` ``1.0``; ``id`` ``<aggregate id>:<version>`` (an event's identity, the same in every
  feed, in the export and on every re-run); ``source`` ``/regiekaart/events``; ``type``
  ``nl.regiekaart.<Aggregate>.<Event>`` (event names alone repeat across aggregates: ``Registered``);
- ``subject``: the aggregate, as the reader knows it (a feed: ``<kind>/<slug>``; the export: the
  aggregate id, which the event's hash covers);
- ``time``: the start of the fact's valid time, when known (midnight UTC of ``valid_from``, whose
  precision is in the event itself); ``recordedtime``: when it was recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

SPEC_VERSION = "1.0"
EVENT_SOURCE = "/regiekaart/events"
TYPE_PREFIX = "nl.regiekaart."


def type_of_topic(topic: str) -> str:
    """``<Aggregate>.<Event>`` of a stored event's topic (``<module>:<Aggregate>.<Event>``)."""
    return topic.rpartition(":")[2]


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def event_attributes(
    *,
    originator_id: object,
    version: int,
    event_type: str,
    subject: str,
    recorded_at: str | None,
    valid_from: date | str | None,
) -> dict[str, str]:
    """The CloudEvents attributes of one recorded event (``event_type`` is ``<Aggregate>.<Event>``;
    ``recorded_at`` already in RFC 3339)."""
    attributes = {
        "specversion": SPEC_VERSION,
        "id": f"{originator_id}:{version}",
        "source": EVENT_SOURCE,
        "type": TYPE_PREFIX + event_type,
        "subject": subject,
    }
    if recorded_at is not None:
        attributes["recordedtime"] = recorded_at
    if valid_from:
        day = valid_from.isoformat() if isinstance(valid_from, date) else valid_from
        attributes["time"] = f"{day}T00:00:00Z"
    return attributes
