"""`regiekaart tokens create` and `feeds credentials` name only regions and cooperations that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.sql import create_engine, migrate
from api.tokens import TokenStore
from entrypoints.cli import main
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication
from services.importer import import_governance_facts


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose read models hold the real facts (as `regiekaart serve` leaves it)."""
    data_dir = tmp_path_factory.mktemp("cli-scopes")
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    engine = create_engine(f"sqlite:///{data_dir / 'maps.sqlite'}")
    migrate(engine)
    ProjectionRunner(app, engine).catch_up()
    engine.dispose()
    return data_dir


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    env = {"REGIEKAART_DATA_DIR": str(data_dir), "REGIEKAART_DATABASE_URL": ""}
    result = CliRunner(env=env).invoke(main, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def _tokens(data_dir: Path) -> int:
    return len(TokenStore(create_engine(f"sqlite:///{data_dir / 'maps.sqlite'}")).list())


@pytest.mark.parametrize(
    "scope, message",
    [
        (
            ["--region", "zuid-limburgg"],
            "region 'zuid-limburgg' is not registered (did you mean zuid-limburg?)",
        ),
        (["--cooperation", "g7-gelderlnd"], "cooperation 'g7-gelderlnd' is not registered"),
    ],
)
def test_a_token_for_a_scope_that_does_not_exist_is_refused(data_dir, scope, message) -> None:
    before = _tokens(data_dir)
    code, output = run(
        data_dir, "tokens", "create", "--role", "coordinator", "--name", "typo", *scope
    )
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert _tokens(data_dir) == before


def test_a_token_for_a_registered_scope_is_created(data_dir) -> None:
    code, output = run(
        data_dir,
        "tokens",
        "create",
        "--role",
        "coordinator",
        "--name",
        "ok",
        "--region",
        "zuid-limburg",
    )
    assert code == 0, output
    assert "token " in output


def test_feed_credentials_for_a_region_that_does_not_exist_are_refused(data_dir) -> None:
    code, output = run(data_dir, "feeds", "credentials", "nowhere")
    assert code != 0
    assert "region 'nowhere' is not registered" in output
    assert not list((data_dir).glob("**/*nowhere*"))
