"""No import climbs back up a layer: domain <- services <- adapters/projections <- api <- entrypoints.

Each package may import only the packages ``MAY_IMPORT`` names for it (layers below it), read from the
source with ``ast``, so an import inside a function counts as much as one at the top. The write side
(``services``) and the read side (``projections``) never import each other: both stand on the domain,
and the read side reads the log through ``projections.log_source``; ``entrypoints`` wires them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The one table of allowed edges: a layer and the project packages it may import (besides itself).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "services": frozenset({"domain"}),
    # Adapters and projections are one layer above the services; neither calls the write side's use
    # cases, and the read side uses the adapters (the NATS feeds, the log's format, the SQL engines).
    "adapters": frozenset({"domain"}),
    "projections": frozenset({"domain", "adapters"}),
    "api": frozenset({"domain", "services", "adapters", "projections"}),
    "entrypoints": frozenset({"domain", "services", "adapters", "projections", "api"}),
}


def _imported_packages(path: Path) -> set[str]:
    """The top-level names of the absolute imports in one module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _edges_climbing_up() -> list[str]:
    climbing = []
    for layer, allowed in MAY_IMPORT.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            for imported in sorted(_imported_packages(path) & MAY_IMPORT.keys()):
                if imported != layer and imported not in allowed:
                    climbing.append(f"{path.relative_to(ROOT)} imports {imported}")
    return climbing


def test_every_layer_is_a_package_of_the_tree() -> None:
    assert all((ROOT / layer / "__init__.py").is_file() for layer in MAY_IMPORT)


def test_no_import_climbs_back_up_a_layer() -> None:
    climbing = _edges_climbing_up()
    assert not climbing, "imports that climb back up a layer:\n" + "\n".join(climbing)
