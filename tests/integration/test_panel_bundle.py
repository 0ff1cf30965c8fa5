"""The committed panel bundle is what its sources build to, byte for byte.

The bundle is committed (HACS installs ``custom_components/smartshop/`` only), so a change to
``frontend/src`` without ``scripts/build-panel`` — or a hand edit of the bundle — fails here. The
build runs the package's own ``build`` script command with the esbuild that
``frontend/package-lock.json`` pins (``scripts/setup`` installs it), writing to a temporary file.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import shlex
import subprocess

import pytest

ROOT = Path(__file__).parent.parent.parent
FRONTEND = ROOT / "frontend"
BUNDLE = ROOT / "custom_components" / "smartshop" / "frontend" / "smartshop-panel.js"
ESBUILD = FRONTEND / "node_modules" / ".bin" / "esbuild"


def _build_command(outfile: Path) -> list[str]:
    """The ``build`` script's command with its output moved to ``outfile``."""
    script = json.loads((FRONTEND / "package.json").read_text())["scripts"]["build"]
    words = shlex.split(script)
    assert words[0] == "esbuild", script
    outputs = [word for word in words if word.startswith("--outfile=")]
    assert len(outputs) == 1, script
    return [
        str(ESBUILD),
        *(f"--outfile={outfile}" if word.startswith("--outfile=") else word for word in words[1:]),
    ]


def test_installed_esbuild_is_the_locked_one() -> None:
    """frontend/node_modules holds the esbuild the lock file pins (else: scripts/setup)."""
    if not ESBUILD.exists():
        pytest.fail("the panel's build tools are missing: run scripts/setup")
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/esbuild"]["version"]
    installed = json.loads((FRONTEND / "node_modules" / "esbuild" / "package.json").read_text())
    assert installed["version"] == locked, "frontend/node_modules is stale: run scripts/setup"
    declared = json.loads((FRONTEND / "package.json").read_text())["devDependencies"]["esbuild"]
    assert declared == locked


def test_committed_bundle_matches_its_sources(tmp_path: Path) -> None:
    """Building frontend/src again gives the committed bundle, byte for byte."""
    if not ESBUILD.exists():
        pytest.fail("the panel's build tools are missing: run scripts/setup")
    outfile = tmp_path / "smartshop-panel.js"
    result = subprocess.run(
        _build_command(outfile), cwd=FRONTEND, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert outfile.read_bytes() == BUNDLE.read_bytes(), (
        "the committed panel bundle differs from a build of frontend/src: run scripts/build-panel"
    )


def test_bundle_is_one_module_with_lit_inside() -> None:
    """The bundle imports nothing (Lit is bundled in) and defines the panel's element."""
    text = BUNDLE.read_text()
    assert re.search(r"\bimport\s*[{*\"'(]", text) is None, "the bundle imports another module"
    assert '"smartshop-panel"' in text
    assert len(text.splitlines()) < len(text) / 40, "the bundle is minified"
