"""Subentry flows of a store: its watchlists (face collections) and its watched cameras."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers import selector
import probatio

from .const import (
    CONF_CAMERA_ENTITY,
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_LOCATION,
    CONF_NAME,
    CONF_OWNED,
    Category,
)
from .data import SmartShopConfigEntry
from .errors import form_error
from .flow_schemas import (
    category_selector,
    has_word,
)
from .recognition import RecognitionError
from .watchlist import COLLECTION_ID_PATTERN, async_prepare_collection, collection_id_for


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
            collection_id = collection_id_for(entry.unique_id or entry.entry_id, name, shared)
            if not has_word(name):
                errors[CONF_NAME] = "invalid_name"
            elif not COLLECTION_ID_PATTERN.match(collection_id):
                errors[CONF_COLLECTION_ID] = "invalid_collection_id"
            elif any(sub.unique_id == collection_id for sub in entry.subentries.values()):
                return self.async_abort(reason="already_configured")
            else:
                try:
                    owned = await async_prepare_collection(
                        entry.runtime_data.client, collection_id, shared=bool(shared)
                    )
                except RecognitionError as err:
                    errors, _ = form_error(err, region_field=False)
                else:
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
                        ): category_selector(),
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
            if not has_word(name):
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
                        probatio.Required(CONF_CATEGORY): category_selector(),
                    }
                ),
                user_input or subentry.data,
            ),
            errors=errors,
            description_placeholders={"collection": subentry.data[CONF_COLLECTION_ID]},
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
