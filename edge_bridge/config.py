"""Bridge configuration: a YAML file plus environment variables (for containers).

Environment variables override the file; the result is a ``settings.BridgeConfig``. Every
problem raises :class:`ConfigError` with a one-line message naming the offending key, so
``python -m edge_bridge`` can exit with that line and no traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
import difflib
import math
import os
from pathlib import Path
import re
import socket
from typing import Any

import yaml

from .settings import (
    MODE_BRIDGE,
    MODE_ENGINE,
    ApiSettings,
    BridgeConfig,
    CameraConfig,
    DetectionSettings,
    DiscoverySettings,
    EngineSettings,
    FootageSettings,
    Listen,
    ModelSettings,
    QualitySettings,
    TrackingSettings,
    VisitSettings,
)
from .source_spec import SourceSpec, SourceSpecError, parse_source

ENV_CONFIG = "SMARTSHOP_CONFIG"
ENV_BRIDGE_ID = "SMARTSHOP_BRIDGE_ID"
ENV_DATA = "SMARTSHOP_DATA"
ENV_BRIDGE_LISTEN = "SMARTSHOP_BRIDGE_LISTEN"
ENV_BRIDGE_API_KEY = "SMARTSHOP_BRIDGE_API_KEY"
ENV_ENGINE_LISTEN = "SMARTSHOP_ENGINE_LISTEN"
ENV_ENGINE_DATA = "SMARTSHOP_ENGINE_DATA"
ENV_ENGINE_ACCESS_KEY = "SMARTSHOP_ENGINE_ACCESS_KEY"
ENV_ENGINE_SECRET_KEY = "SMARTSHOP_ENGINE_SECRET_KEY"  # noqa: S105 - a variable name
ENV_ENGINE_REGION = "SMARTSHOP_ENGINE_REGION"
ENV_DISCOVERY = "SMARTSHOP_DISCOVERY"
ENV_LOG_LEVEL = "SMARTSHOP_LOG_LEVEL"
ENV_FOOTAGE_MINUTES = "SMARTSHOP_FOOTAGE_MINUTES"
ENV_CAMERA_PREFIX = "SMARTSHOP_CAMERA_"
ENV_MODE = "SMARTSHOP_MODE"
MODES = (MODE_BRIDGE, MODE_ENGINE)
# Variables that configure the bridge itself (its API, identity, state, discovery, footage):
# any of them means a bridge, not an engine alone (see ``_mode``).
BRIDGE_ENV = (
    ENV_BRIDGE_ID,
    ENV_DATA,
    ENV_BRIDGE_LISTEN,
    ENV_BRIDGE_API_KEY,
    ENV_DISCOVERY,
    ENV_FOOTAGE_MINUTES,
)

DEFAULT_BRIDGE_PORT = 8765
DEFAULT_ENGINE_PORT = 8766
MIN_API_KEY_LENGTH = 16
LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_FOOTAGE_MINUTES = 72 * 60
CAMERA_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BRIDGE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9_+=,.@-]{4,128}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class ConfigError(Exception):
    """The configuration is unusable; the message is one line naming the problem."""


# --------------------------------------------------------------------------- helpers


def _path(where: str) -> str:
    return where or "configuration"


class _Section:
    """A mapping being read: tracks unknown keys and gives typed getters with clear errors."""

    def __init__(self, data: Any, where: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{_path(where)}: expected a mapping, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def raw(self, name: str) -> Any:
        self.used.add(name)
        return self.data.get(name)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def section(self, name: str) -> _Section:
        return _Section(self.raw(name), self.key(name))

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(f"{self.key(name)}: expected text, got {type(value).__name__}")
        text = str(value).strip()
        if not text:
            raise ConfigError(f"{self.key(name)}: must not be empty")
        return text

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        return _parse_bool(value, self.key(name))

    def number(
        self,
        name: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_min: bool = False,
    ) -> float:
        value = self.raw(name)
        if value is None:
            return default
        return _check_number(value, self.key(name), minimum, maximum, exclusive_min)

    def optional_number(
        self, name: str, *, minimum: float, exclusive_min: bool = False
    ) -> float | None:
        value = self.raw(name)
        if value is None:
            return None
        return _check_number(value, self.key(name), minimum, None, exclusive_min)

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.key(name)}: expected a whole number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and {maximum}" if maximum is not None else ""
            raise ConfigError(f"{self.key(name)}: must be at least {minimum}{upper}, got {value}")
        return value

    def check_unknown(self) -> None:
        for name in self.data:
            if name not in self.used:
                hint = difflib.get_close_matches(str(name), sorted(self.used), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ConfigError(f"{self.key(str(name))}: unknown setting{suggestion}")


def _check_number(
    value: Any,
    key: str,
    minimum: float | None,
    maximum: float | None,
    exclusive_min: bool,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ConfigError(f"{key}: expected a number, got NaN")
    if minimum is not None and (number <= minimum if exclusive_min else number < minimum):
        bound = "greater than" if exclusive_min else "at least"
        raise ConfigError(f"{key}: must be {bound} {minimum:g}, got {number:g}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{key}: must be at most {maximum:g}, got {number:g}")
    return number


def _parse_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    raise ConfigError(f"{key}: expected true or false, got {value!r}")


def parse_listen(text: str, key: str, default_port: int) -> Listen:
    """Parse ``host:port``, ``[v6]:port``, ``:port``, ``port`` or ``host``."""
    host, port_text = _split_listen(text.strip(), key)
    port = default_port
    if port_text is not None:
        if not port_text.isdigit():
            raise ConfigError(f"{key}: port must be a number, got {port_text!r}")
        port = int(port_text)
    if not 0 <= port <= 65535:
        raise ConfigError(f"{key}: port must be between 0 and 65535, got {port}")
    if not host or any(ch.isspace() for ch in host):
        raise ConfigError(f"{key}: invalid host {host!r}")
    return Listen(host, port)


def _split_listen(text: str, key: str) -> tuple[str, str | None]:
    any_host = "0.0.0.0"  # noqa: S104 - listening on all interfaces is the intended default
    if not text:
        raise ConfigError(f"{key}: must not be empty")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ConfigError(f"{key}: unbalanced '[' in {text!r}")
        rest = text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ConfigError(f"{key}: expected [address]:port, got {text!r}")
        return text[1:end], (rest[1:] if rest else None)
    if text.isdigit():
        return any_host, text
    if text.count(":") == 1:
        host, port_text = text.split(":")
        return host or any_host, port_text
    if ":" in text:
        raise ConfigError(f"{key}: write IPv6 addresses as [address]:port, got {text!r}")
    return text, None


def default_bridge_id() -> str:
    """A stable default id: the host name, reduced to safe characters."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", socket.gethostname()).strip("-.") or "bridge"
    return name[:63]


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/smartshop-bridge`` (``~/.local/state/smartshop-bridge``)."""
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/state")
    return Path(base) / "smartshop-bridge"


# --------------------------------------------------------------------------- loading


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> BridgeConfig:
    """Read the YAML file (if any) and the environment; validate; return the configuration."""
    env = dict(os.environ if env is None else env)
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    data: Any = {}
    origin = "environment"
    if path is not None:
        data = _read_yaml(path)
        origin = f"{path} + environment"
    return build_config(data, env, origin=origin)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"configuration file {str(path)!r} does not exist") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read configuration file {str(path)!r}: {err}") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: {problem}{where}") from err
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    return data


def build_config(data: Any, env: Mapping[str, str], *, origin: str = "mapping") -> BridgeConfig:
    """Validate a parsed YAML mapping merged with environment overrides."""
    root = _Section(data, "")

    yaml_id = root.string("bridge_id")
    bridge_id = env.get(ENV_BRIDGE_ID) or yaml_id or default_bridge_id()
    if not BRIDGE_ID_RE.fullmatch(bridge_id):
        raise ConfigError(
            f"bridge_id: {bridge_id!r} must be 1-63 letters, digits, '.', '_' or '-' "
            "and start with a letter or digit"
        )

    yaml_data_dir = root.string("data_dir")
    data_dir_text = env.get(ENV_DATA) or yaml_data_dir
    data_dir = Path(data_dir_text).expanduser() if data_dir_text else default_data_dir(env)

    yaml_level = root.string("log_level")
    log_level = (env.get(ENV_LOG_LEVEL) or yaml_level or "info").lower()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level: must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    mode, mode_reason = _mode(root, env)
    api = _api(root.section("api"), env)
    engine = _engine(root.section("engine"), env, data_dir)
    if (
        mode == MODE_BRIDGE
        and engine.enabled
        and api.listen.port != 0
        and api.listen.port == engine.listen.port
        and _same_host(api.listen.host, engine.listen.host)
    ):
        raise ConfigError(
            f"engine.listen: port {engine.listen.port} is already used by api.listen; "
            "the engine needs its own port"
        )
    discovery = _discovery(root.section("discovery"), env)
    models = _models(root.section("models"))
    detection = _detection(root.section("detection"))
    tracking = _tracking(root.section("tracking"))
    quality = _quality(root.section("quality"))
    visits = _visits(root.section("visits"))
    cameras = _cameras(root.raw("cameras"), env)
    footage = _footage(root.section("footage"), env)
    root.check_unknown()
    if mode == MODE_ENGINE:
        _check_engine_only(engine, cameras, mode_reason)
    return BridgeConfig(
        bridge_id=bridge_id,
        data_dir=data_dir,
        log_level=log_level,
        api=api,
        engine=engine,
        discovery=discovery,
        models=models,
        detection=detection,
        tracking=tracking,
        quality=quality,
        visits=visits,
        cameras=cameras,
        footage=footage,
        source=origin,
        mode=mode,
        mode_reason=mode_reason,
    )


def _mode(root: _Section, env: Mapping[str, str]) -> tuple[str, str]:
    """``bridge`` or ``engine``, and why (for the startup log).

    ``SMARTSHOP_MODE`` (or ``mode:`` in the YAML) decides when given. Without it, the engine
    runs alone when it is configured by the environment only -- ``SMARTSHOP_ENGINE_DATA`` and an
    engine key pair, with no configuration file settings, no camera and none of the bridge's
    own variables (``BRIDGE_ENV``); anything else is a bridge, as it always was.
    """
    yaml_mode = root.string("mode")
    text = env.get(ENV_MODE, "").strip() or yaml_mode
    if text:
        where = ENV_MODE if env.get(ENV_MODE, "").strip() else "mode"
        mode = text.lower()
        if mode not in MODES:
            raise ConfigError(f"{where}: must be 'bridge' or 'engine', got {text!r}")
        return mode, f"{where} is {mode}"
    configured_elsewhere = (
        any(name != "mode" for name in root.data)
        or any(env.get(name) for name in BRIDGE_ENV)
        or any(name.startswith(ENV_CAMERA_PREFIX) and env[name].strip() for name in env)
    )
    engine_env = all(
        env.get(name) for name in (ENV_ENGINE_DATA, ENV_ENGINE_ACCESS_KEY, ENV_ENGINE_SECRET_KEY)
    )
    if engine_env and not configured_elsewhere:
        return MODE_ENGINE, (
            f"{ENV_ENGINE_DATA} and an engine key pair without any bridge setting; "
            f"{ENV_MODE}=bridge runs the whole bridge"
        )
    return MODE_BRIDGE, "the default"


def _check_engine_only(
    engine: EngineSettings, cameras: tuple[CameraConfig, ...], reason: str
) -> None:
    """An engine alone needs the engine on and a key pair, and reads no camera."""
    if cameras:
        raise ConfigError(
            f"cameras: the engine runs alone here ({reason}) and reads no camera; remove "
            "the cameras or run the whole bridge (mode: bridge)"
        )
    if not engine.enabled:
        raise ConfigError(
            f"engine.enabled: the engine runs alone here ({reason}), so it cannot be off"
        )
    if not engine.credentials:
        raise ConfigError(
            f"engine.credentials: the engine runs alone here ({reason}) and pairs with no "
            f"one, so it needs a key pair: {ENV_ENGINE_ACCESS_KEY} and {ENV_ENGINE_SECRET_KEY}, "
            "or engine.credentials"
        )


def _same_host(a: str, b: str) -> bool:
    wildcard = {"0.0.0.0", "::", ""}  # noqa: S104
    return a == b or a in wildcard or b in wildcard


def _api(sec: _Section, env: Mapping[str, str]) -> ApiSettings:
    yaml_listen = sec.string("listen")
    listen_text = env.get(ENV_BRIDGE_LISTEN) or yaml_listen
    listen = (
        parse_listen(listen_text, _env_or(env, ENV_BRIDGE_LISTEN, sec.key("listen")), 0)
        if listen_text
        else Listen("0.0.0.0", DEFAULT_BRIDGE_PORT)  # noqa: S104
    )
    yaml_key = sec.string("api_key")
    api_key = env.get(ENV_BRIDGE_API_KEY) or yaml_key
    if api_key is not None:
        where = _env_or(env, ENV_BRIDGE_API_KEY, sec.key("api_key"))
        if len(api_key) < MIN_API_KEY_LENGTH:
            raise ConfigError(f"{where}: must be at least {MIN_API_KEY_LENGTH} characters")
        if not api_key.isascii() or any(ch.isspace() or not ch.isprintable() for ch in api_key):
            raise ConfigError(f"{where}: must be printable ASCII without spaces")
    settings = ApiSettings(
        listen=listen,
        api_key=api_key,
        stream_fps=sec.number("stream_fps", 5.0, minimum=0.0, maximum=30.0, exclusive_min=True),
        replay_s=sec.number("replay_s", 30.0, minimum=0.0, maximum=600.0),
    )
    sec.check_unknown()
    return settings


def _env_or(env: Mapping[str, str], name: str, key: str) -> str:
    return name if env.get(name) else key


def _engine(sec: _Section, env: Mapping[str, str], data_dir: Path) -> EngineSettings:
    credentials: dict[str, str] = {}
    raw_creds = sec.raw("credentials")
    if raw_creds is not None:
        if not isinstance(raw_creds, list):
            raise ConfigError(
                f"{sec.key('credentials')}: expected a list of {{access_key, secret_key}}"
            )
        for index, item in enumerate(raw_creds):
            entry = _Section(item, f"{sec.key('credentials')}[{index}]")
            access = entry.string("access_key")
            secret = entry.string("secret_key")
            entry.check_unknown()
            if access is None or secret is None:
                raise ConfigError(f"{entry.where}: needs both access_key and secret_key")
            _check_credentials(access, secret, entry.where)
            credentials[access] = secret
    env_access = env.get(ENV_ENGINE_ACCESS_KEY)
    env_secret = env.get(ENV_ENGINE_SECRET_KEY)
    if bool(env_access) != bool(env_secret):
        missing = ENV_ENGINE_SECRET_KEY if env_access else ENV_ENGINE_ACCESS_KEY
        raise ConfigError(f"{missing}: must be set together with its access/secret pair")
    if env_access and env_secret:
        _check_credentials(env_access, env_secret, "SMARTSHOP_ENGINE_*_KEY")
        credentials[env_access] = env_secret

    # Paired clients get their own engine key pairs at pairing (auth.EngineCredentials adds
    # them while running); configured pairs are for other clients.
    enabled_raw = sec.raw("enabled")
    enabled = True if enabled_raw is None else _parse_bool(enabled_raw, sec.key("enabled"))

    yaml_listen = sec.string("listen")
    listen_text = env.get(ENV_ENGINE_LISTEN) or yaml_listen
    listen = (
        parse_listen(listen_text, _env_or(env, ENV_ENGINE_LISTEN, sec.key("listen")), 0)
        if listen_text
        else Listen("0.0.0.0", DEFAULT_ENGINE_PORT)  # noqa: S104
    )
    yaml_data = sec.string("data_dir")
    data_text = env.get(ENV_ENGINE_DATA) or yaml_data
    engine_dir = Path(data_text).expanduser() if data_text else data_dir / "engine"
    yaml_region = sec.string("region")
    region = env.get(ENV_ENGINE_REGION) or yaml_region or "us-east-1"
    if not REGION_RE.fullmatch(region):
        where = _env_or(env, ENV_ENGINE_REGION, sec.key("region"))
        raise ConfigError(f"{where}: {region!r} is not a region name like 'eu-west-2'")
    sec.check_unknown()
    return EngineSettings(
        enabled=enabled,
        listen=listen,
        data_dir=engine_dir,
        region=region,
        credentials=credentials,
    )


def _check_credentials(access: str, secret: str, where: str) -> None:
    if not ACCESS_KEY_RE.fullmatch(access):
        raise ConfigError(
            f"{where}: access key must be 4-128 characters of letters, digits and _+=,.@-"
        )
    if len(secret) < 8 or any(ch.isspace() for ch in secret):
        raise ConfigError(f"{where}: secret key must be at least 8 characters without spaces")


def _discovery(sec: _Section, env: Mapping[str, str]) -> DiscoverySettings:
    enabled = sec.boolean("enabled", True)
    if env.get(ENV_DISCOVERY):
        enabled = _parse_bool(env[ENV_DISCOVERY], ENV_DISCOVERY)
    interfaces = _string_list(sec, "interfaces")
    addresses = _string_list(sec, "addresses")
    for address in addresses:
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
        except OSError as err:
            raise ConfigError(f"{sec.key('addresses')}: {address!r} is not an IP address") from err
    sec.check_unknown()
    return DiscoverySettings(enabled=enabled, interfaces=interfaces, addresses=addresses)


def _string_list(sec: _Section, name: str) -> tuple[str, ...]:
    value = sec.raw(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{sec.key(name)}: expected a list of text values")
    return tuple(v.strip() for v in value)


def _models(sec: _Section) -> ModelSettings:
    paths: dict[str, Path | None] = {}
    for name in ("detector", "recognizer"):
        text = sec.string(name)
        if text is None:
            paths[name] = None
            continue
        path = Path(text).expanduser()
        if not path.is_file():
            raise ConfigError(f"{sec.key(name)}: model file {text!r} does not exist")
        paths[name] = path
    sec.check_unknown()
    return ModelSettings(detector=paths["detector"], recognizer=paths["recognizer"])


def _detection(sec: _Section) -> DetectionSettings:
    settings = DetectionSettings(
        analysis_width=sec.integer("analysis_width", 640, minimum=160, maximum=3840),
        score_threshold=sec.number("score_threshold", 0.7, minimum=0.05, maximum=0.99),
        nms_threshold=sec.number("nms_threshold", 0.3, minimum=0.05, maximum=0.95),
        max_faces=sec.integer("max_faces", 20, minimum=1, maximum=200),
    )
    sec.check_unknown()
    return settings


def _tracking(sec: _Section) -> TrackingSettings:
    settings = TrackingSettings(
        iou_threshold=sec.number("iou_threshold", 0.25, minimum=0.01, maximum=0.95),
        max_centroid_distance=sec.number("max_centroid_distance", 0.8, minimum=0.0, maximum=5.0),
        max_missed_frames=sec.integer("max_missed_frames", 6, minimum=0, maximum=300),
        max_missed_s=sec.number("max_missed_s", 1.0, minimum=0.0, maximum=60.0),
    )
    sec.check_unknown()
    return settings


def _quality(sec: _Section) -> QualitySettings:
    min_face = sec.integer("min_face_px", 40, minimum=16, maximum=1000)
    good_face = sec.integer("good_face_px", 112, minimum=16, maximum=2000)
    if good_face <= min_face:
        raise ConfigError(
            f"{sec.key('good_face_px')}: must be greater than min_face_px ({min_face})"
        )
    min_score = sec.number("min_score", 0.35, minimum=0.0, maximum=1.0)
    good_score = sec.number("good_score", 0.75, minimum=0.0, maximum=1.0)
    if good_score < min_score:
        raise ConfigError(f"{sec.key('good_score')}: must not be below min_score ({min_score})")
    settings = QualitySettings(
        min_face_px=min_face,
        good_face_px=good_face,
        sharpness_ref=sec.number("sharpness_ref", 150.0, minimum=1.0, maximum=10000.0),
        max_roll_deg=sec.number("max_roll_deg", 30.0, minimum=1.0, maximum=90.0),
        max_yaw_ratio=sec.number("max_yaw_ratio", 0.45, minimum=0.05, maximum=1.0),
        min_score=min_score,
        good_score=good_score,
    )
    sec.check_unknown()
    return settings


def _visits(sec: _Section) -> VisitSettings:
    dedupe = (sec.string("dedupe") or "embedding").lower()
    if dedupe not in ("embedding", "off"):
        raise ConfigError(f"{sec.key('dedupe')}: must be 'embedding' or 'off', got {dedupe!r}")
    settings = VisitSettings(
        min_hits=sec.integer("min_hits", 2, minimum=1, maximum=100),
        settle_s=sec.number("settle_s", 1.0, minimum=0.0, maximum=30.0),
        settle_frames=sec.integer("settle_frames", 15, minimum=1, maximum=1000),
        visit_gap_s=sec.number("visit_gap_s", 300.0, minimum=0.0, maximum=86400.0),
        same_person_threshold=sec.number("same_person_threshold", 0.363, minimum=0.0, maximum=1.0),
        dedupe=dedupe,
    )
    sec.check_unknown()
    return settings


def _footage(sec: _Section, env: Mapping[str, str]) -> FootageSettings:
    minutes = sec.integer("minutes", 30, minimum=0, maximum=MAX_FOOTAGE_MINUTES)
    if text := env.get(ENV_FOOTAGE_MINUTES, "").strip():
        if not text.isdigit() or int(text) > MAX_FOOTAGE_MINUTES:
            raise ConfigError(
                f"{ENV_FOOTAGE_MINUTES}: must be a whole number 0-{MAX_FOOTAGE_MINUTES}, "
                f"got {text!r}"
            )
        minutes = int(text)
    settings = FootageSettings(
        minutes=minutes,
        fps=sec.number("fps", 1.0, minimum=0.0, maximum=10.0, exclusive_min=True),
        max_disk_mb=sec.integer("max_disk_mb", 2048, minimum=16, maximum=4 * 1024 * 1024),
        width=sec.integer("width", 1280, minimum=160, maximum=3840),
        quality=sec.integer("quality", 80, minimum=30, maximum=95),
    )
    sec.check_unknown()
    return settings


def _cameras(raw: Any, env: Mapping[str, str]) -> tuple[CameraConfig, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ConfigError("cameras: expected a list of cameras")
    cameras: list[CameraConfig] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        camera = _camera(_Section(item, f"cameras[{index}]"))
        if camera.id in seen:
            raise ConfigError(f"cameras[{index}].id: duplicate camera id {camera.id!r}")
        seen.add(camera.id)
        cameras.append(camera)
    for name in sorted(env):
        if not name.startswith(ENV_CAMERA_PREFIX) or not env[name].strip():
            continue
        camera_id = name[len(ENV_CAMERA_PREFIX) :].lower().replace("_", "-")
        if not CAMERA_ID_RE.fullmatch(camera_id):
            raise ConfigError(f"{name}: {camera_id!r} is not a valid camera id")
        source = _source(env[name], name)
        cameras = [c for c in cameras if c.id != camera_id]
        cameras.append(CameraConfig(id=camera_id, source=source, name=camera_id))
    return tuple(cameras)


def _source(value: Any, key: str) -> SourceSpec:
    try:
        return parse_source(value, key)
    except SourceSpecError as err:
        raise ConfigError(str(err)) from err


def _camera(sec: _Section) -> CameraConfig:
    camera_id = sec.string("id")
    if camera_id is None:
        raise ConfigError(f"{sec.key('id')}: every camera needs an id")
    if not CAMERA_ID_RE.fullmatch(camera_id):
        raise ConfigError(
            f"{sec.key('id')}: {camera_id!r} must be 1-63 lowercase letters, digits, '_' or '-'"
        )
    if sec.raw("source") is None:
        raise ConfigError(f"{sec.key('source')}: camera {camera_id!r} needs a source")
    source = _source(sec.raw("source"), sec.key("source"))
    backoff_min = sec.number("backoff_min_s", 0.5, minimum=0.05, maximum=60.0)
    backoff_max = sec.number("backoff_max_s", 5.0, minimum=0.05, maximum=300.0)
    if backoff_max < backoff_min:
        raise ConfigError(f"{sec.key('backoff_max_s')}: must not be below backoff_min_s")
    camera = CameraConfig(
        id=camera_id,
        source=source,
        name=sec.string("name") or camera_id,
        location=sec.string("location") or "",
        enabled=sec.boolean("enabled", True),
        fps=sec.optional_number("fps", minimum=0.0, exclusive_min=True),
        realtime=sec.boolean("realtime", True),
        loop=sec.boolean("loop", True),
        queue_size=sec.integer("queue_size", 2, minimum=1, maximum=100),
        analysis_width=(
            sec.integer("analysis_width", 0, minimum=160, maximum=3840)
            if sec.has("analysis_width")
            else None
        ),
        open_timeout_s=sec.number("open_timeout_s", 5.0, minimum=0.1, maximum=120.0),
        read_timeout_s=sec.number("read_timeout_s", 5.0, minimum=0.1, maximum=120.0),
        stall_timeout_s=sec.number("stall_timeout_s", 8.0, minimum=0.5, maximum=600.0),
        backoff_min_s=backoff_min,
        backoff_max_s=backoff_max,
    )
    sec.check_unknown()
    return camera
