"""The base of every governance aggregate: deterministic ids from slugs, and corrections.

A correction (``FactCorrected``) names the event it corrects (aggregate id + version) and why. The
corrected event stays in the history; the aggregate's state is rebuilt from its history without it, so
the corrected fact no longer counts for any rule. Correcting version 1 (the founding fact) marks the
whole aggregate as retracted.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, CommandMethodDecorator, event
from eventsourcing.utils import resolve_topic

from domain.concerns import Concerns, concerns
from domain.errors import AlreadyRecorded, NotCorrectable, Retracted
from domain.values import (
    Attribution,
    Authority,
    AuthorityKind,
    PartialDate,
    Provenance,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)

# Namespace of all aggregate ids: uuid5(REGIEKAART_NAMESPACE, "<kind>:<slug>").
REGIEKAART_NAMESPACE = uuid5(NAMESPACE_URL, "https://regiekaart.nl/ids")


# The fields every decision's event carries, in the order its stored form lists them (last).
DECISION_FIELDS: tuple[tuple[str, type], ...] = (
    ("valid_from", PartialDate),
    ("valid_until", PartialDate),
    ("authority", Authority),
    ("principal", str),
    ("provenance", Provenance),
)

F = TypeVar("F", bound=Callable[..., None])


def decision(method: F) -> F:
    """Declares the fields every decision carries on an ``@event`` method (put it under ``@event``).

    The eventsourcing library makes the event class from the method's signature; this one gives the
    method the five ``DECISION_FIELDS`` after its own parameters, so each event class keeps the fields,
    the order and therefore the stored form it had when every method listed them. The method body
    receives only those of the five it names itself.
    """
    signature = inspect.signature(method)
    decision_names = {name for name, _ in DECISION_FIELDS}
    own = [p for p in signature.parameters.values() if p.name not in decision_names]
    taken = set(signature.parameters)

    @functools.wraps(method)
    def with_decision(self: Any, **kwargs: Any) -> None:
        method(self, **{name: value for name, value in kwargs.items() if name in taken})

    # Keyword-only, so that they may follow an own parameter with a default (a field added later).
    fields = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for name, annotation in DECISION_FIELDS
    ]
    with_decision.__signature__ = signature.replace(parameters=[*own, *fields])  # type: ignore[attr-defined]
    return with_decision  # type: ignore[return-value]


def fact_fields(period: ValidPeriod, attribution: Attribution) -> dict[str, Any]:
    """The attributes every state-changing event carries: valid time, authority, principal, sources."""
    return {
        "valid_from": period.valid_from,
        "valid_until": period.valid_until,
        **attribution.event_fields(),
    }


@functools.cache
def _method_defaults(event_class: type) -> Mapping[str, Any]:
    aggregate = resolve_topic(
        f"{event_class.__module__}:{event_class.__qualname__.rpartition('.')[0]}"
    )
    for klass in aggregate.__mro__:
        for decorator in vars(klass).values():
            if isinstance(decorator, CommandMethodDecorator) and event_class.__name__ in (
                decorator.event_cls_name,
                getattr(decorator.given_event_cls, "__name__", None),
            ):
                parameters = inspect.signature(decorator.decorated_func).parameters.values()
                return MappingProxyType(
                    {p.name: p.default for p in parameters if p.default is not p.empty}
                )
    return MappingProxyType({})


def _id_from_slug(slug_attribute: str) -> Any:
    """A ``create_id`` that takes the founding event's ``slug_attribute``: the library passes it the
    founding event's arguments whose names its signature gives, and the id is ``id_for`` the slug."""

    def create_id(cls: type[GovernanceAggregate], **founding: str) -> UUID:
        return cls.id_for(founding[slug_attribute])

    create_id.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("cls", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(slug_attribute, inspect.Parameter.KEYWORD_ONLY, annotation=str),
        ]
    )
    return classmethod(create_id)


