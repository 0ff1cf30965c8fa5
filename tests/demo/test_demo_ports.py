"""The demo's ports: a taken one is named in one line with what to do, before anything starts;
a kept demo folder's store keeps its bridge on the ports it paired with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import json
import os
from pathlib import Path
import socket
import subprocess
import sys

import pytest

from demo.__main__ import PAIRED_PORTS_FILE
from tests.demo.conftest import REPO

GUARD_S = 120.0  # a failure guard: these runs stop before starting anything


def _demo(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=REPO,
        env={**os.environ, "SMARTSHOP_DEMO_DIR": str(workdir)},
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )


@contextmanager
def held_port(host: str) -> Iterator[int]:
    """A port another program listens on (on loopback, or on every address)."""
    with socket.socket() as busy:
        busy.bind((host, 0))
        busy.listen()
        yield int(busy.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("option", "what", "host"),
    [
        ("--ha-port", "Home Assistant", "0.0.0.0"),  # as a real Home Assistant holds 8123
        ("--ha-port", "Home Assistant", "127.0.0.1"),
        ("--bridge-port", "the bridge API", "127.0.0.1"),
        ("--engine-port", "the engine", "0.0.0.0"),
    ],
)
def test_taken_port_is_one_line_naming_it_and_what_to_do(
    tmp_path: Path, option: str, what: str, host: str
) -> None:
    with held_port(host) as port:
        # The other ports are free ones (Home Assistant's is checked first).
        ports = {"--ha-port": str(_free_port()), "--bridge-port": "0", "--engine-port": "0"}
        ports[option] = str(port)
        done = _demo(tmp_path / "demo", *(item for pair in ports.items() for item in pair))
    assert done.returncode == 1
    assert done.stderr == (
        f"demo failed: port {port} on 127.0.0.1, for {what}, is in use (another demo or "
        f"Home Assistant?): stop that program, or give the demo another port with "
        f"scripts/demo {option} PORT\n"
    )
    assert not (tmp_path / "demo" / "bridge").exists()  # nothing was started


def test_kept_folder_keeps_the_bridge_on_its_paired_ports(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    workdir.mkdir()
    (workdir / PAIRED_PORTS_FILE).write_text(json.dumps({"bridge_api": 8765, "engine": 8766}))
    done = _demo(workdir, "--bridge-port", "0", "--engine-port", "0")
    assert done.returncode == 1
    assert done.stderr == (
        f"demo failed: the store in {workdir} was paired with the bridge on ports 8765 and "
        "8766: run with --bridge-port 8765 --engine-port 8766, or add --reset to start afresh\n"
    )


def test_ports_are_checked_as_numbers(tmp_path: Path) -> None:
    done = _demo(tmp_path / "demo", "--ha-port", "0")
    assert done.returncode == 2
    assert "argument --ha-port: a port is a number 1-65535, not '0'" in done.stderr
