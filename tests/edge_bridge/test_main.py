"""``python -m edge_bridge`` as a real process: start from environment variables, answer, stop."""

from __future__ import annotations

from collections.abc import Iterator
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
import pytest

from edge_bridge.auth import ApiKey
from edge_bridge.runtime import Bridge, StartupError
from tests.edge_bridge.helpers_bridge import (
    API_KEY,
    GUARD_S,
    make_config,
    models,
    running_bridge,
)

REPO = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIDBRIDGEMAIN"
SECRET_KEY = "bridge-main-secret-0123456789"
LISTEN_RE = re.compile(r"(bridge API|recognition engine) listening on http://127\.0\.0\.1:(\d+)")


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
        endpoint_url=f"http://127.0.0.1:{ports['recognition engine']}",
        region_name="eu-west-2",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, proxies={}),
    )
    created = rekognition.create_collection(CollectionId="main-test")
    assert created["StatusCode"] == 200
    assert rekognition.list_collections()["CollectionIds"] == ["main-test"]

    key_file = tmp_path / ".local/state/smartshop-bridge/bridge-api-key"
    api_key = key_file.read_text().strip()
    assert api_key not in log  # the key itself is never logged
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    api = f"http://127.0.0.1:{ports['bridge API']}/api/v1"
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{api}/health", timeout=GUARD_S)
    assert refused.value.code == 401
    request = urllib.request.Request(
        f"{api}/health", headers={"Authorization": f"Bearer {api_key}"}
    )
    with opener.open(request, timeout=GUARD_S) as response:
        health = json.load(response)
    assert health["engine"] == {"enabled": True, "port": ports["recognition engine"]}

    assert bridge.terminate() == 0
    assert any("SIGTERM received; shutting down" in line for line in bridge.lines)
    assert bridge.lines[-1].endswith("stopped cleanly")
    assert "Traceback" not in "\n".join(bridge.lines)
    # The pairing code went to stdout once, on the start that generated it.
    assert api_key in bridge.stdout
    assert (tmp_path / "faces").is_dir()


def test_second_start_reuses_the_key_and_sigint_stops_it(
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
    assert first.terminate(signal.SIGINT) == 0
    assert "pairing code" in first.stdout
    second = BridgeProcess(env)
    processes.append(second)
    second.wait_for_line("bridge ready")
    assert any("bridge API key stored in" in line for line in second.lines)
    assert second.terminate() == 0
    assert "pairing code" not in second.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "edge_bridge", "--show-api-key"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=True,
    )
    assert shown.stdout.strip() == (tmp_path / "state/bridge-api-key").read_text().strip()


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
        bridge = Bridge(second, models(), ApiKey(API_KEY, "configuration"))
        with pytest.raises(StartupError, match="in use by another engine process") as info:
            await bridge.start()
        assert "\n" not in str(info.value)
        assert bridge.api_port is not None  # its API had started, and was stopped again
