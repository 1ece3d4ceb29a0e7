"""A client of Regiekaart for region systems: the maps as typed structs, commands recorded once
however often they are retried, and a region's feed followed exactly once per event (over SSE, or
on NATS with ``regiekaart_client.nats_feed``)."""

from regiekaart_client.client import ApiError, Backoff, Recorded, RegiekaartClient
from regiekaart_client.documents import (
    CommandAccepted,
    CooperationMap,
    OrganisationView,
    RegionMap,
)
from regiekaart_client.feed import CloudEvent, FeedEvent, follow_feed
from regiekaart_client.positions import FilePosition, PositionPastFeed, PositionStore

__all__ = [
    "ApiError",
    "Backoff",
    "CloudEvent",
    "CommandAccepted",
    "CooperationMap",
    "FeedEvent",
    "FilePosition",
    "OrganisationView",
    "PositionPastFeed",
    "PositionStore",
    "Recorded",
    "RegiekaartClient",
    "RegionMap",
    "follow_feed",
]
