"""The lean protocol parser must dispatch exactly what nats-py's own parser dispatches, however the
bytes are cut into reads."""

from __future__ import annotations

import asyncio
import random

import pytest
from nats.errors import ProtocolError
from nats.protocol.parser import Parser

from adapters.nats.connection import LeanParser


def hmsg(subject_sid_reply: bytes, headers: bytes, payload: bytes) -> bytes:
    sizes = b"%d %d" % (len(headers), len(headers) + len(payload))
    return b"HMSG " + subject_sid_reply + b" " + sizes + b"\r\n" + headers + payload + b"\r\n"


FRAMES = [
    b'INFO {"server_id":"x","max_payload":1048576}\r\n',
    b"MSG a.b 1 5\r\nhello\r\n",
    b"MSG a.b 2 _INBOX.x 0\r\n\r\n",
    hmsg(b"S.e.f00 7 $JS.ACK.S.c.1.5.5.17.0", b"NATS/1.0\r\nA: 1\r\nB:  two\r\n\r\n", b"hello"),
    b"PING\r\n",
    hmsg(b"_INBOX.y 3", b"NATS/1.0 404 No Messages\r\n\r\n", b""),
    b"+OK\r\n",
    b"MSG spaced 4 reply.to 3\r\nabc\r\n",
    b"PONG\r\n",
    hmsg(b"a 9", b"NATS/1.0\r\n\r\n", b"\r\n\r\n"),
]


class Recording:
    def __init__(self, raw_sids: tuple[int, ...] = ()) -> None:
        self.calls: list[tuple] = []
        self.stats = {"in_msgs": 0, "in_bytes": 0}
        # Raw subscriptions' frames go to their handler, not through _process_msg: recorded alike.
        self.raw_handlers = {sid: self._raw(sid) for sid in raw_sids}

    def _raw(self, sid: int):  # type: ignore[no-untyped-def]
        def handler(frames: list[tuple[bytes, bytes, bytes, bytes | None]]) -> None:
            assert frames, "a raw handler is called with messages"
            for subject, reply, data, headers in frames:
                self.calls.append(("msg", sid, subject, reply, data, headers))

        return handler

    async def _process_msg(self, *args: object) -> None:
        self.calls.append(("msg", *args))

    async def _process_ping(self) -> None:
        self.calls.append(("ping",))

    async def _process_pong(self) -> None:
        self.calls.append(("pong",))

    async def _process_info(self, info: dict) -> None:
        self.calls.append(("info", info))

    async def _process_err(self, message: str) -> None:
        self.calls.append(("err", message))


def dispatched(
    parser_class: type[Parser], reads: list[bytes], raw_sids: tuple[int, ...] = ()
) -> list[tuple]:
    connection = Recording(raw_sids)
    parser = parser_class(connection)

    async def feed() -> None:
        for read in reads:
            await parser.parse(read)

    asyncio.run(feed())
    return connection.calls


@pytest.mark.parametrize("seed", range(40))
def test_the_lean_parser_dispatches_what_the_stock_parser_does(seed):
    rng = random.Random(seed)
    frames = [rng.choice(FRAMES) for _ in range(60)]
    wire = b"".join(frames)
    cuts = sorted(rng.sample(range(1, len(wire)), rng.randint(0, 40)))
    reads = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=False)]

    expected = dispatched(Parser, [wire])
    assert dispatched(LeanParser, reads) == expected
    assert dispatched(LeanParser, reads, raw_sids=(1, 7)) == expected
    assert len(expected) == sum(frame != b"+OK\r\n" for frame in frames)


def test_a_large_message_in_many_reads_arrives_whole():
    payload = bytes(range(256)) * 400
    wire = hmsg(b"S.e.f00 7 r", b"NATS/1.0\r\nA: 1\r\n\r\n", payload) + b"PING\r\n"
    reads = [wire[n : n + 1000] for n in range(0, len(wire), 1000)]
    assert dispatched(LeanParser, reads, raw_sids=(7,)) == dispatched(Parser, [wire])


def test_a_malformed_message_line_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        dispatched(LeanParser, [b"MSG a.b notanumber 5\r\nhello\r\n"])


def test_a_frame_cut_off_by_a_reconnect_does_not_hold_up_the_next_connection():
    connection = Recording(raw_sids=(7,))
    parser = LeanParser(connection)
    first = hmsg(b"S.e.f00 7 r", b"NATS/1.0\r\n\r\n", b"x" * 5000)

    async def feed() -> None:
        await parser.parse(first[:100])  # the connection drops mid-frame
        parser.reset()  # as nats-py does before it reconnects
        await parser.parse(FRAMES[0] + b"PING\r\n")

    asyncio.run(feed())
    assert connection.calls == dispatched(Parser, [FRAMES[0] + b"PING\r\n"])


@pytest.mark.parametrize("sizes", [b"x 20", b"12 x", b"-1 20", b"12 20 extra"])
def test_a_malformed_line_continuing_a_raw_run_is_a_protocol_error(sizes):
    # The second frame continues the first's run of a raw subscription: the parser's short way.
    first = hmsg(b"S.e.f00 7 r", b"NATS/1.0\r\n\r\n", b"hello")
    with pytest.raises(ProtocolError):
        dispatched(LeanParser, [first + b"HMSG S.e.f00 7 r " + sizes + b"\r\n" + b"y" * 40], (7,))


@pytest.mark.parametrize("line", [b"HMSG a.b 3 12 5", b"HMSG a.b 3 -1 5", b"MSG a.b 3 -5"])
def test_sizes_no_frame_can_have_are_a_protocol_error(line):
    with pytest.raises(ProtocolError):
        dispatched(LeanParser, [line + b"\r\n" + b"y" * 40])
