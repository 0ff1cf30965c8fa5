"""The demo as a newcomer runs it: ``python -m demo --check --keep-running`` from an empty folder.

One demo per module (Home Assistant's first start is the slow part): the check's own output, the
UI in a real browser and the clean stop are tests on the same running demo, in that order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import tempfile
import threading

import pytest

from demo.__main__ import READY_LINE
from demo.home_assistant import ha_url

REPO = Path(__file__).resolve().parent.parent.parent
# Failure guards only: a healthy demo is ready in well under a minute, even on a busy machine.
READY_GUARD_S = 900.0
STOP_GUARD_S = 180.0


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole (another run writing the same one at once leaves one of the two)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)  # atomic within the folder
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def free_port() -> int:
    """A port nothing listens on now (on 127.0.0.1 or on every address), for a test's Home
    Assistant: the suite runs beside a real one on 8123, and beside another run of itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DemoProcess:
    """A running demo and everything it has printed so far."""

    proc: subprocess.Popen[str]
    workdir: Path
    ha_url: str
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def ha_log(self) -> Path:
        return self.workdir / "homeassistant.log"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.strip() == READY_LINE:
                self.ready.set()
        self.proc.wait()
        self.finished.set()
        self.ready.set()  # nothing more will come: wake whoever waits

    def stop(self) -> int:
        """Ctrl-C, as a person would; the demo's exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        if not self.finished.wait(STOP_GUARD_S):
            self.proc.kill()
            self.finished.wait(30)
        return int(self.proc.returncode)


def start_demo(workdir: Path, *args: str) -> DemoProcess:
    """``python -m demo`` with ``args`` in its own demo folder, on ports of its own (a free one
    for Home Assistant, any free ones for the bridge); output is collected as it comes."""
    ha_port = free_port()
    ports = ("--ha-port", str(ha_port), "--bridge-port", "0", "--engine-port", "0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", *ports, *args],
        cwd=REPO,
        env={**os.environ, "SMARTSHOP_DEMO_DIR": str(workdir), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    demo = DemoProcess(proc=proc, workdir=workdir, ha_url=ha_url(ha_port))
    threading.Thread(target=demo._read, daemon=True).start()
    return demo


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    """A demo whose check passed and which keeps running for the UI tests."""
    demo = start_demo(tmp_path_factory.mktemp("demo") / "demo", "--check", "--keep-running")
    demo.ready.wait(READY_GUARD_S)
    if demo.proc.poll() is not None or READY_LINE not in demo.output:
        demo.stop()
        pytest.fail(f"the demo did not get ready:\n{demo.output[-4000:]}")
    yield demo
    demo.stop()
