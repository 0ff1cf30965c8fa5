"""Config flow for SmartShop: a store, its backend, its watchlists and its cameras."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
import re
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.util import slugify
import probatio

from .alert_rules import CONF_ALERT_RULES, AlertRule, rules_from_options
from .bridge import BridgeClient, BridgeError, BridgeInfo
from .compliance import required_confirmations
from .const import (
    CONF_ACCESS_KEY_ID,
    CONF_ALERT_COOLDOWN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CAMERA_ENTITY,
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_INCIDENT_RETENTION_DAYS,
    CONF_LOCATION,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
    CONF_NAME,
    CONF_OWNED,
    CONF_PAIRING_KEY,
    CONF_PRESENCE_MINUTES,
    CONF_PRICE_PER_1000,
    CONF_REGION,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_ACCESS_KEY,
    CONF_STORE_ID,
    CONF_STORE_NAME,
    DEFAULT_ALERT_COOLDOWN_MINUTES,
    DEFAULT_BRIDGE_PORT,
    DEFAULT_CONFIRMED_RETENTION_DAYS,
    DEFAULT_DAILY_BUDGET,
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_INCIDENT_RETENTION_DAYS,
    DEFAULT_MATCH_THRESHOLD,
    DEFAULT_MAX_EXPIRY_DAYS,
    DEFAULT_MAX_FACES,
    DEFAULT_PRESENCE_MINUTES,
    DEFAULT_REGION,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MIN_MATCH_THRESHOLD,
    PRICE_PER_1000_IMAGES,
    SUBENTRY_CAMERA,
    SUBENTRY_WATCHLIST,
    Backend,
    Category,
)
from .data import SmartShopConfigEntry, backend_config, default_price, new_store_id
from .errors import form_error
from .recognition import CollectionNotFoundError, RecognitionClient, RecognitionError

CONF_MIN_SIMILARITY: Final = "min_similarity"
CONF_NEEDS_CONFIRMATION: Final = "needs_confirmation"
CONF_QUIET_START: Final = "quiet_start"
CONF_QUIET_END: Final = "quiet_end"
COLLECTION_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
MIN_SCAN_INTERVAL: Final = 10
# Each scheduled scan is one DetectFaces call plus, when a face is found, one search per face.
CALLS_PER_SCAN_ESTIMATE: Final = 2


def _box(
    minimum: float, maximum: float, *, step: float = 1, unit: str | None = None
) -> selector.NumberSelector:
    """A number typed into a box."""
    config = selector.NumberSelectorConfig(
        min=minimum, max=maximum, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def _days(maximum: int) -> selector.NumberSelector:
    return _box(1, maximum, unit="d")


_SIMILARITY = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=MIN_MATCH_THRESHOLD, max=100, step=0.5, mode=selector.NumberSelectorMode.SLIDER
    )
)
_MINUTES = _box(0, 1440, unit="min")
_PORT = _box(1, 65535)
_PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
_URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))


async def validate_backend(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Try the credentials; return (errors, description placeholders) for the form."""
    client = RecognitionClient(backend_config(data))
    try:
        await client.validate()
    except RecognitionError as err:
        return form_error(err)
    return {}, {}


def _credentials_schema(backend: Backend, defaults: Mapping[str, Any]) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    if backend is Backend.ENGINE:
        fields[
            probatio.Required(
                CONF_ENDPOINT_URL, default=defaults.get(CONF_ENDPOINT_URL, probatio.UNDEFINED)
            )
        ] = _URL
    fields[
        probatio.Required(
            CONF_ACCESS_KEY_ID, default=defaults.get(CONF_ACCESS_KEY_ID, probatio.UNDEFINED)
        )
    ] = str
    fields[probatio.Required(CONF_SECRET_ACCESS_KEY)] = _PASSWORD
    if backend is Backend.AWS:
        fields[
            probatio.Required(CONF_REGION, default=defaults.get(CONF_REGION, DEFAULT_REGION))
        ] = str
    return probatio.Schema(fields)


def _clean_credentials(backend: Backend, user_input: Mapping[str, Any]) -> dict[str, Any]:
    data = {key: str(value).strip() for key, value in user_input.items()}
    if backend is Backend.ENGINE:
        data[CONF_ENDPOINT_URL] = data[CONF_ENDPOINT_URL].rstrip("/")
        data.setdefault(CONF_REGION, DEFAULT_REGION)
    return data


