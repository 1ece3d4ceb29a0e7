"""The maps of the real governance facts: NMZ Limburg, G7 Gelderland, Noord-Kennemerland around the
Dijk en Waard merger, Pactum's two account holders; on SQLite and PostgreSQL, from a JetStream log."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import UnknownReference
from domain.values import PartialDate, SubjectKind
from projections.queries import GovernanceMaps
from projections.views import Role
from services.importer import PRINCIPAL


def slug(named):
    return None if named is None else named.slug


def holders(roles: tuple[Role, ...]) -> dict[str, tuple[str | None, str | None]]:
    return {
        r.organisation.slug: (slug(r.holder_region), slug(r.holder_municipality))
        for r in roles
        if r.role == "account-holder" and r.organisation is not None
    }


def test_the_nmz_limburg_map(maps: GovernanceMaps) -> None:
    nmz = maps.cooperation_map("nmz-limburg")
    assert nmz.cooperation.name == "Noord-Midden-Zuid Overleg (NMZ-overleg)"
    assert [m.region.slug for m in nmz.members] == [
        "midden-limburg-oost",
        "midden-limburg-west",
        "noord-limburg",
        "zuid-limburg",
    ]
    assert holders(nmz.roles) == {
        "pactum": ("noord-limburg", "venlo"),
        "mutsaersstichting": ("noord-limburg", "venlo"),
        "xonar": ("zuid-limburg", "maastricht"),
        "mondriaan": ("zuid-limburg", "maastricht"),
        "bjz-limburg": ("zuid-limburg", "maastricht"),
    }
    (mandate,) = [r for r in nmz.roles if r.role == "mandate-holder"]
    assert (slug(mandate.holder_municipality), slug(mandate.organisation)) == (
        "roermond",
        "expertisecentrum-limburg",
    )
    (decision,) = nmz.agreements
    assert decision.agreement_kind == "beslisbevoegdheid"
    assert slug(decision.holder_municipality) == "roermond"
    for role in nmz.roles:
        assert role.principal == PRINCIPAL and role.provenance.sources


def test_a_region_map_names_its_roles_and_the_roles_others_hold_towards_it(
    maps: GovernanceMaps,
) -> None:
    noord = maps.region_map("noord-limburg")
    assert "venlo" in {m.municipality.slug for m in noord.members}
    assert "nmz-limburg" in {p.cooperation.slug for p in noord.cooperations}
    own = holders(tuple(r for r in noord.roles if slug(r.cooperation) == "nmz-limburg"))
    assert own == {
        "pactum": ("noord-limburg", "venlo"),
        "mutsaersstichting": ("noord-limburg", "venlo"),
    }
    towards = noord.roles_towards
    assert holders(tuple(r for r in towards if slug(r.cooperation) == "nmz-limburg")) == {
        "xonar": ("zuid-limburg", "maastricht"),
        "mondriaan": ("zuid-limburg", "maastricht"),
        "bjz-limburg": ("zuid-limburg", "maastricht"),
    }
    assert any(
        r.role == "mandate-holder" and slug(r.holder_municipality) == "roermond" for r in towards
    )


def test_the_zuid_limburg_opt_outs_show_on_its_map(maps: GovernanceMaps) -> None:
    zuid = maps.region_map("zuid-limburg")
    opted = {(o.agreement, o.municipality.slug) for o in zuid.opt_outs}
    assert {("zl-verwerving", m) for m in ("heerlen", "voerendaal", "landgraaf")} <= opted
    verwerving = next(p for p in zuid.procurements if p.agreement == "zl-verwerving")
    assert {o.municipality.slug for o in verwerving.opt_outs} == {
        "heerlen",
        "voerendaal",
        "landgraaf",
    }
    gikj = next(p for p in zuid.procurements if p.agreement == "zl-gik-j")
    assert (gikj.term, gikj.part_of, gikj.contract_start) == (
        "2,5+2+2+2+1",
        "zl-verwerving",
        PartialDate.parse("2022-07-01"),
    )


def test_the_g7_gelderland_map(maps: GovernanceMaps) -> None:
    g7 = maps.cooperation_map("g7-gelderland")
    assert {m.region.slug for m in g7.members} == {
        "regio-nijmegen",
        "achterhoek",
        "centraal-gelderland",
        "midden-ijssel-oost-veluwe",
    }
    assert holders(g7.roles) == {
        "jeugdbescherming-gelderland": ("centraal-gelderland", None),
        "s-heeren-loo": (None, "ermelo"),
        "pactum": (None, "arnhem"),
    }
    leads = [r for r in g7.roles if r.role == "lead"]
    assert len(leads) == 5
    members = {m.region.slug for m in g7.members}
    assert all(slug(lead.holder_region) in members and lead.subject for lead in leads)
    (boeg,) = [r for r in g7.roles if r.role == "mandate-holder"]
    assert slug(boeg.holder_municipality) == "nijmegen"


def test_wijchen_is_a_partial_member_of_regio_nijmegen(maps: GovernanceMaps) -> None:
    nijmegen = maps.region_map("regio-nijmegen")
    (wijchen,) = [m for m in nijmegen.members if m.municipality.slug == "wijchen"]
    assert wijchen.partial and wijchen.scope.startswith("Partial.")
    assert "g7-gelderland" in {p.cooperation.slug for p in nijmegen.cooperations}


def test_noord_kennemerland_before_and_after_the_dijk_en_waard_merger(
    maps: GovernanceMaps,
) -> None:
    before = maps.region_map("noord-kennemerland", as_of=date(2021, 12, 31))
    after = maps.region_map("noord-kennemerland", as_of=date(2022, 1, 1))
    members_before = {m.municipality.slug for m in before.members}
    members_after = {m.municipality.slug for m in after.members}
    assert {
        "heerhugowaard",
        "langedijk",
    } <= members_before and "dijk-en-waard" not in members_before
    assert "dijk-en-waard" in members_after and not {"heerhugowaard", "langedijk"} & members_after
    assert (len(members_before), len(members_after)) == (7, 6)
    (dijk_en_waard,) = [m for m in after.members if m.municipality.slug == "dijk-en-waard"]
    assert dijk_en_waard.certain and dijk_en_waard.valid_from == PartialDate.parse("2022-01-01")
    assert dijk_en_waard.municipality.name == "Dijk en Waard"
    # The sources give no start for the other memberships: they could hold, and certainly do from
    # the date of the source that states them (22 October 2021), not before.
    alkmaar = next(m for m in after.members if m.municipality.slug == "alkmaar")
    assert alkmaar.certain and alkmaar.known_to_hold_since is not None
    assert alkmaar.known_to_hold_since.since == PartialDate.parse("2021-10-22")
    earlier = maps.region_map("noord-kennemerland", as_of=date(2021, 10, 21))
    assert not next(m for m in earlier.members if m.municipality.slug == "alkmaar").certain


def test_pactum_has_two_account_holders_in_two_cooperations(maps: GovernanceMaps) -> None:
    pactum = maps.organisation_view("pactum")
    assert {
        slug(r.cooperation): (slug(r.holder_region), slug(r.holder_municipality))
        for r in pactum.account_holders
    } == {
        "nmz-limburg": ("noord-limburg", "venlo"),
        "g7-gelderland": (None, "arnhem"),
    }


def test_history_keeps_authority_principal_and_sources_in_order(maps: GovernanceMaps) -> None:
    history = maps.history(SubjectKind.ORGANISATION, "pactum")
    assert [e.position for e in history] == sorted(e.position for e in history)
    assigned = [e for e in history if e.event == "AccountHoldership.HolderAssigned"]
    assert len(assigned) == 2
    limburg = next(e for e in assigned if "nmz-limburg" in e.description)
    assert limburg.principal == PRINCIPAL
    assert limburg.provenance.sources == (
        "zuid-limburg-regiovisie-2024:L351",
        "zuid-limburg-regiovisie-2024:L349",
    )
    assert limburg.authority.document.startswith("zuid-limburg-regiovisie-2024")
    merger = maps.history(SubjectKind.MUNICIPALITY, "heerhugowaard")
    assert [e.event for e in merger][-1] == "Municipality.Merged"


def test_lists_and_position(maps: GovernanceMaps) -> None:
    regions = maps.regions()
    assert "noord-limburg" in {r.slug for r in regions}
    assert all(r.category for r in regions)
    assert {"pactum", "xonar"} <= {o.slug for o in maps.organisations()}
    assert "g7-gelderland" in {c.slug for c in maps.cooperations()}
    assert "dijk-en-waard" in {m.slug for m in maps.municipalities()}
    assert maps.position() is not None and maps.position() > 400


@pytest.mark.parametrize(
    "query",
    [
        lambda m: m.region_map("atlantis"),
        lambda m: m.cooperation_map("noord-limburg"),  # a region, not a cooperation
        lambda m: m.organisation_view("nobody"),
        lambda m: m.history(SubjectKind.REGION, "atlantis"),
    ],
)
def test_an_unknown_slug_is_an_unknown_reference(maps: GovernanceMaps, query) -> None:
    with pytest.raises(UnknownReference):
        query(maps)
