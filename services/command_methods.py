"""What the modules holding a family of the application's command methods (``agreements``,
``compliance``, ``module_commitments``) share, apart from the application they are mixed into (which
imports them): ``CommandMethods``, their base, typed as the application; and ``arguments``, how a
command's fields reach the aggregate that records them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from domain.base import fact_fields
from domain.values import ValidPeriod
from services import commands as c

if TYPE_CHECKING:
    from services.application import GovernanceApplication

    # To the type checker a mixin's ``self`` is the application, with its loading and saving.
    CommandMethods = GovernanceApplication
else:
    CommandMethods = object


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
