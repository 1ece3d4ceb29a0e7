"""One CloudEvents form for a recorded event: a region feed and the audit export name it alike."""

from __future__ import annotations

import msgspec

from adapters.audit import event_line
from adapters.nats.feeds import cloudevent_headers
from domain.values import PartialDate
from services import commands as c
from tests.authorities import EXTERNAL


def test_a_feed_message_and_an_export_line_name_an_event_alike(app):
    app.handle(
        c.RegisterRegion(
            region="zuid-limburg",
            name="Zuid-Limburg",
            valid_from=PartialDate.parse("2018-01-01"),
            principal="test",
            authority=EXTERNAL,
        )
    )
    [notification] = app.recorder.select_notifications(start=1, limit=1)
    headers = cloudevent_headers(app.mapper.to_domain_event(notification), notification.id)
    line = msgspec.json.decode(
        event_line(
            "REGIEKAART_EVENTS",
            notification.id,
            0,
            str(notification.originator_id),
            notification.originator_version,
            notification.topic,
            notification.state,
            "",
            "0" * 64,
            "0" * 64,
        )
    )

    attributes = ("specversion", "id", "source", "type", "time", "recordedtime")
    assert {name: line.get(name) for name in attributes} == {
        name: headers.get(f"ce-{name}") for name in attributes
    }
    assert line["time"] == "2018-01-01T00:00:00Z"
    assert line["type"] == "nl.regiekaart.Region.Registered"
    assert line["source"] == "/regiekaart/events"
    assert line["topic"] == notification.topic and line["stream"] == "REGIEKAART_EVENTS"
