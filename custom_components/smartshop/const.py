"""Constants for the SmartShop integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "smartshop"
LOGGER = logging.getLogger(__package__)

# Config entry data
CONF_STORE_NAME: Final = "store_name"
# A store without a bridge is identified by this generated id (its config entry's unique id), so
# renaming the shop changes nothing and two shops may share a name.
CONF_STORE_ID: Final = "store_id"
CONF_BACKEND: Final = "backend"
CONF_ACCESS_KEY_ID: Final = "access_key_id"
CONF_SECRET_ACCESS_KEY: Final = "secret_access_key"  # noqa: S105 (a key name)
CONF_REGION: Final = "region"
CONF_ENDPOINT_URL: Final = "endpoint_url"
# An engine by URL that serves its own certificate (the engine alone): its SHA-256, pinned.
CONF_ENGINE_CERT_SHA256: Final = "engine_cert_sha256"

# The store's edge bridge (optional)
CONF_BRIDGE_ID: Final = "bridge_id"
CONF_BRIDGE_HOST: Final = "bridge_host"
CONF_BRIDGE_PORT: Final = "bridge_port"
# The shared key of a pairing made before TLS (the bridge's bearer token and engine secret). Only
# read to migrate such a pairing; never stored again.
CONF_BRIDGE_KEY: Final = "bridge_key"
# What pairing gives this Home Assistant: its own client id on the bridge, API token and engine
# key pair (revocable one by one), and the pin of the bridge's certificate (SHA-256, hex).
CONF_CLIENT_ID: Final = "client_id"
CONF_API_TOKEN: Final = "api_token"  # noqa: S105 (a key name)
CONF_ENGINE_ACCESS_KEY_ID: Final = "engine_access_key_id"
CONF_ENGINE_SECRET_ACCESS_KEY: Final = "engine_secret_access_key"  # noqa: S105 (a key name)
CONF_CERT_SHA256: Final = "cert_sha256"
CONF_ENGINE_PORT: Final = "engine_port"
# The store's backend is the engine on its bridge: endpoint and keys derive from the bridge's.
CONF_ENGINE_ON_BRIDGE: Final = "engine_on_bridge"
DEFAULT_BRIDGE_PORT: Final = 8765
# The single-use pairing code a bridge shows (the form field keeps its old name); it is used
# once to pair and never stored.
CONF_PAIRING_KEY: Final = "pairing_key"
# An engine by URL over plain HTTP to another machine: only when the owner says so.
CONF_ALLOW_INSECURE_HTTP: Final = "allow_insecure_http"

# Every credential SmartShop asks for or stores: the backend's key pair, the bridge API token and
# engine key pair of a pairing, a pre-TLS pairing's shared key and the pairing code. Diagnostics
# redact every one of them wherever it appears; a new credential belongs here.
SECRET_KEYS: Final = frozenset(
    {
        CONF_ACCESS_KEY_ID,
        CONF_SECRET_ACCESS_KEY,
        CONF_BRIDGE_KEY,
        CONF_PAIRING_KEY,
        CONF_API_TOKEN,
        CONF_ENGINE_ACCESS_KEY_ID,
        CONF_ENGINE_SECRET_ACCESS_KEY,
    }
)

# Options
CONF_MATCH_THRESHOLD: Final = "match_threshold"
CONF_ALERT_COOLDOWN: Final = "alert_cooldown_minutes"
CONF_DEFAULT_EXPIRY_DAYS: Final = "default_expiry_days"
CONF_MAX_EXPIRY_DAYS: Final = "max_expiry_days"
# How long an incident stays linked to its person (then it is anonymised): unconfirmed
# (pending or dismissed) and confirmed incidents. The keys predate anonymisation, when the whole
# incident was deleted at these ages.
CONF_INCIDENT_RETENTION_DAYS: Final = "incident_retention_days"
CONF_CONFIRMED_RETENTION_DAYS: Final = "confirmed_retention_days"
# How long the evidence crop of an unconfirmed match, and of a confirmed incident, is kept (never
# longer than the link), and how long the anonymous row is kept for trends (then deleted).
CONF_EVIDENCE_RETENTION_DAYS: Final = "evidence_retention_days"
CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS: Final = "confirmed_evidence_retention_days"
CONF_ANONYMOUS_RETENTION_DAYS: Final = "anonymous_incident_retention_days"
# Four-eyes enrolment: a new entry stays inactive until another user approves it.
CONF_REQUIRE_APPROVAL: Final = "require_approval"
# Store option: users who are not administrators may use the console for this store (look and
# review; no watchlist changes). Off by default (see permissions.py).
CONF_CONSOLE_FOR_STAFF: Final = "console_for_staff"
CONF_SCAN_INTERVAL: Final = "scan_interval_seconds"
CONF_MAX_FACES: Final = "max_faces_per_frame"
CONF_PRICE_PER_1000: Final = "price_per_1000_images"
CONF_DAILY_BUDGET: Final = "daily_search_budget"
CONF_PRESENCE_MINUTES: Final = "presence_minutes"
CONF_DPIA_DONE: Final = "dpia_done"
CONF_SIGNAGE_UP: Final = "signage_up"
CONF_AI_OPT_OUT: Final = "aws_ai_opt_out"

# Subentries
SUBENTRY_WATCHLIST: Final = "watchlist"
SUBENTRY_CAMERA: Final = "camera"
CONF_NAME: Final = "name"
CONF_CATEGORY: Final = "category"
CONF_COLLECTION_ID: Final = "collection_id"
CONF_OWNED: Final = "owned"  # this store created the collection (vs joined a shared one)
CONF_CAMERA_ENTITY: Final = "camera_entity_id"
CONF_LOCATION: Final = "location"
CONF_CONFIRM_DELETE: Final = "confirm_delete"

DEFAULT_REGION: Final = "eu-west-2"
# Rekognition's own default FaceMatchThreshold is 80. At 80 a watchlist of a few hundred people
# produces false matches in a busy shop; a false "shoplifter" alert harms an innocent customer, so
# SmartShop asks for 95 and lets the owner lower it knowingly.
DEFAULT_MATCH_THRESHOLD: Final = 95.0
MIN_MATCH_THRESHOLD: Final = 80.0
DEFAULT_ALERT_COOLDOWN_MINUTES: Final = 10
DEFAULT_EXPIRY_DAYS: Final = 365
DEFAULT_MAX_EXPIRY_DAYS: Final = 730
DEFAULT_REVIEW_DAYS: Final = 90
DEFAULT_INCIDENT_RETENTION_DAYS: Final = 30
DEFAULT_CONFIRMED_RETENTION_DAYS: Final = 365
DEFAULT_EVIDENCE_RETENTION_DAYS: Final = 30
DEFAULT_CONFIRMED_EVIDENCE_RETENTION_DAYS: Final = 365
DEFAULT_ANONYMOUS_RETENTION_DAYS: Final = 730
DEFAULT_SCAN_INTERVAL: Final = 0  # 0 = scan only on image_processing.scan (no paid polling)
DEFAULT_MAX_FACES: Final = 5
# Rekognition list price per 1,000 images (Group 1 APIs, first tier) in USD, used to show what an
# optional polling interval would cost. Each scan is one DetectFaces plus one search per face.
PRICE_PER_1000_IMAGES: Final = 1.0
# Billable calls a store may make per day before searching pauses (0 = no limit).
DEFAULT_DAILY_BUDGET: Final = 2000
# How long the store's "person of interest on premises" sensor stays on after a match.
DEFAULT_PRESENCE_MINUTES: Final = 10

EVENT_MATCH: Final = "smartshop_match"
EVENT_CONFIRMED: Final = "smartshop_match_confirmed"
EVENT_DISMISSED: Final = "smartshop_match_dismissed"
# Action ids of the companion app's notification buttons ("Confirm" / "Not them").
ACTION_CONFIRM_PREFIX: Final = "SMARTSHOP_CONFIRM_"
ACTION_DISMISS_PREFIX: Final = "SMARTSHOP_DISMISS_"
# Dismissals of one person's matches after which a repair issue suggests reviewing the entry.
DISMISSALS_BEFORE_REVIEW: Final = 3
# A dismissed match raises that entry's own threshold just above the dismissed similarity, so the
# same innocent customer at the same similarity does not alert again; never above this cap (a
# higher similarity alerts whatever staff dismissed before). The entry threshold goes back to the
# store's when the entry is updated or gets a new photo.
EVENT_ENTRY_THRESHOLD_CHANGED: Final = "smartshop_entry_threshold_changed"
ENTRY_THRESHOLD_STEP: Final = 0.1
MAX_ENTRY_THRESHOLD: Final = 99.5


# A subject-access export reports how far it is: {export, done, total}, every few files written.
EVENT_EXPORT_PROGRESS: Final = "smartshop_export_progress"


def signal_match(entry_id: str) -> str:
    """Dispatcher signal for a store's match, confirmation and dismissal (entities listen)."""
    return f"{DOMAIN}_{entry_id}_match"


