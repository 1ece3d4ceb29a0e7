"""A region's feed over HTTP: Server-Sent Events (see ``api.feeds``), for its region system."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.response import ServerSentEvent
from nats.aio.client import Client as NatsClient

from adapters.nats.feeds import FeedLayout
from api.compression import SENT_AS_IS
from api.errors import problems
from api.feeds import last_event_id, region_feed_response
from api.guards import require_feed
from api.openapi import RegionFeedOperation
from api.schemas import SlugPath
from api.security import TokenCache, token_still_valid


class FeedController(Controller):
    tags = ["region feeds"]

    @get(
        "/regions/{region:str}/feed",
        summary="A region's feed as Server-Sent Events (resume with Last-Event-ID)",
        description="Every event that concerns the region, as it is recorded: the same events, in the "
        "same order, as its feed on NATS (see `/asyncapi.yaml`), for a region system that cannot "
        "speak NATS. Admins and auditors may follow every region's feed, a region system only its "
        "own. Delivery is at least once across reconnections: deduplicate on the CloudEvent's `id`.",
        operation_class=RegionFeedOperation,
        responses=problems(400, 401, 403, 404, 503),
        opt=SENT_AS_IS,  # each event goes out the moment it is published
    )
    async def region_feed(
        self,
        request: Request,
        feed_connection: NamedDependency[NatsClient | None],
        token_cache: NamedDependency[TokenCache],
        region: SlugPath,
    ) -> ServerSentEvent:
        require_feed(request, region)
        if feed_connection is None:
            raise ServiceUnavailableException("the region feeds are not connected")
        return await region_feed_response(
            feed_connection,
            FeedLayout(),
            region,
            last_event_id(request),
            token_still_valid(request, token_cache),
        )
