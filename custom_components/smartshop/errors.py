"""The one map from backend and bridge errors to what Home Assistant shows.

``recognition.py`` already sorts every botocore failure into a :class:`RecognitionError` whose
``reason`` is a stable code, and the bridge client raises :class:`BridgeAuthError` or
:class:`BridgeConnectionError`. This module turns those into what each context needs, driven by
the reason: set-up errors (re-authenticate, or retry later), action errors (the caller's mistake
or the backend's failure, translated) and config-flow form errors. Nothing else maps them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)

from .bridge_client import BridgeAuthError, BridgeError
from .const import CONF_REGION, DOMAIN, LOGGER
from .recognition import AccessDeniedError, MultipleFacesError, RecognitionError


class ErrorKind(StrEnum):
    """What a failure means for the store, whatever the context."""

    AUTH = "auth"  # credentials or pairing key refused: the owner must re-authenticate
    CONFIG = "config"  # the set-up itself is wrong (region): the owner must change it
    TRANSIENT = "transient"  # unreachable, throttled or failing on its side: try again later
    INPUT = "input"  # the image the caller gave cannot be used
    OTHER = "other"  # an answer SmartShop does not expect


_KINDS: Final = {
    "invalid_auth": ErrorKind.AUTH,
    "access_denied": ErrorKind.AUTH,
    "wrong_region": ErrorKind.CONFIG,
    "cannot_connect": ErrorKind.TRANSIENT,
    "throttled": ErrorKind.TRANSIENT,
    "no_face": ErrorKind.INPUT,
    "multiple_faces": ErrorKind.INPUT,
    "invalid_image": ErrorKind.INPUT,
}


def kind_of(err: RecognitionError | BridgeError) -> ErrorKind:
    """Sort a backend or bridge error."""
    if isinstance(err, BridgeError):
        return ErrorKind.AUTH if isinstance(err, BridgeAuthError) else ErrorKind.TRANSIENT
    return _KINDS.get(err.reason, ErrorKind.OTHER)


def _translation(err: RecognitionError) -> tuple[str, dict[str, str]]:
    """The translation key and placeholders that describe a recognition error."""
    kind = kind_of(err)
    if isinstance(err, AccessDeniedError):
        return err.reason, {"action": err.action}
    if isinstance(err, MultipleFacesError):
        return err.reason, {"count": str(err.count)}
    if err.reason == "invalid_image":
        return err.reason, {"reason": str(err)}
    if kind is ErrorKind.TRANSIENT:
        return "cannot_connect", {}  # throttled after retries is unreachable, for the owner
    if kind is ErrorKind.OTHER:
        return "backend_error", {"error": str(err)}
    return err.reason, {}


def setup_error(
    err: RecognitionError | BridgeError, *, bridge: str = ""
) -> ConfigEntryAuthFailed | ConfigEntryError | ConfigEntryNotReady:
    """Set-up: refused keys start re-authentication, a wrong set-up stops, the rest retries.

    ``bridge`` is the bridge's address, for a bridge error.
    """
    kind = kind_of(err)
    if isinstance(err, BridgeError):
        if kind is ErrorKind.AUTH:
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="bridge_invalid_key"
            )
        return ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="bridge_unreachable",
            translation_placeholders={"host": bridge},
        )
    key, placeholders = _translation(err)
    if kind is ErrorKind.AUTH:
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        )
    if kind is ErrorKind.CONFIG:
        return ConfigEntryError(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        )
    if kind is not ErrorKind.TRANSIENT:
        key, placeholders = "backend_error", {"error": str(err)}
    return ConfigEntryNotReady(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def action_error(err: RecognitionError) -> HomeAssistantError:
    """Actions: the caller's own mistake (their image) is a validation error, the backend's
    failure an ordinary one; both translated."""
    key, placeholders = _translation(err)
    if kind_of(err) is ErrorKind.CONFIG:
        key, placeholders = "backend_error", {"error": str(err)}
    error_type = ServiceValidationError if kind_of(err) is ErrorKind.INPUT else HomeAssistantError
    return error_type(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def form_error(
    err: RecognitionError | BridgeError, *, region_field: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """Config flows: (errors, description placeholders) for the form that gets another try.

    A wrong region is shown on the form's region field, or for the whole form when it has none.
    """
    kind = kind_of(err)
    if isinstance(err, BridgeError):
        return {
            "base": "invalid_pairing_key" if kind is ErrorKind.AUTH else "bridge_unreachable"
        }, {}
    if kind is ErrorKind.CONFIG:
        return {CONF_REGION if region_field else "base": "wrong_region"}, {}
    if kind is ErrorKind.AUTH or kind is ErrorKind.TRANSIENT:
        key, placeholders = _translation(err)
        return {"base": key}, placeholders
    LOGGER.error("Unexpected answer from the recognition backend: %s", err, exc_info=err)
    return {"base": "unknown"}, {}
