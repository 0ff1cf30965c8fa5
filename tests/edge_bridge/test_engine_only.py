"""The on-prem engine on its own, started as the README says: four environment variables and
``python -m edge_bridge``. It opens the engine's port and nothing else (no bridge API, no
zeroconf, no pairing), keeps every file under ``SMARTSHOP_ENGINE_DATA``, and two of them run
side by side on one machine."""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import re
import socket
import subprocess
import sys

import boto3
from botocore.config import Config
import pytest

from edge_bridge.tls import ENGINE_CERT_FILE
from tests.edge_bridge.helpers_bridge import GUARD_S
from tests.edge_bridge.test_main import REPO, BridgeProcess

ACCESS_KEY = "SHOPFRONT"
SECRET_KEY = "change-me-long-secret"
TCP_LISTEN = "0A"  # socket state in /proc/net/tcp


def free_port() -> int:
    """A TCP port nothing on this machine listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def engine_env(home: Path, data: Path, port: int) -> dict[str, str]:
    """The README's four variables, and a private HOME (so nothing can land in the real one)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "SMARTSHOP_ENGINE_LISTEN": f"127.0.0.1:{port}",
        "SMARTSHOP_ENGINE_DATA": str(data),
        "SMARTSHOP_ENGINE_ACCESS_KEY": ACCESS_KEY,
        "SMARTSHOP_ENGINE_SECRET_KEY": SECRET_KEY,
    }


def process_sockets(pid: int) -> list[tuple[str, str, int, str]]:
    """(protocol, local address, local port, state) of every IP socket the process holds,
    from its descriptors' socket inodes and the kernel's socket tables."""
    inodes: set[int] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except FileNotFoundError:  # closed meanwhile
            continue
        if match := re.fullmatch(r"socket:\[(\d+)\]", str(target)):
            inodes.add(int(match[1]))
    found: list[tuple[str, str, int, str]] = []
    for protocol in ("tcp", "tcp6", "udp", "udp6"):
        table = Path(f"/proc/{pid}/net/{protocol}").read_text().splitlines()[1:]
        for line in table:
            fields = line.split()
            if int(fields[9]) not in inodes:
                continue
            address, port = fields[1].split(":")
            found.append((protocol, _address(address), int(port, 16), fields[3]))
    return found


def _address(hex_text: str) -> str:
    """An address as /proc/net writes it (32-bit words in host byte order)."""
    raw = bytes.fromhex(hex_text)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words)


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


@pytest.fixture
def engines() -> Iterator[list[BridgeProcess]]:
    started: list[BridgeProcess] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(GUARD_S)


def start_engine(env: dict[str, str], engines: list[BridgeProcess]) -> BridgeProcess:
    process = BridgeProcess(env)
    engines.append(process)
    process.wait_for_line(r"\[edge_bridge\] engine ready$")
    return process


def rekognition(port: int, cert: Path) -> object:
    """The README's boto3 client: HTTPS, verified against the engine's own certificate file."""
    return boto3.client(
        "rekognition",
        endpoint_url=f"https://127.0.0.1:{port}",
        region_name="eu-west-2",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        verify=str(cert),
        config=Config(retries={"max_attempts": 1}, proxies={}),
    )


def test_engine_alone_opens_only_its_port(tmp_path: Path, engines: list[BridgeProcess]) -> None:
    home, data, port = tmp_path / "home", tmp_path / "engine", free_port()
    home.mkdir()
    env = engine_env(home, data, port)
    engine = start_engine(env, engines)

    # The only socket is the engine's listener: no bridge API, no mDNS (UDP) socket.
    assert process_sockets(engine.proc.pid) == [("tcp", "127.0.0.1", port, TCP_LISTEN)]
    log = "\n".join(engine.lines)
    assert f"recognition engine listening on https://127.0.0.1:{port}" in log
    assert "no bridge API, no discovery, no pairing" in log
    for absent in (
        "bridge API listening",
        "zeroconf",
        "advertising",
        "pairing code",
        "bridge ready",
    ):
        assert absent not in log

    # The README's example works as written: HTTPS verified against the engine's certificate.
    client = rekognition(port, data / "tls" / ENGINE_CERT_FILE)
    client.create_collection(CollectionId="theft")  # type: ignore[attr-defined]
    face = (REPO / "tests/fixtures/faces/astronaut.jpg").read_bytes()
    indexed = client.index_faces(  # type: ignore[attr-defined]
        CollectionId="theft", Image={"Bytes": face}, ExternalImageId="person-1"
    )
    assert len(indexed["FaceRecords"]) == 1
    # Still the one socket (plus that client's connection, accepted on the engine's port).
    assert {(s[1], s[2]) for s in process_sockets(engine.proc.pid)} == {("127.0.0.1", port)}

    # No pairing to show: one clear line, nothing written.
    shown = subprocess.run(
        [sys.executable, "-m", "edge_bridge", "--show-pairing-code"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    assert shown.returncode == 2
    assert shown.stderr.startswith("smartshop-bridge: no pairing: the engine runs alone here")
    assert shown.stdout == ""

    assert engine.terminate() == 0
    assert engine.lines[-1].endswith("stopped cleanly")
    # Every file is under SMARTSHOP_ENGINE_DATA; nothing in HOME (no ~/.local/state/...), no
    # pairing code, no paired-clients file anywhere.
    assert files_under(home) == set()
    assert {path.name for path in tmp_path.iterdir()} == {"home", "engine"}
    assert files_under(data) == {
        "engine.sqlite3",
        "engine.lock",
        "tls",
        "tls/engine-cert.pem",
        "tls/engine-key.pem",
    }
    assert SECRET_KEY not in log + engine.stdout


def test_two_engines_on_one_machine(tmp_path: Path, engines: list[BridgeProcess]) -> None:
    """Two standalone engines, one user (one HOME): each has its port and its own files."""
    home = tmp_path / "home"
    home.mkdir()
    first_port, second_port = free_port(), free_port()
    while second_port == first_port:
        second_port = free_port()
    first = start_engine(engine_env(home, tmp_path / "a", first_port), engines)
    second = start_engine(engine_env(home, tmp_path / "b", second_port), engines)
    for engine, port, data in ((first, first_port, "a"), (second, second_port, "b")):
        assert engine.proc.poll() is None
        assert process_sockets(engine.proc.pid) == [("tcp", "127.0.0.1", port, TCP_LISTEN)]
        client = rekognition(port, tmp_path / data / "tls" / ENGINE_CERT_FILE)
        client.create_collection(CollectionId=f"only-{data}")  # type: ignore[attr-defined]
    for engine, data in ((first, "a"), (second, "b")):
        port = first_port if data == "a" else second_port
        client = rekognition(port, tmp_path / data / "tls" / ENGINE_CERT_FILE)
        listed = client.list_collections()["CollectionIds"]  # type: ignore[attr-defined]
        assert listed == [f"only-{data}"]
        assert engine.terminate() == 0
    assert files_under(home) == set()
