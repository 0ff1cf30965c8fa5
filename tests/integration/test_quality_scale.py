"""quality_scale.yaml is honest: every rule marked done has a check here that can fail.

A rule marked done without an entry in CHECKS fails the test, so no rule is marked done silently.
Most checks read the integration's source (with ``ast``), its translations and its docs; the
behaviour behind them is tested by the other test modules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import importlib
import importlib.metadata
import inspect
import json
from pathlib import Path
import re
from types import ModuleType
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity, EntityDescription
from packaging.requirements import Requirement
import pytest
import yaml

from custom_components.smartshop import const, errors, recognition
from custom_components.smartshop.bridge_client import (
    BridgeAuthError,
    BridgeCertificateError,
    BridgeConnectionError,
    BridgeError,
    BridgeNotTLSError,
    PairingRateLimitedError,
    PairingRefusedError,
)
from custom_components.smartshop.bridge_protocol import SERVICE_TYPE
from custom_components.smartshop.data import BackendHealth
from custom_components.smartshop.diagnostics import TO_REDACT
from custom_components.smartshop.entity import SmartShopEntity

ROOT = Path(__file__).parent.parent.parent
COMPONENT = ROOT / "custom_components" / "smartshop"
TESTS = Path(__file__).parent
SCALE: dict[str, Any] = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
STRINGS: dict[str, Any] = json.loads((COMPONENT / "translations" / "en.json").read_text())
ICONS: dict[str, Any] = json.loads((COMPONENT / "icons.json").read_text())
MANIFEST: dict[str, Any] = json.loads((COMPONENT / "manifest.json").read_text())
PLATFORMS = sorted(
    path.stem for path in COMPONENT.glob("*.py") if path.stem in {p.value for p in Platform}
)
HA_EXCEPTIONS = {
    "HomeAssistantError",
    "ServiceValidationError",
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
    "ConfigEntryNotReady",
    "UpdateFailed",
}
SUBSCRIPTIONS = {"add_listener", "async_dispatcher_connect", "register"}


def _status(value: str | dict[str, str]) -> str:
    return value if isinstance(value, str) else value["status"]


def _tree(module: str) -> ast.Module:
    return ast.parse((COMPONENT / f"{module}.py").read_text())


def _component_trees() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(COMPONENT.glob("*.py")):
        yield path.stem, ast.parse(path.read_text())


def _function(tree: ast.AST, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name}")


def _class(tree: ast.AST, name: str) -> ast.ClassDef:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AssertionError(f"no class {name}")


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and _call_name(node) == name
    ]


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strs(node: ast.AST | None) -> set[str]:
    """The strings an expression can be: a literal, or either side of ``a if c else b``."""
    if isinstance(node, ast.IfExp):
        return _strs(node.body) | _strs(node.orelse)
    return {value} if (value := _str(node)) else set()


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _test_sources() -> str:
    """The other test modules (this one names every key it looks for)."""
    return "\n".join(
        path.read_text()
        for path in sorted(TESTS.glob("test_*.py"))
        if path.name != Path(__file__).name
    )


def _mentioned_in_tests(literal: str) -> bool:
    text = _test_sources()
    return f'"{literal}"' in text or f"'{literal}'" in text


def _sample_errors() -> list[recognition.RecognitionError | BridgeError]:
    """One instance of every recognition and bridge error class."""
    samples: list[recognition.RecognitionError | BridgeError] = [
        BridgeAuthError("refused"),
        BridgeConnectionError("unreachable"),
        BridgeCertificateError("another certificate"),
        BridgeNotTLSError("plain HTTP"),
        PairingRefusedError("used code"),
        PairingRateLimitedError("too many"),
    ]
    for cls in vars(recognition).values():
        if not (isinstance(cls, type) and issubclass(cls, recognition.RecognitionError)):
            continue
        if cls is recognition.AccessDeniedError:
            samples.append(cls("denied", action="rekognition:SearchFacesByImage"))
        elif cls is recognition.MultipleFacesError:
            samples.append(cls("two", count=2))
        elif cls is recognition.InvalidImageError:
            samples.append(cls("bad", image_reason="truncated"))
        else:
            samples.append(cls("failed"))
    return samples


def _form_error_codes(*, region_field: bool, bridge: bool) -> set[str]:
    """Every form error key errors.form_error can give (for bridge errors too, or not)."""
    return {
        code
        for err in _sample_errors()
        if bridge or not isinstance(err, BridgeError)
        for code in errors.form_error(err, region_field=region_field)[0].values()
    }


def _platform_modules() -> list[ModuleType]:
    return [importlib.import_module(f"custom_components.smartshop.{p}") for p in PLATFORMS]


def _entity_classes() -> list[tuple[str, type[Entity]]]:
    """(platform, class) for every entity class the platforms define."""
    return [
        (module.__name__.rsplit(".", 1)[1], cls)
        for module in _platform_modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and issubclass(cls, Entity)
    ]


def _class_default(cls: type[Entity], attribute: str) -> Any:
    """The class-level ``_attr_<attribute>`` (Home Assistant keeps it as ``__attr_<attribute>``)."""
    return getattr(cls, f"__attr_{attribute}", None)


def _entity_translation_keys() -> set[tuple[str, str]]:
    """(platform, translation key) of every entity class and entity description."""
    keys = {
        (platform, key)
        for platform, cls in _entity_classes()
        if (key := _class_default(cls, "translation_key"))
    }
    for module in _platform_modules():
        platform = module.__name__.rsplit(".", 1)[1]
        for value in vars(module).values():
            if isinstance(value, tuple) and all(isinstance(v, EntityDescription) for v in value):
                keys |= {(platform, d.translation_key) for d in value if d.translation_key}
    return keys


def _heading_section(document: Path, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of the same or a higher level;
    under a document's title, its introduction (up to the first heading)."""
    lines = document.read_text().splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    for index, line in enumerate(lines):
        if line.strip() == heading:
            body: list[str] = []
            for following in lines[index + 1 :]:
                match = re.match(r"^(#+) ", following)
                if match and (level == 1 or len(match.group(1)) <= level):
                    break
                body.append(following)
            return "\n".join(body)
    raise AssertionError(f"{document.name} has no heading {heading!r}")


