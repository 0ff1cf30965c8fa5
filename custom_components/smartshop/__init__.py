"""SmartShop: recognise watchlisted people at the door and let Home Assistant act."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Final

from homeassistant.components.image_processing.const import DATA_COMPONENT as IMAGE_PROCESSING
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .alert_rules import rules_from_options
from .audit import AuditAction
from .bridge_client import BridgeError, BridgeNotTLSError, pair
from .bridge_connection import BridgeConnection
from .compliance import async_sync_issue, missing_confirmations
from .console_api import async_setup_console_api
from .console_images import async_image_store
from .const import (
    CONF_ALERT_COOLDOWN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_ON_BRIDGE,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
    CONF_PRICE_PER_1000,
    CONF_STORE_ID,
    DEFAULT_ALERT_COOLDOWN_MINUTES,
    DEFAULT_DAILY_BUDGET,
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_MATCH_THRESHOLD,
    DEFAULT_MAX_EXPIRY_DAYS,
    DEFAULT_MAX_FACES,
    DOMAIN,
    ISSUE_BRIDGE_UPDATE_REQUIRED,
    ISSUE_INSECURE_ENGINE,
    LOGGER,
    Backend,
)
from .cost import default_price
from .data import (
    SmartShopConfigEntry,
    SmartShopData,
    backend_config,
    client_name,
    is_insecure_url,
    is_legacy_pairing,
    make_bridge_client,
    new_store_id,
    pairing_data,
)
from .database import async_audit, incident_store
from .entity import bridge_device_info, store_device_info
from .erasure import async_erase_exports, async_forget_store_erasures, async_retry_erasures
from .errors import (
    ErrorKind,
    async_auth_failed,
    async_certificate_changed,
    async_delete_permission_issues,
    async_permission_checked,
    bridge_update_issue_id,
    certificate_issue_id,
    insecure_engine_issue_id,
    is_certificate_error,
    kind_of,
    setup_error,
)
from .exports import ExportView
from .key_rotation import async_resume_key_rotation
from .panel import async_setup_panel
from .people import Person, async_remove_person_store, person_store
from .recognition import RateLimiter, RecognitionClient, RecognitionError
from .retention import async_privacy_purge
from .services import async_setup_services
from .settings_audit import async_audit_settings
from .sighting import SightingService
from .snapshots import DATA_SNAPSHOTS, SnapshotStore, async_load_keys
from .usage import UsageMeter, UsageStore
from .views import SnapshotView
from .watchlist import WatchlistManager

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

# One client-side limit per store, shared by all its cameras (AWS's default is 5 TPS for search).
SEARCH_RATE_PER_SECOND: Final = 5.0
PURGE_INTERVAL: Final = timedelta(days=1)
HEALTH_PROBE_INTERVAL: Final = timedelta(seconds=20)
# Entries from before users that the backend could not make users at set-up are tried again.
USER_MIGRATION_INTERVAL: Final = timedelta(minutes=10)
# Erasures the backend could not complete (it was down) are tried again as often.
ERASURE_RETRY_INTERVAL: Final = USER_MIGRATION_INTERVAL
PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.CAMERA, Platform.EVENT, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, the snapshot and export views and the console panel (once)."""
    async_setup_services(hass)
    keys = await async_load_keys(hass)
    snapshots = SnapshotStore(Path(hass.config.path(DOMAIN, "snapshots")), keys)
    hass.data[DATA_SNAPSHOTS] = snapshots
    async_resume_key_rotation(hass, keys)
    hass.http.register_view(SnapshotView(snapshots, partial(async_image_store, hass)))
    hass.http.register_view(ExportView())
    async_setup_console_api(hass)
    await async_setup_panel(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: SmartShopConfigEntry) -> bool:
    """Bring a store saved by an older SmartShop up to date.

    Home Assistant itself refuses an entry of a newer major version; a newer minor version (from
    a later SmartShop) is compatible and loads unchanged. A pairing made before TLS (1.2 and
    earlier) is moved to its own credentials when the store sets up, since that needs the
    bridge (``_async_migrate_pairing``); both kinds of pairing load at 1.3.
    """
    if entry.minor_version < 2:
        # 1.1 identified a store without a bridge by its slugified name. It gets a generated
        # store id instead; nothing else changes (its watchlists keep their stored collection ids).
        data = dict(entry.data)
        unique_id = entry.unique_id
        if CONF_BRIDGE_ID not in data and CONF_STORE_ID not in data:
            unique_id = data[CONF_STORE_ID] = new_store_id()
        hass.config_entries.async_update_entry(
            entry, data=data, unique_id=unique_id, minor_version=2
        )
        LOGGER.debug("Migrated store %s to version 1.2", entry.title)
    if entry.minor_version < 3:
        hass.config_entries.async_update_entry(entry, minor_version=3)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmartShopConfigEntry) -> bool:
    """Connect to the store's backend, sync its watchlists and start its cameras."""
    if is_legacy_pairing(entry.data):
        await _async_migrate_pairing(hass, entry)
    _async_sync_insecure_engine_issue(hass, entry)
    options = entry.options
    client = RecognitionClient(
        backend_config(entry.data),
        rate_limiter=RateLimiter(rate=SEARCH_RATE_PER_SECOND, burst=int(SEARCH_RATE_PER_SECOND)),
        max_faces_per_frame=int(options.get(CONF_MAX_FACES, DEFAULT_MAX_FACES)),
        # Every call passes through the client: a refused permission raises its repair issue
        # there, and the operation's next success clears it.
        on_permission=partial(async_permission_checked, hass, entry),
    )
    store = person_store(hass, entry.entry_id)
    manager = WatchlistManager(
        client,
        store,
        entry.subentries,
        default_expiry_days=int(options.get(CONF_DEFAULT_EXPIRY_DAYS, DEFAULT_EXPIRY_DAYS)),
        max_expiry_days=int(options.get(CONF_MAX_EXPIRY_DAYS, DEFAULT_MAX_EXPIRY_DAYS)),
    )
    sightings = SightingService(
        hass, entry, incidents=incident_store(hass), snapshots=hass.data[DATA_SNAPSHOTS]
    )
    manager.on_removed = sightings.async_forget_person
    manager.on_expired = partial(_async_audit_expired, hass, entry)
    await _async_connect(hass, entry, manager)
    bridge = await _async_connect_bridge(hass, entry)
    # The bridge and its engine showed the paired certificate.
    ir.async_delete_issue(hass, DOMAIN, certificate_issue_id(entry.entry_id))

    missing = missing_confirmations(entry.data, options)
    async_sync_issue(hass, entry.entry_id, entry.title, missing)
    if missing:
        LOGGER.warning(
            "Recognition is off for %s until the owner confirms: %s",
            entry.title,
            ", ".join(missing),
        )
    usage = UsageMeter(
        price_per_1000=float(options.get(CONF_PRICE_PER_1000, default_price(entry.data))),
        daily_budget=int(options.get(CONF_DAILY_BUDGET, DEFAULT_DAILY_BUDGET)),
        day=dt_util.now().date(),
    )
    usage_store = UsageStore(hass, entry.entry_id)
    await usage_store.async_restore(usage)
    entry.runtime_data = SmartShopData(
        client=client,
        watchlists=manager,
        incidents=sightings.incidents,
        usage=usage,
        bridge=bridge,
        recognition_enabled=not missing,
        match_threshold=float(options.get(CONF_MATCH_THRESHOLD, DEFAULT_MATCH_THRESHOLD)),
        snapshots=sightings.snapshots,
        sightings=sightings,
        rules=rules_from_options(
            options,
            threshold=float(options.get(CONF_MATCH_THRESHOLD, DEFAULT_MATCH_THRESHOLD)),
            cooldown_minutes=float(
                options.get(CONF_ALERT_COOLDOWN, DEFAULT_ALERT_COOLDOWN_MINUTES)
            ),
        ),
        options=dict(options),
    )

    entry.async_on_unload(
        async_track_time_interval(hass, partial(_async_daily_purge, hass, entry), PURGE_INTERVAL)
    )
    entry.async_on_unload(
        async_track_time_interval(hass, partial(_async_probe, hass, entry), HEALTH_PROBE_INTERVAL)
    )
    entry.async_on_unload(
        async_track_time_interval(
            hass, partial(_async_migrate_users, entry), USER_MIGRATION_INTERVAL
        )
    )
    entry.async_on_unload(
        async_track_time_interval(
            hass, partial(_async_retry_erasures, hass, entry), ERASURE_RETRY_INTERVAL
        )
    )
    await async_retry_erasures(hass, entry, client)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    entry.async_on_unload(usage.add_listener(lambda: usage_store.async_schedule_save(usage)))
    # The store's device first, so camera devices can point at it.
    entry.runtime_data.store_device_id = (
        dr.async_get(hass)
        .async_get_or_create(config_entry_id=entry.entry_id, **store_device_info(entry))
        .id
    )
    if bridge is not None:
        entry.runtime_data.bridge_device_id = (
            dr.async_get(hass)
            .async_get_or_create(
                config_entry_id=entry.entry_id,
                **bridge_device_info(entry, bridge.info.bridge_id, bridge.info.version),
            )
            .id
        )
        _async_remove_stale_bridge_cameras(hass, entry, bridge)
    await hass.data[IMAGE_PROCESSING].async_setup_entry(entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if bridge is not None:
        bridge.start(
            on_face=sightings.async_face_event,
            on_auth_failed=partial(async_auth_failed, hass, entry),
            on_cameras_changed=lambda: hass.config_entries.async_schedule_reload(entry.entry_id),
        )
        entry.async_on_unload(bridge.stop)
        entry.async_on_unload(bridge.add_listener(partial(_async_bridge_changed, hass, entry)))
    # The daily timer starts afresh at every set-up: purge now too, so a Home Assistant that
    # restarts more often than daily still keeps nothing past its retention.
    entry.async_create_task(
        hass, async_privacy_purge(hass, entry, dt_util.utcnow()), f"{DOMAIN} privacy purge"
    )
    return True


def _setup_failed(
    hass: HomeAssistant, entry: SmartShopConfigEntry, err: RecognitionError | BridgeError
) -> None:
    """Before a set-up error: a certificate that is not the paired one gets its repair issue."""
    if is_certificate_error(err):
        async_certificate_changed(hass, entry)


async def _async_connect(
    hass: HomeAssistant, entry: SmartShopConfigEntry, manager: WatchlistManager
) -> None:
    """Check the keys, load the store's people and sync its watchlists; map failures once."""
    try:
        await manager.client.validate()
        await manager.store.async_load()
        await manager.async_sync()
        await manager.async_purge_expired()
    except RecognitionError as err:
        _setup_failed(hass, entry, err)
        raise setup_error(err) from err
    # Entries from before users become users (never fails set-up; retried until done).
    await manager.async_migrate_users()


async def _async_migrate_users(entry: SmartShopConfigEntry, _now: datetime) -> None:
    """Retry making users of the entries the backend could not make users of before."""
    manager = entry.runtime_data.watchlists
    if manager.users_to_retry:
        await manager.async_migrate_users()


async def _async_retry_erasures(
    hass: HomeAssistant, entry: SmartShopConfigEntry, _now: datetime
) -> None:
    """Retry the backend part of erasures the backend could not complete before."""
    await async_retry_erasures(hass, entry, entry.runtime_data.client)


async def _async_migrate_pairing(hass: HomeAssistant, entry: SmartShopConfigEntry) -> None:
    """Move a pairing made before TLS to the store's own credentials, with nothing to do for
    the owner.

    The old shared key serves once as the pairing secret: the proofs show each side knows it,
    bound to the certificate seen, so no code is needed. A bridge not yet updated (plain HTTP)
    keeps working as before, with a repair issue, until it is; the next set-up migrates.
    """
    data = entry.data
    host, port = data[CONF_BRIDGE_HOST], int(data[CONF_BRIDGE_PORT])
    update_issue = bridge_update_issue_id(entry.entry_id)
    try:
        result = await pair(
            async_get_clientsession(hass),
            host,
            port,
            str(data[CONF_BRIDGE_KEY]).encode(),
            client_name=client_name(hass.config.location_name),
            expected=None,
        )
    except BridgeNotTLSError:
        LOGGER.warning(
            "The bridge of %s runs a SmartShop version without encryption; update it", entry.title
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            update_issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_BRIDGE_UPDATE_REQUIRED,
            translation_placeholders={"store": entry.title, "bridge_id": data[CONF_BRIDGE_ID]},
        )
        return
    except BridgeError as err:
        _setup_failed(hass, entry, err)
        raise setup_error(err, bridge=f"{host}:{port}") from err
    if result.bridge_id != data[CONF_BRIDGE_ID]:
        raise _bridge_replaced(entry, result.bridge_id)
    new_data = {key: value for key, value in data.items() if key != CONF_BRIDGE_KEY}
    hass.config_entries.async_update_entry(entry, data=new_data | pairing_data(result))
    ir.async_delete_issue(hass, DOMAIN, update_issue)
    LOGGER.info("%s now reaches its bridge over TLS with credentials of its own", entry.title)


def _bridge_replaced(entry: SmartShopConfigEntry, found: str) -> ConfigEntryError:
    return ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="bridge_replaced",
        translation_placeholders={"expected": entry.data[CONF_BRIDGE_ID], "found": found},
    )