def _backend_selector() -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[backend.value for backend in Backend],
            translation_key=CONF_BACKEND,
            mode=selector.SelectSelectorMode.LIST,
        )
    )


def _has_word(text: str) -> bool:
    """A name must have at least one letter or digit (slugify turns '!!' into 'unknown')."""
    return re.search(r"[^\W_]", text) is not None


def _url_ok(url: str) -> bool:
    return re.match(r"^https?://[^\s/]+(:\d+)?(/.*)?$", url) is not None


def _compliance_schema(backend: Backend, defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(key, default=bool(defaults.get(key, False))): bool
            for key in required_confirmations(backend)
        }
    )


class SmartShopConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one store."""

    VERSION = 1
    # 1.2: a store without a bridge is identified by a generated store id, not its name.
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._store_name = ""
        self._store_id: str | None = None
        self._backend = Backend.AWS
        self._credentials: dict[str, Any] = {}
        self._bridge: dict[str, Any] = {}
        self._bridge_info: BridgeInfo | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmartShopOptionsFlow:
        """Thresholds, retention, polling and compliance."""
        return SmartShopOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Watchlists and cameras belong to a store."""
        return {SUBENTRY_WATCHLIST: WatchlistSubentryFlow, SUBENTRY_CAMERA: CameraSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pair an edge bridge, or set up a store that only uses a backend."""
        return self.async_show_menu(step_id="user", menu_options=["pair_bridge", "store"])

    async def async_step_store(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name the store and choose where recognition runs."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_STORE_NAME].strip()
            if not _has_word(name):
                errors[CONF_STORE_NAME] = "invalid_store_name"
            else:
                # Not the name: a shop can be renamed, and two shops can share a name.
                self._store_id = new_store_id()
                await self.async_set_unique_id(self._store_id)
                self._store_name = name
                self._backend = Backend(user_input[CONF_BACKEND])
                return await self.async_step_credentials()
        return self.async_show_form(
            step_id="store",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_STORE_NAME): str,
                    probatio.Required(CONF_BACKEND, default=Backend.AWS.value): _backend_selector(),
                }
            ),
            errors=errors,
        )

    async def async_step_pair_bridge(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pair a bridge by its address and the pairing code it printed at first start."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            port = int(user_input[CONF_PORT])
            errors = await self._async_check_bridge(host, port, user_input[CONF_PAIRING_KEY])
            if not errors:
                assert self._bridge_info is not None
                await self.async_set_unique_id(self._bridge_info.bridge_id)
                self._abort_if_unique_id_configured(
                    updates={CONF_BRIDGE_HOST: host, CONF_BRIDGE_PORT: port}
                )
                return await self.async_step_bridge_store()
        return self.async_show_form(
            step_id="pair_bridge",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_HOST): str,
                        probatio.Required(CONF_PORT, default=DEFAULT_BRIDGE_PORT): _PORT,
                        probatio.Required(CONF_PAIRING_KEY): _PASSWORD,
                    }
                ),
                {k: v for k, v in (user_input or {}).items() if k != CONF_PAIRING_KEY},
            ),
            errors=errors,
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A bridge announced itself on the network."""
        bridge_id = str(discovery_info.properties.get("id") or "").strip()
        if not bridge_id:
            return self.async_abort(reason="not_a_bridge")
        port = int(discovery_info.properties.get("api_port") or discovery_info.port or 0)
        await self.async_set_unique_id(bridge_id)
        # A known bridge at a new address: update the store and reload it.
        self._abort_if_unique_id_configured(
            updates={CONF_BRIDGE_HOST: discovery_info.host, CONF_BRIDGE_PORT: port}
        )
        self._bridge = {
            CONF_BRIDGE_ID: bridge_id,
            CONF_BRIDGE_HOST: discovery_info.host,
            CONF_BRIDGE_PORT: port,
        }
        self.context["title_placeholders"] = {"name": bridge_id}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the discovered bridge's pairing code."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._async_check_bridge(
                self._bridge[CONF_BRIDGE_HOST],
                self._bridge[CONF_BRIDGE_PORT],
                user_input[CONF_PAIRING_KEY],
            )
            if not errors:
                return await self.async_step_bridge_store()
        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=probatio.Schema({probatio.Required(CONF_PAIRING_KEY): _PASSWORD}),
            errors=errors,
            description_placeholders={
                "bridge_id": self._bridge[CONF_BRIDGE_ID],
                "host": f"{self._bridge[CONF_BRIDGE_HOST]}:{self._bridge[CONF_BRIDGE_PORT]}",
            },
        )

    async def _async_check_bridge(self, host: str, port: int, key: str) -> dict[str, str]:
        """Ask the bridge who it is with this key; remember it when it answers."""
        client = BridgeClient(async_get_clientsession(self.hass), host, port, key.strip())
        try:
            info = await client.info()
        except BridgeError as err:
            return form_error(err)[0]
        expected = self._bridge.get(CONF_BRIDGE_ID)
        if expected and info.bridge_id != expected:
            return {"base": "bridge_replaced"}
        self._bridge_info = info
        self._bridge = {
            CONF_BRIDGE_ID: info.bridge_id,
            CONF_BRIDGE_HOST: host,
            CONF_BRIDGE_PORT: port,
            CONF_BRIDGE_KEY: key.strip(),
        }
        return {}

    async def async_step_bridge_store(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the store; its bridge's engine is the preselected backend, AWS the other choice."""
        info = self._bridge_info
        assert info is not None
        has_engine = info.engine_port is not None
        errors: dict[str, str] = {}
        placeholders = {"action": "", "bridge_id": info.bridge_id}
        if user_input is not None:
            name = user_input[CONF_STORE_NAME].strip()
            self._backend = Backend(user_input[CONF_BACKEND])
            if not _has_word(name):
                errors[CONF_STORE_NAME] = "invalid_store_name"
            elif self._backend is Backend.ENGINE and not has_engine:
                errors[CONF_BACKEND] = "bridge_has_no_engine"
            else:
                self._store_name = name
                if self._backend is Backend.AWS:
                    return await self.async_step_credentials()
                data = {
                    CONF_BACKEND: Backend.ENGINE.value,
                    CONF_ENGINE_ON_BRIDGE: True,
                    CONF_ENGINE_PORT: info.engine_port,
                    CONF_REGION: DEFAULT_REGION,
                } | self._bridge
                errors, found = await validate_backend(data)
                placeholders |= found
                if not errors:
                    self._credentials = data
                    return await self.async_step_compliance()
        default_backend = Backend.ENGINE if has_engine else Backend.AWS
        return self.async_show_form(
            step_id="bridge_store",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_STORE_NAME): str,
                        probatio.Required(
                            CONF_BACKEND, default=default_backend.value
                        ): _backend_selector(),
                    }
                ),
                user_input or {CONF_STORE_NAME: info.bridge_id},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Keys for AWS Rekognition or for a SmartShop engine; tested before going on."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"action": ""}
        if user_input is not None:
            data = (
                {CONF_BACKEND: self._backend.value}
                | _clean_credentials(self._backend, user_input)
                | self._bridge
            )
            if self._backend is Backend.ENGINE and not _url_ok(data[CONF_ENDPOINT_URL]):
                errors[CONF_ENDPOINT_URL] = "invalid_url"
            else:
                errors, found = await validate_backend(data)
                placeholders |= found
            if not errors:
                self._credentials = data
                return await self.async_step_compliance()
        return self.async_show_form(
            step_id=f"credentials_{self._backend.value}",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(self._backend, {}), user_input or {}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async_step_credentials_aws = async_step_credentials
    async_step_credentials_engine = async_step_credentials

    async def async_step_compliance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The owner's confirmations; recognition stays off until all are given."""
        if user_input is not None:
            options = {
                CONF_MATCH_THRESHOLD: DEFAULT_MATCH_THRESHOLD,
                CONF_ALERT_COOLDOWN: DEFAULT_ALERT_COOLDOWN_MINUTES,
                CONF_DEFAULT_EXPIRY_DAYS: DEFAULT_EXPIRY_DAYS,
                CONF_MAX_EXPIRY_DAYS: DEFAULT_MAX_EXPIRY_DAYS,
                CONF_INCIDENT_RETENTION_DAYS: DEFAULT_INCIDENT_RETENTION_DAYS,
                CONF_CONFIRMED_RETENTION_DAYS: DEFAULT_CONFIRMED_RETENTION_DAYS,
                CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
                CONF_MAX_FACES: DEFAULT_MAX_FACES,
                CONF_DAILY_BUDGET: DEFAULT_DAILY_BUDGET,
                CONF_PRESENCE_MINUTES: DEFAULT_PRESENCE_MINUTES,
                CONF_PRICE_PER_1000: default_price(self._credentials),
            } | user_input
            identity = {CONF_STORE_ID: self._store_id} if self._store_id else {}
            return self.async_create_entry(
                title=self._store_name,
                data={CONF_STORE_NAME: self._store_name} | identity | self._credentials,
                options=options,
            )
        return self.async_show_form(
            step_id="compliance", data_schema=_compliance_schema(self._backend, {})
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The backend refused the keys."""
        return await self.async_step_reauth_confirm()

    async def _async_recheck(
        self,
        entry: ConfigEntry,
        data: dict[str, Any],
        host: str | None,
        port: Any,
        key: str | None,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Check an existing store's bridge (same id, maybe new address or key), then its
        backend; ``data`` takes the checked bridge fields. Returns (errors, placeholders)."""
        if CONF_BRIDGE_ID in entry.data:
            self._bridge = {CONF_BRIDGE_ID: entry.data[CONF_BRIDGE_ID]}
            assert host is not None and key is not None
            if errors := await self._async_check_bridge(host, int(port), key):
                return errors, {}
            data |= self._bridge
        return await validate_backend(data)

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for what was refused: the bridge's pairing code and/or the backend's keys."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders = {"store": entry.title, "action": ""}
        has_bridge = CONF_BRIDGE_ID in entry.data
        own_keys = not entry.data.get(CONF_ENGINE_ON_BRIDGE)
        if user_input is not None:
            data = dict(entry.data)
            if own_keys:
                data |= {
                    CONF_ACCESS_KEY_ID: user_input[CONF_ACCESS_KEY_ID].strip(),
                    CONF_SECRET_ACCESS_KEY: user_input[CONF_SECRET_ACCESS_KEY].strip(),
                }
            errors, found = await self._async_recheck(
                entry,
                data,
                entry.data.get(CONF_BRIDGE_HOST),
                entry.data.get(CONF_BRIDGE_PORT),
                user_input.get(CONF_PAIRING_KEY),
            )
            placeholders |= found
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        fields: dict[Any, Any] = {}
        if has_bridge:
            fields[probatio.Required(CONF_PAIRING_KEY)] = _PASSWORD
        if own_keys:
            fields[
                probatio.Required(CONF_ACCESS_KEY_ID, default=entry.data[CONF_ACCESS_KEY_ID])
            ] = str
            fields[probatio.Required(CONF_SECRET_ACCESS_KEY)] = _PASSWORD
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(fields),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the bridge's address, the region, the engine's address or the keys."""
        entry = self._get_reconfigure_entry()
        backend = Backend(entry.data[CONF_BACKEND])
        has_bridge = CONF_BRIDGE_ID in entry.data
        own_keys = not entry.data.get(CONF_ENGINE_ON_BRIDGE)
        errors: dict[str, str] = {}
        placeholders = {"action": ""}
        if user_input is not None:
            data = dict(entry.data)
            if own_keys:
                data |= _clean_credentials(
                    backend,
                    {k: v for k, v in user_input.items() if k not in (CONF_HOST, CONF_PORT)},
                )
            if backend is Backend.ENGINE and own_keys and not _url_ok(data[CONF_ENDPOINT_URL]):
                errors[CONF_ENDPOINT_URL] = "invalid_url"
            else:
                errors, found = await self._async_recheck(
                    entry,
                    data,
                    user_input.get(CONF_HOST, "").strip(),
                    user_input.get(CONF_PORT),
                    entry.data.get(CONF_BRIDGE_KEY),
                )
                placeholders |= found
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        fields: dict[Any, Any] = {}
        if has_bridge:
            fields[probatio.Required(CONF_HOST, default=entry.data[CONF_BRIDGE_HOST])] = str
            fields[probatio.Required(CONF_PORT, default=entry.data[CONF_BRIDGE_PORT])] = _PORT
        if own_keys:
            fields |= _credentials_schema(backend, entry.data).schema
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=probatio.Schema(fields),
            errors=errors,
            description_placeholders=placeholders,
        )


class SmartShopOptionsFlow(OptionsFlow):
    """Matching, alerting, retention, polling and compliance settings of a store."""

    def __init__(self) -> None:
        """Nothing pending yet."""
        self._pending: dict[str, Any] = {}
        self._category = Category.THEFT

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Store settings, or the alert rule of one watchlist category."""
        return self.async_show_menu(step_id="init", menu_options=["settings", "alert_rules"])

    async def async_step_alert_rules(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the category whose alert rule to change."""
        if user_input is not None:
            self._category = Category(user_input[CONF_CATEGORY])
            return await self.async_step_alert_rule()
        return self.async_show_form(
            step_id="alert_rules",
            data_schema=probatio.Schema({probatio.Required(CONF_CATEGORY): _category_selector()}),
        )

    async def async_step_alert_rule(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Minimum similarity, cooldown, quiet hours and confirmation for one category."""
        options = self.config_entry.options
        threshold = float(options.get(CONF_MATCH_THRESHOLD, DEFAULT_MATCH_THRESHOLD))
        rules = rules_from_options(
            options,
            threshold=threshold,
            cooldown_minutes=float(
                options.get(CONF_ALERT_COOLDOWN, DEFAULT_ALERT_COOLDOWN_MINUTES)
            ),
        )
        current = rules[self._category]
        errors: dict[str, str] = {}
        if user_input is not None:
            start, end = user_input.get(CONF_QUIET_START), user_input.get(CONF_QUIET_END)
            if float(user_input[CONF_MIN_SIMILARITY]) < threshold:
                errors[CONF_MIN_SIMILARITY] = "below_store_threshold"
            elif bool(start) != bool(end):
                errors["base"] = "quiet_hours_incomplete"
            else:
                rule = AlertRule(
                    min_similarity=float(user_input[CONF_MIN_SIMILARITY]),
                    cooldown_minutes=float(user_input[CONF_ALERT_COOLDOWN]),
                    needs_confirmation=bool(user_input[CONF_NEEDS_CONFIRMATION]),
                    quiet_start=time.fromisoformat(start) if start else None,
                    quiet_end=time.fromisoformat(end) if end else None,
                )
                stored = dict(options.get(CONF_ALERT_RULES) or {})
                stored[self._category.value] = rule.as_options()
                return self.async_create_entry(data=dict(options) | {CONF_ALERT_RULES: stored})
        defaults = current.as_options()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_MIN_SIMILARITY): _SIMILARITY,
                probatio.Required(CONF_ALERT_COOLDOWN): _MINUTES,
                probatio.Required(CONF_NEEDS_CONFIRMATION): bool,
                probatio.Optional(CONF_QUIET_START): selector.TimeSelector(),
                probatio.Optional(CONF_QUIET_END): selector.TimeSelector(),
            }
        )
        suggested = {
            CONF_MIN_SIMILARITY: defaults["min_similarity"],
            CONF_ALERT_COOLDOWN: defaults["cooldown_minutes"],
            CONF_NEEDS_CONFIRMATION: defaults["needs_confirmation"],
            CONF_QUIET_START: defaults["quiet_start"],
            CONF_QUIET_END: defaults["quiet_end"],
        }
        return self.async_show_form(
            step_id="alert_rule",
            data_schema=self.add_suggested_values_to_schema(
                schema, {k: v for k, v in (user_input or suggested).items() if v is not None}
            ),
            errors=errors,
            description_placeholders={"category": self._category.value},
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form with every store setting."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        backend = Backend(self.config_entry.data[CONF_BACKEND])
        if user_input is not None:
            cleaned = _numbers(user_input)
            interval = cleaned[CONF_SCAN_INTERVAL]
            if cleaned[CONF_DEFAULT_EXPIRY_DAYS] > cleaned[CONF_MAX_EXPIRY_DAYS]:
                errors[CONF_DEFAULT_EXPIRY_DAYS] = "expiry_above_maximum"
            elif 0 < interval < MIN_SCAN_INTERVAL:
                errors[CONF_SCAN_INTERVAL] = "interval_too_short"
            else:
                self._pending = dict(options) | cleaned
                if interval > 0 and interval != options.get(CONF_SCAN_INTERVAL, 0):
                    return await self.async_step_confirm_cost()
                return self.async_create_entry(data=self._pending)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_MATCH_THRESHOLD): _SIMILARITY,
                probatio.Required(CONF_ALERT_COOLDOWN): _MINUTES,
                probatio.Required(CONF_DEFAULT_EXPIRY_DAYS): _days(1095),
                probatio.Required(CONF_MAX_EXPIRY_DAYS): _days(1095),
                probatio.Required(CONF_INCIDENT_RETENTION_DAYS): _days(365),
                probatio.Required(CONF_CONFIRMED_RETENTION_DAYS): _days(2190),
                probatio.Required(CONF_MAX_FACES): _box(1, 20),
                probatio.Required(CONF_PRESENCE_MINUTES): _box(1, 1440, unit="min"),
                probatio.Required(CONF_DAILY_BUDGET): _box(0, 1_000_000),
                probatio.Required(CONF_PRICE_PER_1000): _box(0, 100, step=0.01, unit="USD"),
                probatio.Required(CONF_SCAN_INTERVAL): _box(0, 86400, unit="s"),
                **_compliance_schema(backend, options).schema,
            }
        )
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or options),
            errors=errors,
        )

    async def async_step_confirm_cost(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what polling every camera costs per day before turning it on."""
        if user_input is not None:
            return self.async_create_entry(data=self._pending)
        cameras = sum(
            1
            for sub in self.config_entry.subentries.values()
            if sub.subentry_type == SUBENTRY_CAMERA
        )
        scans = polling_scans_per_day(self._pending[CONF_SCAN_INTERVAL], max(cameras, 1))
        return self.async_show_form(
            step_id="confirm_cost",
            data_schema=probatio.Schema({}),
            description_placeholders={
                "interval": str(self._pending[CONF_SCAN_INTERVAL]),
                "cameras": str(max(cameras, 1)),
                "scans": f"{scans:,}",
                "cost": f"{polling_cost_per_day(scans):.2f}",
            },
        )


def polling_scans_per_day(interval_s: int, cameras: int) -> int:
    """Scans a day when every camera is polled at the interval."""
    return (86400 // interval_s) * cameras


def polling_cost_per_day(scans: int) -> float:
    """Estimated USD a day at list price, assuming a face in most frames."""
    return scans * CALLS_PER_SCAN_ESTIMATE * PRICE_PER_1000_IMAGES / 1000


def _numbers(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Number selectors return floats; whole-number settings are stored as int."""
    cleaned = dict(user_input)
    for key in (
        CONF_ALERT_COOLDOWN,
        CONF_DEFAULT_EXPIRY_DAYS,
        CONF_MAX_EXPIRY_DAYS,
        CONF_INCIDENT_RETENTION_DAYS,
        CONF_CONFIRMED_RETENTION_DAYS,
        CONF_MAX_FACES,
        CONF_SCAN_INTERVAL,
        CONF_DAILY_BUDGET,
        CONF_PRESENCE_MINUTES,
    ):
        cleaned[key] = int(cleaned[key])
    cleaned[CONF_MATCH_THRESHOLD] = float(cleaned[CONF_MATCH_THRESHOLD])
    cleaned[CONF_PRICE_PER_1000] = float(cleaned[CONF_PRICE_PER_1000])
    return cleaned


class _StoreSubentryFlow(ConfigSubentryFlow):
    """A subentry flow that needs the store to be running."""

    def _loaded_entry(self) -> SmartShopConfigEntry | None:
        entry: SmartShopConfigEntry = self._get_entry()
        return entry if entry.state is ConfigEntryState.LOADED else None


class WatchlistSubentryFlow(_StoreSubentryFlow):
    """Add or edit a watchlist (one face collection on the backend)."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Name, category, and optionally an existing collection shared with other stores."""
        entry = self._loaded_entry()
        if entry is None:
            return self.async_abort(reason="store_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            shared = (user_input.get(CONF_COLLECTION_ID) or "").strip()
            # The store's id (or its bridge's), never its name: a renamed store keeps its prefix.
            collection_id = (
                shared or f"smartshop-{entry.unique_id or entry.entry_id}-{slugify(name)}"
            )
            collection_id = collection_id.replace("_", "-")
            if not _has_word(name):
                errors[CONF_NAME] = "invalid_name"
            elif not COLLECTION_ID_PATTERN.match(collection_id):
                errors[CONF_COLLECTION_ID] = "invalid_collection_id"
            elif any(sub.unique_id == collection_id for sub in entry.subentries.values()):
                return self.async_abort(reason="already_configured")
            else:
                owned, errors = await _async_prepare_collection(
                    entry.runtime_data.client, collection_id, bool(shared)
                )
                if not errors:
                    return self.async_create_entry(
                        title=name,
                        data={
                            CONF_NAME: name,
                            CONF_CATEGORY: user_input[CONF_CATEGORY],
                            CONF_COLLECTION_ID: collection_id,
                            CONF_OWNED: owned,
                        },
                        unique_id=collection_id,
                    )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_NAME): str,
                        probatio.Required(
                            CONF_CATEGORY, default=Category.THEFT.value
                        ): _category_selector(),
                        probatio.Optional(CONF_COLLECTION_ID): str,
                    }
                ),
                user_input or {},
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Rename a watchlist or change its category (the collection stays)."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            if not _has_word(name):
                errors[CONF_NAME] = "invalid_name"
            else:
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=name,
                    data_updates={CONF_NAME: name, CONF_CATEGORY: user_input[CONF_CATEGORY]},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_NAME): str,
                        probatio.Required(CONF_CATEGORY): _category_selector(),
                    }
                ),
                user_input or subentry.data,
            ),
            errors=errors,
            description_placeholders={"collection": subentry.data[CONF_COLLECTION_ID]},
        )


