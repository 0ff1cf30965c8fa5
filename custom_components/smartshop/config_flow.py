"""Config flow for SmartShop: set up a store (alone or paired with its edge bridge), re-authenticate
and reconfigure it.

Its options flow lives in ``flow_options.py``, its watchlist and camera subentry flows in
``flow_subentries.py``, and the form pieces they share in ``flow_schemas.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio

from .bridge_client import BridgeClient, BridgeError, PairingResult, pair
from .bridge_protocol import TXT_API_PORT, TXT_ID, BridgeInfo, PairingCode, ProtocolError
from .const import (
    CONF_ACCESS_KEY_ID,
    CONF_ALERT_COOLDOWN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_CERT_SHA256,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_INCIDENT_RETENTION_DAYS,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
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
    LOGGER,
    SUBENTRY_CAMERA,
    SUBENTRY_WATCHLIST,
    Backend,
)
from .cost import default_price
from .data import (
    backend_config,
    client_name,
    make_bridge_client,
    new_store_id,
    pairing_data,
)
from .errors import bridge_update_issue_id, certificate_issue_id, form_error
from .flow_options import SmartShopOptionsFlow
from .flow_schemas import (
    PASSWORD,
    PORT,
    backend_selector,
    clean_credentials,
    compliance_schema,
    credentials_schema,
    engine_pin_error,
    has_word,
    insecure_url_refused,
    url_ok,
)
from .flow_subentries import CameraSubentryFlow, WatchlistSubentryFlow
from .recognition import RecognitionClient, RecognitionError


async def validate_backend(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Try the credentials; return (errors, description placeholders) for the form."""
    client = RecognitionClient(backend_config(data))
    try:
        await client.validate()
    except RecognitionError as err:
        return form_error(err)
    return {}, {}


class SmartShopConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one store."""

    VERSION = 1
    # 1.2: a store without a bridge is identified by a generated store id, not its name.
    # 1.3: a bridge is paired over TLS with credentials of its own (a 1.2 pairing's shared key is
    # migrated when the store sets up).
    MINOR_VERSION = 3

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._store_name = ""
        self._store_id: str | None = None
        self._backend = Backend.AWS
        self._credentials: dict[str, Any] = {}
        self._bridge: dict[str, Any] = {}
        self._bridge_info: BridgeInfo | None = None
        self._pairing: PairingResult | None = None
        self._new_client: BridgeClient | None = None

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
            if not has_word(name):
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
                    probatio.Required(CONF_BACKEND, default=Backend.AWS.value): backend_selector(),
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
                try:
                    await self.async_set_unique_id(self._bridge_info.bridge_id)
                    # The store's update listener reloads it at the new address.
                    self._abort_if_unique_id_configured(
                        updates={CONF_BRIDGE_HOST: host, CONF_BRIDGE_PORT: port},
                        reload_on_update=False,
                    )
                except AbortFlow:
                    # Paired for nothing: the bridge has a store (or a flow) already.
                    await self._async_revoke_new_pairing()
                    raise
                return await self.async_step_bridge_store()
        return self.async_show_form(
            step_id="pair_bridge",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(CONF_HOST): str,
                        probatio.Required(CONF_PORT, default=DEFAULT_BRIDGE_PORT): PORT,
                        probatio.Required(CONF_PAIRING_KEY): PASSWORD,
                    }
                ),
                {k: v for k, v in (user_input or {}).items() if k != CONF_PAIRING_KEY},
            ),
            errors=errors,
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A bridge announced itself on the network."""
        bridge_id = str(discovery_info.properties.get(TXT_ID) or "").strip()
        if not bridge_id:
            return self.async_abort(reason="not_a_bridge")
        port = int(discovery_info.properties.get(TXT_API_PORT) or discovery_info.port or 0)
        await self.async_set_unique_id(bridge_id)
        # A known bridge at a new address: update the store; its update listener reloads it (and
        # Home Assistant retries at once a store still waiting to set up).
        self._abort_if_unique_id_configured(
            updates={CONF_BRIDGE_HOST: discovery_info.host, CONF_BRIDGE_PORT: port},
            reload_on_update=False,
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
            data_schema=probatio.Schema({probatio.Required(CONF_PAIRING_KEY): PASSWORD}),
            errors=errors,
            description_placeholders={
                "bridge_id": self._bridge[CONF_BRIDGE_ID],
                "host": f"{self._bridge[CONF_BRIDGE_HOST]}:{self._bridge[CONF_BRIDGE_PORT]}",
            },
        )

    async def _async_check_bridge(
        self,
        host: str,
        port: int,
        code_text: str | None,
        stored: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        """Pair with the bridge at ``host:port`` by the typed code (or, without one, reach it
        with the ``stored`` store's own credentials), ask who it is, and remember it."""
        session = async_get_clientsession(self.hass)
        await self._async_revoke_new_pairing()  # an earlier try's, now replaced
        if code_text is None:
            assert stored is not None
            client = make_bridge_client(session, stored, host, port)
        else:
            try:
                code = PairingCode.parse(code_text)
            except ProtocolError:
                return {CONF_PAIRING_KEY: "invalid_pairing_code"}
            try:
                self._pairing = await pair(
                    session,
                    host,
                    port,
                    code.secret,
                    client_name=client_name(self.hass.config.location_name),
                    expected=code,
                )
            except BridgeError as err:
                return form_error(err)[0]
            client = BridgeClient(
                session,
                host,
                port,
                self._pairing.credentials.api_token,
                self._pairing.cert_sha256,
            )
        self._new_client = client
        try:
            info = await client.info()
        except BridgeError as err:
            return form_error(err)[0]
        expected = self._bridge.get(CONF_BRIDGE_ID) or info.bridge_id
        if expected != info.bridge_id or (
            self._pairing is not None and self._pairing.bridge_id != info.bridge_id
        ):
            await self._async_revoke_new_pairing()
            return {"base": "bridge_replaced"}
        self._bridge_info = info
        self._bridge = {
            CONF_BRIDGE_ID: info.bridge_id,
            CONF_BRIDGE_HOST: host,
            CONF_BRIDGE_PORT: port,
        }
        if self._pairing is not None:
            self._bridge |= pairing_data(self._pairing)
        return {}

    async def _async_revoke_new_pairing(self) -> None:
        """End credentials this flow paired for but will not keep (best effort)."""
        client, self._new_client = self._new_client, None
        if self._pairing is None or client is None:
            return
        self._pairing = None
        try:
            await client.revoke()
        except BridgeError as err:
            LOGGER.debug("Could not revoke an unused pairing: %s", err)

    def _pairing_kept(self) -> None:
        """The new credentials are saved in a store: the flow's end must not revoke them."""
        self._pairing = None
        self._new_client = None

    @callback
    def async_remove(self) -> None:
        """The flow ended (finished, aborted or closed by the owner): credentials it paired for
        and did not save are revoked on the bridge."""
        if self._pairing is not None:
            self.hass.async_create_task(
                self._async_revoke_new_pairing(), "smartshop: revoke an unused pairing"
            )

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
            if not has_word(name):
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
                        ): backend_selector(),
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
                | clean_credentials(self._backend, user_input)
                | self._bridge
            )
            if self._backend is Backend.ENGINE and not url_ok(data[CONF_ENDPOINT_URL]):
                errors[CONF_ENDPOINT_URL] = "invalid_url"
            elif self._backend is Backend.ENGINE and insecure_url_refused(data):
                errors[CONF_ENDPOINT_URL] = "insecure_url"
            elif self._backend is Backend.ENGINE and (pin_error := engine_pin_error(data)):
                errors[CONF_ENGINE_CERT_SHA256] = pin_error
            else:
                errors, found = await validate_backend(data)
                placeholders |= found
            if not errors:
                self._credentials = data
                return await self.async_step_compliance()
        return self.async_show_form(
            step_id=f"credentials_{self._backend.value}",
            data_schema=self.add_suggested_values_to_schema(
                credentials_schema(self._backend, {}), user_input or {}
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
            self._pairing_kept()
            return self.async_create_entry(
                title=self._store_name,
                data={CONF_STORE_NAME: self._store_name} | identity | self._credentials,
                options=options,
            )
        return self.async_show_form(
            step_id="compliance", data_schema=compliance_schema(self._backend, {})
        )

    def _async_save_and_abort(self, entry: ConfigEntry, data: dict[str, Any]) -> ConfigFlowResult:
        """Save checked data and finish re-authentication or reconfiguration.

        A running store's update listener reloads it when the data changed; otherwise (the same
        data, or a store that failed to set up and so has no listener) it is reloaded here, so
        what was just checked is used at once.
        """
        reloads = bool(entry.update_listeners)  # gone once the reload it schedules starts
        self._pairing_kept()
        changed = self.hass.config_entries.async_update_entry(entry, data=data)
        if not (changed and reloads):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
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
        code: str | None,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Check an existing store's bridge (same id; maybe a new address, or paired again with
        a new code), then its backend; ``data`` takes the checked bridge fields. Returns
        (errors, placeholders)."""
        if CONF_BRIDGE_ID in entry.data:
            self._bridge = {CONF_BRIDGE_ID: entry.data[CONF_BRIDGE_ID]}
            assert host is not None
            if errors := await self._async_check_bridge(host, int(port), code, entry.data):
                return errors, {}
            data |= self._bridge
            if self._pairing is not None:
                data.pop(CONF_BRIDGE_KEY, None)  # a pre-TLS pairing's key is done with
        errors, placeholders = await validate_backend(data)
        if errors:
            await self._async_revoke_new_pairing()
        return errors, placeholders

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for what was refused: a new pairing code from the bridge and/or the backend's
        keys. A store on its bridge's engine needs only the code; one on AWS may skip it while
        the bridge still accepts its credentials."""
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
                user_input.get(CONF_PAIRING_KEY) or None,
            )
            placeholders |= found
            if not errors:
                for issue in (certificate_issue_id, bridge_update_issue_id):
                    ir.async_delete_issue(self.hass, DOMAIN, issue(entry.entry_id))
                return self._async_save_and_abort(entry, data)
        fields: dict[Any, Any] = {}
        if has_bridge:
            key = probatio.Optional if own_keys else probatio.Required
            fields[key(CONF_PAIRING_KEY)] = PASSWORD
        if own_keys:
            fields[
                probatio.Required(CONF_ACCESS_KEY_ID, default=entry.data[CONF_ACCESS_KEY_ID])
            ] = str
            fields[probatio.Required(CONF_SECRET_ACCESS_KEY)] = PASSWORD
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
                data |= clean_credentials(
                    backend,
                    {k: v for k, v in user_input.items() if k not in (CONF_HOST, CONF_PORT)},
                )
            if backend is Backend.ENGINE and own_keys and not url_ok(data[CONF_ENDPOINT_URL]):
                errors[CONF_ENDPOINT_URL] = "invalid_url"
            elif backend is Backend.ENGINE and own_keys and insecure_url_refused(data):
                errors[CONF_ENDPOINT_URL] = "insecure_url"
            elif backend is Backend.ENGINE and own_keys and (pin_error := engine_pin_error(data)):
                errors[CONF_ENGINE_CERT_SHA256] = pin_error
            else:
                errors, found = await self._async_recheck(
                    entry,
                    data,
                    user_input.get(CONF_HOST, "").strip(),
                    user_input.get(CONF_PORT),
                    None,
                )
                placeholders |= found
            if not errors:
                return self._async_save_and_abort(entry, data)
        fields: dict[Any, Any] = {}
        if has_bridge:
            fields[probatio.Required(CONF_HOST, default=entry.data[CONF_BRIDGE_HOST])] = str
            fields[probatio.Required(CONF_PORT, default=entry.data[CONF_BRIDGE_PORT])] = PORT
        if own_keys:
            fields |= credentials_schema(backend, entry.data).schema
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=probatio.Schema(fields),
            errors=errors,
            description_placeholders=placeholders,
        )
