"""The decision form for coordinators: the transfer of an account holdership (accounthouderschap),
recorded through the same command path as ``POST /agreements/account-holderships/transfer``: the
command's body struct and its checks (``api.schemas``), the application's handler table
(``services.application.COMMAND_HANDLERS``, through ``ApiContext.execute``), the same authorisation.
A refusal is shown as the problem details that path produces, per field where they name one. The
form carries the account holdership's version (If-Match): a form left open while someone else changed
it is refused with 409, not applied."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from api.context import ApiContext
from api.controllers.reads import summaries
from api.errors import EXCEPTION_HANDLERS
from api.guards import WRITERS
from api.idempotency import request_hash
from api.schemas import body_from_values, command_body, log_number, to_command
from api.web.pages import FormBody, page_context
from domain.agreements import AccountHoldership
from domain.errors import UnknownReference
from projections.queries import GovernanceMaps
from services import commands as c
from services.authorisation import Principal, Role

TRANSFER_PATH = "/besluiten/overdracht-accounthouderschap"
# The same route the JSON API records the command on: its idempotency hashes name the path.
TRANSFER_API_PATH = "/agreements/account-holderships/transfer"
_TRANSFER_BODY = command_body(c.TransferAccountHoldership)
OPTIONAL_FIELDS = ("holder_region", "executing_municipality", "basis", "notes")
Choice = Annotated[str | None, QueryParameter(max_length=64)]


def _values(form: dict[str, str]) -> dict[str, Any]:
    """The command's body from the form's fields (blank optional fields left out)."""
    values: dict[str, Any] = {
        key: form.get(key, "").strip() for key in ("cooperation", "organisation", "agreement")
    }
    if handover := form.get("handover", "").strip():
        values["handover"] = {"value": handover, "precision": "day"}
    for key in OPTIONAL_FIELDS:
        if value := form.get(key, "").strip():
            values[key] = value
    values["authority"] = {
        "body": form.get("authority_body", "").strip() or None,
        "decision_date": form.get("authority_decision_date", "").strip() or None,
        "document": form.get("authority_document", "").strip() or None,
    }
    return values


def _form_field(pointer: str | None) -> str | None:
    """The form field a problem's JSON pointer names (``#/authority/body`` → ``authority_body``)."""
    if not pointer or not pointer.startswith("#/"):
        return None
    parts = pointer[2:].split("/")
    if parts[0] == "authority":
        return "authority_" + parts[1] if len(parts) > 1 else "authority_body"
    return parts[0]


def _problem(request: Request[Any, Any, Any], error: Exception) -> dict[str, Any] | None:
    """The problem details the API answers ``error`` with (its own exception handlers)."""
    for kind in type(error).__mro__:
        handler = EXCEPTION_HANDLERS.get(kind)
        if handler is not None and kind is not Exception:
            problem: dict[str, Any] = msgspec.json.decode(handler(request, error).content)
            return problem
    return None


async def _current_version(context: ApiContext, cooperation: str, organisation: str) -> int | None:
    """The account holdership's version now, or None when there is none (yet)."""
    slug = AccountHoldership.account_slug(cooperation, organisation, "")

    def read() -> int | None:
        try:
            return int(context.app.get(AccountHoldership, slug).version)
        except UnknownReference:
            return None

    return await anyio.to_thread.run_sync(read)


async def _choices(maps: GovernanceMaps, principal: Principal) -> dict[str, Any]:
    cooperations = await summaries(maps, GovernanceMaps.cooperations, None)
    if principal.role is Role.COORDINATOR and principal.cooperations:
        cooperations = [s for s in cooperations if s.slug in principal.cooperations]
    return {
        "cooperations": cooperations,
        "organisations": await summaries(maps, GovernanceMaps.organisations, None),
        "regions": await summaries(maps, GovernanceMaps.regions, None),
        "municipalities": await summaries(maps, GovernanceMaps.municipalities, None),
        "bodies": await summaries(maps, GovernanceMaps.bodies, None),
    }


class DecisionPages(Controller):
    include_in_schema = False
    guards = [WRITERS]

    @get(TRANSFER_PATH)
    async def transfer_form(
        self,
        request: Request[Principal, Any, Any],
        context: NamedDependency[ApiContext],
        samenwerkingsverband: Choice = None,
        organisatie: Choice = None,
    ) -> Template:
        form = {"cooperation": samenwerkingsverband or "", "organisation": organisatie or ""}
        version = None
        if samenwerkingsverband and organisatie:
            version = await _current_version(context, samenwerkingsverband, organisatie)
        return Template(
            "transfer.html",
            context=page_context(
                request,
                **await _choices(context.maps, request.user),
                form=form,
                version=version,
                errors={},
                problem=None,
                today=date.today(),
            ),
        )

    @post(TRANSFER_PATH, status_code=303)
    async def record_transfer(
        self,
        request: Request[Principal, Any, Any],
        context: NamedDependency[ApiContext],
        data: FormBody,
    ) -> Redirect | Template:
        principal = request.user
        try:
            version = log_number(data.get("version", "").strip())
            if version is None:
                raise ValidationException(
                    "the form names no version of the account holdership: choose it again",
                    extra=[{"message": "choose the account holdership again", "key": "data"}],
                )
            body = body_from_values(_TRANSFER_BODY, _values(data))
            command = to_command(c.TransferAccountHoldership, body, principal.id)
            digest = request_hash(TRANSFER_API_PATH, msgspec.json.encode(body))
            await anyio.to_thread.run_sync(
                lambda: context.execute(
                    principal,
                    command,
                    idempotency_key=None,
                    request_sha256=digest,
                    expected_version=version,
                )
            )
        except Exception as error:
            problem = _problem(request, error)
            if problem is None or problem.get("status", 500) >= 500:
                raise
            errors: dict[str, str] = {}
            for item in problem.get("errors", ()):
                field = _form_field(item.get("pointer"))
                if field is not None:
                    errors.setdefault(field, item["detail"])
            return Template(
                "transfer.html",
                status_code=int(problem["status"]),
                context=page_context(
                    request,
                    **await _choices(context.maps, principal),
                    form=data,
                    version=data.get("version"),
                    errors=errors,
                    problem=problem,
                    today=date.today(),
                ),
            )
        # The day as recorded, not the form's text: that was read with its spaces trimmed.
        handover = command.handover.value.isoformat() if command.handover.value else ""
        return Redirect(
            f"/kaart/organisatie/{body.organisation}?peildatum={handover}&vastgelegd=overdracht",
            status_code=303,
        )
