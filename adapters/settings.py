"""All of the service's settings, read from `REGIEKAART_*` environment variables in one place."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path(".regiekaart")
    # Empty means: start and use the embedded nats-server under data_dir.
    nats_url: str = ""
    # Credentials for the NATS server of nats_url, kept out of the URL so that they never appear on a
    # command line (which every user of the machine can read with `ps`). The user may also be named in
    # the URL (nats://regiekaart@host:4222); the password comes from the variable or from a file.
    nats_user: str = ""
    nats_password: str = ""
    nats_password_file: Path | None = None
    # The port of the embedded nats-server (region systems connect to it): the same on every start.
    nats_port: int = 4222
    # Connections a region system may hold at once on NATS (its account's limit; adapters/nats/access).
    region_max_connections: int = 10
    # Replicas of the event stream when the service creates it: 3 on the 3-node cluster (deploy/).
    nats_replicas: int = 1
    # Read models live here; SQLite under data_dir unless a URL (e.g. PostgreSQL) is given.
    database_url: str = ""
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Processes of the production server (granian); each runs the API with its own NATS connection.
    api_workers: int = 2
    log_level: str = "INFO"
    # How long a process's claim to apply the projections (and, a claim of its own, to fan the log out
    # to the region feeds) lasts unless renewed; another process takes over this long after the holder
    # died.
    projection_lease_seconds: float = 15.0
    # The event log's stream on NATS.
    nats_stream: str = "REGIEKAART_EVENTS"
    # Seconds between signed checkpoints over the event log (one is signed only when the log grew).
    checkpoint_interval: float = 60.0
    # Limits on what a client may hold of an API worker before it is authenticated; why these values,
    # in entrypoints/connection_limits.py. Seconds a client has to send a request's headers (also how
    # long an idle keep-alive connection stays open):
    api_header_timeout: float = 10.0
    # Bytes of request line and headers at most (a larger head gets 431 before any Python code runs):
    api_max_header_bytes: int = 16 * 1024
    # Connections each API worker holds open at most; more wait in the listen backlog:
    api_max_connections_per_worker: int = 2048
    # The Ed25519 key that signs every event and checkpoint (adapters.seal); empty: in the data dir.
    signing_key_file: Path | None = None
    # The pages' cookies (session, CSRF) are Secure when a request comes over https; behind a reverse
    # proxy that ends TLS the service sees plain http, so this makes them Secure on every request.
    web_cookies_secure: bool = False

    @property
    def nats_data_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def access_dir(self) -> Path:
        """Credentials of the service and of each region system (files readable by their owner only)."""
        return self.data_dir / "access"

    @property
    def effective_signing_key_file(self) -> Path:
        from adapters.audit import signing_key_path

        return self.signing_key_file or signing_key_path(self.data_dir)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'maps.sqlite').resolve()}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from REGIEKAART_<FIELD> variables; explicit overrides (CLI options) win."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = environ.get(f"REGIEKAART_{field.name.upper()}")
            if raw:
                values[field.name] = raw
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if _has_password(str(overrides.get("nats_url", ""))):
            raise ValueError(
                "a NATS URL given as an option must not carry a password (every user of the machine "
                "can read a command line): name the user in the URL (nats://user@host:4222) and give "
                "the password in REGIEKAART_NATS_PASSWORD or a file named by "
                "REGIEKAART_NATS_PASSWORD_FILE"
            )
        values.update(overrides)
        # The URL used (an option's over the environment's); one no client could use is refused
        # here, not on connecting.
        server_urls(str(values.get("nats_url", "")))
        try:
            settings = msgspec.convert(values, cls, strict=False, dec_hook=_from_text)
        except msgspec.ValidationError as exc:
            raise ValueError(f"invalid setting: {exc}") from exc
        return settings._with_nats_credentials()

    def _with_nats_credentials(self) -> Settings:
        """The settings with the NATS password (and user) put into ``nats_url``, where the clients
        read them from; a URL that carries a password already (from the environment) is kept."""
        password = self.nats_password
        if self.nats_password_file is not None:
            try:
                password = self.nats_password_file.read_text().strip()
            except OSError as error:
                raise ValueError(f"cannot read REGIEKAART_NATS_PASSWORD_FILE: {error}") from error
        if not password:
            return self
        if not self.nats_url:
            raise ValueError("a NATS password is given but no REGIEKAART_NATS_URL to use it with")
        # The NATS clients read the credentials from the URL without unquoting them.
        if unfit := sorted(set(password) & set(_NOT_IN_URL_CREDENTIALS)):
            raise ValueError(
                f"the NATS password contains {''.join(unfit)!r}, which a URL cannot carry"
            )
        with_credentials = []
        for server in server_urls(self.nats_url):
            if _has_password(server):
                raise ValueError(
                    "the NATS password is given twice: in the URL and in "
                    "REGIEKAART_NATS_PASSWORD(_FILE)"
                )
            parts = _split(server)
            user = parts.username or self.nats_user
            if not user:
                raise ValueError(
                    "a NATS password needs a user: nats://user@host:4222 or REGIEKAART_NATS_USER"
                )
            host = parts.netloc.rpartition("@")[2]
            with_credentials.append(parts._replace(netloc=f"{user}:{password}@{host}").geturl())
        return msgspec.structs.replace(
            self, nats_url=",".join(with_credentials), nats_password="", nats_password_file=None
        )


_NOT_IN_URL_CREDENTIALS = "@:/?#[],% \t\n"
_NO_PORT = "its port is no number from 1 to 65535"
# The schemes of the NATS clients (nats-py's and the region systems'); without one, nats://.
_NATS_SCHEMES = ("nats", "tls", "ws", "wss")
_WEBSOCKET_SCHEMES = ("ws", "wss")


def server_urls(url: str) -> list[str]:
    """A cluster is given as its nodes' URLs, comma-separated; clients fail over between them.
    Raises ValueError, saying why, for a URL no client could connect to."""
    servers = [server.strip() for server in url.split(",") if server.strip()]
    for server in servers:
        try:
            parts = _split(server)
            port = parts.port  # raises ValueError for a port that is no number or too large
        except ValueError as error:
            # Not the error's own words: they quote what they took for the port, which is the
            # start of the password when that holds a "/", "#" or "?" (the URL's host ends there).
            reason = "an IPv6 address without its ']'" if "IPv6" in str(error) else _NO_PORT
        else:
            # urlsplit (and nats-py) drop a tab or line break unsaid, and no host's name has a space.
            if any(character.isspace() for character in server):
                reason = "it holds a blank (a space, a tab or a line break)"
            elif port == 0:
                reason = _NO_PORT
            elif parts.scheme not in _NATS_SCHEMES:
                reason = f"the scheme {parts.scheme!r} is not one of {', '.join(_NATS_SCHEMES)}"
            elif not parts.hostname:
                reason = "no host"
            else:
                continue
        raise ValueError(
            f"the NATS URL {_without_password(server)!r} is not a NATS server's URL: {reason} "
            "(a server is nats://host:4222; a cluster's nodes are given comma-separated)"
        )
    # nats-py refuses a cluster of both kinds, on connecting; so would a client failing over.
    if len({_split(server).scheme in _WEBSOCKET_SCHEMES for server in servers}) > 1:
        raise ValueError(
            f"the NATS URL {redacted(url)!r} is not a NATS cluster's URL: it mixes websocket "
            "servers (ws, wss) with plain ones (nats, tls)"
        )
    return servers


def _split(server: str) -> SplitResult:
    """One server's URL in its parts; without a scheme it is nats:// (as the clients read it), not
    a URL whose scheme is its host ("localhost:4222") or its user ("reader:pw@host")."""
    return urlsplit(server if "://" in server else f"nats://{server}")


def _has_password(url: str) -> bool:
    """Whether a NATS URL (or a cluster's comma-separated URLs) carries a password."""
    return any(_split(server).password is not None for server in server_urls(url))


def redacted(url: str) -> str:
    """The URL as it may be shown: passwords replaced by ``***``."""
    return ",".join(_without_password(server.strip()) for server in url.split(","))


def _without_password(server: str) -> str:
    """One server's URL with its password replaced by ``***``; read without parsing the URL,
    which may be one that does not parse."""
    scheme, separator, rest = server.partition("://")
    if not separator or not scheme.isalnum():  # a "://" in the password, and no scheme before it
        scheme, separator, rest = "", "", server
    credentials, at, host = rest.rpartition("@")
    if ":" not in credentials:
        return server
    return f"{scheme}{separator}{credentials.partition(':')[0]}:***{at}{host}"


def _from_text(kind: type, value: object) -> object:
    """msgspec converts most types from text itself; paths it leaves to us."""
    if kind is Path and isinstance(value, str | os.PathLike):
        return Path(value)
    raise NotImplementedError(f"no conversion to {kind}")