# --- Bronze ---------------------------------------------------------------------------------


def check_action_setup() -> None:
    """Actions are registered once in async_setup, not per store."""
    tree = _tree("__init__")
    assert _calls(_function(tree, "async_setup"), "async_setup_services")
    assert not _calls(_function(tree, "async_setup_entry"), "async_setup_services")


def check_appropriate_polling() -> None:
    """Nothing is polled by Home Assistant; the optional scan interval is the owner's choice."""
    for platform, cls in _entity_classes():
        assert _class_default(cls, "should_poll") is False, f"{platform}.{cls.__name__} polls"
    assert const.DEFAULT_SCAN_INTERVAL == 0


def check_brands() -> None:
    """The brand icon is a PNG."""
    assert (COMPONENT / "brand" / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_common_modules() -> None:
    """The base entity lives in entity.py and the runtime data in data.py."""
    assert SmartShopEntity.__module__ == "custom_components.smartshop.entity"
    _class(_tree("data"), "SmartShopData")


def _flow_codes(tree: ast.AST) -> set[str]:
    """Error keys and abort reasons written in a piece of a config flow module."""
    codes: set[str] = set()
    for node in ast.walk(tree):
        # errors[...] = "x"
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0].value
            if isinstance(target, ast.Name) and target.id == "errors":
                codes |= _strs(node.value)
        # {"base": "x"} or {CONF_FIELD: "x"}
        if (
            isinstance(node, ast.Dict)
            and node.values
            and all(_str(v) for v in node.values)
            and all(
                _str(k) == "base" or (isinstance(k, ast.Name) and k.id.startswith("CONF_"))
                for k in node.keys
            )
        ):
            codes |= {str(_str(v)) for v in node.values}
        # async_abort(reason="x")
        if isinstance(node, ast.Call) and _call_name(node) == "async_abort":
            codes |= _strs(_keyword(node, "reason"))
        # return False, "x" (a collection error of the watchlist flow)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            codes |= {s for elt in node.value.elts if (s := _str(elt))}
    return codes


