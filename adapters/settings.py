"""All of the service's settings, read from `REGIEKAART_*` environment variables in one place."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    data_dir: Path = Path(".regiekaart")
    # Empty means: start and use the embedded nats-server under data_dir.
    nats_url: str = ""
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
    # The Ed25519 key that signs every event and checkpoint (adapters.seal); empty: in the data dir.
    signing_key_file: Path | None = None

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
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return msgspec.convert(values, cls, strict=False, dec_hook=_from_text)
        except msgspec.ValidationError as exc:
            raise ValueError(f"invalid setting: {exc}") from exc


def _from_text(kind: type, value: object) -> object:
    """msgspec converts most types from text itself; paths it leaves to us."""
    if kind is Path and isinstance(value, str | os.PathLike):
        return Path(value)
    raise NotImplementedError(f"no conversion to {kind}")
