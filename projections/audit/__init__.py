"""The audit of the event log: verification (``verification``), the export file (``export``) and the
checkpoint writer (``checkpoints``); see ``projections.audit.verification`` for what makes the log
tamper-evident."""

from projections.audit.checkpoints import CheckpointWriter, LogStatus
from projections.audit.export import Exported, export_log, verify_export
from projections.audit.verification import (
    GENESIS_LOG_HASH,
    Checkpoint,
    EventLog,
    FaultKind,
    LogFault,
    LogVerifier,
    Verified,
    decode_checkpoint,
    feed,
    next_log_hash,
    trusted_up_to,
    verify_log,
)

__all__ = [
    "GENESIS_LOG_HASH",
    "Checkpoint",
    "CheckpointWriter",
    "EventLog",
    "Exported",
    "FaultKind",
    "LogFault",
    "LogStatus",
    "LogVerifier",
    "Verified",
    "decode_checkpoint",
    "export_log",
    "feed",
    "next_log_hash",
    "trusted_up_to",
    "verify_export",
    "verify_log",
]