# Each flow: (its module, its section of the translations).
FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SmartShopConfigFlow": ("config_flow", ("config",)),
    "SmartShopOptionsFlow": ("flow_options", ("options",)),
    "WatchlistSubentryFlow": ("flow_subentries", ("config_subentries", "watchlist")),
    "CameraSubentryFlow": ("flow_subentries", ("config_subentries", "camera")),
}


def _section(path: tuple[str, ...]) -> dict[str, Any]:
    section: dict[str, Any] = STRINGS
    for part in path:
        section = section[part]
    return section


def check_config_flow_test_coverage() -> None:
    """Every error key and abort reason a flow can give is in that flow's translations, and
    every one translated is named in a test (the tests reach it, then recover)."""
    translated: set[str] = set()
    for name, (module, path) in FLOWS.items():
        tree = _tree(module)
        helpers = {
            node.name: node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        flow = _class(tree, name)
        codes = _flow_codes(flow)
        # Module-level helpers the flow calls (validate_backend, _async_prepare_collection), and
        # the form errors of the one error map they use.
        called = [flow]
        for call in ast.walk(flow):
            if isinstance(call, ast.Call) and _call_name(call) in helpers:
                codes |= _flow_codes(helpers[_call_name(call)])
                called.append(helpers[_call_name(call)])
        for tree_ in called:
            # A piece that catches BridgeError maps bridge errors too.
            bridge = any(isinstance(n, ast.Name) and n.id == "BridgeError" for n in ast.walk(tree_))
            for call in _calls(tree_, "form_error"):
                region = _keyword(call, "region_field")
                codes |= _form_error_codes(
                    region_field=region is None or ast.unparse(region) != "False", bridge=bridge
                )
        section = _section(path)
        own = set(section.get("error", {})) | set(section.get("abort", {}))
        assert codes <= own, f"{name} gives untranslated {sorted(codes - own)}"
        translated |= own
    assert "invalid_auth" in translated, "the parser found the flows' errors"
    untested = sorted(key for key in translated if not _mentioned_in_tests(key))
    assert not untested, f"no test reaches: {untested}"


def check_config_flow() -> None:
    """UI set-up: manifest flag, and every step each flow shows is translated."""
    assert MANIFEST["config_flow"] is True
    for name, (module, path) in FLOWS.items():
        section = _section(path)
        flow = _class(_tree(module), name)
        shown = {
            step
            for call in _calls(flow, "async_show_form") + _calls(flow, "async_show_menu")
            for step in _strs(_keyword(call, "step_id"))
        }
        assert shown, name
        assert shown <= set(section["step"]), f"{name}: {sorted(shown - set(section['step']))}"


def check_dependency_transparency() -> None:
    """Each requirement has a version range and is the package installed here."""
    for spec in MANIFEST["requirements"]:
        requirement = Requirement(spec)
        assert requirement.specifier, f"{spec} has no version range"
        assert requirement.specifier.contains(importlib.metadata.version(requirement.name))


def check_entity_event_setup() -> None:
    """Entities subscribe in async_added_to_hass, each subscription undone by async_on_remove."""
    found = 0
    for module in [*PLATFORMS, "entity"]:
        for node in ast.walk(_tree(module)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            wrapped = {
                id(arg)
                for call in _calls(node, "async_on_remove")
                for arg in call.args
                if isinstance(arg, ast.Call)
            }
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and _call_name(call) in SUBSCRIPTIONS:
                    where = f"{module}.{node.name}: {_call_name(call)}"
                    assert node.name == "async_added_to_hass", where
                    assert id(call) in wrapped, f"{where} is not undone on removal"
                    found += 1
    assert found, "the parser found the entities' subscriptions"


def check_entity_unique_id() -> None:
    """The base entity sets the unique id, and every entity derives from it."""
    init = _function(_class(_tree("entity"), "SmartShopEntity"), "__init__")
    assigned = {
        target.attr
        for node in ast.walk(init)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute)
    }
    assert "_attr_unique_id" in assigned
    for platform, cls in _entity_classes():
        assert issubclass(cls, SmartShopEntity), f"{platform}.{cls.__name__}"


def check_has_entity_name() -> None:
    """Every entity uses has_entity_name."""
    assert _class_default(SmartShopEntity, "has_entity_name") is True
    for platform, cls in _entity_classes():
        assert _class_default(cls, "has_entity_name") is True, f"{platform}.{cls.__name__}"


def check_runtime_data() -> None:
    """Runtime data lives in entry.runtime_data, typed; hass.data holds nothing per store."""
    for name, tree in _component_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "hass.data":
                assert ast.unparse(node.slice) != "DOMAIN", f"hass.data[DOMAIN] in {name}.py"
            if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("hass.data."):
                assert not (node.args and ast.unparse(node.args[0]) == "DOMAIN"), name
    aliases = [node for node in ast.walk(_tree("data")) if isinstance(node, ast.TypeAlias)]
    assert any(
        ast.unparse(a.name) == "SmartShopConfigEntry"
        and ast.unparse(a.value) == "ConfigEntry[SmartShopData]"
        for a in aliases
    )


def check_test_before_configure() -> None:
    """Every step that takes keys or an address tries them before going on."""
    tree = _class(_tree("config_flow"), "SmartShopConfigFlow")
    for step in ("async_step_credentials", "async_step_bridge_store", "_async_recheck"):
        assert _calls(_function(tree, step), "validate_backend"), step
    for step in ("async_step_pair_bridge", "async_step_zeroconf_confirm", "_async_recheck"):
        assert _calls(_function(tree, step), "_async_check_bridge"), step
    assert _calls(_function(tree, "_async_check_bridge"), "info")


def check_test_before_setup() -> None:
    """Set-up checks the backend and the bridge and raises Home Assistant's set-up errors."""
    tree = _tree("__init__")
    setup = _function(tree, "async_setup_entry")
    for helper in ("_async_connect", "_async_connect_bridge"):
        assert _calls(setup, helper), helper
        raised = {
            _call_name(node.exc)
            for node in ast.walk(_function(tree, helper))
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
        }
        assert "setup_error" in raised, helper
    mapped = {type(errors.setup_error(err)).__name__ for err in _sample_errors()}
    assert mapped >= {"ConfigEntryAuthFailed", "ConfigEntryNotReady"}


def check_unique_config_entry() -> None:
    """Every store has a unique id; a bridge cannot be paired twice; tests reach the abort."""
    tree = _class(_tree("config_flow"), "SmartShopConfigFlow")
    for step in ("async_step_store", "async_step_pair_bridge", "async_step_zeroconf"):
        assert _calls(_function(tree, step), "async_set_unique_id"), step
    for step in ("async_step_pair_bridge", "async_step_zeroconf"):
        assert _calls(_function(tree, step), "_abort_if_unique_id_configured"), step
    assert _mentioned_in_tests("already_configured")


# --- Silver ---------------------------------------------------------------------------------


def check_action_exceptions() -> None:
    """Actions raise only Home Assistant's (translated) errors."""
    allowed = HA_EXCEPTIONS | {"_error", "action_error"}
    for node in ast.walk(_tree("services")):
        if isinstance(node, ast.Raise) and node.exc is not None:
            assert isinstance(node.exc, ast.Call), ast.unparse(node)
            assert _call_name(node.exc) in allowed, ast.unparse(node)
    tests = _test_sources()
    assert "ServiceValidationError" in tests
    assert "HomeAssistantError" in tests


def check_config_entry_unloading() -> None:
    """Unloading unloads the platforms; tests unload stores."""
    unload = _function(_tree("__init__"), "async_unload_entry")
    assert _calls(unload, "async_unload_platforms")
    assert "async_unload(" in _test_sources()


def check_entity_unavailable() -> None:
    """The base entity is unavailable while the backend cannot be used."""
    assert isinstance(inspect.getattr_static(SmartShopEntity, "available"), property)
    assert _mentioned_in_tests("unavailable")


def check_integration_owner() -> None:
    """The manifest names its code owners."""
    assert MANIFEST["codeowners"]
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])


