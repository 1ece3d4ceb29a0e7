"""How the projection's handlers name facts, and which current versions an event will revise.

A fact's key names it across versions: ``membership:<municipality>:<membership id>``,
``holder:<account>:<term agreement>``, ``agreement:<slug>`` (the headline of every agreement but a
trekkerschap, whose leads are terms ``lead:<slug>:<position>``), ``registered:<kind>:<slug>``, ...
The keys an event revises are read before its batch is applied (``Batch.prefetch``), so they are
derived here from the event alone, next to the functions that build them.
"""

from __future__ import annotations

from typing import Any

from domain.agreements import AccountHoldership, AgreementAggregate
from domain.registry import DecisionBody, Municipality
from domain.values import AgreementKind, SubjectKind


def registered_key(kind: SubjectKind, slug: str) -> str:
    return f"registered:{kind}:{slug}"


def membership_key(municipality: str, membership_id: str) -> str:
    return f"membership:{municipality}:{membership_id}"


def holder_key(account: str, agreement: str) -> str:
    return f"holder:{account}:{agreement}"


def agreement_key(agreement: str) -> str:
    return f"agreement:{agreement}"


def no_keys(_event: Any) -> tuple[str, ...]:
    return ()


REVISED_KEYS: dict[type, Any] = {
    Municipality.MembershipEnded: lambda e: (membership_key(e.municipality, e.membership_id),),
    DecisionBody.RoleChanged: lambda e: (registered_key(SubjectKind.BODY, e.body),),
    AccountHoldership.HolderTransferred: lambda e: (holder_key(e.account, e.previous_agreement),),
    AccountHoldership.HolderEnded: lambda e: (holder_key(e.account, e.agreement),),
    # A trekkerschap's status is that of its leads, found by agreement (``handlers.agreements``).
    AgreementAggregate.StatusChanged: lambda e: (
        () if e.agreement_kind == AgreementKind.TREKKERSCHAP else (agreement_key(e.agreement),)
    ),
}
