"""Who may do what: one table of roles against every action, console command and HTTP view, and
the functions that decide a request by it.

Roles, for one store:

- **administrator**: a Home Assistant administrator (every store);
- **staff**: a user who is not an administrator, for a store whose option *console for staff*
  is on (``console_for_staff``);
- **other user**: any other signed-in user (nothing of SmartShop);
- **automation**: a call with no user (an automation, a blueprint, a script run by the system).
  In Home Assistant only administrators create automations, so an automation acts for them, but
  only where it needs to: review from a phone's buttons, scheduled reports, the audit check.

``docs/security.md`` shows the same table; a test calls every registered action, command and
view as each role and compares the answers with it, and fails for one without a row here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from aiohttp import web
from homeassistant.auth import jwt_wrapper
from homeassistant.auth.models import User
from homeassistant.components.http.auth import (
    DATA_SIGN_SECRET,
    SAFE_QUERY_PARAMS,
    SIGN_QUERY_PARAM,
    STORAGE_KEY as HTTP_AUTH_STORAGE_KEY,
)
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import Unauthorized, UnknownUser
import jwt
import probatio

from .const import CONF_CONSOLE_FOR_STAFF, DOMAIN


class Role(StrEnum):
    """Who is asking, for one store."""

    ADMINISTRATOR = "administrator"
    STAFF = "staff"
    OTHER_USER = "other user"
    AUTOMATION = "automation"


ADMINISTRATORS: Final = frozenset({Role.ADMINISTRATOR})
ADMINISTRATORS_AND_AUTOMATIONS: Final = frozenset({Role.ADMINISTRATOR, Role.AUTOMATION})
STORE_STAFF: Final = frozenset({Role.ADMINISTRATOR, Role.STAFF})
STORE_STAFF_AND_AUTOMATIONS: Final = frozenset({Role.ADMINISTRATOR, Role.STAFF, Role.AUTOMATION})


@dataclass(frozen=True, slots=True)
class Rule:
    """The roles allowed, and why (shown in the docs' table)."""

    allowed: frozenset[Role]
    why: str


_CHANGE = "changes the watchlist"

ACTIONS: Final[Mapping[str, Rule]] = {
    "enroll_person": Rule(ADMINISTRATORS, _CHANGE),
    "enroll_from_footage": Rule(ADMINISTRATORS, _CHANGE),
    "update_person": Rule(ADMINISTRATORS, _CHANGE),
    "approve_person": Rule(
        ADMINISTRATORS, "four-eyes approval: an administrator other than the one who enrolled"
    ),
    "remove_person": Rule(ADMINISTRATORS, "erases a person everywhere"),
    "add_photo": Rule(ADMINISTRATORS, _CHANGE),
    "remove_photo": Rule(ADMINISTRATORS, _CHANGE),
    "reembed_watchlist": Rule(ADMINISTRATORS, _CHANGE),
    "list_footage": Rule(ADMINISTRATORS, "footage is for enrolment, which is for administrators"),
    "list_people": Rule(STORE_STAFF, "names, reasons: the stores the user has the console for"),
    "find_person_by_face": Rule(
        STORE_STAFF, "searches only the stores the user has the console for"
    ),
    "review_match": Rule(
        STORE_STAFF_AND_AUTOMATIONS,
        "the incident's store; automations for the phone buttons of the staff-alert blueprint",
    ),
    "rotate_bridge_credentials": Rule(ADMINISTRATORS, "credentials"),
    "rotate_snapshot_key": Rule(ADMINISTRATORS, "keys"),
    "verify_audit_log": Rule(
        ADMINISTRATORS_AND_AUTOMATIONS, "answers counts and a row number; a scheduled check"
    ),
    "export_audit_log": Rule(ADMINISTRATORS, "an export"),
    "export_person_data": Rule(ADMINISTRATORS, "an export of everything held on a person"),
    "create_evidence_pack": Rule(ADMINISTRATORS, "an export with names and faces"),
    "generate_report": Rule(
        ADMINISTRATORS_AND_AUTOMATIONS, "no names or faces; the weekly-report blueprint"
    ),
}

# Console commands: a WebSocket connection always has a user, so automations never apply.
COMMANDS: Final[Mapping[str, Rule]] = {
    "smartshop/stores": Rule(STORE_STAFF, "the stores the user has the console for"),
    "smartshop/incidents/list": Rule(STORE_STAFF, "those stores' incidents"),
    "smartshop/incidents/get": Rule(STORE_STAFF, "the incident's store"),
    "smartshop/incidents/review": Rule(STORE_STAFF, "the incident's store"),
    "smartshop/trends": Rule(STORE_STAFF, "those stores' counts"),
    "smartshop/watchlist/list": Rule(STORE_STAFF, "those stores' entries"),
    "smartshop/subscribe_matches": Rule(
        STORE_STAFF, "those stores' matches, rights checked again for every match"
    ),
    "smartshop/watchlist/update": Rule(ADMINISTRATORS, _CHANGE),
    "smartshop/watchlist/enroll": Rule(ADMINISTRATORS, _CHANGE),
    "smartshop/watchlist/remove": Rule(ADMINISTRATORS, "erases a person everywhere"),
    "smartshop/watchlist/export": Rule(ADMINISTRATORS, "an export"),
    "smartshop/incidents/evidence_pack": Rule(ADMINISTRATORS, "an export"),
    "smartshop/reports/generate": Rule(ADMINISTRATORS, "an export"),
    "smartshop/exports/list": Rule(ADMINISTRATORS, "the exports folder"),
}

# HTTP views, by their Home Assistant view name. A signed link (``authSig``) counts only when its
# signature is valid for exactly that path; it then acts as the user it was signed for.
VIEW_SNAPSHOT: Final = f"api:{DOMAIN}:snapshot"
VIEW_EXPORTS: Final = f"api:{DOMAIN}:exports"
VIEWS: Final[Mapping[str, Rule]] = {
    VIEW_SNAPSHOT: Rule(
        STORE_STAFF,
        "the image's store; a link the integration signed for an alert opens that image for an "
        "hour",
    ),
    VIEW_EXPORTS: Rule(
        ADMINISTRATORS,
        "a period report (no names or faces) also through a link signed for it",
    ),
}


def staff_store_ids(hass: HomeAssistant) -> set[str]:
    """The stores whose console is open to staff."""
    return {
        entry.entry_id
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.options.get(CONF_CONSOLE_FOR_STAFF, False)
    }


def role_of(hass: HomeAssistant, user: User | None, store_id: str | None = None) -> Role:
    """The role of ``user`` for one store; with no store, for the store that suits them best
    (staff when any store is open to them)."""
    if user is None:
        return Role.AUTOMATION
    if not user.is_active:
        return Role.OTHER_USER
    if user.is_admin:
        return Role.ADMINISTRATOR
    staff = staff_store_ids(hass)
    if store_id is None:
        return Role.STAFF if staff else Role.OTHER_USER
    return Role.STAFF if store_id in staff else Role.OTHER_USER


def is_allowed(
    hass: HomeAssistant, rule: Rule, user: User | None, store_id: str | None = None
) -> bool:
    """Whether ``user`` may do what ``rule`` guards (for ``store_id`` when it is about one)."""
    return role_of(hass, user, store_id) in rule.allowed


async def async_caller(hass: HomeAssistant, context: Context) -> User | None:
    """The user behind a call (None: an automation); a user id that names nobody is refused."""
    if context.user_id is None:
        return None
    if (user := await hass.auth.async_get_user(context.user_id)) is None:
        raise UnknownUser(context=context)
    return user


async def async_authorize_action(
    hass: HomeAssistant, context: Context, action: str, store_id: str | None = None
) -> User | None:
    """Refuse the call unless its caller may use ``action`` (for ``store_id`` when given);
    the caller (None for an automation)."""
    user = await async_caller(hass, context)
    if not is_allowed(hass, ACTIONS[action], user, store_id):
        raise Unauthorized(context=context, config_entry_id=store_id)
    return user


type ActionHandler = Callable[[ServiceCall], Awaitable[ServiceResponse]]


@callback
def async_register_action(
    hass: HomeAssistant,
    action: str,
    handler: ActionHandler,
    schema: probatio.Schema,
    supports_response: SupportsResponse = SupportsResponse.NONE,
) -> None:
    """Register one SmartShop action behind its row of the table: the caller is checked before
    the handler runs (an action without a row cannot be registered). Handlers of actions that
    staff may use check the store they act on with ``async_authorize_action`` again."""
    rule = ACTIONS[action]

    async def checked(call: ServiceCall) -> ServiceResponse:
        user = await async_caller(hass, call.context)
        if not is_allowed(hass, rule, user):
            raise Unauthorized(context=call.context)
        return await handler(call)

    hass.services.async_register(DOMAIN, action, checked, schema, supports_response)


def signed_request_user(hass: HomeAssistant, request: web.Request) -> User | None:
    """The user a valid ``authSig`` of this very path and query was signed for, or None.

    Home Assistant accepts a request with a valid token even when it also carries an ``authSig``
    parameter; this checks the signature itself, so a made-up ``authSig`` next to a token opens
    nothing that only a signature may open.
    """
    secret = hass.data.get(DATA_SIGN_SECRET)
    if secret is None or (signature := request.query.get(SIGN_QUERY_PARAM)) is None:
        return None
    try:
        claims = jwt_wrapper.verify_and_decode(
            signature, secret, algorithms=["HS256"], options={"verify_iss": False}
        )
    except jwt.InvalidTokenError:
        return None
    params = [
        list(item)
        for item in request.query.items()
        if item[0] not in SAFE_QUERY_PARAMS and item[0] != SIGN_QUERY_PARAM
    ]
    if claims.get("path") != request.path or claims.get("params") != params:
        return None
    token = hass.auth.async_get_refresh_token(str(claims.get("iss")))
    if token is None or not token.user.is_active:
        return None
    return token.user


def signed_by_integration(hass: HomeAssistant, request: web.Request) -> bool:
    """Whether the request carries a valid link that the integration signed for an alert
    (Home Assistant's content user, never a person's sign-in)."""
    user = signed_request_user(hass, request)
    content_token = hass.data.get(HTTP_AUTH_STORAGE_KEY)
    if user is None or content_token is None:
        return False
    token = hass.auth.async_get_refresh_token(str(content_token))
    return token is not None and token.user.id == user.id


def request_user(request: web.Request) -> User | None:
    """The signed-in user of an authenticated request."""
    user: User | None = request.get(KEY_HASS_USER)
    return user