def check_log_when_unavailable() -> None:
    """The backend going away and coming back is logged once each, however many calls fail."""
    health = BackendHealth()
    with (
        patch.object(const.LOGGER, "warning") as warning,
        patch.object(const.LOGGER, "info") as info,
    ):
        health.mark_unavailable("timeout")
        health.mark_unavailable("timeout again")
        health.mark_available()
        health.mark_available()
    assert (warning.call_count, info.call_count) == (1, 1)


def check_parallel_updates() -> None:
    """Every platform says how many updates may run at once."""
    for module in _platform_modules():
        assert isinstance(getattr(module, "PARALLEL_UPDATES", None), int), module.__name__


def check_reauthentication_flow() -> None:
    """The config flow re-authenticates, and tests go through it."""
    tree = _class(_tree("config_flow"), "SmartShopConfigFlow")
    _function(tree, "async_step_reauth")
    _function(tree, "async_step_reauth_confirm")
    assert _mentioned_in_tests("reauth_successful")


def check_test_coverage() -> None:
    """Coverage itself is enforced by pytest (--cov-fail-under=95 in scripts/test, which CI runs);
    this only checks that the bar is still there."""
    assert "--cov-fail-under=95" in (ROOT / "scripts" / "test").read_text()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


# --- Gold -----------------------------------------------------------------------------------


