"""``python -m edge_bridge`` as a real process: start from environment variables, answer, stop."""

from __future__ import annotations

from collections.abc import Iterator
import http.client
import itertools
import json
import os
from pathlib import Path
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading

import boto3
from botocore.config import Config
import pytest

from edge_bridge.protocol import (
    PAIR_PATH,
    PairedCredentials,
    PairingCode,
    PairRequest,
    PairResponse,
    bridge_proof,
    certificate_sha256,
    client_proof,
    new_nonce,
    proofs_equal,
)
from edge_bridge.runtime import StartupError
from tests.edge_bridge.helpers_bridge import (
    GUARD_S,
    make_config,
    running_bridge,
    start_test_bridge,
)

REPO = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIDBRIDGEMAIN"
SECRET_KEY = "bridge-main-secret-0123456789"
LISTEN_RE = re.compile(r"(bridge API|recognition engine) listening on https://127\.0\.0\.1:(\d+)")
CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}\b")


class BridgeProcess:
    """A bridge subprocess whose stderr is collected line by line."""

    def __init__(self, env: dict[str, str], args: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge_bridge", *(args or [])],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.stdout = ""
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        try:
            for line in self.proc.stderr:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._ended = True  # the process closed stderr: it has exited
                self._changed.notify_all()

    def wait_for_line(self, pattern: str, within: float = GUARD_S) -> re.Match[str]:
        """The first stderr line matching ``pattern``, waiting for it while the process runs."""
        regex = re.compile(pattern)
        with self._changed:
            self._changed.wait_for(
                lambda: self._ended or any(map(regex.search, self.lines)), within
            )
            for line in self.lines:
                if match := regex.search(line):
                    return match
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines))

    def ports(self) -> dict[str, int]:
        found = {}
        for line in self.lines:
            match = LISTEN_RE.search(line)
            if match:
                found[match[1]] = int(match[2])
        return found

    def terminate(self, sig: int = signal.SIGTERM, within: float = GUARD_S) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(within)
        self._reader.join(within)
        assert not self._reader.is_alive()  # every line the process wrote has been read
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()
        return code


def _base_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}


@pytest.fixture
def processes() -> Iterator[list[BridgeProcess]]:
    started: list[BridgeProcess] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(GUARD_S)


def test_starts_from_environment_variables_answers_and_stops_on_sigterm(
    tmp_path: Path, processes: list[BridgeProcess]
) -> None:
    env = {
        **_base_env(tmp_path),
        "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:0",
        "SMARTSHOP_ENGINE_DATA": str(tmp_path / "faces"),
        "SMARTSHOP_ENGINE_ACCESS_KEY": ACCESS_KEY,
        "SMARTSHOP_ENGINE_SECRET_KEY": SECRET_KEY,
        # Not needed to start; here only to keep the test on loopback (the defaults listen on
        # all interfaces and advertise over multicast DNS).
        "SMARTSHOP_BRIDGE_LISTEN": "127.0.0.1:0",
        "SMARTSHOP_DISCOVERY": "false",
    }
    bridge = BridgeProcess(env)
    processes.append(bridge)
    bridge.wait_for_line(r"bridge ready")
    ports = bridge.ports()
    assert set(ports) == {"bridge API", "recognition engine"}
    assert ports["bridge API"] != ports["recognition engine"]

    log = "\n".join(bridge.lines)
    assert "0 camera(s): none" in log
    assert re.search(r"detector model .* sha256 [0-9a-f]{64}", log)
    assert re.search(r"recognizer model .* sha256 [0-9a-f]{64}", log)
    assert SECRET_KEY not in log

    rekognition = boto3.client(
        "rekognition",
        endpoint_url=f"https://127.0.0.1:{ports['recognition engine']}",
        region_name="eu-west-2",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        verify=False,  # the pin is checked by the integration's client; here TLS is enough
        config=Config(retries={"max_attempts": 1}, proxies={}),
    )
    created = rekognition.create_collection(CollectionId="main-test")
    assert created["StatusCode"] == 200
    assert rekognition.list_collections()["CollectionIds"] == ["main-test"]

    # The pairing code is not on stdout (a journal or `docker logs` would keep it) ...
    assert any("--show-pairing-code" in line for line in bridge.lines)
    shown = _cli(env, "--show-pairing-code")
    code = PairingCode.parse(CODE_RE.search(shown)[0])  # type: ignore[index]
    credentials = _pair(ports["bridge API"], code)
    api = "/api/v1"
    assert _https(ports["bridge API"], "GET", f"{api}/health")[0] == 401
    status, body, _ = _https(
        ports["bridge API"],
        "GET",
        f"{api}/health",
        headers={"Authorization": f"Bearer {credentials.api_token}"},
    )
    assert status == 200
    assert json.loads(body)["engine"] == {"enabled": True, "port": ports["recognition engine"]}

    assert bridge.terminate() == 0
    assert any("SIGTERM received; shutting down" in line for line in bridge.lines)
    assert bridge.lines[-1].endswith("stopped cleanly")
    assert "Traceback" not in "\n".join(bridge.lines)
    # ... and no secret is in any of its output.
    tls_key = max(
        (tmp_path / ".local/state/smartshop-bridge/tls/bridge-key.pem").read_text().split(), key=len
    )
    output = "\n".join(bridge.lines) + bridge.stdout
    for secret in (
        str(code),
        code.secret.hex(),
        credentials.api_token,
        credentials.engine_secret_access_key,
        SECRET_KEY,
        tls_key,
    ):
        assert secret not in output
    assert (tmp_path / "faces").is_dir()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "edge_bridge", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=True,
    )
    return done.stdout


