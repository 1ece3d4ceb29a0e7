"""The `regiekaart` command, run as a user runs it (a process of its own), on a data directory that
holds the service's data and on one that does not: every command but `serve` refuses the latter with a
readable message, naming the directory that does hold the data, and creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.data_dir import LOCK_FILE
from adapters.sql import create_engine, migrate
from api.tokens import TokenStore
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from services.authorisation import Role
from services.importer import import_governance_facts
from tests.fixtures.processes import free_port, process_environment

# Each case starts the command line as a process of its own (about 3 s each): out of `make check`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose read models hold the real facts and a token (as `serve` leaves it)."""
    data_dir = tmp_path_factory.mktemp("served") / ".regiekaart"
    data_dir.mkdir()
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    engine = create_engine(f"sqlite:///{data_dir / 'maps.sqlite'}")
    migrate(engine)
    ProjectionRunner(app, engine).catch_up()
    TokenStore(engine).create(name="first-admin", role=Role.ADMIN)
    engine.dispose()
    return data_dir


def regiekaart(
    *args: str, cwd: Path, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    """`regiekaart ARGS` in `cwd`, with no REGIEKAART_ variable but `variables`."""
    # PYTHONPATH: this checkout's code, from any directory.
    env = process_environment(PYTHONPATH=os.pathsep.join(sys.path), **variables)
    return subprocess.run(
        [sys.executable, "-m", "entrypoints", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def everything_in(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*"))


# Every command but `serve`, each reading something of the data directory: the governance maps, the
# embedded event log or the signing key.
COMMANDS = [
    ("tokens", "list"),
    ("tokens", "create", "--role", "auditor", "--name", "someone"),
    ("tokens", "revoke", "0123456789ab"),
    ("map", "region", "zuid-limburg"),
    ("feeds", "credentials", "zuid-limburg"),
    ("feeds", "rotate", "zuid-limburg"),
    ("feeds", "revoke", "zuid-limburg"),
    ("import-facts",),
    ("projections", "run"),
    ("projections", "rebuild"),
    ("audit", "verify"),
    ("audit", "export"),
    ("audit", "replay"),
    ("audit", "public-key"),
    ("audit", "rotate-key"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_refuses_a_directory_without_data_and_names_the_one_with_it(
    command: tuple[str, ...], data_dir: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "typo"
    answer = regiekaart(
        *command, "--data-dir", str(wrong), cwd=tmp_path, REGIEKAART_DATA_DIR=str(data_dir)
    )
    assert answer.returncode == 1
    assert f"Error: no Regiekaart data in {wrong}" in answer.stderr
    if command[0] in ("tokens", "map", "feeds"):  # what they read is all that data_dir holds
        assert f"did you mean {data_dir}? Give it with --data-dir" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert "stream not found" not in answer.stderr
    assert everything_in(tmp_path) == []


def test_without_a_data_directory_the_default_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    answer = regiekaart("tokens", "list", cwd=tmp_path)
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert f"Error: no Regiekaart data in {tmp_path / '.regiekaart'} (no governance maps)" in (
        answer.stderr
    )
    assert "--data-dir or REGIEKAART_DATA_DIR" in answer.stderr
    assert everything_in(tmp_path) == []


def test_the_default_directory_that_holds_the_data_is_suggested(
    data_dir: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "elsewhere"
    answer = regiekaart(
        "map", "region", "zuid-limburg", "--data-dir", str(wrong), cwd=data_dir.parent
    )
    assert answer.returncode == 1
    assert f"no Regiekaart data in {wrong} (no governance maps); did you mean {data_dir}?" in (
        answer.stderr
    )
    assert not wrong.exists()


def test_an_audit_of_a_directory_without_a_log_starts_no_server_and_says_so(
    tmp_path: Path,
) -> None:
    wrong = tmp_path / "no-log"
    answer = regiekaart("audit", "verify", "--data-dir", str(wrong), cwd=tmp_path)
    assert answer.returncode == 1
    assert f"no Regiekaart data in {wrong} (no event log)" in answer.stderr
    assert "cannot read the event log" not in answer.stderr
    assert not wrong.exists()


def state_of(directory: Path) -> list[tuple[Path, int, int]]:
    """Each file's size and time of change; but the lock file, which stays by design (its flock is
    what is held, adapters.data_dir)."""
    return [
        (path, path.stat().st_size, path.stat().st_mtime_ns)
        for path in everything_in(directory)
        if path.name != LOCK_FILE
    ]


@pytest.mark.parametrize(
    "command",
    [("import-facts",), ("projections", "run"), ("projections", "rebuild"), ("serve",)],
    ids=" ".join,
)
def test_a_command_whose_nats_server_is_not_there_says_so_soon_and_changes_nothing(
    command: tuple[str, ...], data_dir: Path, tmp_path: Path
) -> None:
    """A server that is not there (down, a mistyped port) was waited for in silence, for ever."""
    url = f"nats://127.0.0.1:{free_port()}"
    before = state_of(data_dir)
    answer = regiekaart(
        *command, "--data-dir", str(data_dir), "--nats-url", url, cwd=tmp_path, timeout=60
    )
    assert answer.returncode == 1
    assert f"Error: cannot reach the event log: no NATS server answered at {url}" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert state_of(data_dir) == before


def test_a_nats_url_no_client_could_use_is_a_readable_error_and_changes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    """A mistyped port ended in nats-py's traceback ("invalid connect url option")."""
    before = state_of(data_dir)
    answer = regiekaart(
        "projections",
        "rebuild",
        "--data-dir",
        str(data_dir),
        "--nats-url",
        "nats://h:notaport",
        cwd=tmp_path,
    )
    assert answer.returncode == 2
    assert "Error: the NATS URL 'nats://h:notaport' is not a NATS server's URL" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert state_of(data_dir) == before


def test_an_exported_log_is_verified_without_any_data_directory(tmp_path: Path) -> None:
    """`audit verify --file` needs the export and a key, nothing of a data directory."""
    export = tmp_path / "log.jsonl"
    export.write_text("")
    answer = regiekaart("audit", "verify", "--file", str(export), cwd=tmp_path)
    assert "no Regiekaart data" not in answer.stderr
    assert not (tmp_path / ".regiekaart").exists()


def test_tokens_list_names_its_columns_before_the_tokens(data_dir: Path, tmp_path: Path) -> None:
    answer = regiekaart("tokens", "list", cwd=tmp_path, REGIEKAART_DATA_DIR=str(data_dir))
    assert answer.returncode == 0, answer.stderr
    header, *rows = answer.stdout.splitlines()
    assert header.split() == ["id", "role", "name", "scope", "state"]
    assert len(rows) >= 1
    [first_admin] = [row for row in rows if "first-admin" in row]
    assert first_admin.split()[1:] == ["admin", "first-admin", "-", "active"]
    # the columns line up under their names
    assert first_admin.index("admin") == header.index("role")
    assert first_admin.index("first-admin") == header.index("name")
