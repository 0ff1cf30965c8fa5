"""The bridge's module layers: every import points to a lower layer, so imports never go round.

docs/development.md (Layout) describes the same layers; a new module needs a place in both.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "edge_bridge"

LAYERS: dict[str, int] = {
    "": 0,  # the package itself
    "version": 0,
    "protocol": 0,
    "source_spec": 0,
    "image_decoder": 0,
    "model_files": 0,
    "detect": 0,
    "events": 1,
    "democlip": 0,
    "log_throttle": 0,
    "metrics": 1,
    "tls": 1,
    "settings": 1,
    "embed": 1,
    "config": 2,
    "quality": 2,
    "track": 2,
    "discovery": 2,
    "sources": 2,
    "server_guard": 2,
    "footage": 2,
    "auth": 3,
    "pairing_api": 4,
    "capture": 3,
    "pipeline": 4,
    "api": 5,
    "runtime": 6,
    "__main__": 7,
    "engine.errors": 0,
    "engine.index": 0,
    "engine.rwlock": 0,
    "engine.replay": 1,
    "engine.shapes": 1,
    "engine.sigv4": 1,
    "engine.store": 1,
    "engine.analysis": 1,
    "engine.operations": 2,
    "engine.http_api": 3,
    "engine": 4,
}
# What the engine may use from the bridge, and who may use the engine.
ENGINE_USES = {
    "",
    "detect",
    "embed",
    "image_decoder",
    "log_throttle",
    "metrics",
    "model_files",
    "server_guard",
}
ENGINE_USERS = {"runtime"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(name: str, text: str, known: set[str], *, package: bool = False) -> set[str]:
    """The package's modules that module ``name`` imports (``TYPE_CHECKING`` ones too)."""
    here = name.split(".") if package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join([*base, *([module] if module else [])])
            elif module == "edge_bridge" or module.startswith("edge_bridge."):
                target = module.removeprefix("edge_bridge").lstrip(".")
            else:
                continue
            targets = [target, *(f"{target}.{a.name}".lstrip(".") for a in node.names)]
        elif isinstance(node, ast.Import):
            targets = [
                a.name.removeprefix("edge_bridge").lstrip(".")
                for a in node.names
                if a.name == "edge_bridge" or a.name.startswith("edge_bridge.")
            ]
        found.update(target for target in targets if target in known)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    known = {module_name(p) for p in paths}
    return {
        module_name(p): imports_of(
            module_name(p), p.read_text(encoding="utf-8"), known, package=p.name == "__init__.py"
        )
        for p in paths
    }


def test_every_module_has_a_layer() -> None:
    assert set(import_graph()) == set(LAYERS)


def test_imports_point_to_lower_layers() -> None:
    upward = [
        f"{module} (layer {LAYERS[module]}) imports {target} (layer {LAYERS[target]})"
        for module, targets in import_graph().items()
        for target in sorted(targets)
        if LAYERS[target] >= LAYERS[module]
    ]
    assert upward == []


def test_engine_uses_only_the_bottom_of_the_bridge_and_only_runtime_uses_it() -> None:
    graph = import_graph()
    engine = {name for name in graph if name == "engine" or name.startswith("engine.")}
    for name in engine:
        assert graph[name] - engine <= ENGINE_USES, name
    users = {name for name, targets in graph.items() if targets & engine} - engine
    assert users == ENGINE_USERS


def test_the_checker_sees_every_way_modules_import_each_other() -> None:
    known = set(LAYERS)
    bridge_side = (
        "from typing import TYPE_CHECKING\n"
        "import numpy as np\n"
        "from .settings import BridgeConfig\n"
        "from edge_bridge.engine.store import FaceStore\n"
        "from edge_bridge import democlip\n"
        "import edge_bridge.version\n"
        "if TYPE_CHECKING:\n"
        "    from .runtime import Bridge\n"
    )
    found = imports_of("sample", bridge_side, known)
    assert found == {"", "settings", "engine.store", "democlip", "version", "runtime"}
    engine_side = "from . import errors\nfrom .store import FaceStore\nfrom ..detect import X\n"
    assert imports_of("engine.sample", engine_side, known) == {
        "engine",
        "engine.errors",
        "engine.store",
        "detect",
    }
    assert imports_of("engine", "from .http_api import X\n", known, package=True) == {
        "engine.http_api"
    }
