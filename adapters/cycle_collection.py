"""Reading many events at once without Python's cycle collector going over them again and again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pauses Python's cycle collector while a batch is read, decoded and written. Its objects (a
    few hundred thousand notifications, events and rows) all live until the batch is done, and the
    collector would traverse them again and again as they pile up: that tripled the time to decode
    an event and nearly doubled the time to read one. Reference counting still frees them; cycles
    made meanwhile wait for the next collection after the batch."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
