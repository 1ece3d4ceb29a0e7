"""The documents of the API as the Python client reads them, written out as source:
``python -m api.client_documents > clients/python/regiekaart_client/documents.py``.

The client is a distribution of its own, installed by region systems without the service, so it cannot
import ``api.map_documents``; and the map documents are derived from the view structs at import time,
so there is no source to copy. This writes their source from the structs themselves, one field list
for both (a test fails while the written module differs from what this writes). The client's structs
differ on purpose in two ways: they accept fields they do not know (a newer service may add some) and
a coded value is a ``str`` (a newer service may add a code), its known values named beside it.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import textwrap
import types
import typing
import uuid
from typing import Any

import msgspec

from api.map_documents import CooperationMapDocument, OrganisationViewDocument, RegionMapDocument
from api.schemas import CommandAccepted

DOCUMENTS: tuple[type[msgspec.Struct], ...] = (
    RegionMapDocument,
    CooperationMapDocument,
    OrganisationViewDocument,
    CommandAccepted,
)
_PLAIN = {
    str: "str",
    int: "int",
    bool: "bool",
    float: "float",
    type(None): "None",
    datetime.date: "date",
    datetime.datetime: "datetime",
    decimal.Decimal: "Decimal",
    uuid.UUID: "UUID",
}
_HEADER = '''"""The documents of the Regiekaart API as typed structs: the maps and a command's answer.

Written by ``python -m api.client_documents`` from the service's own structs; do not edit by hand.
Fields the service adds later are ignored when decoding, and coded values are ``str``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec
'''


def client_name(cls: type) -> str:
    """``CompactProcurement`` is ``Procurement``, ``RegionMapDocument`` is ``RegionMap``."""
    return cls.__name__.removeprefix("Compact").removesuffix("Document")


class _Writer:
    def __init__(self) -> None:
        self.enums: dict[str, type[enum.Enum]] = {}
        self.structs: list[str] = []
        self.written: set[type] = set()

    def annotation(self, tp: Any) -> str:
        if tp in _PLAIN:
            return _PLAIN[tp]
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            self.enums[tp.__name__] = tp
            return tp.__name__
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            self.struct(tp)
            return client_name(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            return " | ".join(self.annotation(a) for a in args)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{self.annotation(args[0])}, ...]"
        if origin in (tuple, dict, list):
            return f"{origin.__name__}[{', '.join(self.annotation(a) for a in args)}]"
        raise TypeError(f"no client annotation for {tp!r}")

    def default(self, field: msgspec.structs.FieldInfo) -> str | None:
        if field.default_factory is not msgspec.NODEFAULT:
            return f"msgspec.field(default_factory={field.default_factory.__name__})"
        value = field.default
        if value is msgspec.NODEFAULT:
            return None
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, str):
            return f'"{value}"'  # as the formatter writes it
        if isinstance(value, msgspec.Struct):  # a struct at its own defaults (an unknown date)
            assert value == type(value)(), value
            return f"msgspec.field(default_factory={client_name(type(value))})"
        return repr(value)

    def struct(self, cls: type[msgspec.Struct]) -> None:
        if cls in self.written:
            return
        self.written.add(cls)
        lines = []
        for field in msgspec.structs.fields(cls):
            annotation, default = self.annotation(field.type), self.default(field)
            lines.append(
                f"    {field.name}: {annotation}" + ("" if default is None else f" = {default}")
            )
        # The struct's first paragraph, if it has one of its own (not a compact form's).
        paragraph = (cls.__doc__ or "").strip().split("\n\n")[0] if cls.__doc__ else ""
        lines_of_doc = [line.strip() for line in paragraph.splitlines()]
        summary = (
            '    """' + "\n    ".join(lines_of_doc) + '"""\n\n'
            if lines_of_doc and not cls.__name__.startswith("Compact")
            else ""
        )
        self.structs.append(
            f"class {client_name(cls)}(msgspec.Struct, kw_only=True, frozen=True):\n"
            + summary
            + "\n".join(lines)
        )

    def source(self) -> str:
        for document in DOCUMENTS:
            self.struct(document)
        enums = [
            "\n".join(
                [
                    *textwrap.wrap(
                        f"{name}: one of {', '.join(repr(member.value) for member in cls)}",
                        width=96,
                        initial_indent="# ",
                        subsequent_indent="#   ",
                        break_on_hyphens=False,
                    ),
                    f"{name} = str",
                ]
            )
            for name, cls in sorted(self.enums.items())
        ]
        return "\n\n\n".join([_HEADER + "\n" + "\n".join(enums), *self.structs]) + "\n"


def client_documents_source() -> str:
    return _Writer().source()


if __name__ == "__main__":
    print(client_documents_source(), end="")
