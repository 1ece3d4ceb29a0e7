"""Who may do what on NATS: the service user, the set-up user, and one account per region system limited
to its own feed.

Accounts (NATS's multi-tenancy) keep the region systems apart: the service and the set-up user are in the
account ``REGIEKAART``, which holds every stream, and each region system is alone in an account of its
own (``region-<region>``) that sees nothing of the service's account but what it imports: the JetStream
API of its own feed stream, the acknowledgements and flow control of its consumers, and deliveries into
its own inbox. Its account has limits of its own (``RegionLimits``): a region system can open only so
many connections and subscriptions, whatever another region does, and it has no JetStream of its own, so
it can store nothing; its feed keeps at most ``MAX_CONSUMERS_PER_FEED`` consumers.

A region's account has no JetStream, and the server answers ``$JS.API`` there itself ("JetStream not
enabled for account"), so its feed's API is imported under ``FEED_API_PREFIX`` (nats-py:
``nc.jetstream(prefix=...)``): NATS's documented way of using another account's streams.

The service user (every process of the service holds it, API workers included) may publish to the log
and read it, create the streams it needs and manage its consumers, but not delete, change, purge or
restore a stream, nor delete a message: the streams' own ``deny_delete`` stops message deletes, not a
``STREAM.DELETE`` or a ``STREAM.UPDATE`` that lifts it. Changing or removing a stream is for the set-up
user (``regiekaart-setup``), whose credentials are issued beside the others and held by no process of the
service: an operator uses them by hand, e.g. to change a stream's replicas.

A region system may, on its own feed stream only: look it up, create, inspect, list and delete consumers,
pull and acknowledge messages (and answer flow control), and read messages by sequence; it subscribes
only within its inbox (push consumers deliver there too). Its permissions say the same as its account's
imports, so that the server reports a violation to it rather than leaving a request unanswered. It
receives replies on its own inbox prefix (set ``inbox_prefix`` when connecting). A push consumer on a
region's own feed may name any deliver subject, and the server delivers there in the service's account;
only ``_INBOX.<region>.<token>.>`` of it reaches the region's account, and the token is derived from the
region system's password, so no other region can name a subject that reaches it. Rotating the password
changes the token. Everything else is refused: other regions' feeds and consumers, the event stream,
creating, changing or deleting streams, publishing anywhere.

Credentials are user names with random passwords, one file per user (mode 0600) in the access
directory; the server's ``accounts`` block is generated from them into a file of its own (mode 0600,
still named ``authorization.conf``) that the server configuration includes. nats-server also accepts
bcrypt hashes, which would keep the passwords out of its configuration, but that needs a bcrypt library;
the file is readable by the service's user only.

Streams made before the accounts were in the global account ``$G``, which a configuration cannot name
and so cannot export from; ``adapters.nats.server.move_streams_to_account`` moves an embedded server's
files to ``REGIEKAART`` before it starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

import msgspec

from adapters.nats.feeds import FeedLayout, check_region
from adapters.private_files import private_directory, write_private_file
from adapters.settings import Settings, server_urls

SERVICE_USER = "regiekaart"
SETUP_USER = "regiekaart-setup"
# The account of the service and of every stream; region systems import from it.
SERVICE_ACCOUNT = "REGIEKAART"
# Where a region system finds its feed's JetStream API in its own account (see the module docstring).
FEED_API_PREFIX = "regiekaart.api"
# What the service user may not ask of JetStream (see the module docstring).
SERVICE_DENIED = [
    f"$JS.API.STREAM.{action}.>"
    for action in ("DELETE", "UPDATE", "PURGE", "MSG.DELETE", "RESTORE")
]
AUTHORIZATION_FILE = "authorization.conf"


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    user: str
    password: str

    @property
    def inbox_prefix(self) -> str:
        """The inbox prefix a region system must connect with (nats-py: ``inbox_prefix=``)."""
        region = check_region(self.user.removeprefix(REGION_USER_PREFIX))
        token = hashlib.sha256(f"inbox:{self.password}".encode()).hexdigest()[:24]
        return f"_INBOX.{region}.{token}"


REGION_USER_PREFIX = "region-"


def region_user(region: str) -> str:
    return f"{REGION_USER_PREFIX}{check_region(region)}"


class RegionLimits(msgspec.Struct, frozen=True, kw_only=True):
    """What one region system's account may hold on the server, whatever the others do."""

    # Connections at once: a few processes of a region system, each reconnecting, fit in 10.
    max_connections: int = 10
    # Subscriptions at once over all of its connections: inboxes, push deliveries, live readers.
    max_subscriptions: int = 1000
    # A region system publishes API requests and acknowledgements only: small messages.
    max_payload: int = 64 * 1024


