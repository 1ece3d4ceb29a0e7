"""Imports the ``modular_cooperation`` section of the governance facts: the regions' commitments to the
modules of a cooperation's agenda, their regional mandates and the modules' cost keys.

The importer (``services.importer``) runs this as one of its steps, with its attribution (sources,
inferred flag, the deciding body) and its idempotence: every command is paired with whether what it
would record is already there, asked of the aggregate.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.modules import CostKey, CostShare, MandateKind, ModuleCommitment
from domain.values import ValidPeriod
from services import commands as c

if TYPE_CHECKING:
    from services.importer import GovernanceFactsImporter

SECTION = "modular_cooperation"


def _place(importer: GovernanceFactsImporter, record: dict[str, Any], region: str) -> Any:
    slug = ModuleCommitment.slug_for(record["cooperation"], record["module"], region)
    return (
        importer.app.get(ModuleCommitment, slug)
        if importer.registered(ModuleCommitment, slug)
        else None
    )


def import_modular_cooperation(
    importer: GovernanceFactsImporter,
) -> Iterator[tuple[c.Command, bool]]:
    section = importer.facts.get(SECTION) or {}
    for record in section.get("commitments", ()):
        for region in record["regions"]:
            place = _place(importer, record, region)
            yield (
                c.CommitToModule(
                    cooperation=record["cooperation"],
                    module=record["module"],
                    region=region,
                    content=record["content"],
                    **importer.period(record),
                    **importer.attribution(record),
                ),
                place is not None and place.has_commitment(),
            )
    for record in section.get("mandates", ()):
        place = _place(importer, record, record["region"])
        mandate = MandateKind(record["mandate"])
        period = importer.period(record)
        yield (
            c.GiveModuleMandate(
                cooperation=record["cooperation"],
                module=record["module"],
                region=record["region"],
                mandate=mandate,
                **period,
                **importer.attribution(record),
            ),
            place is not None and place.has_mandate(mandate, ValidPeriod(**period)),
        )
    for record in section.get("cost_keys", ()):
        yield (
            c.AgreeCostKey(
                cost_key=record["id"],
                cooperation=record["cooperation"],
                module=record["module"],
                shares=tuple(
                    CostShare(s["region"], Decimal(str(s["percentage"]))) for s in record["shares"]
                ),
                **importer.period(record),
                **importer.attribution(record),
            ),
            importer.registered(CostKey, record["id"]),
        )
