"""The docs name what the code has, and only that: actions, events, options and blueprints.

Plain file parsing; no Home Assistant instance is used. The names are collected from the code
(``services.yaml``, the package's source read with ``ast``, the translations, the blueprint folder,
the bridge's metrics module) and compared with README.md, docs/*.md and the blueprints' own text.
Each failure says which name is missing, and where.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import Final

import yaml

from custom_components.smartshop import flow_options

ROOT: Final = Path(__file__).parents[2]
COMPONENT: Final = ROOT / "custom_components" / "smartshop"
BLUEPRINTS: Final = ROOT / "blueprints" / "automation" / "smartshop"
BLUEPRINT_PATH: Final = "blueprints/automation/smartshop/"
CONFIGURATION: Final = ROOT / "docs" / "configuration.md"
AUTOMATIONS: Final = ROOT / "docs" / "automations.md"
METRICS: Final = ROOT / "edge_bridge" / "metrics.py"

# `smartshop.<name>`: an action (or one of the integration's files, e.g. smartshop.db). Not part of a
# longer dotted or slashed name (custom_components.smartshop.usage, <config>/smartshop.db).
ACTION_MENTION: Final = re.compile(r"(?<![\w./-])smartshop\.([a-z_][a-z0-9_]*)(?![\w-])")
# `smartshop_<name>`: an event (or a metric of the bridge), not part of a longer name or path.
EVENT_MENTION: Final = re.compile(r"(?<![\w./-])(smartshop_[a-z0-9_]+)")
# A blueprint, by path, by the path use_blueprint takes, or URL-encoded in an import link.
BLUEPRINT_MENTION: Final = re.compile(
    r"blueprints/automation/smartshop/([\w.-]+\.yaml)"
    r"|(?<![\w/.-])smartshop/([\w.-]+\.yaml)"
    r"|blueprints%2Fautomation%2Fsmartshop%2F([\w.-]+\.yaml)"
)
# Prometheus adds these to a metric family's name.
METRIC_SUFFIXES: Final = ("", "_total", "_bucket", "_sum", "_count")
BUS_FIRE: Final = frozenset({"async_fire", "async_fire_internal", "fire"})


# --- Reading the docs --------------------------------------------------------------------------


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _docs() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _texts_with_blueprints() -> list[Path]:
    """The docs plus the blueprints, whose descriptions name actions and events too."""
    return [*_docs(), *sorted(BLUEPRINTS.glob("*.yaml"))]


def _mentions(pattern: re.Pattern[str], paths: list[Path]) -> dict[str, list[str]]:
    """Each name the pattern finds, with every place (file:line) it is found."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                name = next(group for group in match.groups() if group) if match.groups() else ""
                found[name or match.group(0)].append(f"{_rel(path)}:{number}")
    return found


def _headings(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(line index, level) of each Markdown heading, skipping fenced code blocks."""
    fenced = False
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"(#+) ", line)):
            yield index, len(match.group(1))


def _section(path: Path, heading: str) -> list[str]:
    """The lines under a heading, up to the next heading of the same or a higher level."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert heading in lines, f"{_rel(path)} has no heading {heading!r}"
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    end = next(
        (index for index, depth in _headings(lines) if index > start and depth <= level),
        len(lines),
    )
    return lines[start + 1 : end]


def _tables(lines: list[str]) -> Iterator[list[list[str]]]:
    """The body rows (cells) of each Markdown table, header and separator left out."""
    rows: list[list[str]] = []
    body = False
    for line in [*lines, ""]:
        if not line.startswith("|"):
            if rows:
                yield rows
            rows, body = [], False
        elif re.fullmatch(r"\|[\s|:-]+\|", line.strip()):
            body = True
        elif body:
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])


def _rows(lines: list[str]) -> Iterator[list[str]]:
    """The body rows of every table in the lines."""
    for table in _tables(lines):
        yield from table


def _code_names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


# --- Reading the code --------------------------------------------------------------------------


class Foreign:
    """A name imported from outside the integration (e.g. Home Assistant's EVENT_LOGBOOK_ENTRY)."""


FOREIGN: Final = Foreign()


