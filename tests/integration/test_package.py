"""What HACS and Home Assistant read from the package: manifest, requirements, translations."""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path

from awesomeversion import AwesomeVersion
import homeassistant
from homeassistant.const import __version__ as HA_VERSION
from packaging.requirements import Requirement
from packaging.version import Version
import yaml

ROOT = Path(__file__).parent.parent.parent
COMPONENT = ROOT / "custom_components" / "smartshop"


def _constraints() -> dict[str, str]:
    """HA's pinned versions (package_constraints.txt) by lower-case name."""
    pins: dict[str, str] = {}
    text = (Path(homeassistant.__file__).parent / "package_constraints.txt").read_text()
    for raw in text.splitlines():
        line = raw.split("#")[0].strip()
        if "==" in line and ";" not in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def test_requirements_satisfiable_under_ha_constraints() -> None:
    """Each manifest requirement admits the version Home Assistant pins, so installs never
    conflict; one that HA does not pin is pinned exactly here, and what it needs in turn admits
    HA's pins."""
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    pins = _constraints()
    assert manifest["requirements"], "the integration declares its requirements"
    for spec in manifest["requirements"]:
        requirement = Requirement(spec)
        pinned = pins.get(requirement.name.lower())
        if pinned is not None:
            assert requirement.specifier.contains(Version(pinned)), f"{spec} excludes HA's {pinned}"
            continue
        assert str(requirement.specifier).startswith("=="), f"{spec}: pin what HA does not"
        for needed in map(Requirement, metadata.requires(requirement.name) or []):
            if needed.marker is not None and not needed.marker.evaluate({"extra": ""}):
                continue
            if (ha_pin := pins.get(needed.name.lower())) is not None:
                assert needed.specifier.contains(Version(ha_pin)), (
                    f"{requirement.name} needs {needed}, HA pins {ha_pin}"
                )


def test_manifest_and_hacs() -> None:
    """The fields HACS and the quality scale ask for are present and consistent."""
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    for key in (
        "domain",
        "name",
        "codeowners",
        "documentation",
        "issue_tracker",
        "iot_class",
        "integration_type",
        "version",
    ):
        assert manifest[key], key
    assert "image_processing" in manifest["dependencies"]
    assert manifest["config_flow"] is True
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert AwesomeVersion(HA_VERSION) >= AwesomeVersion(hacs["homeassistant"])
    assert (COMPONENT / "brand" / "icon.png").is_file()


def test_every_action_field_is_translated() -> None:
    """services.yaml and translations/en.json describe the same actions and fields."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    strings = json.loads((COMPONENT / "translations" / "en.json").read_text())["services"]
    assert set(services) == set(strings)
    for name, service in services.items():
        assert set(service["fields"]) == set(strings[name]["fields"]), name
