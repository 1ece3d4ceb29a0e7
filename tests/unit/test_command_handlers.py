"""Every command reaches its handler through ``services.application.COMMAND_HANDLERS``: one table that
names, for each command class, the application method that handles it."""

from __future__ import annotations

import inspect
from typing import get_type_hints

from services import commands as c
from services.application import COMMAND_HANDLERS, GovernanceApplication


def concrete_commands() -> set[type[c.Command]]:
    """The commands: the leaves of ``Command``'s subclasses (the others, ``FactCommand`` and the bases
    of a family's shared fields, are commands of no one kind)."""
    found: set[type[c.Command]] = set()
    pending = [c.Command]
    while pending:
        subclasses = pending.pop().__subclasses__()
        pending.extend(subclasses)
        found.update(sub for sub in subclasses if not sub.__subclasses__())
    return found


def test_every_command_has_a_handler_and_nothing_else_does():
    assert set(COMMAND_HANDLERS) == concrete_commands()


def test_each_handler_is_an_application_method_that_takes_its_command():
    for command_class, handler in COMMAND_HANDLERS.items():
        assert getattr(GovernanceApplication, handler.__name__) is handler, command_class
        [_, command_parameter] = inspect.signature(handler).parameters
        hints = get_type_hints(handler)
        assert hints[command_parameter] is command_class, (command_class, handler.__name__)
