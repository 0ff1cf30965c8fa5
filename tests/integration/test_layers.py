"""The integration's modules sit in layers and import only from lower ones (docs/development.md,
"The road of a sighting"), so imports never go round and entities never reach past the road."""

from __future__ import annotations

import ast
from pathlib import Path

COMPONENT = Path(__file__).parent.parent.parent / "custom_components" / "smartshop"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        # The wire contract shared with the edge bridge, when it is there: standard library only.
        "bridge_protocol",
        "const imaging incidents bridge_client report_pdf",
        "recognition alert_rules cost people usage snapshots compliance audit export_records"
        " permissions text_limits",
        "views watchlist bridge_connection errors database exports console_queries",
        "data",
        "review entity key_rotation person_lookup retention settings_audit console_images"
        " store_access",
        "sighting footage_actions reembed audit_actions erasure find_by_face subject_access"
        " evidence_pack reports",
        "image_processing camera event binary_sensor sensor services repairs diagnostics"
        " flow_schemas",
        "flow_options flow_subentries console_api",
        "config_flow panel",
        "__init__",
    )
)
MODULES = frozenset(path.stem for path in COMPONENT.glob("*.py"))
# Without Home Assistant: the bottom layers but for the modules that store through it.
HOME_ASSISTANT_FREE = (
    LAYERS[0]
    | LAYERS[1]
    | {
        "recognition",
        "alert_rules",
        "cost",
        "audit",
        "export_records",
        "console_queries",
        "report_pdf",
    }
)


def _layer(module: str) -> int:
    return next(number for number, layer in enumerate(LAYERS) if module in layer)


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(package modules imported at run time, outside modules imported) of one module."""
    own: set[str] = set()
    outside: set[str] = set()
    tree = ast.parse((COMPONENT / f"{module}.py").read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            own.add(node.module or "")
        elif isinstance(node, ast.ImportFrom):
            outside.add(node.module or "")
        elif isinstance(node, ast.Import):
            outside |= {alias.name for alias in node.names}
    return own, outside


def test_every_module_has_a_layer() -> None:
    """A new module must be placed in a layer (and in the docs)."""
    placed = frozenset().union(*LAYERS)
    assert placed >= MODULES, sorted(MODULES - placed)


def test_imports_go_down_only() -> None:
    """Each module imports only from lower layers (typing-only imports aside)."""
    for module in sorted(MODULES):
        own, _ = _imports(module)
        for imported in own:
            assert _layer(imported) < _layer(module), f"{module} imports {imported}"


def test_home_assistant_free_modules() -> None:
    """The bottom modules import no Home Assistant (they are tested in tests/core)."""
    for module in sorted(HOME_ASSISTANT_FREE & MODULES):
        _, outside = _imports(module)
        assert not any(name.startswith("homeassistant") for name in outside), module
