"""The Python client (``clients/python``) is a distribution of its own: its map documents are written
from the service's structs and kept current, and it imports nothing of the service."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from api.client_documents import client_documents_source

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "python" / "regiekaart_client"
ALLOWED = {"regiekaart_client", "httpx", "msgspec", "nats", "__future__"}


def test_the_clients_documents_are_those_the_service_serves() -> None:
    written = (CLIENT / "documents.py").read_text(encoding="utf-8")
    assert written == client_documents_source(), (
        "regenerate: python -m api.client_documents > clients/python/regiekaart_client/documents.py"
    )


def test_the_client_imports_only_its_own_dependencies() -> None:
    imported: dict[str, set[str]] = {}
    for path in CLIENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                imported.setdefault(name.partition(".")[0], set()).add(path.name)
    foreign = {
        name: files
        for name, files in imported.items()
        if name not in ALLOWED and name not in sys.stdlib_module_names
    }
    assert not foreign, f"the client imports beyond httpx, msgspec and nats-py: {foreign}"