def signal_purge(entry_id: str) -> str:
    """Dispatcher signal after a store's privacy purge (its purge sensor listens)."""
    return f"{DOMAIN}_{entry_id}_purge"


def signal_sighting(entry_id: str) -> str:
    """Dispatcher signal carrying each searched sighting's result (face watch entities listen)."""
    return f"{DOMAIN}_{entry_id}_sighting"


ISSUE_RECOGNITION_DISABLED: Final = "recognition_disabled"
ISSUE_BUDGET_REACHED: Final = "budget_reached"
ISSUE_REVIEW_ENTRY: Final = "review_entry"
# The bridge (or its engine) shows another certificate than the paired one.
ISSUE_BRIDGE_CERTIFICATE_CHANGED: Final = "bridge_certificate_changed"
# The bridge still runs the version before TLS; the store works unencrypted until it is updated.
ISSUE_BRIDGE_UPDATE_REQUIRED: Final = "bridge_update_required"
# An engine by URL reached over plain HTTP on the network.
ISSUE_INSECURE_ENGINE: Final = "insecure_engine_connection"
# A person was erased here but the backend could not delete their user or faces yet (retried).
ISSUE_ERASURE_INCOMPLETE: Final = "erasure_incomplete"
# AWS refused the store's keys the permission for one Rekognition operation (one per operation).
ISSUE_MISSING_PERMISSION: Final = "missing_permission"


class Backend(StrEnum):
    """Where recognition runs."""

    AWS = "aws"
    ENGINE = "engine"


class Category(StrEnum):
    """Why a person is on a watchlist."""

    THEFT = "theft"
    BANNED = "banned"
    VIOLENCE = "violence"
    OTHER = "other"


class Justification(StrEnum):
    """Why an entry is necessary (recorded at enrolment)."""

    REPEAT_OFFENDER = "repeat_offender"
    SERIOUS_OFFENCE = "serious_offence"