async def _async_prepare_collection(
    client: RecognitionClient, collection_id: str, shared: bool
) -> tuple[bool, dict[str, str]]:
    """Create the collection, or join an existing one when the owner named it.

    Returns (owned, form errors).
    """
    try:
        try:
            await client.describe_collection(collection_id)
            exists = True
        except CollectionNotFoundError:
            exists = False
        if not exists:
            await client.ensure_collection(collection_id)
    except RecognitionError as err:
        return False, form_error(err, region_field=False)[0]
    return not (exists and shared), {}


def _category_selector() -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[category.value for category in Category],
            translation_key=CONF_CATEGORY,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )


class CameraSubentryFlow(_StoreSubentryFlow):
    """Pick a Home Assistant camera to watch, and say where it is."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Camera and location."""
        return await self._async_camera_form(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the camera or its location."""
        return await self._async_camera_form(user_input)

    async def _async_camera_form(self, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        reconfiguring = self.source == SOURCE_RECONFIGURE
        subentry = self._get_reconfigure_subentry() if reconfiguring else None
        errors: dict[str, str] = {}
        if user_input is not None:
            camera = user_input[CONF_CAMERA_ENTITY]
            location = (user_input.get(CONF_LOCATION) or "").strip()
            if self.hass.states.get(camera) is None:
                errors[CONF_CAMERA_ENTITY] = "camera_not_found"
            elif any(
                sub.unique_id == camera and sub is not subentry
                for sub in self._get_entry().subentries.values()
            ):
                return self.async_abort(reason="already_configured")
            else:
                state = self.hass.states.get(camera)
                title = location or (state.name if state else camera)
                data = {CONF_CAMERA_ENTITY: camera, CONF_LOCATION: title}
                if subentry is not None:
                    return self.async_update_and_abort(
                        self._get_entry(), subentry, title=title, data=data, unique_id=camera
                    )
                return self.async_create_entry(title=title, data=data, unique_id=camera)
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "user",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_CAMERA_ENTITY): selector.EntitySelector(
                            selector.EntitySelectorConfig(domain="camera")
                        ),
                        probatio.Optional(CONF_LOCATION): str,
                    }
                ),
                user_input or (subentry.data if subentry else {}),
            ),
            errors=errors,
        )
