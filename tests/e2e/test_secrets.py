"""Secrets stay with the service's user: the data directory is 0700 and the secrets in it 0600, the
first admin token goes to a 0600 file (its path printed, never the token), and NATS passwords come from
the environment or a file, never from a command line that `ps` shows (``adapters/private_files.py``,
``adapters/settings.py``)."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.service import Service, start_service
from tests.fixtures.processes import process_environment


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve_keeps_its_secrets_to_its_owner(tmp_path: Path, own_database_url: str | None) -> None:
    data_dir = tmp_path / "data"
    service = start_service(data_dir, database_url=own_database_url, workers=1)
    try:
        token_file = data_dir / "first-admin-token"
        assert (
            f"admin token written to {token_file.resolve()} (readable by you only)" in service.lines
        )
        token = token_file.read_text().strip()
        assert token.startswith("rk_")
        assert not any(token in line for line in service.lines), "the token was printed"
        answer = httpx.get(f"{service.url}/tokens", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json()[0]["name"] == "first-admin"

        assert mode(data_dir) == 0o700
        secrets = [
            token_file,
            data_dir / "access" / "regiekaart.json",
            data_dir / "nats" / "authorization.conf",
            data_dir / "nats" / "nats-server.conf",
            data_dir / "audit" / "checkpoint-signing.key",
        ]
        if own_database_url is None:  # SQLite: the read models, token hashes and stored answers
            secrets += [data_dir / "maps.sqlite", data_dir / "maps.sqlite-wal"]
        assert {path.name: oct(mode(path)) for path in secrets} == {
            path.name: oct(0o600) for path in secrets
        }
        for folder in ("access", "nats", "audit"):
            assert mode(data_dir / folder) == 0o700, folder
    finally:
        service.stop()

    again = start_service(data_dir, database_url=own_database_url, workers=1)
    try:
        assert not any("admin token" in line for line in again.lines)
        assert token_file.read_text().strip() == token, "the first admin token is written once"
    finally:
        again.stop()


def _nats_port(service: Service) -> str:
    line = next(line for line in service.lines if line.startswith("event store: "))
    found = re.search(r"nats://127\.0\.0\.1:(\d+)", line)
    assert found, line
    return found.group(1)


def _verify(
    service: Service, nats_url: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    env = process_environment(**environment)
    command = [sys.executable, "-m", "entrypoints", "audit", "verify", "--nats-url", nats_url]
    command += ["--data-dir", str(service.data_dir)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_nats_passwords_come_from_the_environment_or_a_file_never_the_command_line(
    service: Service, tmp_path: Path
) -> None:
    port = _nats_port(service)
    password = json.loads((service.data_dir / "access" / "regiekaart.json").read_text())["password"]

    in_url = _verify(service, f"nats://regiekaart:{password}@127.0.0.1:{port}")
    assert in_url.returncode == 2, in_url.stdout + in_url.stderr
    assert "must not carry a password" in in_url.stderr
    assert "REGIEKAART_NATS_PASSWORD" in in_url.stderr

    from_environment = _verify(
        service, f"nats://regiekaart@127.0.0.1:{port}", REGIEKAART_NATS_PASSWORD=password
    )
    assert from_environment.returncode == 0, from_environment.stdout + from_environment.stderr
    assert from_environment.stdout.startswith("verified up to position ")

    password_file = tmp_path / "nats-password"
    password_file.write_text(password + "\n")
    from_file = _verify(
        service,
        f"nats://127.0.0.1:{port}",
        REGIEKAART_NATS_USER="regiekaart",
        REGIEKAART_NATS_PASSWORD_FILE=str(password_file),
    )
    assert from_file.returncode == 0, from_file.stdout + from_file.stderr
    assert from_file.stdout == from_environment.stdout
