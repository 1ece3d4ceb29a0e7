"""How a command's fields reach the aggregate that records them: ``arguments`` picks, by name, what an
aggregate's constructor or command method takes from the command. It lives apart from the application so
that the modules holding a family of its command methods (``agreements``, ``compliance``,
``module_commitments``) can use it without importing the application they are mixed into.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import msgspec

from domain.base import fact_fields
from domain.values import ValidPeriod
from services import commands as c


def arguments(cmd: c.Command, target: Callable[..., Any], **given: Any) -> dict[str, Any]:
    """The arguments ``target`` (an aggregate class, a command method or a factory) takes, by name, from
    the command: its fields, its ``period`` and ``attribution``, and the five fields every decision
    carries; ``given`` adds or overrides those the command names otherwise. One field list per fact:
    a field added to a command and to the aggregate's method reaches it without a line here."""
    fact = isinstance(cmd, c.FactCommand)
    offered = {
        **fact_fields(cmd.period if fact else ValidPeriod(), cmd.attribution),
        **msgspec.structs.asdict(cmd),
        **({"period": cmd.period} if fact else {}),
        "attribution": cmd.attribution,
        **given,
    }
    parameters = inspect.signature(
        target.__init__ if isinstance(target, type) else target
    ).parameters
    return {name: value for name, value in offered.items() if name in parameters}
