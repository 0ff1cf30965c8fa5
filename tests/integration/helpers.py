"""Builders shared by the integration tests (imported by them, not through ``conftest.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
import uuid

from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.smartshop.data import SmartShopConfigEntry
from custom_components.smartshop.incidents import Incident
from custom_components.smartshop.snapshots import SnapshotKind

ADMIN_NAME = "Manager Sam"
_ADMIN: HassKey[str] = HassKey("smartshop_tests_admin_user_id")


async def as_admin(hass: HomeAssistant) -> Context:
    """The context of a call by a Home Assistant administrator named ``ADMIN_NAME`` (made on
    first use): watchlist changes, exports and rotations are theirs alone."""
    if (user_id := hass.data.get(_ADMIN)) is None:
        group = await hass.auth.async_get_group(GROUP_ID_ADMIN)
        assert group is not None
        user = MockUser(name=ADMIN_NAME, groups=[group]).add_to_hass(hass)
        hass.data[_ADMIN] = user_id = user.id
    return Context(user_id=user_id)


async def incident_with_crop(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    person_id: str,
    crop: bytes,
    occurred_at: datetime | None = None,
) -> Incident:
    """An incident about the person on the store's Theft watchlist with its evidence crop, as
    a sighting records them."""
    incident_id = str(uuid.uuid4())
    incident = Incident(
        incident_id=incident_id,
        dedup_key=incident_id,
        occurred_at=occurred_at or dt_util.utcnow() - timedelta(hours=1),
        store_id=entry.entry_id,
        store_name=entry.title,
        camera="camera.front_door",
        location="Front door",
        watchlist_id=next(iter(entry.runtime_data.watchlists.watchlists)),
        watchlist="Theft",
        category="theft",
        person_id=person_id,
        similarity=97.5,
        snapshot_ref=incident_id,
    )
    assert await hass.async_add_executor_job(entry.runtime_data.incidents.add, incident)
    await hass.async_add_executor_job(
        entry.runtime_data.snapshots.save, SnapshotKind.INCIDENT, incident_id, crop
    )
    return incident