def check_devices() -> None:
    """Entities belong to devices: the base entity always sets device info."""
    init = _function(_class(_tree("entity"), "SmartShopEntity"), "__init__")
    assert "self._attr_device_info" in ast.unparse(init)
    assert _calls(_tree("__init__"), "async_get_or_create")


def check_diagnostics() -> None:
    """Diagnostics exist and redact every credential; every credential-like setting is listed."""
    diagnostics = importlib.import_module("custom_components.smartshop.diagnostics")
    assert callable(diagnostics.async_get_config_entry_diagnostics)
    assert const.SECRET_KEYS <= TO_REDACT
    secret_like = re.compile(r"key|secret|password|passwd|token|credential", re.IGNORECASE)
    for name, tree in _component_trees():
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                value = _str(node.value)
                if (
                    isinstance(target, ast.Name)
                    and target.id.startswith("CONF_")
                    and value
                    and (secret_like.search(target.id) or secret_like.search(value))
                ):
                    assert name == "const", f"{name}.{target.id}: credentials live in const"
                    assert value in const.SECRET_KEYS, f"{target.id} is not in SECRET_KEYS"


def check_discovery() -> None:
    """Bridges are found over zeroconf, under the type they announce."""
    assert SERVICE_TYPE in MANIFEST["zeroconf"]
    _function(_class(_tree("config_flow"), "SmartShopConfigFlow"), "async_step_zeroconf")
    assert "SOURCE_ZEROCONF" in _test_sources()


def check_discovery_update_info() -> None:
    """A known bridge announcing a new address updates its store."""
    step = _function(_tree("config_flow"), "async_step_zeroconf")
    calls = _calls(step, "_abort_if_unique_id_configured")
    assert any(_keyword(call, "updates") is not None for call in calls)


def check_dynamic_devices() -> None:
    """New sub-entries and a bridge's new camera list reload the store with their devices."""
    setup = _function(_tree("__init__"), "async_setup_entry")
    assert _calls(setup, "add_update_listener")
    assert any(_keyword(call, "on_cameras_changed") for call in _calls(setup, "start"))


def check_entity_category() -> None:
    """The usage sensors are diagnostic."""
    sensor = importlib.import_module("custom_components.smartshop.sensor")
    assert all(d.entity_category == "diagnostic" for d in sensor.SENSORS)


def check_entity_device_class() -> None:
    """Sensors with a unit, the presence sensor and the face watch entities have device classes."""
    sensor = importlib.import_module("custom_components.smartshop.sensor")
    for description in sensor.SENSORS:
        if description.native_unit_of_measurement:
            assert description.device_class, description.key
    for platform, cls in _entity_classes():
        if platform in ("binary_sensor", "image_processing"):
            assert _class_default(cls, "device_class"), f"{platform}.{cls.__name__}"


