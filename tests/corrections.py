"""What tests of who hears of a fact and of its correction record: a correction, and an agreement that
names a municipality (its host), which reaches the regions the municipality belongs to."""

from __future__ import annotations

from typing import Any

from domain.values import AgreementKind, PartialDate
from services import commands as c
from services.application import GovernanceApplication
from tests.authorities import EXTERNAL


def correct(app: GovernanceApplication, event: Any) -> int:
    """Corrects ``event``; answers the correction's log position."""
    app.handle(
        c.CorrectFact(
            aggregate_id=event.originator_id,
            version=event.originator_version,
            reason="wrongly recorded",
            principal="test",
        )
    )
    position: int = app.recorder.max_notification_id()
    return position


def host(app: GovernanceApplication, municipality: str, valid_from: str) -> int:
    """Records an agreement hosted by ``municipality`` from ``valid_from``; answers its position."""
    app.handle(
        c.RecordAgreement(
            agreement=f"{municipality}-regeling",
            agreement_kind=AgreementKind.SAMENWERKINGSREGELING,
            terms=c.AgreementTerms(host_municipality=municipality),
            valid_from=PartialDate.parse(valid_from),
            principal="test",
            authority=EXTERNAL,
        )
    )
    position: int = app.recorder.max_notification_id()
    return position