@callback
def _async_sync_insecure_engine_issue(hass: HomeAssistant, entry: SmartShopConfigEntry) -> None:
    """Warn while a store reaches an engine by URL over plain HTTP on the network."""
    issue_id = insecure_engine_issue_id(entry.entry_id)
    data = entry.data
    if (
        data.get(CONF_BACKEND) == Backend.ENGINE
        and not data.get(CONF_ENGINE_ON_BRIDGE)
        and is_insecure_url(str(data.get(CONF_ENDPOINT_URL, "")))
    ):
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_INSECURE_ENGINE,
            translation_placeholders={"store": entry.title},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


async def _async_connect_bridge(
    hass: HomeAssistant, entry: SmartShopConfigEntry
) -> BridgeConnection | None:
    """Reach the store's bridge, if it has one, over its pinned certificate with its token."""
    if CONF_BRIDGE_ID not in entry.data:
        return None
    client = make_bridge_client(async_get_clientsession(hass), entry.data)
    try:
        info = await client.info()
    except BridgeError as err:
        _setup_failed(hass, entry, err)
        raise setup_error(err, bridge=client.base_url) from err
    if info.bridge_id != entry.data[CONF_BRIDGE_ID]:
        raise _bridge_replaced(entry, info.bridge_id)
    return BridgeConnection(hass, client, info)


