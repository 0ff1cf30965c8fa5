"""Form pieces the SmartShop flows share: number boxes, secret fields, selectors and schemas."""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.helpers import selector
import probatio

from .compliance import required_confirmations
from .const import (
    CONF_ACCESS_KEY_ID,
    CONF_ALLOW_INSECURE_HTTP,
    CONF_BACKEND,
    CONF_CATEGORY,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_CERT_SHA256,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    DEFAULT_REGION,
    MIN_MATCH_THRESHOLD,
    Backend,
    Category,
)
from .data import is_insecure_url


def number_box(
    minimum: float, maximum: float, *, step: float = 1, unit: str | None = None
) -> selector.NumberSelector:
    """A number typed into a box."""
    config = selector.NumberSelectorConfig(
        min=minimum, max=maximum, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def days_box(maximum: int) -> selector.NumberSelector:
    return number_box(1, maximum, unit="d")


SIMILARITY = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=MIN_MATCH_THRESHOLD, max=100, step=0.5, mode=selector.NumberSelectorMode.SLIDER
    )
)
MINUTES = number_box(0, 1440, unit="min")
PORT = number_box(1, 65535)
PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))


def credentials_schema(backend: Backend, defaults: Mapping[str, Any]) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    if backend is Backend.ENGINE:
        fields[
            probatio.Required(
                CONF_ENDPOINT_URL, default=defaults.get(CONF_ENDPOINT_URL, probatio.UNDEFINED)
            )
        ] = URL
    fields[
        probatio.Required(
            CONF_ACCESS_KEY_ID, default=defaults.get(CONF_ACCESS_KEY_ID, probatio.UNDEFINED)
        )
    ] = str
    fields[probatio.Required(CONF_SECRET_ACCESS_KEY)] = PASSWORD
    if backend is Backend.AWS:
        fields[
            probatio.Required(CONF_REGION, default=defaults.get(CONF_REGION, DEFAULT_REGION))
        ] = str
    else:
        fields[
            probatio.Optional(
                CONF_ENGINE_CERT_SHA256,
                default=defaults.get(CONF_ENGINE_CERT_SHA256, probatio.UNDEFINED),
            )
        ] = str
        fields[
            probatio.Optional(
                CONF_ALLOW_INSECURE_HTTP,
                default=bool(defaults.get(CONF_ALLOW_INSECURE_HTTP, False)),
            )
        ] = bool
    return probatio.Schema(fields)


def clean_credentials(backend: Backend, user_input: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: str(value).strip()
        for key, value in user_input.items()
        if key != CONF_ALLOW_INSECURE_HTTP
    }
    if backend is Backend.ENGINE:
        data[CONF_ENDPOINT_URL] = data[CONF_ENDPOINT_URL].rstrip("/")
        data.setdefault(CONF_REGION, DEFAULT_REGION)
        data[CONF_ALLOW_INSECURE_HTTP] = bool(user_input.get(CONF_ALLOW_INSECURE_HTTP, False))
        # As the engine prints it (upper case, colons) or plain hex; nothing given: no pin.
        pin = "".join(data.pop(CONF_ENGINE_CERT_SHA256, "").replace(":", "").split()).lower()
        if pin:
            data[CONF_ENGINE_CERT_SHA256] = pin
    return data


def engine_pin_error(data: Mapping[str, Any]) -> str | None:
    """Why a pinned engine certificate cannot be used (the form's error key), or None."""
    pin = data.get(CONF_ENGINE_CERT_SHA256)
    if pin is None:
        return None
    if len(pin) != 64 or any(char not in "0123456789abcdef" for char in pin):
        return "invalid_cert_pin"
    if not str(data[CONF_ENDPOINT_URL]).lower().startswith("https://"):
        return "cert_pin_needs_https"
    return None


def insecure_url_refused(data: Mapping[str, Any]) -> bool:
    """An engine URL over plain HTTP to another machine, without the owner's say-so."""
    return is_insecure_url(str(data[CONF_ENDPOINT_URL])) and not data.get(CONF_ALLOW_INSECURE_HTTP)


def backend_selector() -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[backend.value for backend in Backend],
            translation_key=CONF_BACKEND,
            mode=selector.SelectSelectorMode.LIST,
        )
    )


def has_word(text: str) -> bool:
    """A name must have at least one letter or digit (slugify turns '!!' into 'unknown')."""
    return re.search(r"[^\W_]", text) is not None


def url_ok(url: str) -> bool:
    return re.match(r"^https?://[^\s/]+(:\d+)?(/.*)?$", url) is not None


def compliance_schema(backend: Backend, defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(key, default=bool(defaults.get(key, False))): bool
            for key in required_confirmations(backend)
        }
    )


def category_selector() -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=[category.value for category in Category],
            translation_key=CONF_CATEGORY,
            mode=selector.SelectSelectorMode.DROPDOWN,
        )
    )