@dataclass
class Module:
    """One source file of the integration: its assignments and imports, for resolving names."""

    name: str
    tree: ast.Module
    assigned: dict[str, list[ast.expr]]
    imported: dict[str, tuple[str, str] | Foreign]

    @classmethod
    def read(cls, path: Path) -> Module:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = defaultdict(list)
        imported: dict[str, tuple[str, str] | Foreign] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned[target.id].append(node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.value is not None
            ):
                assigned[node.target.id].append(node.value)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.level == 1 and node.module:
                        imported[local] = (node.module, alias.name)
                    else:
                        imported[local] = FOREIGN
        return cls(path.stem, tree, assigned, imported)

    def module_constants(self) -> Iterator[tuple[str, ast.expr]]:
        """Top-level assignments to a single name."""
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    yield target.id, node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    yield node.target.id, node.value


class Package:
    """The integration's modules, with a resolver from expressions to the strings they can be."""

    def __init__(self) -> None:
        self.modules = {path.stem: Module.read(path) for path in sorted(COMPONENT.glob("*.py"))}

    def strings(
        self, module: Module, node: ast.expr, seen: frozenset[tuple[str, str]] = frozenset()
    ) -> set[str] | Foreign | None:
        """Every string the expression can be; FOREIGN for a name from outside; None if unknown."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Name):
            return self._name(module, node.id, seen)
        if isinstance(node, ast.IfExp):
            branches = [self.strings(module, branch, seen) for branch in (node.body, node.orelse)]
            return _union(branches)
        if isinstance(node, ast.JoinedStr):
            return self._joined(module, node, seen)
        return None

    def _joined(
        self, module: Module, node: ast.JoinedStr, seen: frozenset[tuple[str, str]]
    ) -> set[str] | None:
        """An f-string whose every placeholder is one known string (f"{DOMAIN}_x")."""
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text += part.value
                continue
            value = (
                self.strings(module, part.value, seen)
                if isinstance(part, ast.FormattedValue)
                else None
            )
            if not isinstance(value, set) or len(value) != 1:
                return None
            text += next(iter(value))
        return {text}

    def _name(
        self, module: Module, name: str, seen: frozenset[tuple[str, str]]
    ) -> set[str] | Foreign | None:
        if (module.name, name) in seen:
            return None
        seen = seen | {(module.name, name)}
        if name in module.assigned:
            return _union([self.strings(module, node, seen) for node in module.assigned[name]])
        origin = module.imported.get(name)
        if isinstance(origin, Foreign):
            return FOREIGN
        if origin is not None and origin[0] in self.modules:
            return self._name(self.modules[origin[0]], origin[1], seen)
        return None


def _union(values: list[set[str] | Foreign | None]) -> set[str] | None:
    """All the strings, when every part is known."""
    known = [value for value in values if isinstance(value, set)]
    return set().union(*known) if len(known) == len(values) else None


def _is_bus_fire(node: ast.expr) -> bool:
    """hass.bus.async_fire, self._hass.bus.fire, bus.async_fire, ..."""
    if not isinstance(node, ast.Attribute) or node.attr not in BUS_FIRE:
        return False
    owner = node.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "bus") or (
        isinstance(owner, ast.Name) and owner.id == "bus"
    )


def _fired_events(package: Package) -> tuple[dict[str, str], list[str]]:
    """Every event the integration fires ({event: where}), and the fire calls that cannot be named.

    Events come from the EVENT_* constants the package defines and from the first argument of
    every bus fire, called directly or handed over (``call_soon_threadsafe(hass.bus.async_fire,
    EVENT, ...)``). Events imported from Home Assistant are Home Assistant's, not SmartShop's.
    """
    events: dict[str, str] = {}
    unknown: list[str] = []
    for module in package.modules.values():
        where = f"custom_components/smartshop/{module.name}.py"
        for name, node in module.module_constants():
            if name.startswith("EVENT_"):
                value = package.strings(module, node)
                if isinstance(value, set):
                    events.update(dict.fromkeys(value, f"{where} ({name})"))
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            if _is_bus_fire(node.func) and node.args:
                event = node.args[0]
            elif len(node.args) > 1 and _is_bus_fire(node.args[0]):
                event = node.args[1]
            else:
                continue
            value = package.strings(module, event)
            if value is None:
                unknown.append(f"{where}:{node.lineno} fires {ast.unparse(event)}")
            elif isinstance(value, set):
                events.update({name: events.get(name, f"{where}:{node.lineno}") for name in value})
    return events, unknown


def _file_names(package: Package) -> set[str]:
    """Names of the integration's files and stores that look like actions (smartshop.db)."""
    names: set[str] = set()
    for module in package.modules.values():
        for _, node in module.module_constants():
            value = package.strings(module, node)
            if isinstance(value, set):
                names |= {
                    text.removeprefix("smartshop.")
                    for text in value
                    if re.fullmatch(r"smartshop\.[a-z_][a-z0-9_]*", text)
                }
    return names


