"""Who may do what on NATS: the service user, the set-up user, and one user per region system limited to
its own feed.

The service user (every process of the service holds it, API workers included) may publish to the log
and read it, create the streams it needs and manage its consumers, but not delete, change, purge or
restore a stream, nor delete a message: the streams' own ``deny_delete`` stops message deletes, not a
``STREAM.DELETE`` or a ``STREAM.UPDATE`` that lifts it. Changing or removing a stream is for the set-up
user (``regiekaart-setup``), whose credentials are issued beside the others and held by no process of the
service: an operator uses them by hand, e.g. to change a stream's replicas.

A region system may, on its own feed stream only: look it up, create, inspect, list and delete consumers,
pull and acknowledge messages (and answer flow control), and read messages by sequence; it subscribes
only within its inbox (push consumers deliver there too). It receives replies on its own inbox prefix
(set ``inbox_prefix`` when connecting): a shared ``_INBOX.>`` would let one region read the replies
meant for another. The prefix holds a token derived from the region system's password
(``_INBOX.<region>.<token>``), because another region may name any subject as the deliver subject of a
push consumer on its own feed, and the server then delivers that region's messages there: into a
guessable inbox, they would arrive in the subscriptions of the region system that owns it. Rotating the
password changes the token. Everything else is refused by the server with a permissions violation: other
regions' feeds and consumers, the event stream, creating, changing or deleting streams, publishing
anywhere.

Credentials are user names with random passwords, one file per user (mode 0600) in the access
directory; the server's ``authorization`` block is generated from them into a file of its own (mode 0600)
that the server configuration includes. nats-server also accepts bcrypt hashes, which would keep the
passwords out of its configuration, but that needs a bcrypt library; the file is readable by the
service's user only.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

import msgspec

from adapters.nats.client import server_urls
from adapters.nats.feeds import FeedLayout, check_region
from adapters.private_files import private_directory, write_private_file

SERVICE_USER = "regiekaart"
SETUP_USER = "regiekaart-setup"
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


def region_permissions(
    region: str, inbox_prefix: str, layout: FeedLayout = FeedLayout()
) -> dict[str, Any]:
    stream = layout.stream(region)
    api = "$JS.API"
    return {
        "publish": {
            "allow": [
                f"{api}.STREAM.INFO.{stream}",
                f"{api}.CONSUMER.CREATE.{stream}",
                f"{api}.CONSUMER.CREATE.{stream}.>",
                f"{api}.CONSUMER.DURABLE.CREATE.{stream}.*",
                f"{api}.CONSUMER.INFO.{stream}.*",
                f"{api}.CONSUMER.DELETE.{stream}.*",
                f"{api}.CONSUMER.LIST.{stream}",
                f"{api}.CONSUMER.NAMES.{stream}",
                f"{api}.CONSUMER.MSG.NEXT.{stream}.*",
                f"{api}.DIRECT.GET.{stream}",
                f"$JS.ACK.{stream}.>",
                f"$JS.FC.{stream}.>",
            ]
        },
        # Not the feed's subjects: a region system reads through consumers, and another region's push
        # consumer could deliver into a subscription on them.
        "subscribe": {"allow": [f"{inbox_prefix}.>"]},
    }


class FeedAccess:
    """The credentials issued so far, and the server configuration that admits exactly them."""

    def __init__(self, directory: Path, layout: FeedLayout = FeedLayout()) -> None:
        self.directory = Path(directory)
        self.layout = layout

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
        """The nats-server ``authorization`` block: the set-up user may do anything, the service
        anything but change or remove streams and messages, regions read their feed."""
        service, setup = self.service(), self.setup()
        users: list[dict[str, Any]] = [
            {"user": setup.user, "password": setup.password},
            {
                "user": service.user,
                "password": service.password,
                "permissions": {"publish": {"allow": [">"], "deny": SERVICE_DENIED}},
            },
        ]
        for region in self.regions():
            credentials = self.region(region)
            users.append(
                {
                    "user": credentials.user,
                    "password": credentials.password,
                    "permissions": region_permissions(
                        region, credentials.inbox_prefix, self.layout
                    ),
                }
            )
        lines = ",\n    ".join(json.dumps(user) for user in users)
        return f"authorization {{\n  users = [\n    {lines}\n  ]\n}}\n"

    def write_server_config(self, server_dir: Path) -> Path:
        """Writes the authorization block beside the server's configuration (which includes it)."""
        private_directory(Path(server_dir))
        return write_private_file(
            Path(server_dir) / AUTHORIZATION_FILE, self.authorization_config()
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
