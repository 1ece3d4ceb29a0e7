"""`regiekaart audit`: verify, export and replay the event log; the signing key's public half and rotation."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
import msgspec
from nats.errors import NoServersError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.audit import open_export
from adapters.data_dir import Kept
from adapters.nats.audit import NatsLog
from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.seal import known_public_keys, rotate_signing_key
from adapters.settings import Settings
from adapters.sql import create_engine
from entrypoints.cli.options import (
    as_of_option,
    data_dir_option,
    known_at_option,
    nats_url_option,
    settings_from,
)
from entrypoints.runtime import event_store, governance_application
from projections.audit import LogFault, export_log, verify_export, verify_log
from projections.audit.export_halves import VerifierLost
from projections.queries import GovernanceMaps
from projections.replay import compare_with_log, snapshot
from projections.replay import replay as replay_log


@click.group()
def audit() -> None:
    """Check the event log without trusting the service: hashes, links and signed checkpoints."""


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _reader_of(settings: Settings) -> Settings:
    """An auditor's one-off read of an embedded event store runs its server on a free port, leaving
    the configured one to the service."""
    return msgspec.structs.replace(settings, nats_port=0)


@contextmanager
def _event_log(settings: Settings) -> Iterator[NatsLog]:
    """The event log on NATS, read-only; an unreachable or missing log is a readable failure."""
    try:
        with event_store(_reader_of(settings)) as (_, url):
            client = NatsClient(url, name="regiekaart-audit", reconnect=False)
            try:
                yield NatsLog(client, settings.nats_stream)
            finally:
                client.close()
    except (OSError, RuntimeError, NoServersError, JetStreamApiError, *NoAnswer) as error:
        _fail(f"cannot read the event log from NATS: {error}", 2)


def _public_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower()
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise click.BadParameter("an Ed25519 public key is 64 hexadecimal characters")
    return key


@audit.command()
@click.option(
    "--file",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify this export (from `regiekaart audit export`) instead of the log on NATS.",
)
@click.option(
    "--public-key",
    multiple=True,
    callback=lambda _ctx, _param, values: [_public_key(value) for value in values],
    help="A public key (hex) of the service that seals and checkpoints may be signed with; repeat it "
    "for keys the service had before a rotation. Without it, the keys of the signing key file (its "
    "current and retired ones) are used if it is here, or else those the log names.",
)
@data_dir_option
@nats_url_option
def verify(
    export_file: Path | None, public_key: list[str], data_dir: Path | None, nats_url: str | None
) -> None:
    """Verify every event's hash, link and seal, that no message is missing, and every signed
    checkpoint; exit 1 at the first fault."""
    # An export needs no data directory; the keys of its signing key file are used if it is there.
    reads = [] if export_file else [Kept.EVENT_LOG]
    settings = settings_from(data_dir, nats_url, reads=reads)
    trusted: list[str] | None = list(public_key) or None
    if trusted is None and settings.effective_signing_key_file.exists():
        trusted = known_public_keys(settings.effective_signing_key_file)
    try:
        if export_file is not None:
            with open_export(export_file) as source:
                verified = verify_export(source, trusted)
        else:
            with _event_log(settings) as log:
                verified = verify_log(log, trusted)
    except LogFault as fault:
        _fail(f"FAULT: {fault}", 1)
    except VerifierLost as error:
        _fail(f"cannot verify the export: {error}", 2)
    click.echo(verified.summary())


@audit.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the export to this file (default: standard output).",
)
@data_dir_option
@nats_url_option
def export(output: Path | None, data_dir: Path | None, nats_url: str | None) -> None:
    """Export the event log as CloudEvents JSON Lines, with hashes, authority and checkpoints."""
    settings = settings_from(data_dir, nats_url, reads=[Kept.EVENT_LOG])
    with (
        _event_log(settings) as log,
        output.open("wb") if output else nullcontext(sys.stdout.buffer) as out,
    ):
        try:
            exported = export_log(log, out)
        except LogFault as fault:
            _fail(f"export stopped at {fault}", 1)
    click.echo(
        f"exported {exported.events} events up to position {exported.position} "
        f"and {exported.checkpoints} checkpoints",
        err=True,
    )


@audit.command("public-key")
@data_dir_option
def public_key(data_dir: Path | None) -> None:
    """Print the public key (hex) the service signs events and checkpoints with, after the keys it
    replaced (one a line, oldest first): an auditor needs them all to verify the whole log."""
    settings = settings_from(data_dir, reads=[Kept.SIGNING_KEY])
    for key in known_public_keys(settings.effective_signing_key_file):
        click.echo(key)


@audit.command("rotate-key")
@data_dir_option
def rotate_key(data_dir: Path | None) -> None:
    """Replace the signing key by a new one. The old public key stays valid for what it signed (it is
    kept in the retired keys); restart the service to sign with the new key, and publish it."""
    settings = settings_from(data_dir, reads=[Kept.SIGNING_KEY])
    old, new = rotate_signing_key(settings.effective_signing_key_file)
    click.echo(f"retired key: {old}")
    click.echo(f"new key:     {new}")
    click.echo("restart `regiekaart serve` to sign with the new key; publish both public keys")


@audit.command()
@as_of_option
@known_at_option
@click.option(
    "--compare",
    is_flag=True,
    help="Compare every row of the rebuilt read model with the live one; exit 1 on any difference.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the maps as JSON to this file (default: standard output).",
)
@click.option(
    "--database-url",
    help="The live read model to compare with (default: the service's, REGIEKAART_DATABASE_URL).",
)
@data_dir_option
@nats_url_option
def replay(
    as_of: datetime | None,
    known_at: datetime | None,
    compare: bool,
    output: Path | None,
    database_url: str | None,
    data_dir: Path | None,
    nats_url: str | None,
) -> None:
    """Rebuild the governance maps from the event log alone, in a scratch database, and print them.

    With --compare, the rebuilt read model (all valid and record times) is compared row by row with the
    live one, up to the live one's position, and every difference is listed."""
    reads = [Kept.EVENT_LOG, Kept.GOVERNANCE_MAPS] if compare else [Kept.EVENT_LOG]
    settings = settings_from(data_dir, nats_url, reads=reads, database_url=database_url)
    with tempfile.TemporaryDirectory(prefix="regiekaart-replay-") as scratch_dir:
        scratch = create_engine(f"sqlite:///{Path(scratch_dir) / 'replay.sqlite'}")
        live = create_engine(settings.effective_database_url) if compare else None
        try:
            if live is None:
                _replay_log(settings, scratch, None)
                maps = snapshot(GovernanceMaps(scratch), as_of.date() if as_of else None, known_at)
                with output.open("wb") if output else nullcontext(sys.stdout.buffer) as out:
                    out.write(msgspec.json.format(msgspec.json.encode(maps)) + b"\n")
                return
            position, differences = compare_with_log(
                live, scratch, lambda until: _replay_log(settings, scratch, until)
            )
        except SQLAlchemyError as error:
            _fail(f"cannot read the read model: {error}", 2)
        finally:
            scratch.dispose()
            if live is not None:
                live.dispose()
    for difference in differences:
        click.echo(difference.describe())
    if differences:
        _fail(f"{len(differences)} difference(s) between the live read model and the log", 1)
    click.echo(f"no differences: the live read model at position {position} matches the log")


def _replay_log(settings: Settings, scratch: Engine, until: int | None) -> int | None:
    try:
        with event_store(_reader_of(settings)) as (_, url):
            app = governance_application(settings, url)
            try:
                return replay_log(app, scratch, until)
            finally:
                app.close()
    except (OSError, RuntimeError, NoServersError, JetStreamApiError, *NoAnswer) as error:
        _fail(f"cannot read the event log from NATS: {error}", 2)
