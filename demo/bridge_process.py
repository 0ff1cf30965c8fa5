"""Start and stop an edge bridge as a real subprocess (for the demo and the end-to-end tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib
import os
from pathlib import Path
import re
import signal
import ssl
import subprocess
import sys
import time
from typing import IO

import yaml

from edge_bridge import democlip
from edge_bridge.tls import CERT_FILE

REPO = Path(__file__).resolve().parent.parent
LISTEN_RE = re.compile(r"(bridge API|recognition engine) listening on https://[^:]+:(\d+)")
CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}\b")


class BridgeStartError(RuntimeError):
    """The bridge did not come up; the message carries its last log lines."""


@dataclass
class RunningBridge:
    """A bridge subprocess and where it listens."""

    proc: subprocess.Popen[bytes]
    bridge_id: str
    host: str
    api_port: int
    engine_port: int
    log_path: Path
    config_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pairing_code(self) -> str:
        """The bridge's unused pairing code (a new one once the last was used), from its CLI."""
        return show_pairing_code(self.config_path)

    @property
    def cert_sha256(self) -> bytes:
        """The pin of the certificate the bridge serves."""
        config = yaml.safe_load(self.config_path.read_text())
        return certificate_sha256(Path(config["data_dir"]) / "tls" / CERT_FILE)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return int(self.proc.returncode)


def demo_clip(cache: Path) -> Path:
    """The demo clip (public-domain faces), generated once into ``cache``."""
    clip = cache / democlip.CLIP_NAME
    if not (cache / democlip.SCHEDULE_NAME).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        democlip.generate(cache)
    return clip


def show_pairing_code(config_path: Path) -> str:
    """Run ``python -m edge_bridge --show-pairing-code`` for this configuration."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "edge_bridge", "--config", str(config_path), "--show-pairing-code"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    found = CODE_RE.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise BridgeStartError(f"no pairing code from the bridge: {done.stderr.strip()}")
    return found[0]


def certificate_sha256(cert_path: Path) -> bytes:
    """SHA-256 of a PEM certificate's DER form (the pin)."""
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text())
    return hashlib.sha256(der).digest()


def write_config(
    workdir: Path,
    *,
    bridge_id: str,
    clip: Path,
    legacy_api_key: str | None = None,
    host: str = "127.0.0.1",
    api_port: int = 0,
    engine_port: int = 0,
    camera_name: str = "Front door",
    location: str = "Entrance",
    visit_gap_s: float = 4.0,
    camera_id: str = "front-door",
) -> Path:
    """A bridge configuration that reads the clip as one looping camera, on loopback.

    ``legacy_api_key`` configures the key of a bridge paired before TLS (to test migration).
    """
    api: dict[str, object] = {"listen": f"{host}:{api_port}"}
    if legacy_api_key:
        api["api_key"] = legacy_api_key
    config = {
        "bridge_id": bridge_id,
        "data_dir": str(workdir / "data"),
        "log_level": "info",
        "api": api,
        "engine": {"listen": f"{host}:{engine_port}", "region": "eu-west-2"},
        "discovery": {"enabled": False},
        # The clip lasts seconds and loops: a person gone for 4 s is a new visit (default 300 s).
        "visits": {"visit_gap_s": visit_gap_s},
        "cameras": [
            {
                "id": camera_id,
                "name": camera_name,
                "location": location,
                "source": f"file:{clip}",
                "loop": True,
            }
        ],
    }
    path = workdir / "bridge.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_bridge(
    config_path: Path, *, bridge_id: str, host: str = "127.0.0.1", within: float = 90
) -> RunningBridge:
    """Run ``python -m edge_bridge --config`` and wait until both listeners are up."""
    log_path = config_path.with_suffix(".log")
    log = log_path.open("wb")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "edge_bridge", "--config", str(config_path)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + within
    ports: dict[str, int] = {}
    while time.monotonic() < deadline and len(ports) < 2:
        if proc.poll() is not None:
            break
        time.sleep(0.2)
        ports = {m[1]: int(m[2]) for m in LISTEN_RE.finditer(log_path.read_text(errors="replace"))}
    if len(ports) < 2:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise BridgeStartError(f"the bridge did not start (exit {proc.returncode}):\n{tail}")
    return RunningBridge(
        proc=proc,
        bridge_id=bridge_id,
        host=host,
        api_port=ports["bridge API"],
        engine_port=ports["recognition engine"],
        log_path=log_path,
        config_path=config_path,
        _log=log,
    )