def _async_remove_stale_bridge_cameras(
    hass: HomeAssistant, entry: SmartShopConfigEntry, bridge: BridgeConnection
) -> None:
    """Drop the devices of cameras the bridge no longer has."""
    registry = dr.async_get(hass)
    current = {f"{bridge.info.bridge_id}_{camera.camera_id}" for camera in bridge.info.cameras}
    prefix = f"{bridge.info.bridge_id}_"
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ids = {value for domain, value in device.identifiers if domain == DOMAIN}
        if any(value.startswith(prefix) for value in ids) and not ids & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def _async_daily_purge(
    hass: HomeAssistant, entry: SmartShopConfigEntry, now: datetime
) -> None:
    """Delete expired watchlist entries; apply the retention of incident data."""
    data = entry.runtime_data
    try:
        await data.watchlists.async_purge_expired()
    except RecognitionError as err:
        LOGGER.warning("Expired entries not purged yet (will retry): %s", err)
    await async_privacy_purge(hass, entry, now)


async def _async_audit_expired(
    hass: HomeAssistant, entry: SmartShopConfigEntry, people: list[Person]
) -> None:
    """Each entry the expiry purge removed takes its exports with it (subject-access archives,
    evidence packs); one audit row each (the system acted)."""
    for person in people:
        exports = await async_erase_exports(hass, person.person_id)
        await async_audit(
            hass,
            None,
            AuditAction.EXPIRE,
            store_id=entry.entry_id,
            subject=person.person_id,
            details={
                "watchlist_id": person.watchlist_id,
                "exports_deleted": exports.deleted,
                "exports_not_deleted": exports.not_deleted,
            },
        )