def check_entity_translations() -> None:
    """Entity names come from translation keys (or the device's name), never hard-coded."""
    keys = _entity_translation_keys()
    assert keys
    for platform, key in keys:
        assert STRINGS["entity"][platform][key]["name"], f"{platform}.{key}"
    translated = {(p, k) for p, names in STRINGS["entity"].items() for k in names}
    assert translated == keys, f"unused: {sorted(translated - keys)}"
    for platform, cls in _entity_classes():
        assert not isinstance(_class_default(cls, "name"), str), f"{platform}.{cls.__name__}"


def check_exception_translations() -> None:
    """Every translation key raised exists under "exceptions", and every one there is raised."""
    keys: set[str] = set()
    for _, tree in _component_trees():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            called = _call_name(call)
            if called in HA_EXCEPTIONS:
                assert _keyword(call, "translation_key") is not None, ast.unparse(call)
                if key := _str(_keyword(call, "translation_key")):
                    keys.add(key)
            if called in {"_error", "EntryValidationError"} and (
                key := _str(call.args[0] if call.args else None)
            ):
                keys.add(key)
    services = importlib.import_module("custom_components.smartshop.services")
    for err in _sample_errors():
        mapped: list[Exception] = [errors.setup_error(err)]
        if not isinstance(err, BridgeError):  # actions never meet a bridge error
            mapped.append(errors.action_error(err))
        for exc in mapped:
            assert isinstance(exc, HomeAssistantError)
            assert exc.translation_key is not None
            keys.add(exc.translation_key)
    for call in _calls(_tree("services"), "_author"):
        keys.add(f"{getattr(services, ast.unparse(call.args[2]))}_required")
    exceptions = set(STRINGS["exceptions"])
    assert keys <= exceptions, f"untranslated: {sorted(keys - exceptions)}"
    assert exceptions <= keys, f"never raised: {sorted(exceptions - keys)}"


def check_icon_translations() -> None:
    """Icons come from icons.json: one per entity translation key and per action."""
    for platform, key in _entity_translation_keys():
        assert ICONS["entity"][platform][key]["default"].startswith("mdi:"), f"{platform}.{key}"
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    assert set(ICONS["services"]) == set(services)
    for name, tree in _component_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute | ast.Name):
                assert getattr(node, "attr", getattr(node, "id", "")) != "_attr_icon", name


def check_reconfiguration_flow() -> None:
    """The config flow reconfigures a store, and tests go through it."""
    _function(_class(_tree("config_flow"), "SmartShopConfigFlow"), "async_step_reconfigure")
    assert _mentioned_in_tests("reconfigure_successful")
    assert "start_reconfigure_flow" in _test_sources()


def check_repair_issues() -> None:
    """Every repair issue SmartShop raises is translated, and every translated one is raised."""
    issues = {value for name, value in vars(const).items() if name.startswith("ISSUE_")}
    assert issues == set(STRINGS["issues"])
    for name, tree in _component_trees():
        for call in _calls(tree, "async_create_issue"):
            key = _keyword(call, "translation_key")
            assert isinstance(key, ast.Name) and key.id.startswith("ISSUE_"), name


def check_stale_devices() -> None:
    """Devices of cameras a bridge no longer has are removed when the store loads."""
    tree = _tree("__init__")
    assert _calls(_function(tree, "async_setup_entry"), "_async_remove_stale_bridge_cameras")
    remove = _function(tree, "_async_remove_stale_bridge_cameras")
    calls = _calls(remove, "async_update_device")
    assert any(_keyword(call, "remove_config_entry_id") is not None for call in calls)


# --- Documentation: each rule is a section of the docs that must exist and say something ------

