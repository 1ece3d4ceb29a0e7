"""A small governance world for the bitemporal and crash tests: two regions with a municipality each,
a cooperation of both, an organisation whose account the first region holds, a lead."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from domain.values import Authority, CooperationKind, PartialDate, Provenance
from projections.schema import read_model_tables
from services import commands as c
from services.application import GovernanceApplication

COORDINATOR = "coordinator:alice"
DECISION = Authority(
    body=None, decision_date=PartialDate.parse("2026-11-20"), document="besluit 2026-17"
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
        app.handle(c.RegisterMunicipality(municipality=s[municipality], name=s[municipality].title(), **attribution()))
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
            organisation=s["organisation"], name="Zorgaanbieder", organisation_kind="aanbieder", **attribution()
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
