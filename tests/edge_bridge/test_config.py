"""Bridge configuration: environment only, YAML, overrides and every kind of mistake."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

from edge_bridge.config import (
    DEFAULT_BRIDGE_PORT,
    ConfigError,
    build_config,
    load_config,
    parse_listen,
)
from edge_bridge.settings import Listen
from edge_bridge.source_spec import SourceSpec
from tests.edge_bridge.helpers_bridge import GUARD_S

REPO = Path(__file__).resolve().parents[2]
ENGINE_ENV = {
    "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:9100",
    "SMARTSHOP_ENGINE_DATA": "/srv/smartshop/faces",
    "SMARTSHOP_ENGINE_ACCESS_KEY": "AKIDEXAMPLE",
    "SMARTSHOP_ENGINE_SECRET_KEY": "example-secret-123",
}


def test_four_environment_variables_enable_the_recognition_service(tmp_path: Path) -> None:
    config = load_config(None, {**ENGINE_ENV, "HOME": str(tmp_path)})
    assert config.mode == "engine"  # the engine alone: no bridge API, discovery or pairing
    assert config.engine_only
    assert "SMARTSHOP_ENGINE_DATA and an engine key pair" in config.mode_reason
    assert config.engine.enabled
    assert config.engine.listen == Listen("127.0.0.1", 9100)
    assert config.engine.data_dir == Path("/srv/smartshop/faces")
    assert dict(config.engine.credentials) == {"AKIDEXAMPLE": "example-secret-123"}
    assert config.cameras == ()
    assert config.api.listen == Listen("0.0.0.0", DEFAULT_BRIDGE_PORT)
    assert config.api.api_key is None
    assert config.data_dir == tmp_path / ".local/state/smartshop-bridge"
    assert config.source == "environment"
    # Secrets never show up in the repr (and so never in a log of the config object).
    assert "example-secret-123" not in repr(config)


@pytest.mark.parametrize(
    ("extra", "data"),
    [
        ({"SMARTSHOP_BRIDGE_LISTEN": "127.0.0.1:0"}, {}),
        ({"SMARTSHOP_DATA": "/srv/bridge"}, {}),
        ({"SMARTSHOP_BRIDGE_ID": "shop-1"}, {}),
        ({"SMARTSHOP_DISCOVERY": "false"}, {}),
        ({"SMARTSHOP_FOOTAGE_MINUTES": "0"}, {}),
        ({"SMARTSHOP_BRIDGE_API_KEY": "a-configured-key-0123456789"}, {}),
        ({"SMARTSHOP_CAMERA_FRONT": "usb:0"}, {}),
        ({"SMARTSHOP_MODE": "bridge"}, {}),
        ({}, {"log_level": "debug"}),
        ({}, {"mode": "Bridge"}),
    ],
    ids=[
        "bridge listen",
        "bridge data",
        "bridge id",
        "discovery",
        "footage",
        "legacy key",
        "camera",
        "mode env",
        "yaml setting",
        "mode yaml",
    ],
)
def test_any_bridge_setting_keeps_the_whole_bridge(
    tmp_path: Path, extra: dict[str, str], data: dict[str, Any]
) -> None:
    """The engine runs alone only when nothing but the engine is configured."""
    config = build_config(data, {**ENGINE_ENV, "HOME": str(tmp_path), **extra})
    assert config.mode == "bridge"
    assert not config.engine_only


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({k: v for k, v in ENGINE_ENV.items() if k != "SMARTSHOP_ENGINE_DATA"}, "no data dir"),
        ({"SMARTSHOP_ENGINE_DATA": "/srv/faces"}, "no key pair"),
        ({}, "nothing"),
    ],
)
def test_engine_alone_needs_its_data_directory_and_a_key_pair(
    tmp_path: Path, env: dict[str, str], why: str
) -> None:
    assert build_config({}, {**env, "HOME": str(tmp_path)}).mode == "bridge", why


def test_engine_mode_asked_for_explicitly(tmp_path: Path) -> None:
    """``SMARTSHOP_MODE=engine`` (or ``mode: engine``) runs the engine alone even with other
    settings; without an engine data directory its files go under the bridge's."""
    env = {
        "HOME": str(tmp_path),
        "SMARTSHOP_MODE": "ENGINE",
        "SMARTSHOP_DATA": str(tmp_path / "state"),
        "SMARTSHOP_ENGINE_ACCESS_KEY": "AKIDEXAMPLE",
        "SMARTSHOP_ENGINE_SECRET_KEY": "example-secret-123",
    }
    config = build_config({}, env)
    assert config.engine_only
    assert config.mode_reason == "SMARTSHOP_MODE is engine"
    assert config.engine.data_dir == tmp_path / "state" / "engine"
    from_yaml = build_config(
        {
            "mode": "engine",
            "engine": {"credentials": [{"access_key": "YAMLKEY", "secret_key": "yaml-secret"}]},
        },
        {"HOME": str(tmp_path)},
    )
    assert from_yaml.engine_only
    assert from_yaml.mode_reason == "mode is engine"
    # The environment wins over the file.
    assert not build_config({"mode": "engine"}, {"SMARTSHOP_MODE": "bridge"}).engine_only


