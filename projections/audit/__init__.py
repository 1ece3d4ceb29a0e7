"""The audit of the event log: verification (``verification``, over the log hash, signed checkpoints
and faults of ``log_claims``), the export file (``export``) and the checkpoint writer
(``checkpoints``); see ``projections.audit.verification`` for what makes the log tamper-evident."""

from projections.audit.checkpoints import CheckpointWriter, LogStatus, seal_check
from projections.audit.export import Exported, export_log, verify_export
from projections.audit.log_claims import (
    GENESIS_LOG_HASH,
    Checkpoint,
    FaultKind,
    LogFault,
    decode_checkpoint,
    next_log_hash,
    trusted_up_to,
)
from projections.audit.verification import EventLog, LogVerifier, Verified, feed, verify_log

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
    "seal_check",
    "trusted_up_to",
    "verify_export",
    "verify_log",
]
