"""Find a watchlist entry by its UUID in whichever SmartShop store on this Home Assistant holds it.

The data-rights actions (export, erasure) take a person id and optionally a store: without one,
every loaded store is looked in, so staff need not know which store enrolled the person (for
instance in a collection several stores share).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .data import SmartShopConfigEntry
from .people import Person


def loaded_stores(hass: HomeAssistant) -> list[SmartShopConfigEntry]:
    """Every SmartShop store (config entry) that is loaded now."""
    entries: list[SmartShopConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return entries


def find_person(
    hass: HomeAssistant, person_id: str, entry: SmartShopConfigEntry | None = None
) -> tuple[SmartShopConfigEntry, Person] | None:
    """The store holding the entry and the entry itself; only ``entry`` is looked in if given."""
    for store in [entry] if entry is not None else loaded_stores(hass):
        if (person := store.runtime_data.watchlists.store.get(person_id)) is not None:
            return store, person
    return None