def _https(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """One request over TLS; returns the status, the body and the certificate the server sent."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # checked below by pin, like the integration does
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=GUARD_S)
    try:
        connection.connect()
        assert isinstance(connection.sock, ssl.SSLSocket)
        der = connection.sock.getpeercert(binary_form=True)
        assert der is not None
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), der
    finally:
        connection.close()


def _pair(port: int, code: PairingCode) -> PairedCredentials:
    """Pair as a client does: check the certificate against the code, prove, check the proof."""
    _, _, der = _https(port, "GET", "/")
    seen = certificate_sha256(der)
    assert code.matches_certificate(seen)
    nonce = new_nonce()
    request = PairRequest("test", nonce, client_proof(code.secret, seen, nonce))
    status, body, der_again = _https(
        port,
        "POST",
        PAIR_PATH,
        json.dumps(request.to_wire()).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    assert der_again == der
    answer = PairResponse.from_wire(json.loads(body))
    assert proofs_equal(answer.proof, bridge_proof(code.secret, seen, nonce, answer.credentials))
    return answer.credentials


def test_second_start_keeps_certificate_and_pairing_state(
    tmp_path: Path, processes: list[BridgeProcess]
) -> None:
    env = {
        **_base_env(tmp_path),
        "SMARTSHOP_DATA": str(tmp_path / "state"),
        "SMARTSHOP_BRIDGE_LISTEN": "127.0.0.1:0",
        "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:0",  # not the default port: it may be in use
        "SMARTSHOP_DISCOVERY": "0",
    }
    first = BridgeProcess(env)
    processes.append(first)
    first.wait_for_line("bridge ready")
    fingerprint = first.wait_for_line(r"TLS certificate SHA-256 ([0-9A-F:]{95})")[1]
    port = first.ports()["bridge API"]
    code = PairingCode.parse(CODE_RE.search(_cli(env, "--show-pairing-code"))[0])  # type: ignore[index]
    # Showing it again gives the same unused code; pairing uses it up.
    assert str(code) in _cli(env, "--show-pairing-code")
    credentials = _pair(port, code)
    assert first.terminate(signal.SIGINT) == 0
    assert "pairing code" not in first.stdout  # not a terminal: never printed

    second = BridgeProcess(env)
    processes.append(second)
    second.wait_for_line("bridge ready")
    assert second.wait_for_line(r"TLS certificate SHA-256 ([0-9A-F:]{95})")[1] == fingerprint
    assert any("1 paired client(s)" in line for line in second.lines)
    port = second.ports()["bridge API"]
    headers = {"Authorization": f"Bearer {credentials.api_token}"}
    assert _https(port, "GET", "/api/v1/info", headers=headers)[0] == 200
    listed = _cli(env, "--list-clients")
    assert credentials.client_id in listed
    assert credentials.api_token not in listed
    assert str(code) not in _cli(env, "--show-pairing-code")  # used: a new one is made
    assert "revoked client" in _cli(env, "--revoke", credentials.client_id)
    assert _https(port, "GET", "/api/v1/info", headers=headers)[0] == 401
    assert second.terminate() == 0


def test_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            **_base_env(tmp_path),
            "SMARTSHOP_DATA": str(tmp_path / "state"),
            "SMARTSHOP_BRIDGE_LISTEN": f"127.0.0.1:{port}",
            "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:0",
            "SMARTSHOP_DISCOVERY": "false",
        }
        result = subprocess.run(
            [sys.executable, "-m", "edge_bridge"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=GUARD_S,
            check=False,
        )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("smartshop-bridge:")]
    assert len(errors) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in errors[0]
    assert "Traceback" not in result.stderr


def test_wrong_model_override_is_a_one_line_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"not a model")
    config = tmp_path / "bridge.yaml"
    config.write_text(f"models: {{detector: {fake}}}\ndiscovery: {{enabled: false}}\n")
    env = {
        **_base_env(tmp_path),
        "SMARTSHOP_DATA": str(tmp_path / "state"),
        "SMARTSHOP_BRIDGE_LISTEN": "127.0.0.1:0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "edge_bridge", "--config", str(config)],
        cwd=REPO,
        env={**env, "SMARTSHOP_CAMERA_DOOR": str(REPO / "tests" / "fixtures" / "faces")},
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("smartshop-bridge:")]
    assert len(errors) == 1
    assert "cannot load the face models" in errors[0]
    assert "Traceback" not in result.stderr


async def test_second_bridge_on_the_same_face_database_is_refused(tmp_path: Path) -> None:
    """Two bridges must not share one recognition database (e.g. an old process lingering)."""
    recognition = {
        "enabled": True,
        "listen": "127.0.0.1:0",
        "data_dir": str(tmp_path / "faces"),
        "credentials": [{"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}],
    }
    first = make_config(tmp_path / "a", engine=recognition)
    second = make_config(tmp_path / "b", engine=recognition)
    async with running_bridge(first) as running:
        assert running.engine_port
        bridge = start_test_bridge(second)
        with pytest.raises(StartupError, match="in use by another engine process") as info:
            await bridge.start()
        assert "\n" not in str(info.value)
        assert bridge.api_port is not None  # its API had started, and was stopped again


def test_no_acknowledged_face_is_lost_when_killed_during_indexing(
    tmp_path: Path, processes: list[BridgeProcess]
) -> None:
    """SIGKILL while IndexFaces requests are in flight: every face the engine acknowledged is
    there after a restart (the database commits before it answers)."""
    env = {
        **_base_env(tmp_path),
        "SMARTSHOP_DATA": str(tmp_path / "state"),
        "SMARTSHOP_BRIDGE_LISTEN": "127.0.0.1:0",
        "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:0",
        "SMARTSHOP_ENGINE_ACCESS_KEY": ACCESS_KEY,
        "SMARTSHOP_ENGINE_SECRET_KEY": SECRET_KEY,
        "SMARTSHOP_DISCOVERY": "false",
    }
    image = (REPO / "tests/fixtures/faces/grace_hopper.jpg").read_bytes()

    def engine(process: BridgeProcess) -> object:
        process.wait_for_line("bridge ready")
        return boto3.client(
            "rekognition",
            endpoint_url=f"https://127.0.0.1:{process.ports()['recognition engine']}",
            region_name="eu-west-2",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            verify=False,
            config=Config(retries={"max_attempts": 1}, proxies={}),
        )

    first = BridgeProcess(env)
    processes.append(first)
    client = engine(first)
    client.create_collection(CollectionId="durable")  # type: ignore[attr-defined]
    acknowledged: list[str] = []
    enough = threading.Event()

    def index_until_killed(worker: int) -> None:
        for request in itertools.count():
            try:
                answer = client.index_faces(  # type: ignore[attr-defined]
                    CollectionId="durable",
                    Image={"Bytes": image},
                    ExternalImageId=f"worker{worker}-{request}",
                    MaxFaces=1,
                )
            except Exception:  # the process was killed: the end of this loop
                return
            acknowledged.extend(r["Face"]["FaceId"] for r in answer["FaceRecords"])
            if len(acknowledged) >= 12:
                enough.set()

    workers = [threading.Thread(target=index_until_killed, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    assert enough.wait(GUARD_S)
    first.proc.kill()  # with requests of three workers in flight
    first.proc.wait(GUARD_S)
    for worker in workers:
        worker.join(GUARD_S)
    assert len(acknowledged) >= 12

    second = BridgeProcess(env)
    processes.append(second)
    listed = engine(second).list_faces(CollectionId="durable", MaxResults=4096)  # type: ignore[attr-defined]
    stored = {face["FaceId"] for face in listed["Faces"]}
    assert set(acknowledged) <= stored
    assert second.terminate() == 0