# The JetStream API of a feed stream a region system may use (suffixes of ``$JS.API.``): looking it up,
# managing and reading its consumers, reading messages by sequence. Pulls answer with many messages.
_FEED_API = (
    "STREAM.INFO.{stream}",
    "CONSUMER.CREATE.{stream}",
    "CONSUMER.CREATE.{stream}.>",
    "CONSUMER.DURABLE.CREATE.{stream}.*",
    "CONSUMER.INFO.{stream}.*",
    "CONSUMER.DELETE.{stream}.*",
    "CONSUMER.LIST.{stream}",
    "CONSUMER.NAMES.{stream}",
    "CONSUMER.MSG.NEXT.{stream}.*",
    "DIRECT.GET.{stream}",
)
_STREAMED_RESPONSES = ("CONSUMER.MSG.NEXT.",)
# What a region system answers to the messages it receives: acknowledgements and flow control.
_FEED_REPLIES = ("$JS.ACK.{stream}.>", "$JS.FC.{stream}.>")


def feed_api(stream: str) -> list[str]:
    """The API of `stream` as a region system's account sees it (``$JS.API.`` left out)."""
    return [subject.format(stream=stream) for subject in _FEED_API]


def region_account(region: str) -> str:
    return region_user(region)


def region_permissions(
    region: str, inbox_prefix: str, layout: FeedLayout = FeedLayout()
) -> dict[str, Any]:
    stream = layout.stream(region)
    return {
        "publish": {
            "allow": [
                *(f"{FEED_API_PREFIX}.{subject}" for subject in feed_api(stream)),
                *(reply.format(stream=stream) for reply in _FEED_REPLIES),
            ]
        },
        # Not the feed's subjects: a region system reads through consumers.
        "subscribe": {"allow": [f"{inbox_prefix}.>"]},
    }


def region_exports(region: str, inbox_prefix: str, layout: FeedLayout) -> list[dict[str, Any]]:
    """What the service's account offers the region's account, and that account only."""
    stream, account = layout.stream(region), [region_account(region)]
    exports: list[dict[str, Any]] = []
    for subject in feed_api(stream):
        export: dict[str, Any] = {"service": f"$JS.API.{subject}", "accounts": account}
        if subject.startswith(_STREAMED_RESPONSES):
            export["response_type"] = "stream"
        exports.append(export)
    exports += [
        {"service": reply.format(stream=stream), "accounts": account} for reply in _FEED_REPLIES
    ]
    exports.append({"stream": f"{inbox_prefix}.>", "accounts": account})
    return exports


def region_imports(region: str, inbox_prefix: str, layout: FeedLayout) -> list[dict[str, Any]]:
    stream = layout.stream(region)
    imports: list[dict[str, Any]] = [
        {
            "service": {"account": SERVICE_ACCOUNT, "subject": f"$JS.API.{subject}"},
            "to": f"{FEED_API_PREFIX}.{subject}",
        }
        for subject in feed_api(stream)
    ]
    imports += [
        {"service": {"account": SERVICE_ACCOUNT, "subject": reply.format(stream=stream)}}
        for reply in _FEED_REPLIES
    ]
    imports.append({"stream": {"account": SERVICE_ACCOUNT, "subject": f"{inbox_prefix}.>"}})
    return imports