ENGINE_MODE_CASES: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    ("bad mode", {}, {"SMARTSHOP_MODE": "camera"}, "SMARTSHOP_MODE: must be 'bridge' or"),
    ("bad yaml mode", {"mode": "both"}, {}, "mode: must be 'bridge' or 'engine', got 'both'"),
    ("no key pair", {"mode": "engine"}, {}, "engine.credentials: the engine runs alone here"),
    (
        "cameras",
        {"mode": "engine", "cameras": [{"id": "a", "source": 0}]},
        ENGINE_ENV,
        "cameras: the engine runs alone here (mode is engine) and reads no camera",
    ),
    (
        "engine off",
        {"engine": {"enabled": False}},
        {**ENGINE_ENV, "SMARTSHOP_MODE": "engine"},
        "engine.enabled: the engine runs alone here",
    ),
]


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [c[1:] for c in ENGINE_MODE_CASES],
    ids=[c[0] for c in ENGINE_MODE_CASES],
)
def test_engine_mode_mistakes_are_refused(
    data: dict[str, Any], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(data, env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_nothing_configured_is_valid_with_the_engine_on_the_pairing_key(tmp_path: Path) -> None:
    config = load_config(None, {"HOME": str(tmp_path)})
    assert config.mode == "bridge"
    assert config.engine.enabled
    assert config.engine.credentials == {}  # its only key pair is the pairing key, added at start
    assert config.engine.data_dir == config.data_dir / "engine"
    assert config.discovery.enabled
    assert config.visits.visit_gap_s == 300.0


def test_yaml_file_with_environment_overrides(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    path = tmp_path / "bridge.yaml"
    path.write_text(
        f"""
bridge_id: shop-1
data_dir: {tmp_path / "data"}
log_level: debug
api: {{listen: "127.0.0.1:8000", api_key: "a-configured-key-0123456789", stream_fps: 2}}
engine:
  listen: ":8001"
  credentials: [{{access_key: YAMLKEY, secret_key: yaml-secret-1}}]
discovery: {{enabled: false}}
detection: {{analysis_width: 480}}
tracking: {{max_missed_frames: 3}}
quality: {{min_score: 0.4, good_score: 0.8}}
visits: {{visit_gap_s: 60, settle_s: 0.5, dedupe: "off"}}
cameras:
  - id: front-door
    name: Front door
    location: Entrance
    source: rtsp://viewer:hunter2@192.0.2.10:554/stream1
    fps: 10
  - id: demo
    source: folder:{folder}
    queue_size: 3
  - {{id: till, source: 0, enabled: false}}
"""
    )
    env = {"SMARTSHOP_BRIDGE_ID": "from-env", "SMARTSHOP_ENGINE_LISTEN": "127.0.0.1:8002"}
    config = load_config(path, env)
    assert config.bridge_id == "from-env"
    assert config.data_dir == tmp_path / "data"
    assert config.log_level == "debug"
    assert config.api.listen == Listen("127.0.0.1", 8000)
    assert config.api.stream_fps == 2.0
    assert config.engine.enabled
    assert config.engine.listen == Listen("127.0.0.1", 8002)
    assert not config.discovery.enabled
    assert config.detection.analysis_width == 480
    assert config.tracking.max_missed_frames == 3
    assert config.quality.good_score == 0.8
    assert config.visits.dedupe == "off"
    front, demo, till = config.cameras
    assert front.source == SourceSpec("rtsp", "rtsp://viewer:hunter2@192.0.2.10:554/stream1")
    assert front.source.redacted() == "rtsp://viewer:***@192.0.2.10:554/stream1"
    assert front.fps == 10.0
    assert front.location == "Entrance"
    assert demo.source.kind == "folder"
    assert demo.queue_size == 3
    assert demo.name == "demo"
    assert till.source == SourceSpec("usb", "0")
    assert not till.enabled


def test_shipped_example_configuration_is_valid(tmp_path: Path) -> None:
    example = REPO / "edge_bridge" / "bridge.example.yaml"
    config = load_config(example, {"HOME": str(tmp_path)})
    assert [c.id for c in config.cameras] == ["front-door", "tills", "stockroom"]
    assert config.engine.enabled  # on the pairing key alone
    assert config.engine.credentials == {}
    with_keys = load_config(example, {**ENGINE_ENV, "HOME": str(tmp_path)})
    assert with_keys.engine.enabled
    assert with_keys.engine.region == "eu-west-2"


def test_cameras_from_environment(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "SMARTSHOP_CAMERA_BACK_DOOR": "http://192.0.2.7/video.mjpeg",
        "SMARTSHOP_CAMERA_TILL": "usb:1",
    }
    config = load_config(None, env)
    assert [(c.id, c.source.kind) for c in config.cameras] == [
        ("back-door", "http"),
        ("till", "usb"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:80", Listen("127.0.0.1", 80)),
        (":9000", Listen("0.0.0.0", 9000)),
        ("9000", Listen("0.0.0.0", 9000)),
        ("[::1]:9000", Listen("::1", 9000)),
        ("bridge.local", Listen("bridge.local", 1234)),
    ],
)
def test_listen_forms(text: str, expected: Listen) -> None:
    assert parse_listen(text, "x", 1234) == expected


BAD_CASES: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    ("unknown key", {"camras": []}, {}, "camras: unknown setting (did you mean 'cameras'?)"),
    ("nested unknown", {"api": {"lisen": "1"}}, {}, "api.lisen: unknown setting"),
    ("bad port", {"api": {"listen": "127.0.0.1:99999"}}, {}, "api.listen: port must be"),
    ("port text", {"api": {"listen": "host:http"}}, {}, "port must be a number"),
    ("bad env port", {}, {"SMARTSHOP_ENGINE_LISTEN": "x:y"}, "SMARTSHOP_ENGINE_LISTEN: port"),
    ("short api key", {"api": {"api_key": "short"}}, {}, "api.api_key: must be at least 16"),
    ("cameras not list", {"cameras": {"id": "a"}}, {}, "cameras: expected a list"),
    ("camera no id", {"cameras": [{"source": 0}]}, {}, "cameras[0].id: every camera needs"),
    ("camera bad id", {"cameras": [{"id": "Front Door", "source": 0}]}, {}, "cameras[0].id"),
    ("camera no source", {"cameras": [{"id": "a"}]}, {}, "cameras[0].source: camera 'a'"),
    (
        "duplicate id",
        {"cameras": [{"id": "a", "source": 0}, {"id": "a", "source": 1}]},
        {},
        "duplicate camera id 'a'",
    ),
    ("bad scheme", {"cameras": [{"id": "a", "source": "ftp://x/y"}]}, {}, "unsupported URL"),
    ("missing file", {"cameras": [{"id": "a", "source": "file:/nope.avi"}]}, {}, "does not"),
    ("not a source", {"cameras": [{"id": "a", "source": "/no/such"}]}, {}, "is not a URL"),
    ("usb range", {"cameras": [{"id": "a", "source": "usb:99"}]}, {}, "USB device must be"),
    ("fps zero", {"cameras": [{"id": "a", "source": 0, "fps": 0}]}, {}, "fps: must be greater"),
    ("bool type", {"cameras": [{"id": "a", "source": 0, "loop": "maybe"}]}, {}, "true or false"),
    ("engine flag", {"engine": {"enabled": "perhaps"}}, {}, "true or false"),
    ("half creds", {}, {"SMARTSHOP_ENGINE_ACCESS_KEY": "AKID1"}, "SMARTSHOP_ENGINE_SECRET_KEY"),
    (
        "bad creds",
        {"engine": {"credentials": [{"access_key": "A B", "secret_key": "12345678"}]}},
        {},
        "access key must be",
    ),
    (
        "same port",
        {
            "api": {"listen": "127.0.0.1:9000"},
            "engine": {
                "listen": "127.0.0.1:9000",
                "credentials": [{"access_key": "AKID", "secret_key": "12345678"}],
            },
        },
        {},
        "engine.listen: port 9000 is already used",
    ),
    ("region", {}, {**ENGINE_ENV, "SMARTSHOP_ENGINE_REGION": "mars"}, "not a region"),
    ("log level", {"log_level": "loud"}, {}, "log_level: must be one of"),
    ("quality order", {"quality": {"min_score": 0.8, "good_score": 0.5}}, {}, "good_score"),
    ("face sizes", {"quality": {"min_face_px": 100, "good_face_px": 50}}, {}, "good_face_px"),
    ("dedupe", {"visits": {"dedupe": "maybe"}}, {}, "visits.dedupe"),
    ("number type", {"visits": {"visit_gap_s": "long"}}, {}, "expected a number"),
    ("discovery address", {"discovery": {"addresses": ["nope"]}}, {}, "not an IP address"),
    ("missing model", {"models": {"detector": "/no/model.onnx"}}, {}, "models.detector"),
    ("bad bridge id", {"bridge_id": "-bad id"}, {}, "bridge_id"),
    ("section type", {"api": ["listen"]}, {}, "api: expected a mapping"),
]


@pytest.mark.parametrize(
    ("data", "env", "message"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_configuration_is_refused_with_a_clear_one_line_message(
    data: dict[str, Any], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(data, env)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("cameras:\n  - id: a\n   source: [\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: .* at line \d+"):
        load_config(path, {})


def test_missing_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.yaml", {})
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(listing, {})


def _run_bridge(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": env.pop("HOME", "/nonexistent"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "edge_bridge", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )


@pytest.mark.parametrize(
    ("yaml_text", "env", "message"),
    [
        ("cameras:\n  - id: a\n", {}, "cameras[0].source: camera 'a' needs a source"),
        ("api: {listen: 'nope:port'}\n", {}, "api.listen: port must be a number"),
        ("bogus: 1\n", {}, "bogus: unknown setting"),
        ("{}\n", {"SMARTSHOP_ENGINE_ACCESS_KEY": "AKID"}, "SMARTSHOP_ENGINE_SECRET_KEY"),
    ],
    ids=["no-source", "bad-port", "unknown-key", "half-credentials"],
)
def test_bad_configuration_exits_non_zero_with_one_line(
    tmp_path: Path, yaml_text: str, env: dict[str, str], message: str
) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml_text)
    result = _run_bridge(["--config", str(path)], {"HOME": str(tmp_path), **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("smartshop-bridge: configuration error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_file_exits_non_zero(tmp_path: Path) -> None:
    result = _run_bridge(["--config", str(tmp_path / "nope.yaml")], {"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "does not exist" in result.stderr


def test_check_mode_validates_without_creating_a_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = _run_bridge(["--check"], {"HOME": str(tmp_path), "SMARTSHOP_DATA": str(data)})
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stderr
    assert not (data / "bridge-api-key").exists()
