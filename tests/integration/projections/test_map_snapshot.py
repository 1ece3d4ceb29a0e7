"""A map reads one snapshot of the read model: its rows and the position it reports are of one moment,
while the runner commits meanwhile. On SQLite the driver began no transaction for reads, so each of a
map's statements saw the read model as it was when that statement ran: a client that waited for its
own command's position could get a map naming that position without the command's facts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Engine

from projections.projector import PROJECTION_NAME, tracking_position
from projections.queries import GovernanceMaps


def test_a_maps_statements_read_one_snapshot_while_the_runner_commits(engine: Engine) -> None:
    maps = GovernanceMaps(engine)
    tracking = maps.tables.tracking
    with engine.begin() as connection:
        connection.execute(sa.delete(tracking).where(tracking.c.name == PROJECTION_NAME))
        connection.execute(sa.insert(tracking).values(name=PROJECTION_NAME, position=1000))
    with maps.reading() as query:
        first = tracking_position(query.connection, maps.tables)
        with engine.begin() as runner:  # the runner commits a batch meanwhile
            runner.execute(
                sa.update(tracking).where(tracking.c.name == PROJECTION_NAME).values(position=2000)
            )
        again = tracking_position(query.connection, maps.tables)
    assert (first, again) == (1000, 1000)
    with maps.reading() as query:
        assert tracking_position(query.connection, maps.tables) == 2000