def _bridge_metrics() -> set[str]:
    """Metric families the bridge exports, and their sample names."""
    families = {
        node.value
        for node in ast.walk(ast.parse(METRICS.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"smartshop_[a-z0-9_]+", node.value)
    }
    return {family + suffix for family in families for suffix in METRIC_SUFFIXES}


def _services() -> set[str]:
    return set(yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8")))


def _option_labels() -> dict[str, dict[str, str]]:
    """{options step: {option key: label}} from the translations."""
    translations = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    return {
        step: dict(content["data"])
        for step, content in translations["options"]["step"].items()
        if content.get("data")
    }


# --- The checks --------------------------------------------------------------------------------


def test_every_action_is_in_the_actions_table() -> None:
    """Each action of services.yaml has its row in docs/configuration.md's Actions table."""
    table = {
        cell.removeprefix("smartshop.")
        for row in _rows(_section(CONFIGURATION, "## Actions"))
        for cell in _code_names(row[0])
        if cell.startswith("smartshop.")
    }
    missing = [
        f"docs/configuration.md, table under '## Actions': no row for `smartshop.{action}` "
        "(declared in custom_components/smartshop/services.yaml)"
        for action in sorted(_services() - table)
    ]
    assert not missing, "\n".join(missing)


def test_every_action_the_docs_name_exists() -> None:
    """Each `smartshop.<action>` in the docs and blueprints is declared in services.yaml."""
    known = _services() | _file_names(Package())
    unknown = [
        f"{', '.join(places)}: `smartshop.{name}` is not an action in "
        "custom_components/smartshop/services.yaml"
        for name, places in sorted(_mentions(ACTION_MENTION, _texts_with_blueprints()).items())
        if name not in known
    ]
    assert not unknown, "\n".join(unknown)


def test_every_fire_names_its_event() -> None:
    """Every bus fire in the package can be traced to the events it fires (or the next checks
    would miss them)."""
    events, unknown = _fired_events(Package())
    assert not unknown, "cannot tell which event is fired:\n" + "\n".join(unknown)
    assert "smartshop_match" in events  # the collection itself works


def test_every_event_is_in_the_events_table() -> None:
    """Each event the integration fires has its row in docs/configuration.md's event table."""
    events, _ = _fired_events(Package())
    table = {
        name
        for row in _rows(_section(CONFIGURATION, "## Events and entities"))
        for name in _code_names(row[0])
    }
    missing = [
        f"docs/configuration.md, table under '## Events and entities': no row for `{event}` "
        f"(fired by {where})"
        for event, where in sorted(events.items())
        if event not in table
    ]
    assert not missing, "\n".join(missing)


def test_every_event_the_docs_name_is_fired() -> None:
    """Each `smartshop_<name>` in the docs and blueprints is an event the integration fires, or
    one of the bridge's metrics."""
    events, _ = _fired_events(Package())
    known = set(events) | _bridge_metrics()
    unknown = [
        f"{', '.join(places)}: `{name}` is neither an event the integration fires nor a metric "
        "of edge_bridge/metrics.py"
        for name, places in sorted(_mentions(EVENT_MENTION, _texts_with_blueprints()).items())
        if name not in known
    ]
    assert not unknown, "\n".join(unknown)


def test_every_option_is_documented_with_its_label() -> None:
    """Each option of the options flow has a row in docs/configuration.md's Options section that
    gives its key and the label the form shows."""
    rows = [
        " ".join(line.split())
        for line in _section(CONFIGURATION, "## Options (configuration parameters)")
        if line.startswith("|")
    ]
    missing = [
        f"docs/configuration.md, tables under '## Options (configuration parameters)': no row "
        f"names option `{key}` with its label {' '.join(label.split())!r} "
        f"(options step {step!r} in custom_components/smartshop/translations/en.json)"
        for step, labels in sorted(_option_labels().items())
        for key, label in sorted(labels.items())
        if not any(f"`{key}`" in row and " ".join(label.split()) in row for row in rows)
    ]
    assert not missing, "\n".join(missing)


def test_every_option_the_docs_name_exists() -> None:
    """Each key in the Options tables' key column is a key of the options flow."""
    keys = {key for labels in _option_labels().values() for key in labels}
    unknown = [
        f"docs/configuration.md, '## Options (configuration parameters)': `{name}` in row "
        f"{row[0]!r} is not an option of the options flow"
        for row in _rows(_section(CONFIGURATION, "## Options (configuration parameters)"))
        if len(row) > 1
        for name in _code_names(row[1])
        if name not in keys
    ]
    assert not unknown, "\n".join(unknown)


def test_option_labels_cover_the_options_flow() -> None:
    """Every field the options flow asks for has a label in the translations' options steps,
    so the documentation check above sees every option."""
    labelled = {key for labels in _option_labels().values() for key in labels}
    tree = ast.parse(Path(flow_options.__file__).read_text(encoding="utf-8"))
    asked: dict[str, int] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"Required", "Optional"}
            and node.args
        ):
            key = node.args[0]
            value = (
                getattr(flow_options, key.id, None)
                if isinstance(key, ast.Name)
                else key.value
                if isinstance(key, ast.Constant)
                else None
            )
            assert isinstance(value, str), (
                f"flow_options.py:{node.lineno}: cannot tell the key {ast.unparse(key)}"
            )
            asked[value] = node.lineno
    assert asked, "no form field found in flow_options.py"
    missing = [
        f"custom_components/smartshop/flow_options.py:{line} asks for `{key}`, which no options "
        "step of translations/en.json labels"
        for key, line in sorted(asked.items())
        if key not in labelled
    ]
    assert not missing, "\n".join(missing)