async def _async_probe(hass: HomeAssistant, entry: SmartShopConfigEntry, _now: datetime) -> None:
    """While the backend is down, check every interval whether it is back."""
    data = entry.runtime_data
    if data.health.available or data.health.auth_failed:
        return
    try:
        await data.client.validate()
    except RecognitionError as err:
        if kind_of(err) is ErrorKind.AUTH:
            data.health.mark_auth_failed()
            async_auth_failed(hass, entry, err)
        return
    else:
        data.health.mark_available()


@callback
def _async_bridge_changed(hass: HomeAssistant, entry: SmartShopConfigEntry) -> None:
    """The bridge is back: if the backend was down, check it now rather than at the next probe.

    A store on the bridge's engine loses its backend with the bridge, so without this its face
    watch entities would wait for the next probe after the bridge returned.
    """
    data = entry.runtime_data
    if data.bridge is not None and data.bridge.connected and not data.health.available:
        entry.async_create_task(
            hass, _async_probe(hass, entry, dt_util.utcnow()), "smartshop backend probe"
        )


async def _async_reload(hass: HomeAssistant, entry: SmartShopConfigEntry) -> None:
    """Options or subentries changed: audit a change of settings, then apply them."""
    await async_audit_settings(hass, entry.entry_id, entry.runtime_data.options, entry.options)
    entry.runtime_data.options = dict(entry.options)
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmartShopConfigEntry) -> bool:
    """Stop the store's cameras and sensors."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    unloaded = await hass.data[IMAGE_PROCESSING].async_unload_entry(entry) and unloaded
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmartShopConfigEntry) -> None:
    """Forget the store's people, incidents and repair issues when the store is removed, and
    end its credentials on its bridge."""
    await async_remove_person_store(hass, entry.entry_id)
    await hass.async_add_executor_job(incident_store(hass).delete_store, entry.entry_id)
    await async_forget_store_erasures(hass, entry.entry_id)
    async_sync_issue(hass, entry.entry_id, entry.title, [])
    async_delete_permission_issues(hass, entry.entry_id)
    for issue in (
        certificate_issue_id(entry.entry_id),
        bridge_update_issue_id(entry.entry_id),
        insecure_engine_issue_id(entry.entry_id),
    ):
        ir.async_delete_issue(hass, DOMAIN, issue)
    if CONF_BRIDGE_ID in entry.data and not is_legacy_pairing(entry.data):
        client = make_bridge_client(async_get_clientsession(hass), entry.data)
        try:
            await client.revoke()
        except BridgeError as err:
            LOGGER.warning(
                "Could not revoke %s's credentials on bridge %s (%s); they stay valid until "
                "removed on the bridge",
                entry.title,
                entry.data[CONF_BRIDGE_ID],
                err,
            )
