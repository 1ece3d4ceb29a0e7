"""A small governance world for the bitemporal and crash tests: two regions with a municipality each,
a cooperation of both, an organisation whose account the first region holds, a lead."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from adapters.nats.server import NatsServer
from domain.values import Authority, AuthorityKind, CooperationKind, PartialDate, Provenance
from projections.schema import read_model_tables
from services import commands as c
from services.application import GovernanceApplication


def nats_application(server: NatsServer) -> GovernanceApplication:
    """An application on a stream of its own on the session's server."""
    return GovernanceApplication(env=nats_env(server))


def nats_env(server: NatsServer) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "adapters.nats",
        "NATS_URL": server.url,
        "NATS_STREAM": f"MAPS{uuid.uuid4().hex[:10].upper()}",
    }


def fresh_database_url(request: pytest.FixtureRequest, folder: Path, backend: str) -> str:
    """A new, empty database on ``backend`` (sqlite or postgresql)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'maps-{uuid.uuid4().hex[:8]}.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"m_{uuid.uuid4().hex[:12]}")


COORDINATOR = "coordinator:alice"
DECISION = Authority(
    kind=AuthorityKind.EXTERNAL,
    external="Ministerie van VWS",
    decision_date=PartialDate.parse("2026-11-20"),
    document="besluit 2026-17",
)
SOURCES = Provenance(sources=("besluit-2026-17:L3",))


def attribution() -> dict[str, object]:
    return {"principal": COORDINATOR, "authority": DECISION, "provenance": SOURCES}


def build_world(app: GovernanceApplication, *, prefix: str = "") -> dict[str, str]:
    """Registers the world; returns its slugs."""
    s = {
        "region_a": f"{prefix}oost",
        "region_b": f"{prefix}west",
        "municipality_a": f"{prefix}oosterdam",
        "municipality_b": f"{prefix}westerdam",
        "cooperation": f"{prefix}samen",
        "organisation": f"{prefix}zorgaanbieder",
        "account_agreement": f"{prefix}accounthouder-oost",
        "lead": f"{prefix}trekker-crisis",
    }
    for region, municipality in (("region_a", "municipality_a"), ("region_b", "municipality_b")):
        app.handle(
            c.RegisterMunicipality(
                municipality=s[municipality], name=s[municipality].title(), **attribution()
            )
        )
        app.handle(c.RegisterRegion(region=s[region], name=s[region].title(), **attribution()))
        app.handle(
            c.StartMembership(
                municipality=s[municipality],
                region=s[region],
                valid_from=PartialDate.parse("2015-01-01"),
                **attribution(),
            )
        )
    app.handle(
        c.RegisterCooperation(
            cooperation=s["cooperation"],
            name=s["cooperation"].title(),
            cooperation_kind=CooperationKind.SAMENWERKINGSVERBAND,
            **attribution(),
        )
    )
    for region in ("region_a", "region_b"):
        app.handle(
            c.AdmitRegionToCooperation(
                cooperation=s["cooperation"],
                region=s[region],
                valid_from=PartialDate.parse("2016"),
                **attribution(),
            )
        )
    app.handle(
        c.RegisterOrganisation(
            organisation=s["organisation"],
            name="Zorgaanbieder",
            organisation_kind="aanbieder",
            **attribution(),
        )
    )
    app.handle(
        c.AssignAccountHoldership(
            agreement=s["account_agreement"],
            cooperation=s["cooperation"],
            organisation=s["organisation"],
            holder_region=s["region_a"],
            executing_municipality=s["municipality_a"],
            valid_from=PartialDate.parse("2018-03-01"),
            **attribution(),
        )
    )
    app.handle(
        c.AssignLead(
            agreement=s["lead"],
            cooperation=s["cooperation"],
            item="Crisishulp",
            module=1,
            lead_region=s["region_a"],
            valid_from=PartialDate.parse("2019-01-01"),
            **attribution(),
        )
    )
    return s


def transfer_account(
    app: GovernanceApplication, s: dict[str, str], handover: date, agreement: str
) -> None:
    app.handle(
        c.TransferAccountHoldership(
            cooperation=s["cooperation"],
            organisation=s["organisation"],
            agreement=agreement,
            handover=PartialDate.day(handover),
            holder_region=s["region_b"],
            executing_municipality=s["municipality_b"],
            **attribution(),
        )
    )


def read_model_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the read model's tables, in a stable order, to compare two read models."""
    tables = read_model_tables()
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(select(table))),
                key=lambda row: tuple(map(str, row)),
            )
            for table in tables.metadata.sorted_tables
        }


def grow_history(app: GovernanceApplication, s: dict[str, str], municipalities: int) -> None:
    """Years of changes: municipalities join a region and move to the other; the account passes back
    and forth; the lead changes hands; now and then a fact is corrected."""
    from domain.agreements import AccountHoldership

    regions = (s["region_a"], s["region_b"])
    for n in range(municipalities):
        slug = f"{s['municipality_a']}-{n}"
        joined = date(2000, 1, 1) + timedelta(days=30 * n)
        app.handle(c.RegisterMunicipality(municipality=slug, name=f"Gemeente {n}", **attribution()))
        app.handle(
            c.StartMembership(
                municipality=slug,
                region=regions[n % 2],
                valid_from=PartialDate.day(joined),
                **attribution(),
            )
        )
        app.handle(
            c.EndMembership(
                municipality=slug,
                membership_id=f"{regions[n % 2]}:{slug}",
                valid_until=PartialDate.day(joined + timedelta(days=400)),
                **attribution(),
            )
        )
        app.handle(
            c.StartMembership(
                municipality=slug,
                region=regions[(n + 1) % 2],
                valid_from=PartialDate.day(joined + timedelta(days=401)),
                **attribution(),
            )
        )
        if n % 20:
            continue
        account = app.get(AccountHoldership, f"{s['cooperation']}:{s['organisation']}")
        current = account.current_term()
        holder = 1 if current is not None and current.holder_region == regions[0] else 0
        app.handle(
            c.TransferAccountHoldership(
                cooperation=s["cooperation"],
                organisation=s["organisation"],
                agreement=f"{s['account_agreement']}-{n}",
                handover=PartialDate.day(date(2018, 3, 2) + timedelta(days=n)),
                holder_region=regions[holder],
                executing_municipality=(s["municipality_a"], s["municipality_b"])[holder],
                **attribution(),
            )
        )
        if n % 100 == 60:
            account = app.get(AccountHoldership, f"{s['cooperation']}:{s['organisation']}")
            app.handle(
                c.CorrectFact(
                    aggregate_id=account.id,
                    version=account.version,
                    reason="recorded twice",
                    **attribution(),
                )
            )