class FeedAccess:
    """The credentials issued so far, and the server configuration that admits exactly them."""

    def __init__(
        self,
        directory: Path,
        layout: FeedLayout = FeedLayout(),
        limits: RegionLimits = RegionLimits(),
    ) -> None:
        self.directory = Path(directory)
        self.layout = layout
        self.limits = limits

    def service(self) -> Credentials:
        return self._issue(SERVICE_USER)

    def setup(self) -> Credentials:
        """The set-up user's credentials: streams may be changed or removed with these only."""
        return self._issue(SETUP_USER)

    def region(self, region: str) -> Credentials:
        """The region system's credentials, issued on first request."""
        return self._issue(region_user(region))

    def regions(self) -> list[str]:
        prefix = "region-"
        return sorted(
            path.stem[len(prefix) :]
            for path in self.directory.glob(f"{prefix}*.json")
            if path.is_file()
        )

    def rotate(self, region: str) -> Credentials:
        """New credentials for the region system; the old ones stop working once the server reloads
        its configuration (which also closes connections made with them)."""
        credentials = Credentials(user=region_user(region), password=secrets.token_urlsafe(24))
        write_private_file(
            self.directory / f"{credentials.user}.json", msgspec.json.encode(credentials)
        )
        return credentials

    def revoke(self, region: str) -> bool:
        """Takes the region system's credentials away (False if it had none); effective, and its open
        connections closed, once the server reloads its configuration."""
        try:
            (self.directory / f"{region_user(region)}.json").unlink()
        except FileNotFoundError:
            return False
        return True

    def _issue(self, user: str) -> Credentials:
        path = self.directory / f"{user}.json"
        if path.exists():
            return msgspec.json.decode(path.read_bytes(), type=Credentials)
        private_directory(self.directory)
        credentials = Credentials(user=user, password=secrets.token_urlsafe(24))
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # issued at the same moment by another process: theirs counts
            return msgspec.json.decode(path.read_bytes(), type=Credentials)
        with os.fdopen(descriptor, "wb") as file:
            file.write(msgspec.json.encode(credentials))
        return credentials

    def authorization_config(self) -> str:
        """The nats-server ``accounts`` block: in the service's account the set-up user may do
        anything, the service anything but change or remove streams and messages; each region's
        account imports its own feed and has its limits."""
        service, setup = self.service(), self.setup()
        exports: list[dict[str, Any]] = []
        accounts: dict[str, dict[str, Any]] = {}
        for region in self.regions():
            credentials = self.region(region)
            inbox = credentials.inbox_prefix
            exports += region_exports(region, inbox, self.layout)
            user = {
                "user": credentials.user,
                "password": credentials.password,
                "permissions": region_permissions(region, inbox, self.layout),
            }
            accounts[region_account(region)] = {
                "users": [user],
                "imports": region_imports(region, inbox, self.layout),
                "limits": msgspec.structs.asdict(self.limits),
            }
        service_account = {
            "jetstream": "enabled",
            "users": [
                {"user": setup.user, "password": setup.password},
                {
                    "user": service.user,
                    "password": service.password,
                    "permissions": {"publish": {"allow": [">"], "deny": SERVICE_DENIED}},
                },
            ],
            "exports": exports,
        }
        blocks = [(SERVICE_ACCOUNT, service_account), *accounts.items()]
        lines = "\n".join(f"  {json.dumps(name)}: {json.dumps(block)}" for name, block in blocks)
        return f"accounts {{\n{lines}\n}}\n"

    def write_server_config(self, server_dir: Path) -> Path:
        """Writes the authorization block beside the server's configuration (which includes it)."""
        private_directory(Path(server_dir))
        return write_private_file(
            Path(server_dir) / AUTHORIZATION_FILE, self.authorization_config()
        )


def feed_access(settings: Settings) -> FeedAccess:
    """The credentials of the data directory of `settings`, with its limits for region systems."""
    return FeedAccess(
        settings.access_dir,
        limits=RegionLimits(max_connections=settings.region_max_connections),
    )


def include_authorization() -> str:
    """The line of server configuration that includes the generated authorization block."""
    return f'include "{AUTHORIZATION_FILE}"'


def url_without_credentials(url: str) -> str:
    """The URL as a region system uses it: the service's own credentials taken out."""
    servers = []
    for server in server_urls(url):
        scheme, separator, rest = server.partition("://")
        servers.append(f"{scheme}{separator}{rest.rpartition('@')[2]}" if separator else server)
    return ",".join(servers)


def url_with_credentials(url: str, credentials: Credentials) -> str:
    """The URL with the credentials in it; for a cluster, each of its nodes' URLs."""
    with_credentials = []
    for server in server_urls(url):
        scheme, separator, rest = server.partition("://")
        if not separator or not rest or "@" in rest:
            raise ValueError(f"not a NATS URL without credentials: {server!r}")
        with_credentials.append(f"{scheme}://{credentials.user}:{credentials.password}@{rest}")
    if not with_credentials:
        raise ValueError("no NATS URL given")
    return ",".join(with_credentials)
