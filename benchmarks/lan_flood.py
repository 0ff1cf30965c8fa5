"""LAN flood (issue 10): can one device on the shop LAN knock the engine over?

Starts the recognition engine in its own process (over TLS with the bridge's certificate when
``edge_bridge/tls.py`` is present, else plain HTTP; ``--plain`` forces HTTP), enrols one face,
then, from a second loopback address (127.0.0.2, "the other device"):

* holds ``--idle`` idle connections (reopened whenever the engine closes one), and
* sends ``--bodies`` unsigned requests at once, each declaring an 8 MB body
  (``Content-Length``) and sending it slowly (64 KB every 100 ms), reopened when answered,

while a signed boto3 client on 127.0.0.1 runs SearchFacesByImage in a loop for ``--seconds``.
Prints one JSON document: the client's p50/p95 latency, successes and failures, the engine's
RSS before and its peak growth during the flood (VmHWM, reset before the flood; root needed to
reset, otherwise the peak since start), and what the flood saw (answers, closed connections).

Run from the repository root: ``.venv/bin/python -m benchmarks.lan_flood [--seconds 30]``
(``--check``: exit 1 when a search failed or the engine grew by 100 MB or more; ``scripts/test``
runs it so);
``--engine-root DIR`` runs the engine of another checkout (``git worktree add DIR <commit>``) to
compare with older code.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
import contextlib
import json
import os
from pathlib import Path
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import boto3
from botocore.config import Config
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "faces" / "astronaut.jpg"
ACCESS_KEY = "AKIDLANFLOOD"
SECRET_KEY = "lan-flood-secret-0123456789abcdef"
ATTACKER = "127.0.0.2"
MB = 1024 * 1024
GROWTH_TARGET_MB = 100

_ENGINE = """
import sys
from pathlib import Path
from edge_bridge.engine import EngineConfig, EngineThread
data, key, secret, tls = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "tls"
context = None
if tls:
    from edge_bridge.tls import load_or_create_certificate
    context = load_or_create_certificate(data / "tls").server_context()
config = EngineConfig(data_dir=data / "engine", credentials={key: secret}, region="us-east-1")
with EngineThread(config, **({"ssl_context": context} if context else {})) as engine:
    print(engine.port, flush=True)
    sys.stdin.read()