class GovernanceAggregate(Aggregate):
    """An aggregate identified by a slug; the id is ``uuid5`` of its kind and slug.

    A kind names its ``slug_attribute``; its ``create_id`` follows from it (``_id_from_slug``).
    """

    kind: ClassVar[SubjectKind]
    # The attribute of the founding event that holds the slug (named after the aggregate's kind).
    slug_attribute: ClassVar[str]
    # The aggregate's attributes that each event after the founding one repeats, so that an event read
    # on its own (by a projection, a region's feed, an auditor) names what it is about.
    repeated_attributes: ClassVar[tuple[str, ...]] = ()

    class Event(Aggregate.Event):
        # Bumped with an ``upcast_vN_vN+1`` static method when an event's shape changes; a field added
        # with a default needs neither (``stored_defaults``).
        class_version = 1

        @classmethod
        def stored_defaults(cls) -> Mapping[str, Any]:
            """The defaults its ``@event`` method gives: what a stored event from before the field was
            added is read with (the codec fills them in). The library's event class keeps none."""
            return _method_defaults(cls)

        def apply(self, aggregate: Any) -> None:
            # Runs after the @event method body: keep the event so corrections can rebuild state.
            aggregate._history.append(self)

    class Created(Event, Aggregate.Created):
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Before the library reads ``create_id``'s signature as it makes the class.
        if "slug_attribute" in cls.__dict__:
            cls.create_id = _id_from_slug(cls.slug_attribute)  # type: ignore[method-assign]
        super().__init_subclass__(**kwargs)

    @classmethod
    def id_for(cls, slug: str) -> UUID:
        return uuid5(REGIEKAART_NAMESPACE, f"{cls.kind}:{slug}")

    def __base_init__(
        self, originator_id: Any, originator_version: int, timestamp: datetime
    ) -> None:
        super().__base_init__(originator_id, originator_version, timestamp)
        self._history: list[GovernanceAggregate.Event] = []
        self.corrected_versions: set[int] = set()

    @property
    def slug(self) -> str:
        return str(getattr(self, self.slug_attribute))

    @property
    def ref(self) -> SubjectRef:
        return SubjectRef(self.kind, self.slug)

    @property
    def retracted(self) -> bool:
        return 1 in self.corrected_versions

    @property
    def label(self) -> str:
        return str(getattr(self, "name", None) or self.slug)

    def _fact(self, period: ValidPeriod, attribution: Attribution) -> dict[str, Any]:
        """The fields of a new event that the aggregate and the decision give: its
        ``repeated_attributes`` and the ``fact_fields``."""
        return {name: getattr(self, name) for name in self.repeated_attributes} | fact_fields(
            period, attribution
        )

    def history(self) -> tuple[GovernanceAggregate.Event, ...]:
        return tuple(self._history)

    def check_not_a_corrected_import(
        self, attribution: Attribution, period: ValidPeriod | None
    ) -> None:
        """Refuses to record again a fact documented in its sources (an imported one) that a
        correction retracted: one of this aggregate's corrected facts was recorded on the very same
        attribution (by the same principal, from the same sources) and, given one, for ``period``.
        Every start of the service runs the import, which asks the aggregate's state whether a
        fact is there; the corrected fact is not, and recorded anew it would undo the correction
        unsaid. A decision a person records (never of that kind) is not held to this."""
        if attribution.authority.kind is not AuthorityKind.SOURCE:
            return
        for version in sorted(self.corrected_versions):
            corrected = self._history[version - 1]
            if getattr(corrected, "principal", None) != attribution.principal:
                continue
            recorded_on = Attribution(
                principal=corrected.principal,
                authority=corrected.authority,
                provenance=corrected.provenance,
            )
            if recorded_on == attribution and (
                period is None or ValidPeriod(corrected.valid_from, corrected.valid_until) == period
            ):
                raise AlreadyRecorded(
                    f"version {version} of {self.ref} recorded this fact from these sources and "
                    f"was corrected: the correction stands — {AlreadyRecorded.rule}"
                )

    def check_not_retracted(self) -> None:
        if self.retracted:
            raise Retracted(
                f"{self.ref} was retracted by a correction and takes no further facts — {Retracted.rule}"
            )

    def check_correctable(self, version: int) -> GovernanceAggregate.Event:
        if not 1 <= version <= self.version:
            raise NotCorrectable(
                f"{self.ref} has no version {version} (its versions are 1..{self.version}) — {NotCorrectable.rule}"
            )
        corrected = self._history[version - 1]
        if isinstance(corrected, GovernanceAggregate.FactCorrected):
            raise NotCorrectable(
                f"version {version} of {self.ref} is itself a correction — {NotCorrectable.rule}"
            )
        if version in self.corrected_versions:
            raise NotCorrectable(
                f"version {version} of {self.ref} was already corrected — {NotCorrectable.rule}"
            )
        return corrected

    def correct(self, *, version: int, reason: str, attribution: Attribution) -> None:
        """Correct (retract) the fact recorded by event ``version``; it stays in the history."""
        corrected = self.check_correctable(version)
        self._fact_corrected(
            corrects_id=self.id,
            corrects_version=version,
            corrects_event=type(corrected).__name__,
            reason=reason,
            subject=self.ref,
            corrected_concerns=concerns(corrected),
            **fact_fields(ValidPeriod(), attribution),
        )

    @event("FactCorrected")
    @decision
    def _fact_corrected(
        self,
        corrects_id: UUID,
        corrects_version: int,
        corrects_event: str,
        reason: str,
        subject: SubjectRef,
        corrected_concerns: Concerns,
    ) -> None:
        self.corrected_versions.add(corrects_version)
        self._rebuild()

    def _rebuild(self) -> None:
        """Replay the history onto a fresh aggregate, skipping corrected events and corrections."""
        history = self._history
        fresh = history[0].mutate(None)
        assert isinstance(fresh, GovernanceAggregate)
        for past in history[1:]:
            if past.originator_version in self.corrected_versions or isinstance(
                past, GovernanceAggregate.FactCorrected
            ):
                fresh._history.append(past)
            else:
                past.apply(fresh)
        own = {
            "_id",
            "_version",
            "_created_on",
            "_modified_on",
            "_pending_events",
            "corrected_versions",
        }
        for name in list(vars(self)):
            if name not in own and name not in vars(fresh):
                delattr(self, name)
        vars(self).update({k: v for k, v in vars(fresh).items() if k not in own})
