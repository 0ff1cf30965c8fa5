"""The one map from backend and bridge errors to what Home Assistant shows.

``recognition.py`` already sorts every botocore failure into a :class:`RecognitionError` whose
``reason`` is a stable code, and the bridge client raises :class:`BridgeError` subclasses. This
module turns those into what each context needs, driven by the reason: set-up errors
(re-authenticate, or retry later), action errors (the caller's mistake or the backend's failure,
translated) and config-flow form errors. Nothing else maps them.

A certificate that is not the pinned one (on the bridge or its engine) is an authentication
failure with a repair issue of its own: the owner pairs again with a new code. A permission the
backend refuses (AccessDenied) gets a repair issue per operation, raised and cleared by the
store's client itself (:func:`async_permission_checked`), whatever the caller does with the error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import issue_registry as ir

from .bridge_client import (
    BridgeAuthError,
    BridgeCertificateError,
    BridgeError,
    BridgeNotTLSError,
    PairingRateLimitedError,
    PairingRefusedError,
)
from .const import (
    CONF_REGION,
    DOMAIN,
    ISSUE_BRIDGE_CERTIFICATE_CHANGED,
    ISSUE_BRIDGE_UPDATE_REQUIRED,
    ISSUE_INSECURE_ENGINE,
    ISSUE_MISSING_PERMISSION,
    LOGGER,
)
from .recognition import (
    REKOGNITION_OPERATIONS,
    AccessDeniedError,
    CertificateMismatchError,
    MultipleFacesError,
    RecognitionError,
)


class ErrorKind(StrEnum):
    """What a failure means for the store, whatever the context."""

    AUTH = "auth"  # credentials refused, or not the paired bridge: the owner must re-authenticate
    CONFIG = "config"  # the set-up itself is wrong (region): the owner must change it
    TRANSIENT = "transient"  # unreachable, throttled or failing on its side: try again later
    INPUT = "input"  # the image the caller gave cannot be used
    OTHER = "other"  # an answer SmartShop does not expect


_KINDS: Final = {
    "invalid_auth": ErrorKind.AUTH,
    "certificate_mismatch": ErrorKind.AUTH,
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
        if isinstance(err, BridgeAuthError | BridgeCertificateError):
            return ErrorKind.AUTH
        return ErrorKind.TRANSIENT
    return _KINDS.get(err.reason, ErrorKind.OTHER)


def is_certificate_error(err: RecognitionError | BridgeError) -> bool:
    """True when the bridge or its engine is not the paired one (another certificate)."""
    return isinstance(err, BridgeCertificateError | CertificateMismatchError)


def certificate_issue_id(entry_id: str) -> str:
    """The repair issue of a store whose bridge shows another certificate."""
    return f"{ISSUE_BRIDGE_CERTIFICATE_CHANGED}_{entry_id}"


def bridge_update_issue_id(entry_id: str) -> str:
    """The repair issue of a store whose bridge still runs the version before TLS."""
    return f"{ISSUE_BRIDGE_UPDATE_REQUIRED}_{entry_id}"


def insecure_engine_issue_id(entry_id: str) -> str:
    """The repair issue of a store reaching an engine over plain HTTP on the network."""
    return f"{ISSUE_INSECURE_ENGINE}_{entry_id}"


def missing_permission_issue_id(entry_id: str, operation: str) -> str:
    """The repair issue of a store whose keys may not call one Rekognition operation."""
    return f"{ISSUE_MISSING_PERMISSION}_{entry_id}_{operation}"


@callback
def async_permission_checked(
    hass: HomeAssistant, entry: ConfigEntry, operation: str, denied: AccessDeniedError | None
) -> None:
    """Every call of a store's client reports here (the client's ``on_permission``).

    A refusal raises a repair issue naming the missing permission and what it breaks, one per
    store and operation; the operation's next successful call removes it (the permission was
    added). The error itself still goes to the caller, which handles it as before.
    """
    issue_id = missing_permission_issue_id(entry.entry_id, operation)
    known = ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    if denied is None:
        if known:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            LOGGER.info("%s may call %s again", entry.title, operation)
        return
    if not known:
        LOGGER.warning(
            "%s: the backend refused the permission %s; see the repair notice",
            entry.title,
            denied.action,
        )
    described = REKOGNITION_OPERATIONS.get(operation)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        # Kept across restarts: an operation may run rarely (find by face), and only its next
        # success shows that the permission was added.
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MISSING_PERMISSION,
        translation_placeholders={
            "store": entry.title,
            "permission": denied.action,
            "feature": described.feature if described else f"the {operation} call",
        },
    )


@callback
def async_delete_permission_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every missing-permission issue of a store (the store was removed)."""
    prefix = missing_permission_issue_id(entry_id, "")
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_certificate_changed(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Tell the owner the bridge's certificate changed; re-pairing (reauth) clears it."""
    LOGGER.error(
        "The bridge of %s shows another certificate than the paired one; pair it again",
        entry.title,
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        certificate_issue_id(entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_BRIDGE_CERTIFICATE_CHANGED,
        translation_placeholders={"store": entry.title},
    )


@callback
def async_auth_failed(
    hass: HomeAssistant, entry: ConfigEntry, err: RecognitionError | BridgeError
) -> None:
    """A running store's credentials were refused, or its bridge is not the paired one: raise
    the repair issue for the latter, and start re-authentication (re-pairing) either way."""
    if is_certificate_error(err):
        async_certificate_changed(hass, entry)
    entry.async_start_reauth(hass)


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
    if is_certificate_error(err):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="bridge_certificate_changed"
        )
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


def _bridge_form_error(err: BridgeError) -> str:
    if isinstance(err, PairingRefusedError):
        return "pairing_code_refused"
    if isinstance(err, PairingRateLimitedError):
        return "too_many_attempts"
    if isinstance(err, BridgeNotTLSError):
        return "bridge_update_required"
    if isinstance(err, BridgeAuthError):
        return "invalid_bridge_credentials"
    return "bridge_unreachable"


def form_error(
    err: RecognitionError | BridgeError, *, region_field: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """Config flows: (errors, description placeholders) for the form that gets another try.

    A wrong region is shown on the form's region field, or for the whole form when it has none.
    """
    kind = kind_of(err)
    if is_certificate_error(err):
        return {"base": "certificate_mismatch"}, {}
    if isinstance(err, BridgeError):
        return {"base": _bridge_form_error(err)}, {}
    if kind is ErrorKind.CONFIG:
        return {CONF_REGION if region_field else "base": "wrong_region"}, {}
    if kind is ErrorKind.AUTH or kind is ErrorKind.TRANSIENT:
        key, placeholders = _translation(err)
        return {"base": key}, placeholders
    LOGGER.error("Unexpected answer from the recognition backend: %s", err, exc_info=err)
    return {"base": "unknown"}, {}
