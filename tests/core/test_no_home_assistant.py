"""The tests here, and the integration modules they test, stay free of Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE_TESTS = Path(__file__).parent
COMPONENT = CORE_TESTS.parent.parent / "custom_components" / "smartshop"
PACKAGE = "custom_components.smartshop"


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved inside the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = f"{PACKAGE}.{node.module or ''}" if node.level else node.module or ""
            names.add(base.rstrip("."))
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def _component_module(name: str) -> Path | None:
    if not name.startswith(f"{PACKAGE}."):
        return None
    path = COMPONENT / f"{name.removeprefix(f'{PACKAGE}.').split('.')[0]}.py"
    return path if path.is_file() else None


@pytest.mark.parametrize(
    "test_file",
    sorted(path for path in CORE_TESTS.glob("test_*.py") if path.name != Path(__file__).name),
    ids=lambda path: path.stem,
)
def test_no_home_assistant_on_the_way(test_file: Path) -> None:
    """A core test imports no Home Assistant, nor any integration module that does (however
    indirectly)."""
    seen: set[Path] = set()
    todo = [test_file]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            assert not name.startswith("homeassistant"), f"{path.name} imports {name}"
            if (module := _component_module(name)) is not None:
                todo.append(module)
    assert len(seen) > 1, "the test imports the module it tests"
