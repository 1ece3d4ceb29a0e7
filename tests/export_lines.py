"""Export files altered as a forger would, for the tamper tests of `audit verify --file`."""

from __future__ import annotations

import msgspec

from adapters.audit import CHECKPOINT_TYPE
from projections.audit import GENESIS_LOG_HASH, next_log_hash


def relinked(lines: list[bytes]) -> list[bytes]:
    """The lines with every previous position and log hash recomputed, as someone who altered the
    export would, so that only the seals, the aggregates' links and the signed checkpoint can tell."""
    out, previous, log_hash = [], 0, GENESIS_LOG_HASH
    for raw in lines:
        line = msgspec.json.decode(raw)
        if line["type"] != CHECKPOINT_TYPE:
            line["previousposition"] = previous
            log_hash = next_log_hash(log_hash, line["position"], line["hash"])
            line["loghash"] = log_hash.hex()
            previous = line["position"]
        out.append(msgspec.json.encode(line) + b"\n")
    return out