DOCS: dict[str, tuple[str, str]] = {
    "docs-actions": ("docs/configuration.md", "## Actions"),
    "docs-high-level-description": ("README.md", "# SmartShop"),
    "docs-installation-instructions": ("README.md", "## Install (shop owners)"),
    "docs-removal-instructions": ("docs/configuration.md", "## Removing SmartShop"),
    "docs-configuration-parameters": (
        "docs/configuration.md",
        "## Options (configuration parameters)",
    ),
    "docs-installation-parameters": (
        "docs/configuration.md",
        "## Store set-up (installation parameters)",
    ),
    "docs-data-update": ("docs/configuration.md", "### Data updates"),
    "docs-examples": ("docs/automations.md", "## Worked examples"),
    "docs-known-limitations": ("docs/configuration.md", "## Known limitations"),
    "docs-supported-devices": ("docs/configuration.md", "## Supported backends and devices"),
    "docs-supported-functions": ("docs/configuration.md", "## Events and entities"),
    "docs-troubleshooting": ("docs/troubleshooting.md", "# Troubleshooting"),
    "docs-use-cases": ("docs/configuration.md", "## Use cases"),
}


def _docs_check(document: str, heading: str) -> Callable[[], None]:
    def check() -> None:
        words = _heading_section(ROOT / document, heading).split()
        assert len(words) >= 30, f"{document} {heading!r} says almost nothing"

    return check


def check_docs_actions() -> None:
    """The actions section names every action."""
    _docs_check(*DOCS["docs-actions"])()
    section = _heading_section(ROOT / DOCS["docs-actions"][0], DOCS["docs-actions"][1])
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    for name in services:
        assert f"smartshop.{name}" in section, f"action {name} is not documented"


CHECKS: dict[str, Callable[[], None]] = (
    {
        "action-setup": check_action_setup,
        "appropriate-polling": check_appropriate_polling,
        "brands": check_brands,
        "common-modules": check_common_modules,
        "config-flow-test-coverage": check_config_flow_test_coverage,
        "config-flow": check_config_flow,
        "dependency-transparency": check_dependency_transparency,
        "entity-event-setup": check_entity_event_setup,
        "entity-unique-id": check_entity_unique_id,
        "has-entity-name": check_has_entity_name,
        "runtime-data": check_runtime_data,
        "test-before-configure": check_test_before_configure,
        "test-before-setup": check_test_before_setup,
        "unique-config-entry": check_unique_config_entry,
        "action-exceptions": check_action_exceptions,
        "config-entry-unloading": check_config_entry_unloading,
        "entity-unavailable": check_entity_unavailable,
        "integration-owner": check_integration_owner,
        "log-when-unavailable": check_log_when_unavailable,
        "parallel-updates": check_parallel_updates,
        "reauthentication-flow": check_reauthentication_flow,
        "test-coverage": check_test_coverage,
        "devices": check_devices,
        "diagnostics": check_diagnostics,
        "discovery": check_discovery,
        "discovery-update-info": check_discovery_update_info,
        "dynamic-devices": check_dynamic_devices,
        "entity-category": check_entity_category,
        "entity-device-class": check_entity_device_class,
        "entity-translations": check_entity_translations,
        "exception-translations": check_exception_translations,
        "icon-translations": check_icon_translations,
        "reconfiguration-flow": check_reconfiguration_flow,
        "repair-issues": check_repair_issues,
        "stale-devices": check_stale_devices,
    }
    | {rule: _docs_check(*where) for rule, where in DOCS.items()}
    | {"docs-actions": check_docs_actions}
)


def test_quality_scale_is_complete() -> None:
    """Every rule has a status, and every exemption or todo says why."""
    for rule, value in SCALE.items():
        status = _status(value)
        assert status in {"done", "todo", "exempt"}, rule
        if status != "done":
            assert isinstance(value, dict) and value.get("comment"), f"{rule} needs a reason"


@pytest.mark.parametrize(
    "rule", sorted(rule for rule, value in SCALE.items() if _status(value) == "done")
)
def test_done_rule_holds(rule: str) -> None:
    """A rule marked done passes its check; one without a check is not done yet."""
    check = CHECKS.get(rule)
    assert check is not None, f"add a check for rule {rule} before marking it done"
    check()