def test_every_blueprint_is_documented() -> None:
    """Each blueprint file has a section of docs/automations.md that names its path, and a row
    in the Blueprints table linking to that section."""
    files = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
    assert files, f"no blueprint in {_rel(BLUEPRINTS)}"
    lines = AUTOMATIONS.read_text(encoding="utf-8").splitlines()
    table = next(_tables(_section(AUTOMATIONS, "## Blueprints")), [])
    headings = dict(_headings(lines))
    problems: list[str] = []
    for name in files:
        path = f"`{BLUEPRINT_PATH}{name}`"
        where = next((index for index, line in enumerate(lines) if path in line), None)
        if where is None:
            problems.append(f"docs/automations.md does not name {path}")
            continue
        heading = lines[max(index for index in headings if index < where)]
        if not any(f"(#{_slug(heading)})" in row[0] for row in table):
            problems.append(
                f"docs/automations.md, first table under '## Blueprints': no row links to "
                f"{heading!r}, the section that names {path}"
            )
    if len(table) != len(files):
        problems.append(
            f"docs/automations.md, first table under '## Blueprints': {len(table)} rows for "
            f"{len(files)} blueprints in {_rel(BLUEPRINTS)}"
        )
    assert not problems, "\n".join(problems)


def test_every_blueprint_the_docs_name_exists() -> None:
    """Each blueprint named in the docs (path, use_blueprint path or import link) is a file."""
    unknown = [
        f"{', '.join(places)}: blueprint {name} is not in {_rel(BLUEPRINTS)}"
        for name, places in sorted(_mentions(BLUEPRINT_MENTION, _texts_with_blueprints()).items())
        if not (BLUEPRINTS / name).is_file()
    ]
    assert not unknown, "\n".join(unknown)
