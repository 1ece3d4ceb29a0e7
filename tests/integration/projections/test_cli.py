"""`regiekaart map ...` on the command line: readable tables, JSON, and readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.sql import create_engine, migrate
from entrypoints.cli import main
from projections.runner import ProjectionRunner
from services.application import GovernanceApplication


@pytest.fixture(scope="module")
def env(
    facts_app: GovernanceApplication, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'maps.sqlite'}"
    engine = create_engine(url)
    migrate(engine)
    ProjectionRunner(facts_app, engine).catch_up()
    engine.dispose()
    return {"REGIEKAART_DATABASE_URL": url}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(main, list(args))
    return result.exit_code, result.output


def test_a_region_map_as_a_table(env: dict[str, str]) -> None:
    code, output = run(env, "map", "region", "noord-kennemerland", "--as-of", "2021-06-01")
    assert code == 0, output
    assert "Heerhugowaard" in output and "Dijk en Waard" not in output
    code, output = run(env, "map", "region", "noord-kennemerland", "--as-of", "2022-06-01")
    assert "Dijk en Waard" in output and "Heerhugowaard" not in output


def test_a_cooperation_map_as_json_is_the_document_the_api_serves(env: dict[str, str]) -> None:
    code, output = run(
        env, "map", "cooperation", "nmz-limburg", "--json", "--known-at", "2100-01-01"
    )
    assert code == 0, output
    document = json.loads(output)
    assert document["cooperation"]["slug"] == "nmz-limburg"
    # Authorities and provenances named once and referred to by id, as on the API.
    assert all(r["provenance"] in document["provenances"] for r in document["roles"])
    assert {
        r["organisation"]["slug"] for r in document["roles"] if r["role"] == "account-holder"
    } == {
        "pactum",
        "mutsaersstichting",
        "xonar",
        "mondriaan",
        "bjz-limburg",
    }


def test_an_organisation_view(env: dict[str, str]) -> None:
    code, output = run(env, "map", "organisation", "pactum")
    assert code == 0 and "Venlo" in output and "Arnhem" in output, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("map", "region", "atlantis"), "region 'atlantis' is not registered"),
        (("map", "region", "noord-limburg", "--as-of", "gisteren"), "'gisteren' does not match"),
        (("map", "region", "noord-limburg", "--known-at", "soon"), "'soon' is not a moment"),
    ],
)
def test_bad_input_gets_a_readable_error(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    code, output = run(env, *args)
    assert code != 0 and message in output and "Traceback" not in output, output


def test_no_maps_yet_is_a_readable_error(tmp_path: Path) -> None:
    code, output = run(
        {"REGIEKAART_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}"}, "map", "region", "x"
    )
    assert (
        code == 1 and "no governance maps" in output and "regiekaart projections rebuild" in output
    )