"""


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


@contextlib.contextmanager
def engine_process(data: Path, tls: bool, root: Path = ROOT) -> Iterator[tuple[int, int]]:
    """(port, pid) of an engine in its own process, run from the checkout at ``root``."""
    env = dict(os.environ, MALLOC_ARENA_MAX=os.environ.get("MALLOC_ARENA_MAX", "2"))
    process = subprocess.Popen(
        [sys.executable, "-c", _ENGINE, str(data), ACCESS_KEY, SECRET_KEY, "tls" if tls else ""],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=root,
        env=env,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        port = int(process.stdout.readline())
        yield port, process.pid
    finally:
        process.stdin.close()
        process.wait(60)


class Flood:
    """The other device: idle connections and slow unsigned 8 MB bodies, kept up in threads."""

    def __init__(self, port: int, tls: bool, idle: int, bodies: int) -> None:
        self.port = port
        self.context: ssl.SSLContext | None = None
        if tls:
            self.context = ssl.create_default_context()
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        self.idle = idle
        self.bodies = bodies
        self.stop = threading.Event()
        self.counts = {"idle_closed": 0, "bodies_answered": 0, "bodies_closed": 0, "errors": 0}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._hold_idle, daemon=True),
            threading.Thread(target=self._send_bodies, daemon=True),
        ]

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(
                ("127.0.0.1", self.port), timeout=10, source_address=(ATTACKER, 0)
            )
            if self.context is not None:
                sock = self.context.wrap_socket(sock)
            sock.setblocking(False)
        except OSError:
            self.count("errors")
            return None
        return sock

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(30)

    def _hold_idle(self) -> None:
        selector = selectors.DefaultSelector()
        open_count = 0
        while not self.stop.is_set():
            while open_count < self.idle and not self.stop.is_set():
                sock = self.connect()
                if sock is None:
                    break
                selector.register(sock, selectors.EVENT_READ)
                open_count += 1
            for key, _ in selector.select(0.2):
                held = key.fileobj
                assert isinstance(held, socket.socket)
                try:
                    data = held.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(held)
                    held.close()
                    open_count -= 1
                    self.count("idle_closed")
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()

    def _send_bodies(self) -> None:
        head = (
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-amz-json-1.1\r\n"
            "X-Amz-Target: RekognitionService.SearchFacesByImage\r\n"
            f"Content-Length: {8 * 1000 * 1000}\r\n\r\n"
        ).encode()
        chunk = b"A" * 65536
        selector = selectors.DefaultSelector()
        sent: dict[socket.socket, int] = {}

        def open_one() -> None:
            sock = self.connect()
            if sock is None:
                return
            try:
                sock.send(head)
            except OSError:
                sock.close()
                self.count("errors")
                return
            sent[sock] = 0
            selector.register(sock, selectors.EVENT_READ)

        def drop(sock: socket.socket) -> None:
            selector.unregister(sock)
            sent.pop(sock, None)
            sock.close()

        while not self.stop.is_set():
            while len(sent) < self.bodies and not self.stop.is_set():
                before = len(sent)
                open_one()
                if len(sent) == before:
                    break
            for key, _ in selector.select(0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                except OSError:
                    data = b""
                self.count("bodies_answered" if data else "bodies_closed")
                drop(sock)
            for sock in list(sent):  # the slow part: 64 KB per connection every 100 ms
                try:
                    sock.send(chunk)
                    sent[sock] += len(chunk)
                except (ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except OSError:
                    self.count("bodies_closed")
                    drop(sock)
        for sock in list(sent):
            drop(sock)
        selector.close()


def percentile(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000.0, q)), 1) if samples else -1.0


def run(seconds: float, idle: int, bodies: int, plain: bool, root: Path = ROOT) -> dict[str, Any]:
    tls = not plain and (root / "edge_bridge" / "tls.py").is_file()
    face = FIXTURE.read_bytes()
    with (
        tempfile.TemporaryDirectory() as tmp,
        engine_process(Path(tmp), tls, root) as (port, pid),
    ):
        scheme = "https" if tls else "http"
        client = boto3.client(
            "rekognition",
            endpoint_url=f"{scheme}://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            verify=False,  # the bridge's self-signed certificate; the benchmark measures load
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}, proxies={}),
        )
        client.create_collection(CollectionId="flood")
        client.index_faces(CollectionId="flood", Image={"Bytes": face})

        def search() -> None:
            client.search_faces_by_image(CollectionId="flood", Image={"Bytes": face})

        for _ in range(5):
            search()
        calm: list[float] = []
        for _ in range(30):
            started = time.perf_counter()
            search()
            calm.append(time.perf_counter() - started)
        rss_before = status_kb(pid, "VmRSS")
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM (root)
            peak_reset = True
        except OSError:
            peak_reset = False

        flood = subprocess.Popen(  # its own process: no GIL shared with the client
            [
                sys.executable,
                "-m",
                "benchmarks.lan_flood",
                "--flood-port",
                str(port),
                "--idle",
                str(idle),
                "--bodies",
                str(bodies),
                *([] if tls else ["--plain"]),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        assert flood.stdout is not None and flood.stdin is not None
        assert flood.stdout.readline().strip() == "flooding"
        latencies: list[float] = []
        failures: dict[str, int] = {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                search()
            except Exception as err:  # counted, the loop goes on
                name = type(err).__name__
                failures[name] = failures.get(name, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
        peak = status_kb(pid, "VmHWM")
        flood_counts = json.loads(flood.communicate("", timeout=120)[0])
        return {
            "tls": tls,
            "seconds": seconds,
            "flood": {"idle_connections": idle, "slow_8mb_bodies": bodies, **flood_counts},
            "search_without_flood": {
                "p50_ms": percentile(calm, 50),
                "p95_ms": percentile(calm, 95),
            },
            "search_under_flood": {
                "successes": len(latencies),
                "failures": failures,
                "p50_ms": percentile(latencies, 50),
                "p95_ms": percentile(latencies, 95),
            },
            "engine_rss_mb": {
                "before": round(rss_before / 1024, 1),
                "peak_growth": round((peak - rss_before) / 1024, 1),
                "peak_reset": peak_reset,
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--bodies", type=int, default=100)
    parser.add_argument("--plain", action="store_true", help="HTTP even when TLS is available")
    parser.add_argument(
        "--engine-root",
        type=Path,
        default=ROOT,
        help="run the engine from another checkout (e.g. a git worktree of an older commit)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless every search succeeded and the engine grew by less than 100 MB",
    )
    parser.add_argument("--flood-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood_port:  # the flood's own process: run until stdin closes, print the counts
        flood = Flood(args.flood_port, not args.plain, args.idle, args.bodies)
        flood.start()
        print("flooding", flush=True)
        sys.stdin.read()
        flood.join()
        print(json.dumps(flood.counts))
        return
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    result = run(args.seconds, args.idle, args.bodies, args.plain, args.engine_root.resolve())
    print(json.dumps(result, indent=2))
    if args.check:
        problems = check_targets(result)
        for problem in problems:
            print(f"lan_flood: target missed: {problem}", file=sys.stderr)
        if problems:
            sys.exit(1)
        print("lan_flood: targets met (every search succeeded, engine growth < 100 MB)")


def check_targets(result: dict[str, Any]) -> list[str]:
    """The issue's targets, which depend on no clock: searches succeed, memory stays bounded."""
    problems = []
    searches = result["search_under_flood"]
    if searches["failures"] or not searches["successes"]:
        problems.append(
            f"{searches['successes']} searches succeeded, failures: {searches['failures']}"
        )
    growth = result["engine_rss_mb"]["peak_growth"]
    if growth >= GROWTH_TARGET_MB:
        problems.append(f"engine memory grew {growth} MB (target < {GROWTH_TARGET_MB} MB)")
    return problems


if __name__ == "__main__":
    main()
