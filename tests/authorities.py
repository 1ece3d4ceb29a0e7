"""Authorities for tests that record decisions: every decision cites one (``domain.competence``).

``EXTERNAL`` suits tests that are not about authority: a named authority outside the registry needs
no registered body. ``decided_by(body)`` cites a registered decision body of the real facts, e.g.
``g16zlb`` (Zuid-Limburg), ``g7-bestuurlijk-overleg`` (G7 Gelderland), ``nmz-bestuurlijk-overleg``
(NMZ Limburg).
"""

from __future__ import annotations

from domain.values import Authority, AuthorityKind, PartialDate

DECISION_DATE = PartialDate.parse("2026-01-15")

EXTERNAL = Authority(
    kind=AuthorityKind.EXTERNAL,
    external="Ministerie van VWS",
    decision_date=DECISION_DATE,
    document="Kamerbrief jeugdzorg 2026-01",
)


def decided_by(body: str) -> Authority:
    return Authority(
        kind=AuthorityKind.BODY,
        body=body,
        decision_date=DECISION_DATE,
        document=f"Besluitenlijst {body} 2026-01",
    )


# The same as request bodies send it.
AUTHORITY_JSON = {
    "kind": "external",
    "external": "Ministerie van VWS",
    "decision_date": "2026-01-15",
    "document": "Kamerbrief jeugdzorg 2026-01",
}
