"""Builders shared by the integration tests (imported by them, not through ``conftest.py``)."""

from __future__ import annotations

from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.core import Context, HomeAssistant
from homeassistant.util.hass_dict import HassKey
from pytest_homeassistant_custom_component.common import MockUser

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
