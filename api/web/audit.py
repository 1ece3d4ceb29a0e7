"""The auditor's page: whether the checkpoint writer found the event log intact, the signed
checkpoints, the public key to compare out of band, and the export to download for
``regiekaart audit verify --file``. It reads through the audit routes' own functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.response import Stream, Template

from adapters.nats.audit import NatsLog
from api.controllers.audit import export_stream, signed_checkpoints
from api.controllers.system import event_log_state, read_event_log_status
from api.guards import AUDITORS
from api.web.pages import page_context
from services.authorisation import Principal

AUDIT_PAGE = "/controle"
EXPORT_FILE_NAME = "regiekaart-gebeurtenissen.jsonl"
SHOWN_CHECKPOINTS = 50  # the newest; the export carries them all


class AuditPages(Controller):
    include_in_schema = False
    guards = [AUDITORS]

    @get(AUDIT_PAGE)
    async def audit_page(
        self,
        request: Request[Principal, Any, Any],
        audit_log: NamedDependency[NatsLog | None],
        event_log_status_file: NamedDependency[Path],
        public_key_file: NamedDependency[Path],
    ) -> Template:
        try:
            checkpoints = await anyio.to_thread.run_sync(signed_checkpoints, audit_log)
            unavailable = None
        except ServiceUnavailableException as refusal:
            checkpoints, unavailable = [], refusal.detail
        try:
            public_key = public_key_file.read_text().strip()
        except FileNotFoundError:
            public_key = None
        return Template(
            "audit.html",
            context=page_context(
                request,
                status=read_event_log_status(event_log_status_file),
                state=event_log_state(event_log_status_file),
                checkpoints=list(reversed(checkpoints))[:SHOWN_CHECKPOINTS],
                checkpoint_count=len(checkpoints),
                unavailable=unavailable,
                public_key=public_key,
                export_name=EXPORT_FILE_NAME,
            ),
        )

    @get(f"{AUDIT_PAGE}/export")
    async def download_export(self, audit_log: NamedDependency[NatsLog | None]) -> Stream:
        headers = {"Content-Disposition": f'attachment; filename="{EXPORT_FILE_NAME}"'}
        return await anyio.to_thread.run_sync(lambda: export_stream(audit_log, headers))
